// API keys and per-key rate limits of the app API, over real HTTP.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_MODEL, IMAGE_MODEL, startAppCoordinator, stopAll } from "./fixtures/app-harness.js";

afterEach(stopAll);

const chat = { model: CHAT_MODEL, messages: [{ role: "user", content: "hi" }] };

describe("API keys", () => {
  it("answers 401 in OpenAI's shape to a missing, unknown, malformed or revoked key, queueing nothing", async () => {
    const c = await startAppCoordinator();
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice);
    const before = c.services.tasks.countsByStatus();
    const unknownKey = `roost_sk_${"A".repeat(43)}`;
    const cases: [string | undefined, string][] = [
      [undefined, "missing_api_key"],
      [`Bearer ${unknownKey}`, "invalid_api_key"],
      ["Bearer", "missing_api_key"],
      ["Bearer not-a-key", "invalid_api_key"],
      [`Token ${c.apiKey}`, "missing_api_key"],
    ];
    for (const [authorization, code] of cases) {
      const response = await fetch(`${c.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(chat),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await response.json()).toEqual({
        error: { message: expect.any(String), type: "authentication_error", param: null, code },
      });
    }

    const created = c.services.apiKeys.create("short-lived");
    const openai = c.openai(created.plaintext);
    expect((await openai.chat.completions.create(chat as never)).choices[0]?.message.content).toBe(
      "echo: hi",
    );
    c.services.apiKeys.revoke(created.key.id);
    const revoked = await openai.chat.completions.create(chat as never).catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(revoked).toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(await openai.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(c.services.tasks.countsByStatus()).toEqual({ ...before, completed: before.completed + 1 });
    // Other APIs do not take app keys and are not behind them.
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
  });

  it("takes the key as the password of HTTP Basic auth, as A1111 clients send it", async () => {
    const c = await startAppCoordinator();
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice, { models: [IMAGE_MODEL] });
    const basic = `Basic ${Buffer.from(`webui:${c.apiKey}`).toString("base64")}`;
    const response = await fetch(`${c.url}/sdapi/v1/txt2img`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basic },
      body: JSON.stringify({ prompt: "a boat", steps: 2 }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { images: string[] }).images).toHaveLength(1);
    const wrong = `Basic ${Buffer.from("webui:guess").toString("base64")}`;
    const refused = await fetch(`${c.url}/v1/models`, { headers: { authorization: wrong } });
    expect(refused.status).toBe(401);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After once a key has spent its per-minute budget; other keys go on", async () => {
    const c = await startAppCoordinator();
    const limited = c.services.apiKeys.create("limited", { rateLimitPerMinute: 2 }).plaintext;
    const get = (key: string) => fetch(`${c.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const first = await get(limited);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect((await get(limited)).status).toBe(200);
    const refused = await get(limited);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await refused.json()).toMatchObject({
      error: { type: "rate_limit_error", code: "rate_limit_exceeded", param: null },
    });
    const viaClient = await c
      .openai(limited)
      .chat.completions.create(chat as never)
      .catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(OpenAI.RateLimitError);
    expect((await get(c.apiKey)).status).toBe(200);
    expect(c.services.tasks.countsByStatus()).toEqual({ queued: 0, leased: 0, completed: 0, failed: 0 });
  });

  it("lets browser pages call the app API (CORS with the key in Authorization), not the miner API", async () => {
    const app = await startAppCoordinator();
    const preflight = await fetch(`${app.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "http://127.0.0.1:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const models = await app.fetch("/v1/models", { headers: { origin: "http://127.0.0.1:3000" } });
    expect(models.status).toBe(200);
    expect(models.headers.get("access-control-expose-headers")).toContain("x-roost-miner");
    const miner = await fetch(`${app.url}/miner/v1/receipt`, { method: "OPTIONS" });
    expect(miner.headers.get("access-control-allow-origin")).toBeNull();
  });
});
