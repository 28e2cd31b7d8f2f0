import { formatUnits, parseUnits } from "viem";

/** CAI has 18 decimals, like ether. */
export const CAI_DECIMALS = 18;

const SUFFIXES: Record<string, number> = { k: 3, m: 6, b: 9 };
// Digits, or digits grouped by thousands with commas ("20,000"; "1,5" is refused, not read as 15).
const AMOUNT = /^((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)\s*([kmb])?$/i;

/** Thrown for text that is not an amount or a duration; the message says what is accepted. */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
}

/**
 * Parses an amount of CAI as people type it: "20000", "20,000", "20k", "1.5m", "0.25", "2b".
 * Returns base units (wei). Throws InvalidInputError for anything else (negative, empty, more than
 * 18 decimals, "1e3").
 */
export function parseCai(input: string): bigint {
  const match = AMOUNT.exec(input.trim());
  if (!match) {
    throw new InvalidInputError(
      `"${input}" is not an amount of CAI: write a number such as 20000, 20,000, 20k, 1.5m or 0.25`,
    );
  }
  const [, grouped = "", suffix] = match;
  const digits = grouped.replaceAll(",", "");
  const shift = suffix ? (SUFFIXES[suffix.toLowerCase()] ?? 0) : 0;
  const decimals = digits.includes(".") ? (digits.split(".")[1]?.length ?? 0) : 0;
  if (decimals - shift > CAI_DECIMALS) {
    throw new InvalidInputError(`"${input}" has more than ${CAI_DECIMALS} decimals`);
  }
  return parseUnits(digits, CAI_DECIMALS + shift);
}

/** "20,000 CAI", "0.25 CAI", "1,234.567891 CAI": thousands separators, at most `maxDecimals`. */
export function formatCai(wei: bigint, maxDecimals = 6): string {
  return `${formatAmount(wei, maxDecimals)} CAI`;
}

/** The number part of formatCai: "20,000", "0.25". Rounds toward zero. */
export function formatAmount(wei: bigint, maxDecimals = 6): string {
  const negative = wei < 0n;
  const [whole = "0", fraction = ""] = formatUnits(negative ? -wei : wei, CAI_DECIMALS).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const kept = fraction.slice(0, maxDecimals).replace(/0+$/, "");
  return `${negative ? "-" : ""}${grouped}${kept ? `.${kept}` : ""}`;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(\d+)\s*([smhdw])?$/i;

/** Parses a duration: "300" (seconds), "45s", "5m", "2h", "7d", "1w". Returns seconds. */
export function parseDuration(input: string): number {
  const match = DURATION.exec(input.trim());
  if (!match) {
    throw new InvalidInputError(
      `"${input}" is not a duration: write seconds (300) or a number with s, m, h, d or w (5m, 7d)`,
    );
  }
  const [, value = "0", unit = "s"] = match;
  return Number(value) * (UNITS[unit.toLowerCase()] ?? 1);
}

/** "6d 23h", "4m 10s", "0s": the two largest units of a number of seconds. */
export function formatDuration(seconds: number | bigint): string {
  let left = Math.max(0, Math.floor(Number(seconds)));
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (left >= size || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}
