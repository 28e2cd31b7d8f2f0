// Spot checks' comparisons: the PNG decoder (every filter and colour type, refusals), the perceptual
// fingerprint (noise matches, another picture does not, flat images by thumbnail), and the verdict on
// two results of a task (chat tokens, image bytes or picture).
import type { ChatTaskOutput, ImageTaskOutput } from "@roost/protocol";
import { describe, expect, it } from "vitest";
import { compareOutputs } from "../src/verification/compare-outputs.js";
import { compareFingerprints, MAX_HASH_DISTANCE } from "../src/verification/image-compare.js";
import { fingerprint } from "../src/verification/perceptual-hash.js";
import { decodePng, PngDecodeError } from "../src/verification/png-decode.js";
import { type Colour, encodePngWith, picture, seeded, withNoise } from "./fixtures/png-encode.js";

const rgbImage = (width: number, height: number, seed: number) => ({
  width,
  height,
  rgb: picture(width, height, seed),
});

describe("PNG decoder", () => {
  it("reads back every filter type, row by row", () => {
    const random = seeded(7);
    const pixels = Uint8Array.from({ length: 13 * 9 * 3 }, () => Math.floor(random() * 256));
    for (const filter of [0, 1, 2, 3, 4]) {
      const png = encodePngWith(13, 9, pixels, "rgb", () => filter);
      expect(decodePng(png)).toEqual({ width: 13, height: 9, rgb: pixels });
    }
    const mixed = encodePngWith(13, 9, pixels, "rgb", (y) => y % 5);
    expect(decodePng(mixed).rgb).toEqual(pixels);
  });

  it("reads grey, grey with alpha and RGBA as RGB", () => {
    const cases: [Colour, number[], number[]][] = [
      ["grey", [10, 200], [10, 10, 10, 200, 200, 200]],
      ["greyAlpha", [10, 255, 200, 0], [10, 10, 10, 200, 200, 200]],
      ["rgba", [1, 2, 3, 255, 4, 5, 6, 0], [1, 2, 3, 4, 5, 6]],
    ];
    for (const [colour, pixels, rgb] of cases) {
      const png = encodePngWith(2, 1, Uint8Array.from(pixels), colour, () => 4);
      expect(decodePng(png).rgb).toEqual(Uint8Array.from(rgb));
    }
  });

  it("refuses what it cannot read, saying what", () => {
    const one = Uint8Array.from([1, 2, 3]);
    const bad = (bytes: Uint8Array, message: string) => {
      expect(() => decodePng(bytes)).toThrow(PngDecodeError);
      expect(() => decodePng(bytes)).toThrow(message);
    };
    bad(Buffer.from("GIF89a........"), "bad signature");
    bad(
      encodePngWith(1, 1, one, "rgb", () => 0, { depth: 16 }),
      "bit depth 16",
    );
    bad(
      encodePngWith(1, 1, one, "rgb", () => 0, { interlace: 1 }),
      "interlaced",
    );
    bad(
      encodePngWith(1, 1, one, "rgb", () => 9),
      "filter type 9",
    );
    const png = encodePngWith(1, 1, one, "rgb", () => 0);
    bad(png.subarray(0, png.length - 20), "runs past the end");
    const huge = Buffer.from(png);
    huge.writeUInt32BE(100_000, 16); // IHDR width and height: a decompression bomb's claim
    huge.writeUInt32BE(100_000, 20);
    bad(huge, "size 100000x100000");
  });
});

