import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatTaskInput, ChatTaskOutput } from "@roost/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendTaskError, BackendUnavailableError } from "../src/backends/backend.js";
import { createLlamaBackend } from "../src/backends/llama.js";
import { createOpenAIBackend } from "../src/backends/openai.js";
import { type OpenAIServer, serveOpenAI } from "../src/backends/openai-server.js";
import { ensureTinyModel, TINY_MODEL_ID } from "../src/backends/tiny-model.js";
import { createEchoChatBackend } from "./fixtures/echo-chat.js";

// The openai backend against serveOpenAI (a real HTTP server) wrapping a deterministic echo backend, whose
// exact answers pin the parsing, and wrapping the llama backend on the tiny model, end to end.

const MODEL = "echo-1";
let server: OpenAIServer;

const input = (content: string, extra: Partial<ChatTaskInput> = {}): ChatTaskInput => ({
  type: "chat",
  model: MODEL,
  messages: [{ role: "user", content }],
  max_tokens: 64,
  temperature: 0,
  top_p: 1,
  seed: null,
  stop: [],
  ...extra,
});

const context = () => ({ signal: new AbortController().signal });

beforeAll(async () => {
  server = await serveOpenAI(createEchoChatBackend([MODEL], 5));
});
afterAll(async () => {
  await server.close();
});

describe("openai backend against serveOpenAI", () => {
  it("checks the served model list", async () => {
    await expect(createOpenAIBackend({ url: server.url, models: [MODEL] }).check()).resolves.toBeUndefined();
  });

  it("names a missing model and lists what is served", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: [MODEL, "nope"] });
    const error = await backend.check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/does not serve nope; it serves: echo-1/);
  });

  it("says when the server is unreachable", async () => {
    const backend = createOpenAIBackend({ url: "http://127.0.0.1:9/v1", models: [MODEL] });
    const error = await backend.check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/v1\/models/);
  });

  it("fails a task when the server is unreachable", async () => {
    const backend = createOpenAIBackend({
      url: "http://127.0.0.1:9/v1",
      models: [MODEL],
      apiKey: "sk-secret",
    });
    const error = await backend.run(input("x"), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendTaskError);
    expect((error as Error).message).toMatch(/^openai backend: cannot reach http:\/\/127\.0\.0\.1:9\/v1/);
    expect((error as Error).message).not.toContain("sk-secret");
  });

  it("streams deltas that concatenate to the content, with usage", async () => {
    const backend = createOpenAIBackend({ url: `${server.url}/`, models: [MODEL] });
    const deltas: string[] = [];
    const output = (await backend.run(input("hello there world"), {
      ...context(),
      onDelta: (text) => deltas.push(text),
    })) as ChatTaskOutput;
    expect(output).toEqual({
      type: "chat",
      content: "echo: hello there world",
      finish_reason: "stop",
      usage: { prompt_tokens: 3, completion_tokens: 4 },
    });
    expect(deltas).toEqual(["echo: ", "hello ", "there ", "world"]);
  });

  it("maps a max_tokens cut to finish_reason length", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: [MODEL] });
    const output = (await backend.run(input("a b c d", { max_tokens: 2 }), context())) as ChatTaskOutput;
    expect(output.content).toBe("echo: a ");
    expect(output.finish_reason).toBe("length");
    expect(output.usage.completion_tokens).toBe(2);
  });

  it("passes stop strings through", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: [MODEL] });
    const output = (await backend.run(
      input("one two three", { stop: ["two"] }),
      context(),
    )) as ChatTaskOutput;
    expect(output.content).toBe("echo: one ");
    expect(output.finish_reason).toBe("stop");
  });

  it("turns a 400 into a BackendTaskError with the server's message, without the API key", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: [MODEL], apiKey: "sk-secret" });
    const error = await backend.run(input("x", { temperature: 5 }), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendTaskError);
    expect((error as Error).message).toBe(
      "openai backend: chat completion failed with HTTP 400: 'temperature' must be a number from 0 to 2",
    );
    expect((error as Error).message).not.toContain("sk-secret");
  });

  it("reports a task for an unserved model as a 404 from the server", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: ["other"] });
    const error = await backend.run(input("x", { model: "other" }), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendTaskError);
    expect((error as Error).message).toMatch(/HTTP 404: the model 'other' does not exist/);
  });

  it("reports a failure in the middle of the stream", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: [MODEL] });
    const error = await backend.run(input("fail"), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendTaskError);
  });

  it("stops when aborted, with the signal's reason", async () => {
    const backend = createOpenAIBackend({ url: server.url, models: [MODEL] });
    const controller = new AbortController();
    const deltas: string[] = [];
    const reason = new Error("lease lost");
    const running = backend.run(input("a b c d e f g h i j k l m n o p"), {
      signal: controller.signal,
      onDelta: (text) => {
        deltas.push(text);
        if (deltas.length === 2) controller.abort(reason);
      },
    });
    await expect(running).rejects.toBe(reason);
    expect(deltas.length).toBeLessThan(5);
  });
});

