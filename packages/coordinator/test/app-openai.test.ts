// The OpenAI-compatible app API over real HTTP, driven by the official `openai` client unchanged:
// chat (plain and streamed), images, models, and refusals in OpenAI's error shape naming the field.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { chatInput, imageInput } from "../src/api/app/normalize.js";
import { CHAT_MODEL, IMAGE_MODEL, parseSse, startAppCoordinator, stopAll } from "./fixtures/app-harness.js";
import { demoChatOutput, demoImageOutput } from "./fixtures/miner-client.js";
import { splitText } from "./fixtures/miner-serve.js";

afterEach(stopAll);

const PNG_SIGNATURE = "89504e470d0a1a0a";

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

describe("chat completions", () => {
  it("answers a chat.completion through a miner, with the task id and the serving miner in headers", async () => {
    const c = await startAppCoordinator();
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    await c.serve(miner);
    const messages = [{ role: "user" as const, content: "hello there world" }];
    const { data, response } = await c
      .openai()
      .chat.completions.create({ model: CHAT_MODEL, messages, temperature: 0, max_tokens: 50 })
      .withResponse();
    const expected = demoChatOutput(
      chatInput({ model: CHAT_MODEL, messages, temperature: 0, max_tokens: 50 }),
    );
    expect(data).toMatchObject({
      object: "chat.completion",
      model: CHAT_MODEL,
      choices: [
        { index: 0, message: { role: "assistant", content: expected.content }, finish_reason: "stop" },
      ],
      usage: {
        ...expected.usage,
        total_tokens: expected.usage.prompt_tokens + expected.usage.completion_tokens,
      },
    });
    const taskId = response.headers.get("x-roost-task-id") ?? "";
    expect(data.id).toBe(`chatcmpl-${taskId.slice(2)}`);
    expect(response.headers.get("x-roost-miner")).toBe(miner.address);
    expect(Math.abs(data.created - Date.now() / 1000)).toBeLessThan(10);
    const task = c.services.tasks.get(taskId);
    expect(task).toMatchObject({ status: "completed", kind: "chat", stream: false, leasedTo: miner.address });
    expect(task?.input).toMatchObject({ type: "chat", temperature: 0, max_tokens: 50, messages });
  });

  it("streams the miner's deltas in order as chat.completion.chunk events, then [DONE]", async () => {
    const c = await startAppCoordinator();
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    await c.serve(miner, { deltaCount: 4 });
    const messages = [{ role: "user" as const, content: "one two three four five six seven" }];
    const expected = demoChatOutput(chatInput({ model: CHAT_MODEL, messages }));
    const { data: stream, response } = await c
      .openai()
      .chat.completions.create({
        model: CHAT_MODEL,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-roost-miner")).toBe(miner.address);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const taskId = response.headers.get("x-roost-task-id") ?? "";
    expect(chunks.every((chunk) => chunk.id === `chatcmpl-${taskId.slice(2)}`)).toBe(true);
    expect(
      chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.model === CHAT_MODEL),
    ).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ""));
    expect(deltas.filter((delta) => delta !== "")).toEqual(splitText(expected.content, 4));
    const withFinish = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(withFinish.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual(["stop"]);
    // include_usage: one last chunk with no choices and the usage.
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { total_tokens: expected.usage.prompt_tokens + expected.usage.completion_tokens },
    });
    expect(c.services.tasks.get(taskId)).toMatchObject({
      status: "completed",
      stream: true,
      firstTokenSent: true,
    });
  });

  it("sends a non-streaming miner's whole answer as one delta, and ends the raw stream with [DONE]", async () => {
    const c = await startAppCoordinator();
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    await c.serve(miner, { streamDeltas: false });
    const body = { model: CHAT_MODEL, messages: [{ role: "user", content: "all at once" }], stream: true };
    const response = await c.fetch("/v1/chat/completions", { json: body });
    expect(response.status).toBe(200);
    const events = parseSse(await response.text());
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data) as OpenAI.ChatCompletionChunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "echo: all at once" },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });
});

