import { type MinerLogin, type RoostDomainParams, verifyMinerLogin } from "@roost/protocol";
import { type Address, getAddress, type Hex, isAddress } from "viem";
import type { MinerRegistry } from "../chain/registry.js";
import type { SessionStore } from "../store/sessions.js";

/** The part of the registry login needs: registered, unjailed, with enough self-stake. */
export type EligibilityView = Pick<MinerRegistry, "eligible">;

export type MinerLoginErrorCode =
  | "malformed"
  | "wrong_coordinator"
  | "expired"
  | "expiry_too_far"
  | "bad_signature"
  | "nonce_reused"
  | "not_eligible";

/** Why a login was refused; `code` is stable (for the HTTP layer), `field` names the offending field. */
export class MinerLoginError extends Error {
  readonly code: MinerLoginErrorCode;
  readonly field: string | undefined;

  constructor(code: MinerLoginErrorCode, message: string, field?: string) {
    super(message);
    this.name = "MinerLoginError";
    this.code = code;
    this.field = field;
  }
}

export interface MinerLoginRequest {
  login: MinerLogin;
  signature: Hex;
}

export interface MinerLoginOptions {
  /** This coordinator's operator address: logins must name it. */
  coordinator: Address;
  /** MinerLogin domain: the deployment's chain id and the Disputes contract (design section 4). */
  domain: RoostDomainParams;
  registry: EligibilityView;
  sessions: SessionStore;
  /** Unix milliseconds; default Date.now(). */
  now?: number;
  /** Furthest a login's expiresAt may lie ahead, in seconds (default 300). */
  maxExpirySeconds?: number;
  /** Session lifetime (default one hour). */
  sessionTtlMs?: number;
}

export interface MinerSession {
  token: string;
  operator: Address;
  /** Unix milliseconds. */
  expiresAt: number;
}

const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const SIGNATURE_PATTERN = /^0x[0-9a-fA-F]{130}$/;

/**
 * Validates an untrusted login body `{ login: { coordinator, operator, nonce, expiresAt }, signature }`.
 * Integers may be bigints, safe integers, or decimal or 0x-hex strings (JSON cannot carry uint256).
 */
export function parseMinerLoginBody(json: unknown): MinerLoginRequest {
  if (!isRecord(json)) throw malformed("body", "login body must be a JSON object");
  const login = json.login;
  if (!isRecord(login)) throw malformed("login", "login must be an object");
  return {
    login: {
      coordinator: parseAddress("login.coordinator", login.coordinator),
      operator: parseAddress("login.operator", login.operator),
      nonce: parseUint("login.nonce", login.nonce, UINT256_MAX),
      expiresAt: parseUint("login.expiresAt", login.expiresAt, UINT64_MAX),
    },
    signature: parseSignature(json.signature),
  };
}

/**
 * Checks a MinerLogin and opens a session for its operator. Cheap checks come first; the nonce is
 * consumed only after the signature verifies and the operator is eligible, so a forged login cannot
 * burn the real operator's nonce.
 */
export async function loginMiner(
  request: MinerLoginRequest,
  options: MinerLoginOptions,
): Promise<MinerSession> {
  const { login, signature } = parseMinerLoginBody(request);
  const now = options.now ?? Date.now();
  const maxExpirySeconds = options.maxExpirySeconds ?? 300;
  const sessionTtlMs = options.sessionTtlMs ?? 3_600_000;

  if (login.coordinator.toLowerCase() !== options.coordinator.toLowerCase()) {
    throw new MinerLoginError(
      "wrong_coordinator",
      `login.coordinator ${login.coordinator} is not this coordinator (${getAddress(options.coordinator)})`,
      "login.coordinator",
    );
  }
  const expiresAtMs = login.expiresAt * 1000n;
  if (expiresAtMs <= BigInt(now)) {
    throw new MinerLoginError("expired", `login.expiresAt ${login.expiresAt} has passed`, "login.expiresAt");
  }
  if (expiresAtMs > BigInt(now) + BigInt(maxExpirySeconds) * 1000n) {
    throw new MinerLoginError(
      "expiry_too_far",
      `login.expiresAt ${login.expiresAt} is more than ${maxExpirySeconds} s ahead`,
      "login.expiresAt",
    );
  }
  if (!(await verifyMinerLogin(options.domain, login, signature, login.operator))) {
    throw new MinerLoginError(
      "bad_signature",
      `signature is not a valid canonical MinerLogin signature by login.operator ${login.operator}`,
      "signature",
    );
  }
  if (!options.registry.eligible(login.operator)) {
    throw new MinerLoginError(
      "not_eligible",
      `login.operator ${login.operator} is not an eligible miner (unregistered, jailed or below the minimum stake)`,
      "login.operator",
    );
  }
  if (!options.sessions.useNonce(login.operator, login.nonce, Number(expiresAtMs))) {
    throw new MinerLoginError("nonce_reused", `login.nonce ${login.nonce} was already used`, "login.nonce");
  }
  const token = options.sessions.create(login.operator, sessionTtlMs, now);
  return { token, operator: login.operator, expiresAt: now + sessionTtlMs };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(field: string, message: string): MinerLoginError {
  return new MinerLoginError("malformed", message, field);
}

function parseAddress(field: string, value: unknown): Address {
  if (typeof value !== "string" || !isAddress(value)) {
    throw malformed(field, `${field} must be a 0x-prefixed 20-byte address (valid checksum if mixed case)`);
  }
  return getAddress(value);
}

function parseUint(field: string, value: unknown, max: bigint): bigint {
  let parsed: bigint | undefined;
  if (typeof value === "bigint") parsed = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) parsed = BigInt(value);
  else if (typeof value === "string" && /^(0|[1-9][0-9]{0,77}|0x[0-9a-fA-F]{1,64})$/.test(value)) {
    parsed = BigInt(value);
  }
  if (parsed === undefined || parsed < 0n || parsed > max) {
    throw malformed(field, `${field} must be an unsigned integer up to ${max} (decimal or 0x-hex string)`);
  }
  return parsed;
}

function parseSignature(value: unknown): Hex {
  if (typeof value !== "string" || !SIGNATURE_PATTERN.test(value)) {
    throw malformed("signature", "signature must be 65 bytes of 0x-prefixed hex");
  }
  return value as Hex;
}
