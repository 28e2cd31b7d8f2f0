import { randomInt } from "node:crypto";
import type { TaskInput, TaskOutput } from "@roost/protocol";
import type { Backend, RunContext } from "./backend.js";
import { encodePng } from "./png.js";

// A cheating miner for the devnet's demonstration and the tests of verification: it serves the same
// models as the backend it wraps, but for a share of its tasks returns a cheap fake instead of running
// them (a flat grey image of the right size; a chat answer of filler words of the right length),
// pocketing the GPU time. Honest coordinators must catch it by re-running its tasks elsewhere.

export interface CheatOptions {
  /** Share of tasks faked, 0 to 1. */
  fakeShare: number;
  /** A uniform draw in [0, 1); default node:crypto. */
  random?: () => number;
}

/** Wraps `honest`: its models and capacity, faking `fakeShare` of the tasks. */
export function createCheatBackend(honest: Backend, options: CheatOptions): Backend {
  if (!(options.fakeShare >= 0 && options.fakeShare <= 1)) {
    throw new RangeError(`fakeShare must be from 0 to 1, not ${options.fakeShare}`);
  }
  const random = options.random ?? (() => randomInt(2 ** 47) / 2 ** 47);
  return {
    kind: `cheat(${honest.kind})`,
    type: honest.type,
    models: honest.models,
    capacity: honest.capacity,
    check: () => honest.check(),
    close: () => honest.close(),
    run(input: TaskInput, context: RunContext): Promise<TaskOutput> {
      if (random() >= options.fakeShare) return honest.run(input, context);
      return Promise.resolve(fake(input, context));
    },
  };
}

function fake(input: TaskInput, context: RunContext): TaskOutput {
  if (input.type === "image") {
    context.onProgress?.(1);
    const grey = new Uint8Array(input.width * input.height * 3).fill(128);
    return {
      type: "image",
      b64: Buffer.from(encodePng(input.width, input.height, grey)).toString("base64"),
      mime: "image/png",
      seed: input.seed === -1 ? 0 : input.seed,
    };
  }
  const words = Array.from({ length: input.max_tokens }, (_, i) => (i === 0 ? "lorem" : " ipsum"));
  for (const word of words) context.onDelta?.(word);
  return {
    type: "chat",
    content: words.join(""),
    finish_reason: "length",
    usage: { prompt_tokens: input.messages.length, completion_tokens: words.length },
  };
}
