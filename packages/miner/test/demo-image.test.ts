// The PNG encoder and the demo image backend: valid files, deterministic bytes, progress and abort.
import { inflateSync } from "node:zlib";
import type { ChatTaskInput, ImageTaskInput } from "@roost/protocol";
import { describe, expect, it } from "vitest";
import { BackendTaskError } from "../src/backends/backend.js";
import { createDemoImageBackend, DEMO_IMAGE_MODEL, renderDemoImage } from "../src/backends/demo-image.js";
import { crc32, encodePng, PNG_SIGNATURE } from "../src/backends/png.js";

/** Parses a PNG, checking signature, every chunk CRC and IEND; returns its size and raw scanlines. */
function decodePng(png: Uint8Array): { width: number; height: number; scanlines: Buffer } {
  const buffer = Buffer.from(png);
  expect([...buffer.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < buffer.length; ) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString("latin1", at + 4, at + 8);
    const crc = buffer.readUInt32BE(at + 8 + length);
    expect(crc, `${type} CRC`).toBe(crc32(buffer.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data: buffer.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  expect(chunks.map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "IEND"]);
  const header = chunks[0]?.data as Buffer;
  expect([...header.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  const [width, height] = [header.readUInt32BE(0), header.readUInt32BE(4)];
  const scanlines = inflateSync(chunks[1]?.data as Buffer);
  expect(scanlines.length).toBe((width * 3 + 1) * height);
  return { width, height, scanlines };
}

function imageInput(overrides: Partial<ImageTaskInput> = {}): ImageTaskInput {
  return {
    type: "image",
    model: DEMO_IMAGE_MODEL,
    prompt: "a lighthouse at dusk",
    negative_prompt: "blurry",
    width: 512,
    height: 512,
    steps: 20,
    cfg_scale: 7,
    sampler_name: "Euler a",
    seed: 42,
    ...overrides,
  };
}

const run = (
  input: ImageTaskInput,
  onProgress?: (fraction: number) => void,
  signal = new AbortController().signal,
) => createDemoImageBackend().run(input, onProgress ? { signal, onProgress } : { signal });

async function b64Of(input: ImageTaskInput): Promise<string> {
  const output = await run(input);
  if (output.type !== "image") throw new Error("not an image");
  return output.b64;
}

describe("png", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
  });

  it("encodes RGB pixels that decode back, each row with filter 0", () => {
    const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 13);
    const { width, height, scanlines } = decodePng(encodePng(3, 2, rgb));
    expect([width, height]).toEqual([3, 2]);
    expect([...scanlines]).toEqual([0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
  });

  it("rejects pixels that do not match the size", () => {
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow(RangeError);
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe("demo image backend", () => {
  it("describes itself and always passes its check", async () => {
    const backend = createDemoImageBackend({ capacity: 3 });
    expect([backend.kind, backend.type, backend.models, backend.capacity]).toEqual([
      "demo-image",
      "image",
      [DEMO_IMAGE_MODEL],
      3,
    ]);
    expect(createDemoImageBackend().capacity).toBe(1);
    await expect(backend.check()).resolves.toBeUndefined();
    await backend.close();
  });

  it("renders a valid PNG of the requested size, with varied pixels", async () => {
    const output = await run(imageInput({ width: 320, height: 200 }));
    expect(output).toMatchObject({ type: "image", mime: "image/png", seed: 42 });
    if (output.type !== "image") throw new Error("not an image");
    const { width, height, scanlines } = decodePng(Buffer.from(output.b64, "base64"));
    expect([width, height]).toEqual([320, 200]);
    expect(new Set(scanlines).size).toBeGreaterThan(64); // a picture, not a flat fill
  });

  it("gives the same bytes for the same input and different ones for another seed or prompt", async () => {
    const first = await b64Of(imageInput());
    expect(await b64Of(imageInput())).toBe(first);
    expect(await b64Of(imageInput({ steps: 5, cfg_scale: 3 }))).toBe(first); // only the banding differs
    expect(await b64Of(imageInput({ seed: 43 }))).not.toBe(first);
    expect(await b64Of(imageInput({ prompt: "a lighthouse at dawn" }))).not.toBe(first);
  });

  it("chooses the seed for -1 from the prompt, the same on every run", async () => {
    const chosen = await run(imageInput({ seed: -1 }));
    if (chosen.type !== "image") throw new Error("not an image");
    expect(chosen.seed).toBeGreaterThanOrEqual(0);
    expect(chosen.seed).toBeLessThan(2 ** 31);
    expect(await run(imageInput({ seed: -1 }))).toEqual(chosen);
    expect(await b64Of(imageInput({ seed: chosen.seed }))).toBe(chosen.b64);
    const other = await run(imageInput({ seed: -1, prompt: "something else" }));
    expect(other.type === "image" && other.seed).not.toBe(chosen.seed);
  });

  it("reports progress once per step, up to 1", async () => {
    const fractions: number[] = [];
    await run(imageInput({ steps: 8, height: 64, width: 64 }), (fraction) => fractions.push(fraction));
    expect(fractions).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((step) => step / 8));
    const many: number[] = [];
    await run(imageInput({ steps: 30, height: 10, width: 10 }), (fraction) => many.push(fraction));
    expect(many).toHaveLength(30); // more steps than rows still counts every step
  });

  it("stops when aborted, before or during the render", async () => {
    const aborted = new AbortController();
    aborted.abort(new Error("lease lost"));
    await expect(run(imageInput(), undefined, aborted.signal)).rejects.toThrow("lease lost");
    const during = new AbortController();
    const fractions: number[] = [];
    const onProgress = (fraction: number) => {
      fractions.push(fraction);
      if (fractions.length === 3) during.abort(new Error("shutting down"));
    };
    await expect(run(imageInput({ steps: 10 }), onProgress, during.signal)).rejects.toThrow("shutting down");
    expect(fractions).toHaveLength(3);
  });

  it("rejects models, task types and sizes it does not serve", async () => {
    await expect(run(imageInput({ model: "sdxl" }))).rejects.toThrow(BackendTaskError);
    await expect(run(imageInput({ model: "sdxl" }))).rejects.toThrow(/model sdxl is not served/);
    await expect(run(imageInput({ width: 0 }))).rejects.toThrow(/width must be an integer/);
    await expect(run(imageInput({ height: 10_000 }))).rejects.toThrow(/height must be an integer/);
    await expect(run(imageInput({ steps: 0 }))).rejects.toThrow(/steps must be a positive integer/);
    const chat: ChatTaskInput = {
      type: "chat",
      model: DEMO_IMAGE_MODEL,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 8,
      temperature: 0,
      top_p: 1,
      seed: null,
      stop: [],
    };
    await expect(
      createDemoImageBackend().run(chat, { signal: new AbortController().signal }),
    ).rejects.toThrow(/cannot run chat tasks/);
  });

  it("renders 512x512 in well under 50 ms", () => {
    const input = imageInput();
    renderDemoImage(input); // warm up the JIT
    const times = Array.from({ length: 5 }, (_, i) => {
      const start = performance.now();
      renderDemoImage({ ...input, seed: i });
      return performance.now() - start;
    });
    expect(Math.min(...times)).toBeLessThan(50);
  });
});
