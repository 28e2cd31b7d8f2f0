import { outputHash, type TaskOutput } from "@roost/protocol";
import { compareFingerprints } from "./image-compare.js";
import { fingerprint } from "./perceptual-hash.js";
import { decodePng, PngDecodeError, type RgbImage } from "./png-decode.js";

// A spot check's verdict on two results of one pinned task: chat answers (greedy decoding) must be
// the same tokens; images the same bytes or, failing that, the same picture (image-compare.ts).

export interface OutputComparison {
  match: boolean;
  /** How the verdict was reached. */
  by: "identical" | "tokens" | "hash" | "thumbnail" | "shape";
  /** For images compared by picture: the distance (see ImageComparison). */
  distance?: number;
  /** Why they differ, in words, for the evidence bundle; empty on a match. */
  reason: string;
}

export function compareOutputs(a: TaskOutput, b: TaskOutput): OutputComparison {
  if (outputHash(a) === outputHash(b)) return { match: true, by: "identical", reason: "" };
  if (a.type === "chat" && b.type === "chat") {
    // Greedy decoding is deterministic: the same model gives the same tokens, so any difference counts.
    if (a.content !== b.content) {
      return {
        match: false,
        by: "tokens",
        reason: `the answers differ from character ${firstDifference(a.content, b.content)}`,
      };
    }
    if (a.finish_reason !== b.finish_reason || a.usage.completion_tokens !== b.usage.completion_tokens) {
      return {
        match: false,
        by: "tokens",
        reason: `the same text with ${a.usage.completion_tokens} and ${b.usage.completion_tokens} tokens (${a.finish_reason}, ${b.finish_reason})`,
      };
    }
    return { match: true, by: "tokens", reason: "" }; // the same answer, prompt tokens counted differently
  }
  if (a.type === "image" && b.type === "image") {
    let x: RgbImage;
    let y: RgbImage;
    try {
      x = decodePng(Buffer.from(a.b64, "base64"));
      y = decodePng(Buffer.from(b.b64, "base64"));
    } catch (error) {
      if (error instanceof PngDecodeError) return { match: false, by: "shape", reason: error.message };
      throw error;
    }
    if (x.width !== y.width || x.height !== y.height) {
      return {
        match: false,
        by: "shape",
        reason: `sizes differ: ${x.width}x${x.height} and ${y.width}x${y.height}`,
      };
    }
    const verdict = compareFingerprints(fingerprint(x), fingerprint(y));
    return {
      match: verdict.match,
      by: verdict.by,
      distance: verdict.distance,
      reason: verdict.match
        ? ""
        : verdict.by === "hash"
          ? `different pictures: perceptual-hash distance ${verdict.distance} of 63 over ${verdict.decisiveBits} decisive bits`
          : `different pictures: thumbnails ${verdict.distance.toFixed(1)} grey levels apart (RMS)`,
    };
  }
  return { match: false, by: "shape", reason: `a ${a.type} result and a ${b.type} result` };
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
