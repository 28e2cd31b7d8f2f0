import type { RgbImage } from "./png-decode.js";

// A DCT perceptual hash (pHash, as in Zauner 2010 and the pHash library): the image's luminance shrunk
// to 32x32, its 2-D DCT, and one bit per low-frequency coefficient (the 8x8 corner less the DC term)
// saying whether it is above their median. Two renders of one task on different GPUs differ in a few
// low bits of some pixels; that moves no low-frequency coefficient across the median, while a
// different picture flips about half of the 63 bits.

const SIZE = 32;
const LOW = 8;
/** Bits in a hash: the 8x8 low-frequency corner without the DC term. */
export const PHASH_BITS = LOW * LOW - 1;

/** cos((2x + 1) u pi / 64) for u < 8, x < 32: the only DCT terms the hash needs. */
const COS = Float64Array.from({ length: LOW * SIZE }, (_, i) =>
  Math.cos(((2 * (i % SIZE) + 1) * Math.floor(i / SIZE) * Math.PI) / (2 * SIZE)),
);

/**
 * An image's perceptual fingerprint: the 63-bit hash, a mask of its strong bits (coefficients far from
 * the median: a few grey levels of noise cannot flip them) and the 32x32 luminance it was made from.
 */
export interface ImageFingerprint {
  hash: bigint;
  strong: bigint;
  thumbnail: Float64Array;
}

/** How far from the median, in median absolute deviations, a coefficient must be to make a strong bit. */
const STRONG_MADS = 0.25;
/**
 * And at least this far: a pattern of 1 grey level moves a coefficient by about 256 (1024 cells times
 * the mean square of two cosines), so noise of 8 grey levels per pixel, averaged over a 256-pixel
 * image's cells, moves one by about 16. Below the floor, a flat image's bits are rounding noise.
 */
const STRONG_FLOOR = 100;

/** The 63-bit perceptual hash of an image, with its strong bits and thumbnail. */
export function fingerprint(image: RgbImage): ImageFingerprint {
  const thumbnail = luminance32(image);
  // Rows first, then columns, keeping only the 8 lowest frequencies each way.
  const rows = new Float64Array(SIZE * LOW);
  for (let y = 0; y < SIZE; y++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let x = 0; x < SIZE; x++)
        sum += (thumbnail[y * SIZE + x] as number) * (COS[u * SIZE + x] as number);
      rows[y * LOW + u] = sum;
    }
  }
  const coefficients: number[] = [];
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      if (u === 0 && v === 0) continue; // the DC term: overall brightness, not structure
      let sum = 0;
      for (let y = 0; y < SIZE; y++) sum += (rows[y * LOW + u] as number) * (COS[v * SIZE + y] as number);
      coefficients.push(sum);
    }
  }
  const median = medianOf(coefficients);
  const mad = medianOf(coefficients.map((c) => Math.abs(c - median)));
  let hash = 0n;
  let strong = 0n;
  for (const c of coefficients) {
    hash = (hash << 1n) | (c > median ? 1n : 0n);
    strong = (strong << 1n) | (Math.abs(c - median) >= Math.max(STRONG_MADS * mad, STRONG_FLOOR) ? 1n : 0n);
  }
  return { hash, strong, thumbnail };
}

function medianOf(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/** How many bits are set. */
export function popcount(value: bigint): number {
  let x = value;
  let count = 0;
  while (x > 0n) {
    x &= x - 1n;
    count++;
  }
  return count;
}

/**
 * Luminance (BT.601) averaged over a 32x32 grid of equal areas, each source pixel counted in the cell
 * it falls in; a cell no pixel falls in (an image under 32 pixels across) takes the pixel at its centre.
 */
function luminance32(image: RgbImage): Float64Array {
  const { width, height, rgb } = image;
  const out = new Float64Array(SIZE * SIZE);
  const weights = new Float64Array(SIZE * SIZE);
  for (let y = 0; y < height; y++) {
    const ty = Math.min(SIZE - 1, Math.floor((y * SIZE) / height));
    for (let x = 0; x < width; x++) {
      const tx = Math.min(SIZE - 1, Math.floor((x * SIZE) / width));
      const i = (y * width + x) * 3;
      const luma =
        0.299 * (rgb[i] as number) + 0.587 * (rgb[i + 1] as number) + 0.114 * (rgb[i + 2] as number);
      out[ty * SIZE + tx] = (out[ty * SIZE + tx] as number) + luma;
      weights[ty * SIZE + tx] = (weights[ty * SIZE + tx] as number) + 1;
    }
  }
  for (let ty = 0; ty < SIZE; ty++) {
    for (let tx = 0; tx < SIZE; tx++) {
      const cell = ty * SIZE + tx;
      if ((weights[cell] as number) > 0) {
        out[cell] = (out[cell] as number) / (weights[cell] as number);
        continue;
      }
      const i =
        (Math.floor(((ty + 0.5) * height) / SIZE) * width + Math.floor(((tx + 0.5) * width) / SIZE)) * 3;
      out[cell] =
        0.299 * (rgb[i] as number) + 0.587 * (rgb[i + 1] as number) + 0.114 * (rgb[i + 2] as number);
    }
  }
  return out;
}
