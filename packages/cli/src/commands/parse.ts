import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCai } from "@roost/chain";
import { type Address, getAddress, isAddress } from "viem";
import { UsageError } from "../output.js";

/** An address argument, checksummed; a clear error names the argument. */
export function parseAddress(value: string, name: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new UsageError(`${name} "${value}" is not an address (0x followed by 40 hex digits)`);
  }
  return getAddress(value);
}

/** An amount argument ("20000", "20k", "1.5m"), in wei; must be above zero. */
export function parseAmount(value: string, name = "amount"): bigint {
  let wei: bigint;
  try {
    wei = parseCai(value);
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  if (wei === 0n) throw new UsageError(`${name} must be more than 0`);
  return wei;
}

/** A commission: "10%", "10" (percent) or "2.5" → basis points. */
export function parseCommission(value: string): number {
  const percent = Number(value.trim().replace(/%$/, ""));
  if (
    !Number.isFinite(percent) ||
    percent < 0 ||
    percent > 100 ||
    !/^\d+(\.\d{1,2})?%?$/.test(value.trim())
  ) {
    throw new UsageError(`commission "${value}" must be a percentage from 0 to 100, e.g. 10 or 2.5%`);
  }
  return Math.round(percent * 100);
}

/** The JSON settings file named by --config (relative to `cwd`), or {} when none is given. */
export function readSettingsFile(cwd: string, file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`--config ${path}: no such file`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--config ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A TCP port from a flag, from `min` (0: any free one) to 65535. */
export function parsePort(value: string, flag: string, min: number): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < min || port > 65_535) {
    throw new UsageError(`${flag} must be a TCP port number (${min}-65535), got "${value}"`);
  }
  return port;
}
