import { type Address, parseEther } from "viem";
import type { SharePolicy } from "./scheduling/capacity.js";

// The miner's settings file (design section 6), checked field by field: a typo must fail at start
// with the field's name, not as a confusing error an hour later.

export type BackendConfig =
  | HonestBackendConfig
  | { kind: "cheat"; fakeShare: number; backend: HonestBackendConfig };

/** The backends that run their tasks (all but the devnet's `cheat`, which wraps one of them). */
export type HonestBackendConfig =
  | { kind: "demo-image"; capacity?: number }
  | { kind: "llama"; model?: string; modelId?: string; capacity?: number; threads?: number; gpu?: boolean }
  | { kind: "openai"; url: string; models: string[]; apiKeyEnv?: string; capacity?: number }
  | { kind: "a1111"; url: string; models: string[]; capacity?: number };

export interface MinerConfig {
  /** The journal's SQLite file. */
  journal: string;
  backends: BackendConfig[];
  /** Only these coordinator operators, when given. */
  allow?: Address[];
  deny: Address[];
  sharePolicy: SharePolicy;
  pollWaitMs: number;
  /** How often the coordinator list is read again from the chain. */
  discoveryIntervalMs: number;
  /** Whether the node redeems its receipts on chain by itself (the operator key pays the gas). */
  autoRedeem: boolean;
  /** Redeem once a coordinator owes this much unredeemed, in CAI base units. */
  redeemThreshold: bigint;
  /** Also redeem whatever is pending this often; 0: only at the threshold. */
  redeemIntervalMs: number;
}

/** The devnet's default: both built-in stand-ins, no GPU needed. */
export const DEFAULT_MINER_CONFIG: MinerConfig = {
  journal: ".roost/miner-journal.db",
  backends: [{ kind: "demo-image" }, { kind: "llama" }],
  deny: [],
  sharePolicy: "stake",
  pollWaitMs: 25_000,
  discoveryIntervalMs: 60_000,
  autoRedeem: true,
  redeemThreshold: parseEther("10"),
  redeemIntervalMs: 6 * 3_600_000,
};

/** A settings field is wrong; `field` is its path, e.g. backends[1].url. */
export class MinerConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "MinerConfigError";
  }
}

const KINDS = ["demo-image", "llama", "openai", "a1111", "cheat"] as const;

/**
 * Parses settings JSON over the defaults.
 * @throws MinerConfigError naming the first wrong field
 */
export function parseMinerConfig(json: unknown): MinerConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new MinerConfigError("(settings)", "must be a JSON object");
  }
  const raw = json as Record<string, unknown>;
  const known = new Set([
    "journal",
    "backends",
    "allow",
    "deny",
    "sharePolicy",
    "pollWaitMs",
    "discoveryIntervalMs",
    "autoRedeem",
    "redeemThreshold",
    "redeemIntervalMs",
  ]);
  for (const key of Object.keys(raw))
    if (!known.has(key)) throw new MinerConfigError(key, "is not a miner setting");
  const config: MinerConfig = { ...DEFAULT_MINER_CONFIG };
  if (raw.journal !== undefined) config.journal = text(raw.journal, "journal");
  if (raw.backends !== undefined) {
    if (!Array.isArray(raw.backends) || raw.backends.length === 0) {
      throw new MinerConfigError("backends", "must be a non-empty list");
    }
    config.backends = raw.backends.map((entry, i) => backend(entry, `backends[${i}]`));
  }
  if (raw.allow !== undefined) config.allow = addresses(raw.allow, "allow");
  if (raw.deny !== undefined) config.deny = addresses(raw.deny, "deny");
  if (raw.sharePolicy !== undefined) {
    if (raw.sharePolicy !== "stake" && raw.sharePolicy !== "equal") {
      throw new MinerConfigError("sharePolicy", 'must be "stake" or "equal"');
    }
    config.sharePolicy = raw.sharePolicy;
  }
  if (raw.pollWaitMs !== undefined) config.pollWaitMs = integer(raw.pollWaitMs, "pollWaitMs", 100, 60_000);
  if (raw.discoveryIntervalMs !== undefined) {
    config.discoveryIntervalMs = integer(raw.discoveryIntervalMs, "discoveryIntervalMs", 1000, 86_400_000);
  }
  if (raw.autoRedeem !== undefined) {
    if (typeof raw.autoRedeem !== "boolean")
      throw new MinerConfigError("autoRedeem", "must be true or false");
    config.autoRedeem = raw.autoRedeem;
  }
  if (raw.redeemThreshold !== undefined) config.redeemThreshold = cai(raw.redeemThreshold, "redeemThreshold");
  if (raw.redeemIntervalMs !== undefined) {
    config.redeemIntervalMs = integer(raw.redeemIntervalMs, "redeemIntervalMs", 0, 30 * 86_400_000);
  }
  return config;
}

