import type Database from "libsql";
import { type Address, getAddress, isAddress } from "viem";
import type { StoreDatabase } from "./database.js";
import { hashSecret, newSecret } from "./secrets.js";

export const SESSION_TOKEN_PREFIX = "roost_ms_";
/** `roost_ms_` and 32 random bytes in base64url (43 characters, no padding). */
const SESSION_TOKEN_PATTERN = /^roost_ms_[A-Za-z0-9_-]{43}$/;
/**
 * How long a used nonce is kept past its login's expiry. Login checks the expiry before the (async)
 * signature check and consumes the nonce after it, so a purge running in between must not delete the
 * row that would refuse a replay of a login that has only just expired.
 */
export const NONCE_RETENTION_GRACE_MS = 60_000;

export interface PurgedCounts {
  nonces: number;
  sessions: number;
}

interface SessionRow {
  operator: string;
}

/**
 * Miner sessions (issue 5 Miner API) and the single-use nonces of the MinerLogin messages that opened
 * them. Operators are stored lowercase; tokens only as SHA-256 (256 random bits, so a fast unsalted
 * hash suffices, as for API keys). All times are Unix milliseconds.
 */
export class SessionStore {
  readonly #useNonce: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #byHash: Database.Statement;
  readonly #revokeOperator: Database.Statement;
  readonly #revoke: Database.Statement;
  readonly #purgeNonces: Database.Statement;
  readonly #purgeSessions: Database.Statement;

  constructor(db: StoreDatabase) {
    const sql = db.connection;
    this.#useNonce = sql.prepare(
      `INSERT INTO miner_login_nonces (operator, nonce, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (operator, nonce) DO NOTHING`,
    );
    this.#insert = sql.prepare(
      "INSERT INTO miner_sessions (token_hash, operator, created_at, expires_at) VALUES (?, ?, ?, ?)",
    );
    this.#byHash = sql.prepare("SELECT operator FROM miner_sessions WHERE token_hash = ? AND expires_at > ?");
    this.#revokeOperator = sql.prepare("DELETE FROM miner_sessions WHERE operator = ?");
    this.#revoke = sql.prepare("DELETE FROM miner_sessions WHERE token_hash = ?");
    this.#purgeNonces = sql.prepare("DELETE FROM miner_login_nonces WHERE expires_at <= ?");
    this.#purgeSessions = sql.prepare("DELETE FROM miner_sessions WHERE expires_at <= ?");
  }

  /**
   * Records `nonce` as used by `operator` until `expiresAt` (the login's expiry, Unix ms); false if that
   * pair was used before. Atomic: of two concurrent uses of one nonce exactly one gets true.
   */
  useNonce(operator: Address, nonce: bigint, expiresAt: number): boolean {
    if (typeof nonce !== "bigint" || nonce < 0n)
      throw new TypeError("useNonce: nonce must be a non-negative bigint");
    return (
      this.#useNonce.run(operatorKey(operator), nonce.toString(10), timestamp("expiresAt", expiresAt))
        .changes === 1
    );
  }

  /** Opens a session for `operator` lasting `ttlMs`; returns the token, which is shown only here. */
  create(operator: Address, ttlMs: number, now: number = Date.now()): string {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
      throw new TypeError(`session ttlMs must be a positive integer, not ${ttlMs}`);
    }
    const createdAt = timestamp("now", now);
    const token = newSecret(SESSION_TOKEN_PREFIX);
    this.#insert.run(hashSessionToken(token), operatorKey(operator), createdAt, createdAt + ttlMs);
    return token;
  }

  /** The operator of an unexpired session with this token, or undefined (unknown, malformed, expired, revoked). */
  verify(token: string, now: number = Date.now()): Address | undefined {
    if (typeof token !== "string" || !SESSION_TOKEN_PATTERN.test(token)) return undefined;
    const row = this.#byHash.get(hashSessionToken(token), timestamp("now", now)) as SessionRow | undefined;
    return row === undefined ? undefined : getAddress(row.operator);
  }

  /** Ends one session; false if there was none with this token. */
  revoke(token: string): boolean {
    if (typeof token !== "string" || !SESSION_TOKEN_PATTERN.test(token)) return false;
    return this.#revoke.run(hashSessionToken(token)).changes === 1;
  }

  /** Ends every session of `operator` (e.g. when it is jailed or leaves); returns how many. */
  revokeOperator(operator: Address): number {
    return this.#revokeOperator.run(operatorKey(operator)).changes;
  }

  /**
   * Deletes expired sessions and the nonces of logins that expired more than
   * {@link NONCE_RETENTION_GRACE_MS} ago (those logins are refused as expired anyway).
   */
  purgeExpired(now: number = Date.now()): PurgedCounts {
    const at = timestamp("now", now);
    return {
      nonces: this.#purgeNonces.run(at - NONCE_RETENTION_GRACE_MS).changes,
      sessions: this.#purgeSessions.run(at).changes,
    };
  }
}

/** SHA-256 of the token's UTF-8 bytes, lowercase hex: the only form of a session token that is stored. */
export const hashSessionToken = hashSecret;

function operatorKey(operator: Address): string {
  if (typeof operator !== "string" || !isAddress(operator, { strict: false })) {
    throw new TypeError(`not an address: ${String(operator)}`);
  }
  return operator.toLowerCase();
}

function timestamp(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer of Unix milliseconds, not ${value}`);
  }
  return value;
}
