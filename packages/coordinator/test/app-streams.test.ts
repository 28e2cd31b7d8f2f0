// Streams and waits of the app API over real HTTP: retry before the first token only, in-stream errors,
// client disconnects, request timeouts and shutdown. The task always goes on.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_MODEL, parseSse, startAppCoordinator, stopAll } from "./fixtures/app-harness.js";
import { waitFor } from "./fixtures/store-helpers.js";

afterEach(stopAll);

const messages = [{ role: "user" as const, content: "tell me a story" }];

/** Reads a whole streamed completion: its chunks, headers, and the error that ended it, if any. */
async function collect(openai: OpenAI) {
  const { data, response } = await openai.chat.completions
    .create({ model: CHAT_MODEL, messages, stream: true })
    .withResponse();
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of data) chunks.push(chunk);
  } catch (e) {
    error = e;
  }
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
  return { chunks, text, response, error };
}

async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

describe("streams", () => {
  it("moves a stream to another miner when the first fails before any token", async () => {
    const c = await startAppCoordinator();
    const [alice, bob] = c.miners;
    if (alice === undefined || bob === undefined) throw new Error("no miners");
    const failing = await c.serve(alice, { failWith: () => "CUDA out of memory" });
    const streamed = collect(c.openai());
    await waitFor(() => failing.failed.length === 1, 5_000, "the first miner to give the task back");
    await c.serve(bob);
    const { text, response, error } = await streamed;
    expect(error).toBeUndefined();
    expect(text).toBe("echo: tell me a story");
    expect(response.headers.get("x-roost-miner")).toBe(bob.address);
    const taskId = response.headers.get("x-roost-task-id") ?? "";
    expect(c.services.tasks.get(taskId)).toMatchObject({
      status: "completed",
      attempts: 2,
      leasedTo: bob.address,
    });
  });

  it("ends a stream that fails after its first token with an OpenAI error event, and never retries it", async () => {
    const c = await startAppCoordinator();
    const { miner } = await c.onlineMiner();
    const streamed = collect(c.openai());
    const [task] = await miner.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 5_000 });
    if (task === undefined) throw new Error("no task");
    await miner.progress(task.id, { delta: "Once upon" });
    await waitFor(() => c.services.tasks.get(task.id)?.firstTokenSent === true, 5_000, "the first token");
    expect(await miner.fail(task.id, "GPU fell off the bus")).toEqual({ taskId: task.id, status: "failed" });

    const { text, error } = await streamed;
    expect(text).toBe("Once upon");
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(String((error as Error).message)).toContain("GPU fell off the bus");
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("miner_failed");
    expect(c.services.tasks.get(task.id)).toMatchObject({ status: "failed", attempts: 1 });
  });

  it("answers 502 miner_failed in JSON when the task fails before the first token on its last attempt", async () => {
    const c = await startAppCoordinator({ config: { cooldownMs: 0, limits: { maxAttempts: 1 } } });
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice, { failWith: () => "model file is corrupt" });
    const error = await refusal(
      c.openai().chat.completions.create({ model: CHAT_MODEL, messages, stream: true }),
    );
    expect(error).toMatchObject({ status: 502, code: "miner_failed", type: "server_error" });
    expect(error.message).toContain("model file is corrupt");
    const plain = await refusal(c.openai().chat.completions.create({ model: CHAT_MODEL, messages }));
    expect(plain).toMatchObject({ status: 502, code: "miner_failed" });
    expect(plain.headers?.get("x-roost-task-id")).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("stops writing when the client hangs up mid-stream; the task goes on to completion", async () => {
    const c = await startAppCoordinator();
    const { miner } = await c.onlineMiner();
    const abort = new AbortController();
    const request = c.fetch("/v1/chat/completions", {
      json: { model: CHAT_MODEL, messages, stream: true },
      signal: abort.signal,
    });
    const [task] = await miner.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 5_000 });
    if (task === undefined) throw new Error("no task");
    await miner.progress(task.id, { delta: "Once" });
    const response = await request;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes("Once")) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    await waitFor(() => c.services.events.size === 0, 5_000, "the stream to let go of the task");

    await miner.progress(task.id, { delta: " upon a time" });
    const output = {
      type: "chat" as const,
      content: "Once upon a time",
      finish_reason: "stop" as const,
      usage: { prompt_tokens: 4, completion_tokens: 4 },
    };
    await miner.result(task, output);
    expect(c.services.tasks.get(task.id)).toMatchObject({ status: "completed", firstTokenSent: true });
    expect(c.services.tasks.get(task.id)?.result?.payload).toEqual(output);
  });
});

describe("timeouts and shutdown", () => {
  it("answers 504 with the task id at the request timeout; the task finishes and can be fetched", async () => {
    const c = await startAppCoordinator({ config: { limits: { requestTimeoutMs: 300 } } });
    const [alice] = c.miners;
    if (alice === undefined) throw new Error("no miner");
    await c.serve(alice, { delayMs: 1_000 });
    const error = await refusal(c.openai().chat.completions.create({ model: CHAT_MODEL, messages }));
    expect(error).toMatchObject({ status: 504, code: "timeout" });
    const taskId = error.headers?.get("x-roost-task-id") ?? "";
    expect(error.message).toContain(`GET /v1/tasks/${taskId}`);
    await waitFor(() => c.services.tasks.get(taskId)?.status === "completed", 5_000, "the task to finish");
    const task = await (await c.fetch(`/v1/tasks/${taskId}`)).json();
    expect(task).toMatchObject({
      id: taskId,
      status: "completed",
      output: { content: "echo: tell me a story" },
    });

    const stream = await refusal(
      c.openai().chat.completions.create({ model: CHAT_MODEL, messages, stream: true }),
    );
    expect(stream).toMatchObject({ status: 504, code: "timeout" });
  });

  it("answers waiting requests 503 and ends event streams when the server shuts down", async () => {
    const c = await startAppCoordinator();
    await c.onlineMiner(); // online, but takes nothing
    const waiting = c.fetch("/v1/chat/completions", { json: { model: CHAT_MODEL, messages } });
    await waitFor(() => c.services.events.size === 1, 5_000, "the request to wait");
    expect(c.services.tasks.countsByStatus().queued).toBe(1);
    const submitted = await c.fetch("/v1/tasks", {
      json: { type: "chat", model: CHAT_MODEL, input: { messages } },
    });
    const { id } = (await submitted.json()) as { id: string };
    const events = await c.fetch(`/v1/tasks/${id}/events`);

    const started = Date.now();
    await c.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    const response = await waiting;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "shutting_down" } });
    const sse = parseSse(await events.text());
    expect(sse).toEqual([
      { event: "status", data: JSON.stringify({ status: "queued", attempts: 0, miner: null }) },
    ]);
  });
});
