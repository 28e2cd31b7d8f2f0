// The native async API (POST /v1/tasks, GET /v1/tasks/:id, SSE events), Idempotency-Key, and the
// AUTOMATIC1111 txt2img route, over real HTTP.
import type { ChatTaskOutput } from "@roost/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { nativeInput, txt2imgInput } from "../src/api/app/normalize.js";
import { CHAT_MODEL, IMAGE_MODEL, parseSse, startAppCoordinator, stopAll } from "./fixtures/app-harness.js";
import { demoChatOutput, demoImageOutput } from "./fixtures/miner-client.js";

afterEach(stopAll);

const messages = [{ role: "user" as const, content: "what is roost" }];
const chatTask = { type: "chat" as const, model: CHAT_MODEL, input: { messages, max_tokens: 20 } };

describe("native tasks", () => {
  it("accepts a task at once (202), then shows it completed with the output and the miner's signature", async () => {
    const c = await startAppCoordinator();
    const { account: alice, miner } = await c.onlineMiner();
    const response = await c.fetch("/v1/tasks", { json: chatTask });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { id: string };
    expect(response.headers.get("location")).toBe(`/v1/tasks/${accepted.id}`);
    expect(accepted).toMatchObject({
      object: "task",
      type: "chat",
      status: "queued",
      attempts: 0,
      output: null,
    });

    const [leased] = await miner.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    if (leased === undefined) throw new Error("no task");
    const output = demoChatOutput(nativeInput(chatTask) as never);
    await miner.result(leased, output);
    const task = (await (await c.fetch(`/v1/tasks/${accepted.id}`)).json()) as Record<string, number>;
    expect(task).toMatchObject({
      id: accepted.id,
      status: "completed",
      attempts: 1,
      miner: alice.address,
      error: null,
      input: nativeInput(chatTask),
      input_hash: leased.inputHash,
      output,
      result_hash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      signature: expect.stringMatching(/^0x[0-9a-f]{130}$/),
    });
    expect(task.completed_at).toBeGreaterThanOrEqual(task.created_at ?? Number.POSITIVE_INFINITY);
  });

  it("holds each answer until its writes are committed, a failed commit answers 500, polls do not wait", async () => {
    const c = await startAppCoordinator();
    const { miner } = await c.onlineMiner();
    // Stand in for a slow (then failing) commit of the turn's transaction.
    let finish: { resolve: () => void; reject: (error: Error) => void } | undefined;
    const gate = () =>
      new Promise<void>((resolve, reject) => {
        finish = { resolve, reject };
      });
    let pending = gate();
    c.services.db.committed = () => pending;
    const answer = c.fetch("/v1/tasks", { json: chatTask });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const poll = await miner.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 }); // answered meanwhile
    expect(poll).toHaveLength(1);
    let answered = false;
    void answer.then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    finish?.resolve();
    expect((await answer).status).toBe(202);

    pending = gate();
    const refused = c.fetch("/v1/tasks", { json: chatTask });
    await new Promise((resolve) => setTimeout(resolve, 100));
    finish?.reject(new Error("disk I/O error"));
    expect((await refused).status).toBe(500);
  });

  it("streams status, progress and the final task as server-sent events", async () => {
    const c = await startAppCoordinator();
    const [alice, bob] = c.miners;
    if (alice === undefined || bob === undefined) throw new Error("no miners");
    const first = c.minerClient(alice);
    const second = c.minerClient(bob);
    for (const miner of [first, second]) {
      await miner.login();
      await miner.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    }
    const { id } = (await (await c.fetch("/v1/tasks", { json: { ...chatTask, stream: true } })).json()) as {
      id: string;
    };
    const events = await c.fetch(`/v1/tasks/${id}/events`);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);

    const [taken] = await first.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    expect(taken?.stream).toBe(true);
    await first.fail(id, "out of memory");
    const [retried] = await second.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    if (retried === undefined) throw new Error("no task");
    await second.progress(id, { delta: "echo:", fraction: 0.5 });
    const output = demoChatOutput(nativeInput(chatTask) as never);
    await second.result(retried, output);

    const received = parseSse(await events.text()).map(({ event, data }) => [event, JSON.parse(data)]);
    expect(received.slice(0, -1)).toEqual([
      ["status", { status: "queued", attempts: 0, miner: null }],
      ["status", { status: "leased", attempts: 1, miner: alice.address }],
      ["status", { status: "requeued", reason: "out of memory" }],
      ["status", { status: "leased", attempts: 2, miner: bob.address }],
      ["progress", { delta: "echo:", fraction: 0.5 }],
    ]);
    expect(received.at(-1)).toEqual([
      "completed",
      expect.objectContaining({ id, status: "completed", output }),
    ]);

    // A finished task's events: the final event at once.
    const again = parseSse(await (await c.fetch(`/v1/tasks/${id}/events`)).text());
    expect(again.map((event) => event.event)).toEqual(["completed"]);
  });

  it("shows a task only to the key that created it, and refuses bad ids and bodies naming the field", async () => {
    const c = await startAppCoordinator();
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice);
    const { id } = (await (await c.fetch("/v1/tasks", { json: chatTask })).json()) as { id: string };
    const other = c.services.apiKeys.create("other app").plaintext;
    for (const path of [`/v1/tasks/${id}`, `/v1/tasks/${id}/events`]) {
      const response = await c.fetch(path, { headers: { authorization: `Bearer ${other}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "task_not_found", param: "id" } });
    }
    const badId = await c.fetch("/v1/tasks/0x1234");
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ error: { param: "id" } });

    const before = c.services.tasks.countsByStatus();
    const cases: [unknown, string][] = [
      [{ ...chatTask, priority: 1 }, "priority"],
      [{ ...chatTask, type: "video" }, "type"],
      [{ type: "chat", model: CHAT_MODEL }, "input"],
      [{ ...chatTask, input: { messages: [{ role: "robot", content: "x" }] } }, "input.messages[0].role"],
      [{ ...chatTask, input: { messages, top_k: 5 } }, "input.top_k"],
      [{ type: "image", model: IMAGE_MODEL, input: { prompt: "x", width: 100 } }, "input.width"],
      [{ ...chatTask, model: "unknown-model" }, "model"],
    ];
    for (const [body, param] of cases) {
      const response = await c.fetch("/v1/tasks", { json: body });
      const error = (await response.json()) as { error: { param: string } };
      expect([response.status, error.error.param]).toEqual([param === "model" ? 404 : 400, param]);
    }
    expect(c.services.tasks.countsByStatus()).toEqual(before);
  });
});

describe("Idempotency-Key", () => {
  it("returns the same task for the same key and request, awaited or finished, and 409 for another request", async () => {
    const c = await startAppCoordinator();
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice, { delayMs: 200 });
    const body = { model: CHAT_MODEL, messages };
    const send = (json: unknown, key: string, path = "/v1/chat/completions") =>
      c.fetch(path, { json, headers: { "idempotency-key": key } });

    // The retry arrives while the first request still waits: both get the one task's answer.
    const [first, retry] = await Promise.all([send(body, "order-1"), send(body, "order-1")]);
    const taskId = first.headers.get("x-roost-task-id");
    expect(retry.headers.get("x-roost-task-id")).toBe(taskId);
    const answers = (await Promise.all([first.json(), retry.json()])) as {
      choices: { message: ChatTaskOutput }[];
    }[];
    expect(answers[0]).toEqual(answers[1]);
    // Once finished, the stored answer comes back again.
    const later = await send(body, "order-1");
    expect(later.headers.get("x-roost-task-id")).toBe(taskId);
    expect(await later.json()).toEqual(answers[0]);
    expect(c.services.tasks.countsByStatus()).toMatchObject({ completed: 1, queued: 0, leased: 0 });

    const conflict = await send({ ...body, temperature: 0 }, "order-1");
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({
      error: { param: "Idempotency-Key", code: "idempotency_conflict", type: "invalid_request_error" },
    });
    const otherRoute = await send(chatTask, "order-1", "/v1/tasks");
    expect(otherRoute.status).toBe(409);
    // Keys are per API key: another app may use the same one.
    const other = c.services.apiKeys.create("other").plaintext;
    const own = await c.fetch("/v1/chat/completions", {
      json: body,
      headers: { "idempotency-key": "order-1", authorization: `Bearer ${other}` },
    });
    expect(own.status).toBe(200);
    expect(own.headers.get("x-roost-task-id")).not.toBe(taskId);

    const native = [await send(chatTask, "task-1", "/v1/tasks"), await send(chatTask, "task-1", "/v1/tasks")];
    const ids = await Promise.all(
      native.map(async (response) => ((await response.json()) as { id: string }).id),
    );
    expect(native.map((response) => response.status)).toEqual([202, 202]);
    expect(ids[0]).toBe(ids[1]);
    const tooLong = await send(body, "k".repeat(256));
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: { param: "Idempotency-Key" } });
  });
});

describe("AUTOMATIC1111 txt2img", () => {
  it("answers images, parameters and info (a JSON string) as A1111 does", async () => {
    const c = await startAppCoordinator();
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice);
    const body = {
      prompt: "a lighthouse",
      negative_prompt: "blurry",
      steps: 8,
      seed: -1,
      width: 512,
      height: 768,
      override_settings: { sd_model_checkpoint: `${IMAGE_MODEL} [0123abcd]` },
      restore_faces: false,
    };
    const response = await c.fetch("/sdapi/v1/txt2img", { json: body });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { images: string[]; parameters: unknown; info: string };
    const expected = demoImageOutput(txt2imgInput(body, IMAGE_MODEL));
    expect(answer.images).toEqual([expected.b64]);
    expect(answer.parameters).toMatchObject({
      ...body,
      cfg_scale: 7,
      sampler_name: "Euler",
      batch_size: 1,
      seed: -1,
    });
    expect(typeof answer.info).toBe("string");
    const info = JSON.parse(answer.info);
    expect(info).toMatchObject({
      prompt: "a lighthouse",
      seed: expected.seed,
      all_seeds: [expected.seed],
      width: 512,
      height: 768,
      steps: 8,
      sd_model_name: IMAGE_MODEL,
    });
    expect(info.infotexts[0]).toBe(
      `a lighthouse\nNegative prompt: blurry\nSteps: 8, Sampler: Euler, CFG scale: 7, Seed: ${expected.seed}, Size: 512x768, Model: ${IMAGE_MODEL}`,
    );
    expect(response.headers.get("x-roost-miner")).toBe(alice.address);
  });

  it("needs a model when several are online, and names the field of an unknown one", async () => {
    const c = await startAppCoordinator();
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice); // serves the chat and the image model
    const none = await c.fetch("/sdapi/v1/txt2img", { json: { prompt: "x" } });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ error: { param: "model" } });
    const unknown = await c.fetch("/sdapi/v1/txt2img", {
      json: { prompt: "x", override_settings: { sd_model_checkpoint: "sdxl.safetensors" } },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: { param: "override_settings.sd_model_checkpoint", code: "model_not_found" },
    });
    const batch = await c.fetch("/sdapi/v1/txt2img", {
      json: { prompt: "x", model: IMAGE_MODEL, batch_size: 4 },
    });
    expect(await batch.json()).toMatchObject({ error: { param: "batch_size" } });
    const width = await c.fetch("/sdapi/v1/txt2img", {
      json: { prompt: "x", model: IMAGE_MODEL, width: 500 },
    });
    expect(await width.json()).toMatchObject({ error: { param: "width" } });
    const named = await c.fetch("/sdapi/v1/txt2img", { json: { prompt: "x", model: IMAGE_MODEL, steps: 2 } });
    expect(named.status).toBe(200);
  });
});