describe("perceptual fingerprint", () => {
  it("matches a render with the noise two GPUs differ by, at every level tried", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const image = rgbImage(128, 96, seed);
      const reference = fingerprint(image);
      for (const sigma of [1, 2, 4, 8]) {
        const verdict = compareFingerprints(
          reference,
          fingerprint({ ...image, rgb: withNoise(image.rgb, sigma, seed * 10 + sigma) }),
        );
        expect(verdict, `seed ${seed}, noise ${sigma}`).toMatchObject({ match: true, by: "hash" });
        expect(verdict.distance).toBeLessThanOrEqual(2);
      }
    }
  });

  it("tells another picture apart by far more than the threshold", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const verdict = compareFingerprints(
        fingerprint(rgbImage(128, 96, seed)),
        fingerprint(rgbImage(128, 96, seed + 1000)),
      );
      expect(verdict.match, `seed ${seed}`).toBe(false);
      expect(verdict.distance).toBeGreaterThan(MAX_HASH_DISTANCE);
    }
  });

  it("compares flat images by their thumbnails, where the hash has nothing to go on", () => {
    const flat = (level: number) => ({ width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3).fill(level) });
    expect(compareFingerprints(fingerprint(flat(100)), fingerprint(flat(102)))).toMatchObject({
      match: true,
      by: "thumbnail",
    });
    const darker = compareFingerprints(fingerprint(flat(100)), fingerprint(flat(60)));
    expect(darker).toMatchObject({ match: false, by: "thumbnail", distance: 40 });
    // A flat fake for a real picture: too few strong bits in common, and the thumbnails differ.
    const fake = compareFingerprints(fingerprint(rgbImage(64, 64, 3)), fingerprint(flat(100)));
    expect(fake.match).toBe(false);
  });

  it("reads images smaller than its 32x32 grid", () => {
    const tiny = rgbImage(8, 8, 5);
    expect(compareFingerprints(fingerprint(tiny), fingerprint(tiny)).match).toBe(true);
  });
});

describe("comparing two results of a task", () => {
  const chat = (content: string, tokens = 3): ChatTaskOutput => ({
    type: "chat",
    content,
    finish_reason: "length",
    usage: { prompt_tokens: 5, completion_tokens: tokens },
  });
  const image = (rgb: Uint8Array, filter = 0): ImageTaskOutput => ({
    type: "image",
    b64: encodePngWith(64, 48, rgb, "rgb", () => filter).toString("base64"),
    mime: "image/png",
    seed: 42,
  });

  it("matches chat answers token for token and names where they part", () => {
    expect(compareOutputs(chat("the cat sat"), chat("the cat sat"))).toEqual({
      match: true,
      by: "identical",
      reason: "",
    });
    expect(compareOutputs(chat("the cat sat"), chat("the dog sat"))).toEqual({
      match: false,
      by: "tokens",
      reason: "the answers differ from character 4",
    });
    expect(compareOutputs(chat("the cat sat", 3), chat("the cat sat", 4))).toMatchObject({
      match: false,
      reason: "the same text with 3 and 4 tokens (length, length)",
    });
  });

  it("matches the same picture in other bytes, and not another picture", () => {
    const rgb = picture(64, 48, 9);
    expect(compareOutputs(image(rgb), image(rgb)).by).toBe("identical");
    expect(compareOutputs(image(rgb, 0), image(withNoise(rgb, 2, 1), 4))).toMatchObject({
      match: true,
      by: "hash",
    });
    const other = compareOutputs(image(rgb), image(picture(64, 48, 10)));
    expect(other.match).toBe(false);
    expect(other.reason).toMatch(
      /^different pictures: perceptual-hash distance \d+ of 63 over \d+ decisive bits$/,
    );
  });

  it("does not match images of different sizes, unreadable images, or a chat and an image", () => {
    const small = {
      ...image(picture(64, 48, 1)),
      b64: encodePngWith(2, 2, new Uint8Array(12), "rgb", () => 0).toString("base64"),
    };
    expect(compareOutputs(image(picture(64, 48, 1)), small)).toMatchObject({
      match: false,
      reason: "sizes differ: 64x48 and 2x2",
    });
    const junk = { ...image(picture(64, 48, 1)), b64: Buffer.from("not a png").toString("base64") };
    expect(compareOutputs(image(picture(64, 48, 1)), junk)).toMatchObject({ match: false, by: "shape" });
    expect(compareOutputs(chat("x"), image(picture(64, 48, 1)))).toMatchObject({
      match: false,
      reason: "a chat result and a image result",
    });
  });
});
