// Issue 7 ("Catching fake results"): how fast spot checks catch cheaters faking 1%, 10% and 100% of
// their tasks, what checking costs in GPU work, and whether honest renders that differ by noise are
// ever taken for fakes, as a section of bench/RESULTS.md. Alone: `node --import tsx bench/verification.ts`.
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import {
  MAX_HASH_DISTANCE,
  MAX_THUMBNAIL_RMS,
} from "../packages/coordinator/src/verification/image-compare.js";
import { DEFAULT_TRUST_POLICY } from "../packages/coordinator/src/verification/trust.js";
import { type Cheater, simulateDetection, verificationOverhead } from "./verification/detection.js";
import { simulateNoise } from "./verification/noise.js";

const TRIALS = 20_000;
const NOISE_CHECKS = 100_000;
const CHEATERS: Cheater[] = [
  { label: "fakes 1% from its first task", fakeShare: 0.01, honestFirst: 0 },
  { label: "fakes 10% from its first task", fakeShare: 0.1, honestFirst: 0 },
  { label: "fakes 100% from its first task", fakeShare: 1, honestFirst: 0 },
  { label: "sleeper: 10 honest tasks (its probation), then fakes 100%", fakeShare: 1, honestFirst: 10 },
];

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

export async function benchVerification(): Promise<string> {
  const policy = DEFAULT_TRUST_POLICY;
  const detection = CHEATERS.map((cheater, i) =>
    simulateDetection(cheater, policy, { trials: TRIALS, colluding: 0, seed: 100 + i }),
  );
  const colluding = simulateDetection(CHEATERS[1] as Cheater, policy, {
    trials: TRIALS,
    colluding: 0.2,
    seed: 200,
  });
  const steady = policy.spotCheckRate / (1 + policy.spotCheckRate);
  const lifetimes = [1_000, 10_000].map((tasks) => {
    const extra = verificationOverhead(policy, tasks);
    return { tasks, share: extra / (1 + extra) };
  });
  const noise = await simulateNoise(NOISE_CHECKS, 7);
  const allFaking = detection[2];
  const rows = [
    ...detection,
    {
      ...colluding,
      cheater: { ...colluding.cheater, label: `${colluding.cheater.label}, 20% of checkers colluding` },
    },
  ];

  return `## Verification: catching fake results

The coordinator's spot-check policy (packages/coordinator/src/verification/trust.ts, BOINC-style): every
result of a miner is re-run elsewhere until it has passed ${policy.probationChecks} checks in a row, then a
cryptographically random ${pct(policy.spotCheckRate, 0)} of its results; any failed check puts it back on
probation. Monte Carlo (bench/verification/detection.ts) over the TrustBook itself, ${TRIALS.toLocaleString("en-US")}
cheaters per row, seeded; a check of a fake fails unless the re-running miner colludes. Node ${process.version}
on ${cpus()[0]?.model.trim() ?? "unknown"}.

| cheater | tasks until the first failed check: median | 99.9th percentile | caught within its first 20 tasks of faking | fakes paid for before, mean |
|---|---:|---:|---:|---:|
${rows
  .map(
    (d) =>
      `| ${d.cheater.label} | ${d.median.toLocaleString("en-US")} | ${d.p999.toLocaleString("en-US")} | ${pct(d.within20)} | ${d.fakesPaidMean.toFixed(1)} |`,
  )
  .join("\n")}

| target | result | met |
|---|---:|:---:|
| a miner faking every task caught within 20 tasks with probability >= 99.9% | ${pct(allFaking?.within20 ?? 0)} | ${(allFaking?.within20 ?? 0) >= 0.999 ? "yes" : "no"} |
| extra GPU work at steady state (re-runs / all work) <= 5% | ${pct(steady, 2)} | ${steady <= 0.05 ? "yes" : "no"} |
| false mismatches of honest renders: 0 in ${NOISE_CHECKS.toLocaleString("en-US")} checks | ${noise.falseMismatches} | ${noise.falseMismatches === 0 ? "yes" : "no"} |

Extra GPU work: a trusted miner's results are re-run at p = ${pct(policy.spotCheckRate, 0)}, ${pct(steady, 2)} of all work; a third
run happens only on a mismatch, which honest miners do not produce. Probation adds ${policy.probationChecks} re-runs per new miner:
${lifetimes.map((l) => `${pct(l.share, 2)} of all work for miners doing ${l.tasks.toLocaleString("en-US")} tasks in their life`).join(", ")}.

The sleeper row is the policy's weak spot: a miner that stays honest through its probation and then fakes
everything is checked at p alone, so it is caught within 20 fakes with probability 1 - (1 - p)^20, not 99.9%.
Faking costs it the slash, so the deterrent is the honesty condition (verification/economics.ts:
p x (1 - r) x (reward + slash) > saving, 48 CAI against 0.05 CAI per fake with the devnet's numbers), not
the speed of the catch; raising p for this case costs GPU work on every honest miner.

**Honest renders are never taken for fakes** (bench/verification/noise.ts). ${NOISE_CHECKS.toLocaleString("en-US")} comparisons
of a 64x64 picture (100 soft-blob pictures and 100 of the demo renderer's procedural patterns, which tie
DCT coefficients and so are the hard case) with itself plus noise as two GPUs' renders differ: dense
Gaussian noise of 0 to 8 grey levels and, in half of them, sparse spikes (0.5% of pixels off by up to 40
levels). Threshold: ${MAX_HASH_DISTANCE} of 63 perceptual-hash bits (over the bits strong in both images),
or ${MAX_THUMBNAIL_RMS} grey levels RMS between 32x32 thumbnails where too few bits are strong.

| measure | result |
|---|---:|
| honest pairs that did not match | ${noise.falseMismatches} of ${noise.checks.toLocaleString("en-US")} |
| largest honest hash distance | ${noise.worstHonestDistance} of 63 |
| honest pairs decided by thumbnail (flat pictures) | ${noise.byThumbnail.toLocaleString("en-US")} |
| fakes (a flat grey image, another seed's picture) that matched | ${noise.fakesMatched} of ${noise.fakes} |
| closest fake by hash | ${noise.closestFakeDistance} of 63 |
| time for the comparisons | ${noise.seconds.toFixed(1)} s |
`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await benchVerification());
}