describe("serveOpenAI", () => {
  const post = (body: unknown) =>
    fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("answers a non-streamed chat.completion", async () => {
    const response = await post({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.object).toBe("chat.completion");
    expect(body.choices).toEqual([
      { index: 0, message: { role: "assistant", content: "echo: hi" }, finish_reason: "stop" },
    ]);
    expect(body.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
  });

  it.each([
    [{ model: MODEL, messages: [] }, "messages"],
    [{ model: MODEL, messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    [{ model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 0 }, "max_tokens"],
    [{ model: MODEL, messages: [{ role: "user", content: "x" }], stop: [1] }, "stop"],
    [{ model: MODEL, messages: [{ role: "user", content: "x" }], seed: 1.5 }, "seed"],
  ])("rejects %j naming %s", async (body, param) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string; type: string; param: string } };
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
    expect(error.message).toContain(param);
  });

  it("rejects a body that is not JSON", async () => {
    const response = await fetch(`${server.url}/chat/completions`, { method: "POST", body: "{" });
    expect(response.status).toBe(400);
  });
});

describe("openai backend against serveOpenAI wrapping the llama backend (tiny model)", () => {
  const dir = mkdtempSync(join(tmpdir(), "roost-openai-llama-"));
  const llama = createLlamaBackend({
    modelPath: ensureTinyModel(join(dir, "tiny.gguf")),
    modelId: TINY_MODEL_ID,
    capacity: 2,
    gpu: false,
    threads: 1,
  });
  let llamaServer: OpenAIServer;
  const task = (extra: Partial<ChatTaskInput> = {}) =>
    input("Hello, tiny model.", { model: TINY_MODEL_ID, ...extra });

  beforeAll(async () => {
    await llama.check();
    llamaServer = await serveOpenAI(llama);
  }, 60_000);
  afterAll(async () => {
    await llamaServer.close();
    await llama.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives over HTTP exactly what the backend gives directly", async () => {
    const backend = createOpenAIBackend({ url: llamaServer.url, models: [TINY_MODEL_ID] });
    await backend.check();
    const deltas: string[] = [];
    const remote = (await backend.run(task({ max_tokens: 32 }), {
      ...context(),
      onDelta: (text) => deltas.push(text),
    })) as ChatTaskOutput;
    const direct = await llama.run(task({ max_tokens: 32 }), context());
    expect(remote).toEqual(direct);
    expect(remote.finish_reason).toBe("length");
    expect(remote.usage.completion_tokens).toBe(32);
    expect(deltas.join("")).toBe(remote.content);
  });

  it("stops the generation when the client aborts", async () => {
    const backend = createOpenAIBackend({ url: llamaServer.url, models: [TINY_MODEL_ID] });
    const controller = new AbortController();
    const reason = new Error("shutdown");
    const running = backend.run(task({ max_tokens: 400 }), {
      signal: controller.signal,
      onDelta: () => controller.abort(reason),
    });
    await expect(running).rejects.toBe(reason);
    // Both sequences are free again: two tasks still run side by side.
    const outputs = await Promise.all([backend.run(task(), context()), backend.run(task(), context())]);
    expect(outputs[0]).toEqual(outputs[1]);
  });
});
