import { parseEther } from "viem";
import { describe, expect, it } from "vitest";
import {
  CAI_DECIMALS,
  formatAmount,
  formatCai,
  formatDuration,
  InvalidInputError,
  parseCai,
  parseDuration,
} from "../src/amounts.js";

const amountHelp = "write a number such as 20000, 20,000, 20k, 1.5m or 0.25";
const durationHelp = "write seconds (300) or a number with s, m, h, d or w (5m, 7d)";

describe("parseCai", () => {
  it.each([
    ["20000", parseEther("20000")],
    ["20,000", parseEther("20000")],
    ["2,000,000", parseEther("2000000")],
    ["1,234.5", parseEther("1234.5")],
    ["20k", parseEther("20000")],
    ["20K", parseEther("20000")],
    ["1.5m", parseEther("1500000")],
    ["1.5 m", parseEther("1500000")],
    ["2b", parseEther("2000000000")],
    [".5", parseEther("0.5")],
    [".5k", parseEther("500")],
    ["0.25", parseEther("0.25")],
    ["  20k  ", parseEther("20000")],
    ["0", 0n],
    ["007", parseEther("7")],
    ["0.000000000000000001", 1n],
    // 19 decimals, but a suffix moves the point: 0.0000000000000000001k is 100 wei.
    ["0.0000000000000000001k", 100n],
    ["1.000000000000000000000000001b", parseEther("1000000000") + 1n],
    ["123456789012345678901234567890", parseEther("123456789012345678901234567890")],
  ])("reads %j", (input, wei) => {
    expect(parseCai(input)).toBe(wei);
  });

  it.each([
    "1,5", // a decimal comma is refused, not read as 15
    "1,0000",
    "12,34,567",
    ",000",
    "-5",
    "+5",
    "1e3",
    "",
    "   ",
    "abc",
    "k",
    "5x",
    "20kk",
    "1.",
    "1.5.5",
    "20 000",
    "0x10",
    "Infinity",
  ])("refuses %j, saying what is accepted", (input) => {
    expect(() => parseCai(input)).toThrowError(
      new InvalidInputError(`"${input}" is not an amount of CAI: ${amountHelp}`),
    );
  });

  it.each(["0.0000000000000000001", "1.1234567890123456789", "0.0000000000000000000001k"])(
    "refuses %j for its decimals",
    (input) => {
      expect(() => parseCai(input)).toThrowError(
        new InvalidInputError(`"${input}" has more than ${CAI_DECIMALS} decimals`),
      );
    },
  );

  it("throws InvalidInputError instances", () => {
    let caught: unknown;
    try {
      parseCai("-5");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as Error).name).toBe("InvalidInputError");
  });
});

describe("formatCai / formatAmount", () => {
  it.each([
    [0n, 6, "0"],
    [1n, 6, "0"],
    [1n, 18, "0.000000000000000001"],
    [parseEther("100"), 6, "100"],
    [parseEther("1000"), 6, "1,000"],
    [parseEther("20000"), 6, "20,000"],
    [parseEther("0.25"), 6, "0.25"],
    [parseEther("1234.5678919"), 6, "1,234.567891"], // truncated, not rounded
    [parseEther("999.9999999"), 6, "999.999999"],
    [parseEther("1234.99"), 0, "1,234"],
    [parseEther("1000000000"), 6, "1,000,000,000"],
    [parseEther("1.100"), 6, "1.1"], // trailing zeros dropped
    [parseEther("1.0000001"), 6, "1"],
    [-parseEther("1234.5"), 6, "-1,234.5"],
  ])("formats %s wei with %i decimals as %j", (wei, maxDecimals, text) => {
    expect(formatAmount(wei, maxDecimals)).toBe(text);
    expect(formatCai(wei, maxDecimals)).toBe(`${text} CAI`);
  });

  it("keeps 6 decimals by default", () => {
    expect(formatCai(parseEther("0.1234567"))).toBe("0.123456 CAI");
    expect(formatAmount(parseEther("0.1234567"))).toBe("0.123456");
  });

  it.each(["20,000", "0.25", "1,234.567891", "1,000,000,000"])("round-trips %j with parseCai", (text) => {
    expect(formatAmount(parseCai(text))).toBe(text);
  });
});

describe("parseDuration", () => {
  it.each([
    ["300", 300],
    ["0", 0],
    ["45s", 45],
    ["5m", 300],
    ["5 m", 300],
    ["2h", 7200],
    ["7d", 604_800],
    ["7D", 604_800],
    ["1w", 604_800],
    [" 90d ", 7_776_000],
  ])("reads %j as %i seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each(["", "   ", "-5", "1.5h", "5y", "h", "5mm", "1e3", "5m30s", "0x10"])(
    "refuses %j, saying what is accepted",
    (input) => {
      expect(() => parseDuration(input)).toThrowError(
        new InvalidInputError(`"${input}" is not a duration: ${durationHelp}`),
      );
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [59, "59s"],
    [60, "1m"],
    [250, "4m 10s"],
    [3600, "1h"],
    [3661, "1h 1m"],
    [86_400, "1d"],
    [604_799, "6d 23h"], // the two largest units only
    [7_776_000, "90d"],
    [300n, "5m"],
    [1.9, "1s"],
    [-5, "0s"],
  ])("formats %s seconds as %j", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each(["45s", "5m", "2h", "7d"])("round-trips %j with parseDuration", (text) => {
    expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
