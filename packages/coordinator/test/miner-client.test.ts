// The test miner's stand-in answers: deterministic, and (for images) real PNG files.
import { inflateSync } from "node:zlib";
import { outputHash } from "@roost/protocol";
import { describe, expect, it } from "vitest";
import { crc32, DEMO_IMAGE_SIDE, encodePng } from "./fixtures/demo-outputs.js";
import { demoChatOutput, demoImageOutput } from "./fixtures/miner-client.js";
import { splitText } from "./fixtures/miner-serve.js";
import { chatInput, imageInput } from "./fixtures/miner-tasks.js";

/** Parses a PNG's chunks, checking the signature, every CRC and the IEND at the end. */
function pngChunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const buffer = Buffer.from(png);
  expect([...buffer.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  let at = 8;
  while (at < buffer.length) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString("latin1", at + 4, at + 8);
    const data = buffer.subarray(at + 8, at + 8 + length);
    expect(buffer.readUInt32BE(at + 8 + length), `${type} CRC`).toBe(
      crc32(buffer.subarray(at + 4, at + 8 + length)),
    );
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(at).toBe(buffer.length);
  expect(chunks.at(-1)?.type).toBe("IEND");
  return chunks;
}

describe("demo outputs", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
  });

  it("encodes a valid RGB PNG whose pixels decode back", () => {
    const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 13);
    const [header, data, end] = pngChunks(encodePng(3, 2, rgb));
    expect(header?.type).toBe("IHDR");
    expect([
      header?.data.readUInt32BE(0),
      header?.data.readUInt32BE(4),
      ...(header?.data.subarray(8) ?? []),
    ]).toEqual([3, 2, 8, 2, 0, 0, 0]);
    expect(data?.type).toBe("IDAT");
    expect(end?.data.length).toBe(0);
    const raw = inflateSync(data?.data ?? Buffer.alloc(0));
    expect([...raw]).toEqual([0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
  });

  it("renders a deterministic image per seed, choosing a seed from the prompt for -1", () => {
    const a = demoImageOutput(imageInput("a hen", 1));
    expect(demoImageOutput(imageInput("a hen", 1))).toEqual(a);
    expect(demoImageOutput(imageInput("another prompt", 1)).b64).toBe(a.b64); // keyed by the seed only
    expect(demoImageOutput(imageInput("a hen", 2)).b64).not.toBe(a.b64);
    expect(a).toMatchObject({ type: "image", mime: "image/png", seed: 1 });
    const [header] = pngChunks(Buffer.from(a.b64, "base64"));
    expect(header?.data.readUInt32BE(0)).toBe(DEMO_IMAGE_SIDE);

    const chosen = demoImageOutput(imageInput("a hen", -1));
    expect(chosen.seed).toBeGreaterThanOrEqual(0);
    expect(demoImageOutput(imageInput("a hen", -1))).toEqual(chosen);
    expect(demoImageOutput(imageInput("a rooster", -1)).seed).not.toBe(chosen.seed);
  });

  it("echoes the last user message, cut to max_tokens words", () => {
    const input = {
      ...chatInput("first"),
      messages: [
        { role: "system" as const, content: "be brief" },
        { role: "user" as const, content: "first question" },
        { role: "assistant" as const, content: "an answer" },
        { role: "user" as const, content: "second question here" },
      ],
    };
    expect(demoChatOutput(input)).toEqual({
      type: "chat",
      content: "echo: second question here",
      finish_reason: "stop",
      usage: { prompt_tokens: 9, completion_tokens: 4 },
    });
    expect(outputHash(demoChatOutput(input))).toBe(outputHash(demoChatOutput(structuredClone(input))));
    expect(demoChatOutput({ ...input, max_tokens: 2 })).toMatchObject({
      content: "echo: second",
      finish_reason: "length",
      usage: { completion_tokens: 2 },
    });
  });

  it("cuts streamed text into pieces that join back to it", () => {
    expect(splitText("abcdefg", 3)).toEqual(["abc", "def", "g"]);
    expect(splitText("ab", 5)).toEqual(["a", "b"]);
    expect(splitText("", 3)).toEqual([]);
    expect(splitText("🐔🐓🥚", 2).join("")).toBe("🐔🐓🥚");
    expect(splitText("🐔🐓🥚", 2)).toEqual(["🐔🐓", "🥚"]);
  });
});
