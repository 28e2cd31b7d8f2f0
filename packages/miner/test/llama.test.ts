import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatTaskInput, ChatTaskOutput } from "@roost/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendTaskError, BackendUnavailableError } from "../src/backends/backend.js";
import { createLlamaBackend } from "../src/backends/llama.js";
import { ensureTinyModel, TINY_MODEL_ID, tinyModelBytes } from "../src/backends/tiny-model.js";

// The llama backend on the generated tiny random-weight model, on the CPU.

const dir = mkdtempSync(join(tmpdir(), "roost-llama-"));
const modelPath = join(dir, "tiny.gguf");
// One thread: on a small machine more threads only contend on a model this small.
const backend = createLlamaBackend({
  modelPath,
  modelId: TINY_MODEL_ID,
  capacity: 2,
  gpu: false,
  threads: 1,
});

const input = (extra: Partial<ChatTaskInput> = {}): ChatTaskInput => ({
  type: "chat",
  model: TINY_MODEL_ID,
  messages: [
    { role: "system", content: "You are a test." },
    { role: "user", content: "Say something." },
  ],
  max_tokens: 24,
  temperature: 0,
  top_p: 1,
  seed: null,
  stop: [],
  ...extra,
});
const run = async (task: ChatTaskInput, onDelta?: (text: string) => void) =>
  (await backend.run(task, {
    signal: new AbortController().signal,
    ...(onDelta ? { onDelta } : {}),
  })) as ChatTaskOutput;

beforeAll(async () => {
  let started = performance.now();
  ensureTinyModel(modelPath);
  const generated = performance.now() - started;
  started = performance.now();
  await backend.check();
  console.info(
    `tiny model: generated in ${generated.toFixed(0)} ms, loaded in ${(performance.now() - started).toFixed(0)} ms`,
  );
}, 60_000);
afterAll(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("tiny model", () => {
  it("is the same bytes every time and is written once", () => {
    expect(Buffer.from(tinyModelBytes()).equals(Buffer.from(tinyModelBytes()))).toBe(true);
    expect(ensureTinyModel(modelPath)).toBe(modelPath);
  });
});

describe("llama backend", () => {
  it("is deterministic under greedy decoding, also with tasks running side by side", async () => {
    const first = await run(input());
    const [second, third] = await Promise.all([run(input()), run(input())]);
    expect(first.content.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    const other = await run(input({ messages: [{ role: "user", content: "Something else entirely." }] }));
    expect(other.content).not.toBe(first.content);
  });

  it("stops at max_tokens with finish_reason length, counting tokens", async () => {
    const started = performance.now();
    const output = await run(input({ max_tokens: 64 }));
    const seconds = (performance.now() - started) / 1000;
    console.info(`tiny model: ${(64 / seconds).toFixed(0)} tokens/s`);
    expect(output.finish_reason).toBe("length");
    expect(output.usage.completion_tokens).toBe(64);
    expect(output.usage.prompt_tokens).toBeGreaterThan(10);
    const shorter = await run(input({ max_tokens: 3 }));
    expect(shorter.finish_reason).toBe("length");
    expect(shorter.usage.completion_tokens).toBe(3);
  });

  it("streams deltas that concatenate to the content", async () => {
    const deltas: string[] = [];
    const output = await run(input(), (text) => deltas.push(text));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(output.content);
  });

  it("stops at a stop string, leaving it out", async () => {
    const full = await run(input({ max_tokens: 64 }));
    const stop = full.content.slice(10, 13);
    expect(stop).toHaveLength(3);
    const deltas: string[] = [];
    const output = await run(input({ max_tokens: 64, stop: [stop] }), (text) => deltas.push(text));
    expect(output.finish_reason).toBe("stop");
    expect(output.content).toBe(full.content.slice(0, full.content.indexOf(stop)));
    expect(deltas.join("")).toBe(output.content);
  });

  it("repeats a seeded sampled answer, and samples differently with another seed", async () => {
    const sampled = input({ temperature: 1, top_p: 0.95, seed: 42, max_tokens: 32 });
    const first = await run(sampled);
    expect(await run(sampled)).toEqual(first);
    expect((await run({ ...sampled, seed: 43 })).content).not.toBe(first.content);
  });

  it("stops when aborted, with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("lease lost");
    let deltas = 0;
    const running = backend.run(input({ max_tokens: 400 }), {
      signal: controller.signal,
      onDelta: () => {
        deltas += 1;
        if (deltas === 2) controller.abort(reason);
      },
    });
    await expect(running).rejects.toBe(reason);
    expect(deltas).toBeLessThan(10);
    // The sequence went back to the pool: the backend still answers.
    expect((await run(input({ max_tokens: 2 }))).finish_reason).toBe("length");
  });

  it("refuses a model it does not serve", async () => {
    await expect(run(input({ model: "other" }))).rejects.toBeInstanceOf(BackendTaskError);
  });

  it("says when the model file cannot be loaded", async () => {
    const missing = createLlamaBackend({ modelPath: join(dir, "missing.gguf"), modelId: "x", gpu: false });
    const error = await missing.check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain("missing.gguf");
    await missing.close();
  });
});
