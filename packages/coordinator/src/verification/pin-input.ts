import type { TaskInput, TaskOutput } from "@roost/protocol";

/**
 * The input a spot check re-runs, with every setting that could change the output pinned, or undefined
 * when the task cannot be reproduced elsewhere. An image is pinned to the app's seed or, when the app
 * let the miner choose, to the seed the miner reports (the sampler, steps, size and model are already
 * in the input; a miner reporting a false seed fails the check as a fake would). A chat answer is reproducible
 * only under greedy decoding (temperature 0); sampled answers differ between honest GPUs even with a
 * seed, so they are not checked (a cheater can fake those: see docs/economics.md).
 */
export function pinnedInput(input: TaskInput, output: TaskOutput): TaskInput | undefined {
  if (input.type === "chat") return input.temperature === 0 ? input : undefined;
  if (input.seed >= 0) return input; // the app chose the seed: the miner had to use it
  if (output.type !== "image" || !Number.isSafeInteger(output.seed) || output.seed < 0) return undefined;
  return { ...input, seed: output.seed };
}