/** An amount of CAI written as a decimal string or number, e.g. "10" or 2.5. */
function cai(value: unknown, field: string): bigint {
  const written = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof written !== "string" || !/^\d+(\.\d{1,18})?$/.test(written)) {
    throw new MinerConfigError(field, 'must be an amount of CAI such as "10" or "0.5"');
  }
  return parseEther(written);
}

function backend(entry: unknown, field: string): BackendConfig {
  if (typeof entry !== "object" || entry === null) throw new MinerConfigError(field, "must be an object");
  const raw = entry as Record<string, unknown>;
  const kind = raw.kind;
  if (!KINDS.includes(kind as (typeof KINDS)[number])) {
    throw new MinerConfigError(`${field}.kind`, `must be one of ${KINDS.join(", ")}`);
  }
  const capacity =
    raw.capacity === undefined ? {} : { capacity: integer(raw.capacity, `${field}.capacity`, 1, 64) };
  switch (kind) {
    case "cheat": {
      const share = raw.fakeShare;
      if (typeof share !== "number" || !(share >= 0 && share <= 1)) {
        throw new MinerConfigError(
          `${field}.fakeShare`,
          "must be a number from 0 to 1 (the share of tasks faked)",
        );
      }
      const inner = backend(raw.backend, `${field}.backend`);
      if (inner.kind === "cheat")
        throw new MinerConfigError(`${field}.backend.kind`, "must be a backend that runs tasks");
      return { kind, fakeShare: share, backend: inner };
    }
    case "demo-image":
      return { kind, ...capacity };
    case "llama":
      return {
        kind,
        ...capacity,
        ...(raw.model === undefined ? {} : { model: text(raw.model, `${field}.model`) }),
        ...(raw.modelId === undefined ? {} : { modelId: modelName(raw.modelId, `${field}.modelId`) }),
        ...(raw.threads === undefined ? {} : { threads: integer(raw.threads, `${field}.threads`, 1, 256) }),
        ...(raw.gpu === undefined ? {} : { gpu: raw.gpu === true }),
      };
    default: {
      const url = text(raw.url, `${field}.url`);
      if (!/^https?:\/\//.test(url)) throw new MinerConfigError(`${field}.url`, "must be an http(s) URL");
      if (!Array.isArray(raw.models) || raw.models.length === 0) {
        throw new MinerConfigError(`${field}.models`, "must list the model ids the server serves");
      }
      const models = raw.models.map((m, i) => modelName(m, `${field}.models[${i}]`));
      if (kind === "a1111") return { kind, url, models, ...capacity };
      return {
        kind: "openai",
        url,
        models,
        ...capacity,
        ...(raw.apiKeyEnv === undefined ? {} : { apiKeyEnv: text(raw.apiKeyEnv, `${field}.apiKeyEnv`) }),
      };
    }
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new MinerConfigError(field, "must be a non-empty string");
  return value;
}

/** Model ids as coordinators take them: 1 to 200 characters, "/" allowed. */
function modelName(value: unknown, field: string): string {
  const name = text(value, field);
  if (name.length > 200) throw new MinerConfigError(field, "must be at most 200 characters");
  return name;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MinerConfigError(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function addresses(value: unknown, field: string): Address[] {
  if (!Array.isArray(value)) throw new MinerConfigError(field, "must be a list of addresses");
  return value.map((entry, i) => {
    if (typeof entry !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(entry)) {
      throw new MinerConfigError(`${field}[${i}]`, "must be a 0x address (40 hex digits)");
    }
    return entry as Address;
  });
}
