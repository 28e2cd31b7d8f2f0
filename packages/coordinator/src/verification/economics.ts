import { formatEther } from "viem";
import type { VerificationConfig } from "../config.js";
import type { PriceTable } from "../payments/prices.js";

// When is cheating irrational? Proof of Sampling's condition: a faked result is checked with
// probability p; the check is honest unless the re-running miner colludes (share r of the checkers);
// a caught cheater loses the task's pay and its slash. Faking pays off only while what it saves (the GPU
// time not spent) exceeds the expected loss, so the coordinator keeps
//   p x (1 - r) x (reward + slash) > saving.

export interface HonestyInputs {
  /** p: share of a trusted miner's results re-run elsewhere. */
  spotCheckRate: number;
  /** r: share of the checking miners that collude with the cheater (0 to 1). */
  colludingShare: number;
  /** The pay for one task, CAI base units. */
  reward: bigint;
  /** What a caught cheater loses to the slash, CAI base units. */
  slash: bigint;
  /** What faking one task saves the cheater (its GPU cost), CAI base units. */
  saving: bigint;
}

export interface HonestyVerdict {
  /** Whether faking costs more than it saves, in expectation. */
  honest: boolean;
  /** The expected loss per faked task, in CAI. */
  expectedLoss: number;
  /** The smallest p that keeps honesty rational with these numbers. */
  minimumSpotCheckRate: number;
  /** The condition with its numbers, for logs and docs. */
  explanation: string;
}

export function honestyCondition(inputs: HonestyInputs): HonestyVerdict {
  const { spotCheckRate: p, colludingShare: r } = inputs;
  const atStake = Number(formatEther(inputs.reward + inputs.slash));
  const saving = Number(formatEther(inputs.saving));
  const expectedLoss = p * (1 - r) * atStake;
  const minimumSpotCheckRate =
    r >= 1 || atStake === 0 ? Number.POSITIVE_INFINITY : saving / ((1 - r) * atStake);
  const honest = expectedLoss > saving;
  return {
    honest,
    expectedLoss,
    minimumSpotCheckRate,
    explanation: `p x (1 - r) x (reward + slash) = ${p} x ${1 - r} x ${atStake} CAI = ${round(expectedLoss)} CAI ${
      honest ? ">" : "<="
    } ${saving} CAI saved by a fake: ${honest ? "honesty is the rational choice" : `cheating pays: raise p to more than ${round(minimumSpotCheckRate)}`}`,
  };
}

const round = (value: number) => Number(value.toPrecision(4));

/**
 * The condition for this coordinator's settings: the dearest task it pays for (faking it saves the
 * most; at worst the whole pay), and the slash its proposals ask for on a miner at the minimum stake.
 */
export function configuredHonesty(
  verification: Pick<VerificationConfig, "spotCheckRate" | "colludingShare" | "slashBps">,
  prices: PriceTable,
  minMinerStake: bigint,
): HonestyVerdict {
  const dearest = prices.dearest();
  return honestyCondition({
    spotCheckRate: verification.spotCheckRate,
    colludingShare: verification.colludingShare,
    reward: dearest,
    slash: (minMinerStake * BigInt(verification.slashBps)) / 10_000n,
    saving: dearest,
  });
}
