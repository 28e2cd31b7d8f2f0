import { type ImageFingerprint, PHASH_BITS, popcount } from "./perceptual-hash.js";

// Whether two renders of one image task show the same picture. Renders of the same pinned task (seed,
// sampler, steps, model) on two GPUs differ by a few grey levels here and there (other kernels, other
// rounding); a faked result is another picture. The perceptual hash tells them apart: noise cannot flip
// a strong bit, and another picture flips about half of them.

/** Most of the 63 bits, scaled from the bits strong in both images, that may differ in a match. */
export const MAX_HASH_DISTANCE = 10;
/** Fewer strong bits in common than this and the hash cannot decide: the thumbnails are compared. */
export const MIN_DECISIVE_BITS = 24;
/** Largest root-mean-square difference of the 32x32 luminance thumbnails, in grey levels, in a match. */
export const MAX_THUMBNAIL_RMS = 4;

export interface ImageComparison {
  match: boolean;
  /** "hash" when enough bits were strong in both images, else "thumbnail". */
  by: "hash" | "thumbnail";
  /** Hash: differing strong bits scaled to 63; thumbnail: RMS difference in grey levels. */
  distance: number;
  /** Bits strong in both images. */
  decisiveBits: number;
}

export function compareFingerprints(a: ImageFingerprint, b: ImageFingerprint): ImageComparison {
  const both = a.strong & b.strong;
  const decisiveBits = popcount(both);
  if (decisiveBits >= MIN_DECISIVE_BITS) {
    const differing = popcount((a.hash ^ b.hash) & both);
    const distance = Math.round((differing * PHASH_BITS) / decisiveBits);
    return { match: distance <= MAX_HASH_DISTANCE, by: "hash", distance, decisiveBits };
  }
  let sum = 0;
  for (let i = 0; i < a.thumbnail.length; i++) {
    sum += ((a.thumbnail[i] as number) - (b.thumbnail[i] as number)) ** 2;
  }
  const distance = Math.sqrt(sum / a.thumbnail.length);
  return { match: distance <= MAX_THUMBNAIL_RMS, by: "thumbnail", distance, decisiveBits };
}
