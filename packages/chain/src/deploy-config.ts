import { type Address, isAddress, parseEther } from "viem";
import { InvalidInputError, parseCai, parseDuration } from "./amounts.js";

/** Every setting of a deployment: amounts in wei, periods in seconds, shares in basis points. */
export interface DeployConfig {
  supply: bigint;
  minMinerStake: bigint;
  minCoordinatorStake: bigint;
  unbondingPeriod: bigint;
  commissionDelay: bigint;
  jailPeriod: bigint;
  faucetDrip: bigint;
  faucetCooldown: bigint;
  faucetFunds: bigint;
  emission: bigint;
  emissionDuration: bigint;
  unlockPeriod: bigint;
  equivocationBps: number;
  finderFeeBps: number;
  falseAccusationBps: number;
  accusedShareBps: number;
  maxProposalBps: number;
  disputeBond: bigint;
  challengeWindow: number;
  arbitrationWindow: number;
  /** Receives what slashes do not pay out. Default: the deployer. */
  treasury?: Address;
  /** May resolve disputes. Default: the deployer. */
  arbiter?: Address;
}

const DAY = 86_400n;

/** Production defaults (design section 3). */
export const PRODUCTION_CONFIG: DeployConfig = {
  supply: parseEther("1000000000"),
  minMinerStake: parseEther("20000"),
  minCoordinatorStake: parseEther("2000000"),
  unbondingPeriod: 7n * DAY,
  commissionDelay: 7n * DAY,
  jailPeriod: DAY,
  faucetDrip: parseEther("25000"),
  faucetCooldown: DAY,
  faucetFunds: parseEther("100000000"),
  emission: parseEther("10000000"),
  emissionDuration: 90n * DAY,
  unlockPeriod: 3n * DAY,
  equivocationBps: 3_000,
  finderFeeBps: 500,
  falseAccusationBps: 500,
  accusedShareBps: 5_000,
  maxProposalBps: 5_000,
  disputeBond: parseEther("1000"),
  challengeWindow: 2 * 86_400,
  arbitrationWindow: 3 * 86_400,
};

/** The devnet: short periods so that unbonding, unlocks and disputes can be watched in a demo. */
export const DEVNET_CONFIG: DeployConfig = {
  ...PRODUCTION_CONFIG,
  unbondingPeriod: 300n,
  commissionDelay: 300n,
  jailPeriod: 120n,
  faucetCooldown: 60n,
  unlockPeriod: 120n,
  challengeWindow: 60,
  arbitrationWindow: 120,
};

type Kind = "amount" | "period" | "window" | "bps" | "address";

const FIELDS: Record<keyof DeployConfig, Kind> = {
  supply: "amount",
  minMinerStake: "amount",
  minCoordinatorStake: "amount",
  unbondingPeriod: "period",
  commissionDelay: "period",
  jailPeriod: "period",
  faucetDrip: "amount",
  faucetCooldown: "period",
  faucetFunds: "amount",
  emission: "amount",
  emissionDuration: "period",
  unlockPeriod: "period",
  equivocationBps: "bps",
  finderFeeBps: "bps",
  falseAccusationBps: "bps",
  accusedShareBps: "bps",
  maxProposalBps: "bps",
  disputeBond: "amount",
  challengeWindow: "window",
  arbitrationWindow: "window",
  treasury: "address",
  arbiter: "address",
};

/**
 * Reads a deploy config file's JSON: any subset of DeployConfig's keys over `base` (the
 * production defaults). Amounts in CAI as people write them ("20k", "2,000,000"), periods as
 * durations ("7d", "300"), shares in basis points, addresses. Throws InvalidInputError naming the
 * key for an unknown key or a bad value.
 */
export function parseDeployConfig(json: unknown, base: DeployConfig = PRODUCTION_CONFIG): DeployConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidInputError("the deploy config must be a JSON object of settings");
  }
  const config: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(json)) {
    const kind = Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof DeployConfig] : undefined;
    if (!kind) {
      throw new InvalidInputError(`unknown setting "${key}"; known: ${Object.keys(FIELDS).join(", ")}`);
    }
    const text = String(raw);
    try {
      config[key] = parseField(kind, text);
    } catch (error) {
      throw new InvalidInputError(`setting "${key}": ${(error as Error).message}`);
    }
  }
  const result = config as unknown as DeployConfig;
  checkDeployConfig(result);
  return result;
}

const MAX_PERIOD = 365n * 86_400n;
const BPS_KEYS = [
  "equivocationBps",
  "finderFeeBps",
  "falseAccusationBps",
  "accusedShareBps",
  "maxProposalBps",
] as const;
const MIN_SELF_STAKE_FLOOR = 10n ** 12n;

/**
 * The rules the contracts' constructors enforce, checked before anything is sent, so that a bad
 * config never leaves a half-made deployment behind. Throws InvalidInputError naming the setting.
 */
export function checkDeployConfig(c: DeployConfig): void {
  const fail = (message: string): never => {
    throw new InvalidInputError(message);
  };
  for (const key of ["unbondingPeriod", "commissionDelay", "jailPeriod", "unlockPeriod"] as const) {
    if (c[key] > MAX_PERIOD) fail(`setting "${key}" is longer than 365 days`);
  }
  if (c.commissionDelay < c.unbondingPeriod) {
    fail('setting "commissionDelay" must be at least "unbondingPeriod", so stakers can leave before a raise');
  }
  for (const key of ["minMinerStake", "minCoordinatorStake"] as const) {
    if (c[key] < MIN_SELF_STAKE_FLOOR) fail(`setting "${key}" is below the contracts' floor of 10^12 wei`);
  }
  if (BigInt(c.challengeWindow + c.arbitrationWindow) > c.unbondingPeriod) {
    fail('settings "challengeWindow" + "arbitrationWindow" must not exceed "unbondingPeriod"');
  }
  if (c.challengeWindow === 0 || c.arbitrationWindow === 0) fail("the dispute windows must be longer than 0");
  if (BigInt(c.challengeWindow) > MAX_PERIOD || BigInt(c.arbitrationWindow) > MAX_PERIOD) {
    fail("the dispute windows must not be longer than 365 days");
  }
  for (const key of BPS_KEYS) {
    if (!Number.isInteger(c[key]) || c[key] < 0 || c[key] > 10_000)
      fail(`setting "${key}" must be 0 to 10000`);
  }
  if (c.disputeBond >= 2n ** 96n) fail('setting "disputeBond" does not fit the contract (2^96 wei at most)');
  for (const key of ["equivocationBps", "falseAccusationBps", "maxProposalBps"] as const) {
    if (c[key] === 0) fail(`setting "${key}" must be more than 0`);
  }
  if (c.faucetDrip === 0n) fail('setting "faucetDrip" must be more than 0');
  if (c.emission > 0n && (c.emissionDuration === 0n || c.emissionDuration > MAX_PERIOD)) {
    fail('setting "emissionDuration" must be between 1 second and 365 days');
  }
  if (c.faucetFunds + c.emission > c.supply) fail('"faucetFunds" + "emission" exceed "supply"');
}

function parseField(kind: Kind, text: string): bigint | number | string {
  switch (kind) {
    case "amount":
      return parseCai(text);
    case "period":
      return BigInt(parseDuration(text));
    case "window":
      return parseDuration(text);
    case "bps": {
      const bps = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) {
        throw new InvalidInputError(`"${text}" is not basis points (an integer from 0 to 10000)`);
      }
      return bps;
    }
    case "address":
      if (!isAddress(text)) throw new InvalidInputError(`"${text}" is not an address`);
      return text;
  }
}
