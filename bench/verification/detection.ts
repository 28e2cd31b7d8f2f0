// How fast spot checks catch a cheater, and what they cost: Monte Carlo over the coordinator's own
// TrustBook (probation, then a random share p), with a seeded random source so runs repeat.
import { TrustBook, type TrustPolicy } from "../../packages/coordinator/src/verification/trust.js";
import { mulberry32 } from "../sampler.js";

export interface Cheater {
  label: string;
  /** Share of its tasks it fakes once it starts. */
  fakeShare: number;
  /** Honest tasks before it starts faking (a sleeper waits out its probation). */
  honestFirst: number;
}

export interface Detection {
  cheater: Cheater;
  /** Tasks it had done (faked or not) when a check first failed, over the trials. */
  median: number;
  p999: number;
  /** Share of trials caught within 20 tasks of starting to fake. */
  within20: number;
  /** Share of its faked tasks paid for before it was caught, mean. */
  fakesPaidMean: number;
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * Plays `trials` cheaters against a fresh TrustBook each. A check of a faked task fails with
 * probability 1 - colluding (the re-running miner is honest); a check of an honest task passes.
 */
export function simulateDetection(
  cheater: Cheater,
  policy: TrustPolicy,
  options: { trials: number; colluding: number; seed: number; maxTasks?: number },
): Detection {
  const random = mulberry32(options.seed);
  const maxTasks = options.maxTasks ?? 1_000_000;
  const caughtAt: number[] = [];
  let within20 = 0;
  let fakesPaid = 0;
  for (let trial = 0; trial < options.trials; trial++) {
    const book = new TrustBook(policy, random);
    const miner = "0x00000000000000000000000000000000000000c1";
    let task = 0;
    let fakes = 0;
    for (; task < maxTasks; task++) {
      const faked = task >= cheater.honestFirst && random() < cheater.fakeShare;
      const checked = book.shouldCheck(miner);
      if (checked && faked && random() >= options.colluding) break;
      if (checked) book.recordPass(miner);
      if (faked) fakes++;
    }
    caughtAt.push(task + 1);
    if (task + 1 - cheater.honestFirst <= 20) within20++;
    fakesPaid += fakes;
  }
  caughtAt.sort((a, b) => a - b);
  return {
    cheater,
    median: percentile(caughtAt, 0.5),
    p999: percentile(caughtAt, 0.999),
    within20: within20 / options.trials,
    fakesPaidMean: fakesPaid / options.trials,
  };
}

/**
 * Extra GPU work spot checks cost, as a share of all work, for honest miners each doing `tasksPerMiner`
 * tasks in its life on the network: probation checks every task until `probationChecks` passes, then p;
 * a check re-runs the task once, and a third time only on a mismatch (none between honest miners).
 */
export function verificationOverhead(policy: TrustPolicy, tasksPerMiner: number): number {
  const probation = Math.min(tasksPerMiner, policy.probationChecks);
  const checks = probation + (tasksPerMiner - probation) * policy.spotCheckRate;
  return checks / tasksPerMiner;
}
