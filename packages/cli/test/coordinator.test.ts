// `roost coordinator`: API keys in the coordinator's database, and `start` serving a devnet until stopped.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/program.js";
import { demoAddress, demoKey, startTestNet, type TestNet } from "./helpers.js";

let net: TestNet;

beforeAll(async () => {
  net = await startTestNet();
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

describe("roost coordinator keys", () => {
  it("creates a key shown once, lists it without the secret, and revokes it", async () => {
    const db = join(net.root, "keys.db");
    const created = await net.cli([
      "--json",
      "coordinator",
      "keys",
      "create",
      "my app",
      "--db",
      db,
      "--rate-limit",
      "60",
    ]);
    expect(created.code).toBe(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    expect(key).toMatch(/^roost_sk_/);

    const listed = await net.cli(["--json", "coordinator", "keys", "list", "--db", db]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id, name: "my app", rateLimitPerMinute: 60, revokedAt: null }),
    ]);

    expect((await net.cli(["coordinator", "keys", "revoke", id, "--db", db])).code).toBe(0);
    const again = await net.cli(["coordinator", "keys", "revoke", id, "--db", db]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`no active API key with id ${id}`);
  });

  it("says what to do about a missing database, a bad rate limit and a bad config file", async () => {
    const missing = await net.cli(["coordinator", "keys", "list", "--db", join(net.root, "none.db")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no coordinator database at");

    const rate = await net.cli([
      "coordinator",
      "keys",
      "create",
      "x",
      "--db",
      join(net.root, "k.db"),
      "--rate-limit",
      "lots",
    ]);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain("--rate-limit must be a whole number");

    const config = join(net.root, "bad.json");
    writeFileSync(config, JSON.stringify({ limits: { maxAttempts: 0 } }));
    const bad = await net.cli(["coordinator", "start", "--config", config], { as: 2 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("limits.maxAttempts: must be an integer from 1 to 100");
  });
});

describe("roost coordinator start", () => {
  it("serves /healthz with the operator key until stopped, and refuses without a key", async () => {
    const noKey = await net.cli(["coordinator", "start", "--port", "0"]);
    expect(noKey.code).toBe(2);

    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let stderr = "";
    const running = run(
      ["coordinator", "start", "--port", "0", "--db", join(net.root, "c.db"), "--log-level", "error"],
      {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
        },
        env: { ROOST_PRIVATE_KEY: demoKey(2) },
        cwd: net.root,
      },
      () => stopped,
    );
    const deadline = Date.now() + 20_000;
    while (!stderr.includes("serving") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /serving (http:\/\/\S+)/.exec(stderr)?.[1];
    expect(stderr).toContain(`coordinator ${demoAddress(2)}`);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    stop();
    expect(await running).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
