import { formatUnits, isAddress, parseUnits } from "viem";

// CAI amounts as people read and type them: thousands separators in the reader's locale, at most a
// few decimals shown; typed amounts accept "20000", "20,000", "20k", "1.5m" and are checked before a
// transaction is offered.

const DECIMALS = 18;

/** `wei` as CAI in `locale`, e.g. 25000000000000000000000n -> "25,000" (en) or "25 000" (fr). */
export function formatCai(wei: bigint, locale: string, maxFractionDigits = 2): string {
  const [whole = "0", fraction = ""] = formatUnits(wei, DECIMALS).split(".");
  const kept = fraction.slice(0, maxFractionDigits).replace(/0+$/, "");
  const grouped = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(BigInt(whole));
  if (kept === "") return grouped;
  const separator =
    new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".";
  return `${grouped}${separator}${kept}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: AmountError | "address" };
export type AmountError = "empty" | "format" | "zero" | "decimals" | "too-much";

const SUFFIX: Record<string, number> = { k: 3, m: 6, b: 9 };

/**
 * A typed CAI amount in wei. Separators (commas, spaces, underscores) are ignored; a k, m or b suffix
 * multiplies. `max` (wei) refuses more than the user has.
 */
export function parseCai(text: string, max?: bigint): Parsed<bigint> {
  const compact = text
    .trim()
    .toLowerCase()
    .replace(/[\s,_\u00a0\u202f]/g, "");
  if (compact === "") return { ok: false, error: "empty" };
  const match = /^(\d+(?:\.\d+)?)([kmb])?$/.exec(compact);
  if (match === null) return { ok: false, error: "format" };
  const [, number = "", suffix] = match;
  const [whole = "", fraction = ""] = number.split(".");
  const shift = suffix === undefined ? 0 : (SUFFIX[suffix] ?? 0);
  const digits = `${whole}${fraction.padEnd(shift, "0").slice(0, shift)}`;
  const rest = fraction.slice(shift);
  if (rest.length > DECIMALS) return { ok: false, error: "decimals" };
  const wei = parseUnits(rest === "" ? digits : `${digits}.${rest}`, DECIMALS);
  if (wei === 0n) return { ok: false, error: "zero" };
  if (max !== undefined && wei > max) return { ok: false, error: "too-much" };
  return { ok: true, value: wei };
}

/** A checksummed or lower-case 0x address. */
export function parseAddress(text: string): Parsed<`0x${string}`> {
  const trimmed = text.trim();
  return isAddress(trimmed) ? { ok: true, value: trimmed } : { ok: false, error: "address" };
}

/** Basis points as a percentage string, e.g. 1000 -> "10%". */
export function formatBps(bps: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(bps / 10_000);
}

/** A typed percentage ("10", "7.5%") as basis points, 0 to 10,000. */
export function parseCommission(text: string): Parsed<number> {
  const match = /^\s*(\d{1,3}(?:\.\d{1,2})?)\s*%?\s*$/.exec(text);
  if (match === null) return { ok: false, error: "format" };
  const bps = Math.round(Number(match[1]) * 100);
  return bps > 10_000 ? { ok: false, error: "too-much" } : { ok: true, value: bps };
}
