import { inflateSync } from "node:zlib";

// A PNG decoder for what miners send (AUTOMATIC1111, Forge, the demo renderer): 8-bit greyscale, grey +
// alpha, RGB or RGBA, non-interlaced, every filter type. Enough to compare two images' pixels; anything
// else is refused with a reason rather than guessed at.

/** An image as 8-bit RGB, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Bytes that are not a PNG this decoder reads. */
export class PngDecodeError extends Error {
  constructor(message: string) {
    super(`not a PNG we can read: ${message}`);
    this.name = "PngDecodeError";
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bytes per pixel by colour type (grey, RGB, grey + alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
/** Larger images are refused: a check never needs more, and a bomb must not exhaust memory. */
const MAX_PIXELS = 4096 * 4096;

/**
 * Why the file's first bytes are not a PNG this decoder reads (undefined: they are), from the
 * signature and the IHDR chunk alone: cheap enough for every submitted image, so a result the spot
 * checks could not compare is refused when it arrives rather than found out at a check.
 */
export function pngHeaderProblem(start: Uint8Array): string | undefined {
  if (start.length < 33 || SIGNATURE.some((b, i) => start[i] !== b)) return "not a PNG file";
  const view = Buffer.from(start.buffer, start.byteOffset, start.byteLength);
  if (view.toString("latin1", 12, 16) !== "IHDR") return "its first chunk is not IHDR";
  const [depth, colourType, , , interlace] = view.subarray(24, 29);
  if (depth !== 8 || CHANNELS[colourType ?? -1] === undefined) {
    return `bit depth ${depth}, colour type ${colourType}: send 8-bit grey, RGB or RGBA`;
  }
  if (interlace !== 0) return "interlaced: send a non-interlaced PNG";
  return undefined;
}

/** @throws PngDecodeError naming what is wrong or unsupported */
export function decodePng(bytes: Uint8Array): RgbImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new PngDecodeError("bad signature");
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= view.length; ) {
    const length = view.readUInt32BE(at);
    const type = view.toString("latin1", at + 4, at + 8);
    if (at + 12 + length > view.length) throw new PngDecodeError(`chunk ${type} runs past the end`);
    const body = view.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") header = body;
    else if (type === "IDAT") data.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  if (header === undefined || header.length < 13) throw new PngDecodeError("no IHDR chunk");
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = header.subarray(8, 13);
  const channels = CHANNELS[colourType ?? -1];
  if (depth !== 8 || channels === undefined) {
    throw new PngDecodeError(`bit depth ${depth} colour type ${colourType} (8-bit grey, RGB or RGBA only)`);
  }
  if (interlace !== 0) throw new PngDecodeError("interlaced");
  if (width < 1 || height < 1 || width * height > MAX_PIXELS)
    throw new PngDecodeError(`size ${width}x${height}`);
  const stride = width * channels;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(data), { maxOutputLength: (stride + 1) * height });
  } catch (error) {
    throw new PngDecodeError(`image data: ${(error as Error).message}`);
  }
  if (raw.length !== (stride + 1) * height) throw new PngDecodeError("image data of the wrong size");
  const pixels = unfilter(raw, stride, height, channels);
  return { width, height, rgb: toRgb(pixels, width * height, channels) };
}

/** Undoes PNG's per-row filters (none, sub, up, average, Paeth) in place order, row by row. */
function unfilter(raw: Buffer, stride: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= bpp ? (out[row + x - bpp] as number) : 0;
      const up = y > 0 ? (out[prev + x] as number) : 0;
      const upLeft = y > 0 && x >= bpp ? (out[prev + x - bpp] as number) : 0;
      const value = raw[src + x] as number;
      let predicted: number;
      if (filter === 0) predicted = 0;
      else if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) predicted = paeth(left, up, upLeft);
      else throw new PngDecodeError(`row ${y} has filter type ${filter}`);
      out[row + x] = (value + predicted) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Drops alpha and spreads grey to RGB. */
function toRgb(pixels: Uint8Array, count: number, channels: number): Uint8Array {
  if (channels === 3) return pixels;
  const rgb = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    const from = i * channels;
    if (channels >= 3) rgb.set(pixels.subarray(from, from + 3), i * 3);
    else rgb.fill(pixels[from] as number, i * 3, i * 3 + 3);
  }
  return rgb;
}
