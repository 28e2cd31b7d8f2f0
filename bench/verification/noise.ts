// False slashes and missed fakes of the image comparison: honest render pairs (one picture, noise as
// two GPUs' renders differ) must all match; fakes (a flat grey image, another seed's picture) must not.

import { compareFingerprints } from "../../packages/coordinator/src/verification/image-compare.js";
import {
  fingerprint,
  type ImageFingerprint,
} from "../../packages/coordinator/src/verification/perceptual-hash.js";
import { decodePng, type RgbImage } from "../../packages/coordinator/src/verification/png-decode.js";
import { picture } from "../../packages/coordinator/test/fixtures/png-encode.js";
import { createDemoImageBackend, DEMO_IMAGE_MODEL } from "../../packages/miner/src/backends/demo-image.js";
import { mulberry32 } from "../sampler.js";

const SIZE = 64;

export interface NoiseResult {
  checks: number;
  falseMismatches: number;
  /** Largest hash distance (of 63) among honest pairs compared by hash. */
  worstHonestDistance: number;
  byThumbnail: number;
  fakes: number;
  fakesMatched: number;
  /** Smallest hash distance between a real picture and a fake compared by hash. */
  closestFakeDistance: number;
  seconds: number;
}

/** One million standard normal draws (Box-Muller), read at random offsets: noise at table speed. */
function normalTable(random: () => number): Float64Array {
  const table = new Float64Array(1 << 20);
  for (let i = 0; i < table.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(random() + 1e-12));
    const t = 2 * Math.PI * random();
    table[i] = r * Math.cos(t);
    table[i + 1] = r * Math.sin(t);
  }
  return table;
}

async function basePictures(count: number): Promise<RgbImage[]> {
  const demo = createDemoImageBackend();
  const images: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      images.push({ width: SIZE, height: SIZE, rgb: picture(SIZE, SIZE, i + 1) });
      continue;
    }
    const output = await demo.run(
      {
        type: "image",
        model: DEMO_IMAGE_MODEL,
        prompt: `picture ${i}`,
        negative_prompt: "",
        width: SIZE,
        height: SIZE,
        steps: 8,
        cfg_scale: 7,
        sampler_name: "Euler a",
        seed: i,
      },
      { signal: new AbortController().signal },
    );
    if (output.type === "image") images.push(decodePng(Buffer.from(output.b64, "base64")));
  }
  return images;
}

/**
 * `checks` honest comparisons: a base picture against itself with dense Gaussian noise (sigma uniform
 * in 0 to 8 grey levels) and, in half of them, sparse spikes too (0.5% of pixels off by up to 40
 * levels, as half-precision kernels differ at edges); then every base picture against fakes.
 */
export async function simulateNoise(checks: number, seed: number): Promise<NoiseResult> {
  const started = performance.now();
  const random = mulberry32(seed);
  const normal = normalTable(random);
  const bases = await basePictures(200);
  const prints: ImageFingerprint[] = bases.map(fingerprint);
  const result: NoiseResult = {
    checks,
    falseMismatches: 0,
    worstHonestDistance: 0,
    byThumbnail: 0,
    fakes: 0,
    fakesMatched: 0,
    closestFakeDistance: 63,
    seconds: 0,
  };
  const noisy = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < checks; i++) {
    const k = Math.floor(random() * bases.length);
    const base = bases[k] as RgbImage;
    const sigma = random() * 8;
    let at = Math.floor(random() * (normal.length - noisy.length));
    for (let j = 0; j < noisy.length; j++) {
      const value = (base.rgb[j] as number) + sigma * (normal[at++] as number);
      noisy[j] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    }
    if (i % 2 === 1) {
      for (let s = 0; s < (SIZE * SIZE) / 200; s++) {
        const j = Math.floor(random() * noisy.length);
        noisy[j] = Math.max(0, Math.min(255, (noisy[j] as number) + Math.round((random() * 2 - 1) * 40)));
      }
    }
    const verdict = compareFingerprints(
      prints[k] as ImageFingerprint,
      fingerprint({ width: SIZE, height: SIZE, rgb: noisy }),
    );
    if (!verdict.match) result.falseMismatches++;
    if (verdict.by === "thumbnail") result.byThumbnail++;
    else result.worstHonestDistance = Math.max(result.worstHonestDistance, verdict.distance);
  }
  const grey = fingerprint({ width: SIZE, height: SIZE, rgb: new Uint8Array(SIZE * SIZE * 3).fill(128) });
  for (let k = 0; k < bases.length; k++) {
    // A flat grey image (the cheat backend's fake) and the next picture (another seed's render).
    for (const fake of [grey, prints[(k + 1) % bases.length] as ImageFingerprint]) {
      const verdict = compareFingerprints(prints[k] as ImageFingerprint, fake);
      result.fakes++;
      if (verdict.match) result.fakesMatched++;
      if (verdict.by === "hash")
        result.closestFakeDistance = Math.min(result.closestFakeDistance, verdict.distance);
    }
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
