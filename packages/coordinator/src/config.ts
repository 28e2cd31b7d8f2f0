import type { ApiLimits } from "./services.js";

/** How results are spot-checked (verification/), and what a failed check costs the miner. */
export interface VerificationConfig {
  /** p: share of a trusted miner's results re-run on an independent miner (0, with probationChecks 0, turns checks off). */
  spotCheckRate: number;
  /** Checks a new miner must pass in a row before only a share p of its results is checked. */
  probationChecks: number;
  /** Share of the stake proposed for slashing when a miner is the odd one out, in basis points. */
  slashBps: number;
  /** How long a check waits for an independent miner; after that the result is paid unchecked. */
  checkTimeoutMs: number;
  /** r: the share of checking miners assumed to collude, for the honesty warning at start. */
  colludingShare: number;
}

/** A coordinator node's settings: a JSON file (`roost coordinator start --config`), then flags. */
export interface CoordinatorConfig {
  /** Interface to listen on. Default 127.0.0.1: put a TLS proxy in front to serve the internet. */
  host: string;
  /** Default 8080. */
  port: number;
  /** SQLite file of the queue, keys and earnings. Default .roost/coordinator/coordinator.db. */
  database: string;
  /** "NORMAL" (default: WAL survives a process crash) or "FULL" (also survives power loss). */
  synchronous: "NORMAL" | "FULL";
  limits: ApiLimits;
  /** Lease length before a silent miner's task moves on, in ms. */
  leaseMs: number;
  /** How long a miner that failed a task gets no work, in ms. */
  cooldownMs: number;
  /** Price table (see payments/prices.ts), passed through as JSON. */
  prices: unknown;
  /** How often the escrow deposit is compared with what is owed, in ms. */
  escrowCheckMs: number;
  verification: VerificationConfig;
}

export const DEFAULT_CONFIG: CoordinatorConfig = {
  host: "127.0.0.1",
  port: 8080,
  database: ".roost/coordinator/coordinator.db",
  synchronous: "NORMAL",
  limits: {
    bodyLimit: 1_048_576,
    pollWaitMs: 25_000,
    requestTimeoutMs: 300_000,
    maxAttempts: 3,
  },
  leaseMs: 30_000,
  cooldownMs: 10_000,
  prices: {},
  escrowCheckMs: 60_000,
  verification: {
    spotCheckRate: 0.03,
    probationChecks: 10,
    slashBps: 1_000,
    checkTimeoutMs: 600_000,
    colludingShare: 0.2,
  },
};

/** A configuration value that is wrong, with the path of the field (e.g. `limits.maxAttempts`). */
export class ConfigError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "ConfigError";
    this.field = field;
  }
}

const INTEGER_FIELDS = {
  port: [0, 65_535],
  leaseMs: [1_000, 3_600_000],
  cooldownMs: [0, 3_600_000],
  escrowCheckMs: [1_000, 86_400_000],
  "limits.bodyLimit": [1_024, 64 * 1_048_576],
  "limits.pollWaitMs": [0, 120_000],
  "limits.requestTimeoutMs": [1_000, 3_600_000],
  "limits.maxAttempts": [1, 100],
  "verification.probationChecks": [0, 1_000],
  "verification.slashBps": [1, 10_000],
  "verification.checkTimeoutMs": [1_000, 86_400_000],
} as const;

const FRACTION_FIELDS = ["verification.spotCheckRate", "verification.colludingShare"] as const;
const SECTIONS = ["limits", "verification"] as const;

/** Merges a parsed config file over the defaults and checks every field, naming the wrong one. */
export function parseCoordinatorConfig(json: unknown): CoordinatorConfig {
  if (!isRecord(json)) throw new ConfigError("config", "must be a JSON object");
  const known = new Set([...Object.keys(DEFAULT_CONFIG)]);
  for (const key of Object.keys(json)) if (!known.has(key)) throw new ConfigError(key, "unknown setting");
  for (const section of SECTIONS) {
    const given = json[section] ?? {};
    if (!isRecord(given)) throw new ConfigError(section, "must be an object");
    for (const key of Object.keys(given)) {
      if (!(key in DEFAULT_CONFIG[section])) throw new ConfigError(`${section}.${key}`, "unknown setting");
    }
  }
  const config: CoordinatorConfig = {
    ...DEFAULT_CONFIG,
    ...(json as Partial<CoordinatorConfig>),
    limits: { ...DEFAULT_CONFIG.limits, ...(json.limits as Partial<ApiLimits> | undefined) },
    verification: {
      ...DEFAULT_CONFIG.verification,
      ...(json.verification as Partial<VerificationConfig> | undefined),
    },
  };
  const read = (path: string): unknown => {
    const [head, tail] = path.split(".") as [string, string | undefined];
    const value = (config as unknown as Record<string, unknown>)[head];
    return tail === undefined ? value : (value as Record<string, unknown>)[tail];
  };
  for (const [path, [min, max]] of Object.entries(INTEGER_FIELDS)) {
    const value = read(path);
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw new ConfigError(path, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
  }
  for (const path of FRACTION_FIELDS) {
    const value = read(path);
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
      throw new ConfigError(path, `must be a number from 0 to 1, not ${JSON.stringify(value)}`);
    }
  }
  if (typeof config.host !== "string" || config.host === "")
    throw new ConfigError("host", "must be a host name or IP");
  if (typeof config.database !== "string" || config.database === "") {
    throw new ConfigError("database", "must be a file path");
  }
  if (config.synchronous !== "NORMAL" && config.synchronous !== "FULL") {
    throw new ConfigError("synchronous", 'must be "NORMAL" or "FULL"');
  }
  return config;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