describe("images and models", () => {
  it("generates an image as b64_json; with one model online, the model may be left out", async () => {
    const c = await startAppCoordinator();
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    await c.serve(miner, { models: [IMAGE_MODEL] });
    const openai = c.openai();
    const body = { model: IMAGE_MODEL, prompt: "a red fox", size: "512x512" as const, seed: 11 };
    const { data, response } = await openai.images.generate(body).withResponse();
    const expected = demoImageOutput(imageInput(body, IMAGE_MODEL));
    expect(data.data?.[0]?.b64_json).toBe(expected.b64);
    expect(
      Buffer.from(data.data?.[0]?.b64_json ?? "", "base64")
        .subarray(0, 8)
        .toString("hex"),
    ).toBe(PNG_SIGNATURE);
    expect(response.headers.get("x-roost-miner")).toBe(miner.address);

    const unnamed = await openai.images.generate({ prompt: "a red fox", size: "512x512", seed: 11 } as never);
    expect(unnamed.data?.[0]?.b64_json).toBe(expected.b64);
    const url = await apiError(openai.images.generate({ prompt: "x", response_format: "url" } as never));
    expect(url).toMatchObject({ status: 400, param: "response_format" });
    const size = await apiError(openai.images.generate({ prompt: "x", size: "4096x4096" } as never));
    expect(size).toMatchObject({ status: 400, param: "size" });
  });

  it("lists the models online eligible miners serve, and forgets a jailed miner's", async () => {
    const c = await startAppCoordinator();
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    const openai = c.openai();
    expect((await openai.models.list()).data).toEqual([]);
    await c.serve(miner, { models: [IMAGE_MODEL, "org/chat-7b"] });
    const models = (await openai.models.list()).data;
    expect(models.map((model) => model.id)).toEqual(["org/chat-7b", IMAGE_MODEL]);
    expect(models[0]).toMatchObject({ object: "model", owned_by: "roost" });
    expect(await openai.models.retrieve("org/chat-7b")).toMatchObject({ id: "org/chat-7b", object: "model" });
    expect(await apiError(openai.models.retrieve("nope"))).toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    c.chain.set(miner.address, 0);
    expect((await openai.models.list()).data).toEqual([]);
  });
});

describe("refusals", () => {
  it("answers 404 model_not_found naming model, and 400s naming the field, leaving the queue untouched", async () => {
    const c = await startAppCoordinator();
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    await c.serve(miner, { models: [CHAT_MODEL] });
    const openai = c.openai();
    const before = c.services.tasks.countsByStatus();
    const messages = [{ role: "user" as const, content: "hi" }];

    const unknown = await apiError(openai.chat.completions.create({ model: "gpt-9", messages }));
    expect(unknown).toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
      type: "not_found_error",
    });
    const imageModel = await apiError(openai.images.generate({ model: "gpt-image-9", prompt: "x" }));
    expect(imageModel).toMatchObject({ status: 404, param: "model" });
    const cases: [Record<string, unknown>, string][] = [
      [{ model: CHAT_MODEL }, "messages"],
      [{ model: CHAT_MODEL, messages: [] }, "messages"],
      [{ model: CHAT_MODEL, messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
      [{ model: CHAT_MODEL, messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
      [{ model: CHAT_MODEL, messages, temperature: 3 }, "temperature"],
      [{ model: CHAT_MODEL, messages, max_tokens: 0 }, "max_tokens"],
      [{ model: CHAT_MODEL, messages, stop: ["a", "b", "c", "d", "e"] }, "stop"],
      [{ model: CHAT_MODEL, messages, n: 2 }, "n"],
      [{ messages }, "model"],
    ];
    for (const [body, param] of cases) {
      const error = await apiError(openai.chat.completions.create(body as never));
      expect({ status: error.status, param: error.param, type: error.type }).toEqual({
        status: 400,
        param,
        type: "invalid_request_error",
      });
      expect(error.message).toContain(param);
    }
    // Extra fields common clients send do not get in the way.
    const extra = { user: "u1", metadata: { a: "b" }, store: false, response_format: { type: "text" } };
    const ok = await openai.chat.completions.create({ model: CHAT_MODEL, messages, ...extra } as never);
    expect(ok.choices[0]?.message.content).toBe("echo: hi");
    expect(c.services.tasks.countsByStatus()).toEqual({ ...before, completed: before.completed + 1 });
  });

  it("refuses malformed JSON (400), other media types (415) and oversized bodies (413)", async () => {
    const c = await startAppCoordinator({ config: { limits: { bodyLimit: 2_048 } } });
    const [miner] = c.miners;
    if (miner === undefined) throw new Error("no miner");
    await c.serve(miner, { models: [CHAT_MODEL] });
    const before = c.services.tasks.countsByStatus();
    const json = { "content-type": "application/json" };
    const malformed = await c.fetch("/v1/chat/completions", {
      method: "POST",
      headers: json,
      body: '{"model":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      error: { code: "invalid_json", type: "invalid_request_error" },
    });
    const text = await c.fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/xml" },
      body: "<hi/>",
    });
    expect(text.status).toBe(415);
    const big = { model: CHAT_MODEL, messages: [{ role: "user", content: "x".repeat(5_000) }] };
    const tooLarge = await c.fetch("/v1/chat/completions", { json: big });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({
      error: { code: "body_too_large", message: expect.any(String) },
    });
    const oversized = await apiError(c.openai().chat.completions.create(big as never));
    expect(oversized.status).toBe(413);
    expect(c.services.tasks.countsByStatus()).toEqual(before);
  });
});
