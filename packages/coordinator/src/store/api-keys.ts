import { randomBytes } from "node:crypto";
import type Database from "libsql";
import type { StoreDatabase } from "./database.js";
import { hashSecret, newSecret } from "./secrets.js";
import { SPOT_CHECK_KEY_ID } from "./spot-checks.js";

export const API_KEY_PREFIX = "roost_sk_";
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
/** `roost_sk_` and 32 random bytes in base64url (43 characters, no padding). */
const API_KEY_PATTERN = /^roost_sk_[A-Za-z0-9_-]{43}$/;
/** Characters of the plaintext kept for display: the fixed prefix and 4 random characters. */
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 4;

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, e.g. `roost_sk_Xy3q`, to tell keys apart in listings. */
  prefix: string;
  rateLimitPerMinute: number;
  /** Unix milliseconds. */
  createdAt: number;
  revokedAt: number | null;
}

export interface CreatedApiKey {
  key: ApiKey;
  /** The secret; shown to the operator once and never stored. */
  plaintext: string;
}

export interface CreateApiKeyOptions {
  rateLimitPerMinute?: number;
  now?: number;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  rate_limit_per_minute: number;
  created_at: number;
  revoked_at: number | null;
}

const COLUMNS = "id, name, prefix, rate_limit_per_minute, created_at, revoked_at";

/**
 * API keys of the apps that submit tasks. Only the SHA-256 of a key is stored. A plain, unsalted, fast
 * hash is enough: a key is 256 random bits, so there is nothing to brute-force or look up in a
 * precomputed table, unlike a password.
 *
 * `verify` finds the key by its hash with an indexed lookup rather than comparing secrets in constant
 * time. Timing can at most reveal how much of the presented key's *hash* matched a stored hash, and an
 * attacker cannot choose inputs whose hashes share a prefix with an unknown target hash, so that
 * leaks nothing usable about any key.
 */
export class ApiKeyStore {
  readonly #insert: Database.Statement;
  readonly #byHash: Database.Statement;
  readonly #byId: Database.Statement;
  readonly #list: Database.Statement;
  readonly #revoke: Database.Statement;
  readonly #setRateLimit: Database.Statement;

  constructor(db: StoreDatabase) {
    const sql = db.connection;
    this.#insert = sql.prepare(
      `INSERT INTO api_keys (id, name, prefix, key_hash, rate_limit_per_minute, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#byHash = sql.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`);
    this.#byId = sql.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`);
    // The internal key spot checks are filed under (migration 5) is nobody's to list.
    this.#list = sql.prepare(
      `SELECT ${COLUMNS} FROM api_keys WHERE id <> 'spot-checks' ORDER BY created_at, id`,
    );
    this.#revoke = sql.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    this.#setRateLimit = sql.prepare("UPDATE api_keys SET rate_limit_per_minute = ? WHERE id = ?");
  }

  /** Creates a key; the plaintext is returned here only. */
  create(name: string, options: CreateApiKeyOptions = {}): CreatedApiKey {
    if (typeof name !== "string" || name.trim().length === 0 || name.length > 100) {
      throw new TypeError("API key name must be 1 to 100 characters");
    }
    const rateLimitPerMinute = rateLimit(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);
    const createdAt = options.now ?? Date.now();
    const plaintext = newSecret(API_KEY_PREFIX);
    const id = `key_${randomBytes(8).toString("hex")}`;
    const prefix = plaintext.slice(0, DISPLAY_PREFIX_LENGTH);
    this.#insert.run(id, name, prefix, hashApiKey(plaintext), rateLimitPerMinute, createdAt);
    return { key: { id, name, prefix, rateLimitPerMinute, createdAt, revokedAt: null }, plaintext };
  }

  /** The active key with this plaintext, or undefined (unknown, malformed or revoked). */
  verify(plaintext: string): ApiKey | undefined {
    if (typeof plaintext !== "string" || !API_KEY_PATTERN.test(plaintext)) return undefined;
    const row = this.#byHash.get(hashApiKey(plaintext)) as ApiKeyRow | undefined;
    return row === undefined ? undefined : keyFromRow(row);
  }

  get(id: string): ApiKey | undefined {
    const row = this.#byId.get(id) as ApiKeyRow | undefined;
    return row === undefined ? undefined : keyFromRow(row);
  }

  /** All keys, revoked ones included, oldest first. */
  list(): ApiKey[] {
    return (this.#list.all(SPOT_CHECK_KEY_ID) as ApiKeyRow[]).map(keyFromRow);
  }

  /** Revokes the key; false if there is no such key or it was already revoked. */
  revoke(id: string, now: number = Date.now()): boolean {
    return this.#revoke.run(now, id).changes === 1;
  }

  /** Changes a key's request budget; false if there is no such key. */
  setRateLimit(id: string, perMinute: number): boolean {
    return this.#setRateLimit.run(rateLimit(perMinute), id).changes === 1;
  }
}

/** SHA-256 of the key's UTF-8 bytes, lowercase hex: the only form of the secret that is stored. */
export const hashApiKey = hashSecret;

function rateLimit(perMinute: number): number {
  if (!Number.isSafeInteger(perMinute) || perMinute < 1) {
    throw new TypeError(`rateLimitPerMinute must be a positive integer, not ${perMinute}`);
  }
  return perMinute;
}

function keyFromRow(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
