import { type Address, getAddress, parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../src/amounts.js";
import {
  checkDeployConfig,
  DEVNET_CONFIG,
  type DeployConfig,
  PRODUCTION_CONFIG,
  parseDeployConfig,
} from "../src/deploy-config.js";

const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const LOWER = ADDRESS.toLowerCase() as Address;
const KEYS = Object.keys({ ...PRODUCTION_CONFIG, treasury: 0, arbiter: 0 }).join(", ");

function refusal(json: unknown): string {
  try {
    parseDeployConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(json)}`);
}

describe("parseDeployConfig", () => {
  it("returns the production defaults for an empty object, without sharing or changing them", () => {
    const before = { ...PRODUCTION_CONFIG };
    const config = parseDeployConfig({});
    expect(config).toEqual(PRODUCTION_CONFIG);
    expect(config).not.toBe(PRODUCTION_CONFIG);
    parseDeployConfig({ faucetDrip: "1" });
    expect(PRODUCTION_CONFIG).toEqual(before);
  });

  it("overlays the given keys on the given base", () => {
    const config = parseDeployConfig({ faucetDrip: "1k" }, DEVNET_CONFIG);
    expect(config).toEqual({ ...DEVNET_CONFIG, faucetDrip: parseEther("1000") });
    expect(config.unbondingPeriod).toBe(300n);
  });

  it.each<[string, unknown, DeployConfig[keyof DeployConfig]]>([
    ["supply", "2,000,000,000", parseEther("2000000000")],
    ["supply", "1.5b", parseEther("1500000000")],
    ["minMinerStake", "20k", parseEther("20000")],
    ["minMinerStake", 20000, parseEther("20000")],
    ["minCoordinatorStake", "2m", parseEther("2000000")],
    ["faucetDrip", "0.5", parseEther("0.5")],
    ["faucetFunds", "0", 0n],
    ["emission", "10m", parseEther("10000000")],
    ["disputeBond", "1,000", parseEther("1000")],
    ["unbondingPeriod", "7d", 604_800n],
    ["unbondingPeriod", 518400, 518400n],
    ["commissionDelay", "1w", 604_800n],
    ["jailPeriod", "2h", 7200n],
    ["faucetCooldown", "60", 60n],
    ["emissionDuration", "90d", 7_776_000n],
    ["unlockPeriod", "3d", 259_200n],
    ["challengeWindow", "1h", 3600],
    ["arbitrationWindow", 120, 120],
    ["equivocationBps", "3000", 3000],
    ["finderFeeBps", 0, 0],
    ["falseAccusationBps", 10_000, 10_000],
    ["accusedShareBps", "5000", 5000],
    ["maxProposalBps", 1, 1],
    ["treasury", ADDRESS, ADDRESS],
    ["arbiter", LOWER, LOWER],
  ])("reads %s = %j", (key, raw, value) => {
    const config = parseDeployConfig({ [key]: raw });
    expect(config[key as keyof DeployConfig]).toBe(value);
    expect(config).toEqual({ ...PRODUCTION_CONFIG, [key]: value });
  });

  it("keeps periods as bigint and windows and shares as numbers, as deploy expects", () => {
    const config = parseDeployConfig({ unbondingPeriod: "6d", challengeWindow: "1h", finderFeeBps: "10" });
    expect(typeof config.unbondingPeriod).toBe("bigint");
    expect(typeof config.challengeWindow).toBe("number");
    expect(typeof config.finderFeeBps).toBe("number");
    expect(getAddress(parseDeployConfig({ treasury: ADDRESS }).treasury ?? "0x")).toBe(ADDRESS);
  });

  it.each([null, [], "supply", 5, true])("refuses %j: not an object", (json) => {
    expect(refusal(json)).toBe("the deploy config must be a JSON object of settings");
  });

  it.each(["foo", "Supply", "minStake", "toString", "constructor", "hasOwnProperty", "__proto__"])(
    "refuses the unknown setting %j, listing the known ones",
    (key) => {
      expect(refusal(JSON.parse(`{${JSON.stringify(key)}: "1"}`))).toBe(
        `unknown setting "${key}"; known: ${KEYS}`,
      );
    },
  );

  const amount = (text: string) =>
    `"${text}" is not an amount of CAI: write a number such as 20000, 20,000, 20k, 1.5m or 0.25`;
  const duration = (text: string) =>
    `"${text}" is not a duration: write seconds (300) or a number with s, m, h, d or w (5m, 7d)`;
  const bps = (text: string) => `"${text}" is not basis points (an integer from 0 to 10000)`;

  it.each<[string, unknown, string]>([
    ["supply", "lots", amount("lots")],
    ["minMinerStake", "-5", amount("-5")],
    ["minCoordinatorStake", "1,5", amount("1,5")],
    ["faucetDrip", "0.0000000000000000001", '"0.0000000000000000001" has more than 18 decimals'],
    ["faucetFunds", null, amount("null")],
    ["emission", "1e3", amount("1e3")],
    ["emission", 1e21, amount("1e+21")],
    ["disputeBond", "", amount("")],
    ["unbondingPeriod", "7y", duration("7y")],
    ["commissionDelay", "1.5d", duration("1.5d")],
    ["jailPeriod", -1, duration("-1")],
    ["faucetCooldown", "", duration("")],
    ["emissionDuration", true, duration("true")],
    ["unlockPeriod", "soon", duration("soon")],
    ["challengeWindow", "2days", duration("2days")],
    ["arbitrationWindow", {}, duration("[object Object]")],
    ["equivocationBps", 10_001, bps("10001")],
    ["finderFeeBps", -1, bps("-1")],
    ["falseAccusationBps", 1.5, bps("1.5")],
    ["accusedShareBps", "half", bps("half")],
    ["maxProposalBps", null, bps("null")],
    ["maxProposalBps", "", bps("")],
    ["maxProposalBps", " ", bps(" ")],
    ["finderFeeBps", [], bps("")],
    ["equivocationBps", "1e3", bps("1e3")],
    ["equivocationBps", "0x10", bps("0x10")],
    ["treasury", "0x123", '"0x123" is not an address'],
    ["treasury", ADDRESS.replace("C8", "c8"), `"${ADDRESS.replace("C8", "c8")}" is not an address`],
    ["arbiter", "alice.eth", '"alice.eth" is not an address'],
    ["arbiter", null, '"null" is not an address'],
  ])("refuses %s = %j, naming the key", (key, raw, message) => {
    expect(refusal({ [key]: raw })).toBe(`setting "${key}": ${message}`);
  });

  it("names the first bad key when several are given", () => {
    expect(refusal({ supply: "1m", jailPeriod: "x", finderFeeBps: "y" })).toBe(
      `setting "jailPeriod": ${duration("x")}`,
    );
  });
});

describe("checkDeployConfig (the contracts' own rules, before anything is sent)", () => {
  it.each<[string, Partial<DeployConfig>, string]>([
    [
      "a commission delay shorter than unbonding",
      { commissionDelay: 86_400n },
      'setting "commissionDelay" must be at least "unbondingPeriod", so stakers can leave before a raise',
    ],
    [
      "dispute windows longer than unbonding",
      { challengeWindow: 5 * 86_400 },
      'settings "challengeWindow" + "arbitrationWindow" must not exceed "unbondingPeriod"',
    ],
    ["a period over a year", { jailPeriod: 366n * 86_400n }, 'setting "jailPeriod" is longer than 365 days'],
    [
      "a minimum stake under the floor",
      { minMinerStake: 1n },
      `setting "minMinerStake" is below the contracts' floor of 10^12 wei`,
    ],
    ["a zero equivocation slash", { equivocationBps: 0 }, 'setting "equivocationBps" must be more than 0'],
    ["a zero drip", { faucetDrip: 0n }, 'setting "faucetDrip" must be more than 0'],
    [
      "more to hand out than exists",
      { supply: parseEther("1000") },
      '"faucetFunds" + "emission" exceed "supply"',
    ],
  ])("refuses %s", (_name, change, message) => {
    expect(() => checkDeployConfig({ ...PRODUCTION_CONFIG, ...change })).toThrow(
      new InvalidInputError(message),
    );
  });

  it("accepts both shipped configs", () => {
    expect(() => checkDeployConfig(PRODUCTION_CONFIG)).not.toThrow();
    expect(() => checkDeployConfig(DEVNET_CONFIG)).not.toThrow();
  });
});
