// Which results are spot-checked (probation, then a random share, back to probation on a failure),
// and the honesty condition with the devnet's numbers.
import { parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_CONFIG, parseCoordinatorConfig } from "../src/config.js";
import { parsePriceTable } from "../src/payments/prices.js";
import { configuredHonesty, honestyCondition } from "../src/verification/economics.js";
import { TrustBook } from "../src/verification/trust.js";

const MINER = "0x00000000000000000000000000000000000000aB";

describe("trust", () => {
  it("reads a miner's record from the durable records once and writes every change back", () => {
    const saved: unknown[] = [];
    const records = {
      load: () => ({ streak: 2, passed: 7, failed: 1 }),
      save: (_miner: string, record: unknown) => saved.push({ ...(record as object) }),
    };
    const book = new TrustBook({ spotCheckRate: 0, probationChecks: 3 }, () => 0.5, records);
    expect(book.trust(MINER)).toEqual({ streak: 2, passed: 7, failed: 1, trusted: false });
    book.recordPass(MINER);
    book.recordFail(MINER);
    expect(saved).toEqual([
      { streak: 3, passed: 8, failed: 1 },
      { streak: 0, passed: 8, failed: 2 },
    ]);
  });

  it("checks a new miner's every result until it passes 10 checks in a row", () => {
    const book = new TrustBook({ spotCheckRate: 0, probationChecks: 10 }, () => 0.5);
    for (let i = 0; i < 10; i++) {
      expect(book.shouldCheck(MINER)).toBe(true);
      book.recordPass(MINER);
    }
    expect(book.trust(MINER)).toEqual({ streak: 10, passed: 10, failed: 0, trusted: true });
    expect(book.shouldCheck(MINER)).toBe(false); // p = 0
  });

  it("puts a miner back on probation after any failure, whatever its record", () => {
    const book = new TrustBook({ spotCheckRate: 0.05, probationChecks: 3 }, () => 0.99);
    for (let i = 0; i < 50; i++) book.recordPass(MINER);
    expect(book.shouldCheck(MINER.toLowerCase() as `0x${string}`)).toBe(false);
    expect(book.recordFail(MINER)).toEqual({ streak: 0, passed: 50, failed: 1, trusted: false });
    expect(book.shouldCheck(MINER)).toBe(true);
  });

  it("checks a trusted miner's result with probability p, from the random source", () => {
    const draws = [0.01, 0.05, 0.049, 0.9];
    const book = new TrustBook({ spotCheckRate: 0.05, probationChecks: 0 }, () => draws.shift() ?? 1);
    expect([1, 2, 3, 4].map(() => book.shouldCheck(MINER))).toEqual([true, false, true, false]);
    const real = new TrustBook({ spotCheckRate: 0.1, probationChecks: 0 });
    const checked = Array.from({ length: 20_000 }, () => real.shouldCheck(MINER)).filter(Boolean).length;
    expect(checked / 20_000).toBeGreaterThan(0.09);
    expect(checked / 20_000).toBeLessThan(0.11);
  });

  it("refuses a rate outside 0..1 and a negative probation", () => {
    expect(() => new TrustBook({ spotCheckRate: 1.5, probationChecks: 10 })).toThrow("spotCheckRate");
    expect(() => new TrustBook({ spotCheckRate: 0.1, probationChecks: -1 })).toThrow("probationChecks");
  });
});

describe("honesty condition", () => {
  it("holds with the devnet's numbers: 3% checks, an image's pay and a 10% slash of 20,000 CAI", () => {
    const verdict = honestyCondition({
      spotCheckRate: 0.03,
      colludingShare: 0.2,
      reward: parseEther("0.05"),
      slash: parseEther("2000"),
      saving: parseEther("0.05"),
    });
    expect(verdict.honest).toBe(true);
    expect(verdict.expectedLoss).toBeCloseTo(0.03 * 0.8 * 2000.05, 6);
    expect(verdict.minimumSpotCheckRate).toBeCloseTo(0.05 / (0.8 * 2000.05), 12);
    expect(verdict.explanation).toBe(
      "p x (1 - r) x (reward + slash) = 0.03 x 0.8 x 2000.05 CAI = 48 CAI > 0.05 CAI saved by a fake: honesty is the rational choice",
    );
  });

  it("fails, and says what p would do, when nothing is slashed", () => {
    const verdict = honestyCondition({
      spotCheckRate: 0.03,
      colludingShare: 0,
      reward: parseEther("0.05"),
      slash: 0n,
      saving: parseEther("0.05"),
    });
    expect(verdict.honest).toBe(false);
    expect(verdict.explanation).toMatch(/cheating pays: raise p to more than 1$/);
    expect(
      honestyCondition({ ...{ spotCheckRate: 1, reward: 1n, slash: 1n, saving: 1n }, colludingShare: 1 })
        .honest,
    ).toBe(false);
  });
});

describe("the coordinator's verification settings", () => {
  it("keep honesty rational by default on the devnet's numbers, and say so when they do not", () => {
    const prices = parsePriceTable({});
    const minStake = parseEther("20000");
    const defaults = configuredHonesty(DEFAULT_CONFIG.verification, prices, minStake);
    // The dearest task (an image, 0.05 CAI) against 10% of a 20,000 CAI stake.
    expect(defaults.explanation).toBe(
      "p x (1 - r) x (reward + slash) = 0.03 x 0.8 x 2000.05 CAI = 48 CAI > 0.05 CAI saved by a fake: honesty is the rational choice",
    );
    const off = configuredHonesty({ ...DEFAULT_CONFIG.verification, spotCheckRate: 0 }, prices, minStake);
    expect(off.honest).toBe(false);
    const dear = parsePriceTable({ models: { "big-model": "5000" } });
    expect(configuredHonesty(DEFAULT_CONFIG.verification, dear, minStake).honest).toBe(false);
  });

  it("are read from the config file with every wrong field named", () => {
    const config = parseCoordinatorConfig({ verification: { spotCheckRate: 0.1, slashBps: 500 } });
    expect(config.verification).toEqual({
      ...DEFAULT_CONFIG.verification,
      spotCheckRate: 0.1,
      slashBps: 500,
    });
    const wrong: [unknown, string][] = [
      [{ verification: { spotCheckRate: 2 } }, "verification.spotCheckRate: must be a number from 0 to 1"],
      [{ verification: { slashBps: 0 } }, "verification.slashBps: must be an integer from 1 to 10000"],
      [{ verification: { probation: 3 } }, "verification.probation: unknown setting"],
      [{ verification: [] }, "verification: must be an object"],
      [{ limits: { maxAttempts: 0 } }, "limits.maxAttempts: must be an integer from 1 to 100"],
    ];
    for (const [json, message] of wrong) {
      expect(() => parseCoordinatorConfig(json)).toThrow(ConfigError);
      expect(() => parseCoordinatorConfig(json)).toThrow(message);
    }
  });
});
