import type { Hex } from "viem";

/** JSON data as read back from the store. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const TASK_KINDS = ["chat", "image", "txt2img", "task"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATUSES = ["queued", "leased", "completed", "failed"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A miner's accepted result. */
export interface StoredResult {
  /** keccak256 of the raw result bytes. */
  resultHash: Hex;
  /** The miner's EIP-712 TaskResult signature. */
  signature: Hex;
  /** Raw bytes (images) or JSON (completions), returned as stored. */
  payload: Uint8Array | JsonValue;
  /** Unix milliseconds. */
  completedAt: number;
}

export interface Task {
  /** 32 random bytes, 0x-prefixed lowercase hex. */
  id: Hex;
  apiKeyId: string;
  kind: TaskKind;
  model: string;
  input: JsonValue;
  /** keccak256 of the canonical JSON input. */
  inputHash: Hex;
  stream: boolean;
  idempotencyKey: string | null;
  status: TaskStatus;
  /** Leases handed out so far, including the current one. */
  attempts: number;
  maxAttempts: number;
  /** Current holder while leased; the last holder once completed or failed; null while queued. */
  leasedTo: string | null;
  /** Unix milliseconds; null while queued. */
  leaseExpiresAt: number | null;
  /** Set by the server when it relayed the first streamed token; from then on the task is not retried. */
  firstTokenSent: boolean;
  result: StoredResult | null;
  /** Why the task failed (status failed), or why its last attempt failed (status queued). */
  error: string | null;
  /** Unix milliseconds. */
  createdAt: number;
  updatedAt: number;
  /** Owners (lower-case) whose miners must not run it (a spot check's); null: any miner may. */
  excludedOwners: string[] | null;
}

/** Columns selected for a task, in {@link TaskRow} order. */
export const TASK_COLUMNS = `seq, id, api_key_id, kind, model, input, input_hash, stream, idempotency_key, status,
  attempts, max_attempts, leased_to, lease_expires_at, first_token_sent, result_hash, signature,
  result_payload, result_encoding, completed_at, error, created_at, updated_at, excluded_owners`;

export interface TaskRow {
  /** Insertion order; breaks created_at ties. */
  seq: number;
  id: string;
  api_key_id: string;
  kind: string;
  model: string;
  input: string;
  input_hash: string;
  stream: number;
  idempotency_key: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  leased_to: string | null;
  lease_expires_at: number | null;
  first_token_sent: number;
  result_hash: string | null;
  signature: string | null;
  // libsql returns a BLOB as a Buffer from get() and as an ArrayBuffer from all().
  result_payload: Uint8Array | ArrayBuffer | null;
  result_encoding: string | null;
  completed_at: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  excluded_owners: string | null;
}

const COLUMN_NAMES = TASK_COLUMNS.split(",").map((name) => name.trim()) as (keyof TaskRow)[];

/**
 * A row read in raw mode (an array in {@link TASK_COLUMNS} order) as a {@link TaskRow}. libsql builds
 * a row object in ~1.2 us per column, an array in a third of that, and a task row has 24 columns.
 */
export function rowFromValues(values: unknown[]): TaskRow {
  const row = {} as Record<keyof TaskRow, unknown>;
  for (let i = 0; i < COLUMN_NAMES.length; i++) row[COLUMN_NAMES[i] as keyof TaskRow] = values[i];
  return row as unknown as TaskRow;
}

/** Maps a row to a task, copying named columns only (libsql adds a `_metadata` key to rows). */
export function taskFromRow(row: TaskRow): Task {
  return {
    id: row.id as Hex,
    apiKeyId: row.api_key_id,
    kind: row.kind as TaskKind,
    model: row.model,
    input: JSON.parse(row.input) as JsonValue,
    inputHash: row.input_hash as Hex,
    stream: row.stream === 1,
    idempotencyKey: row.idempotency_key,
    status: row.status as TaskStatus,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    leasedTo: row.leased_to,
    leaseExpiresAt: row.lease_expires_at,
    firstTokenSent: row.first_token_sent === 1,
    result: resultFromRow(row),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    excludedOwners: row.excluded_owners === null ? null : (JSON.parse(row.excluded_owners) as string[]),
  };
}

function resultFromRow(row: TaskRow): StoredResult | null {
  if (row.status !== "completed" || row.result_payload === null || row.completed_at === null) return null;
  const raw = row.result_payload;
  const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw.slice(0)) : Uint8Array.from(raw);
  return {
    resultHash: row.result_hash as Hex,
    signature: row.signature as Hex,
    payload:
      row.result_encoding === "json" ? (JSON.parse(new TextDecoder().decode(bytes)) as JsonValue) : bytes,
    completedAt: row.completed_at,
  };
}

/** Stores a payload as bytes plus an encoding tag, so bytes and JSON round-trip unchanged. */
export function encodePayload(payload: unknown): { bytes: Buffer; encoding: "bytes" | "json" } {
  if (payload instanceof Uint8Array) return { bytes: Buffer.from(payload), encoding: "bytes" };
  return { bytes: Buffer.from(toJson(payload, "payload"), "utf8"), encoding: "json" };
}

/** JSON.stringify that refuses values with no JSON form (undefined, functions, bigint, cycles). */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what} is not JSON: ${(error as Error).message}`);
  }
  if (json === undefined) throw new TypeError(`${what} is not JSON (${typeof value})`);
  return json;
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const HEX = /^0x(?:[0-9a-fA-F]{2})+$/;

/** Validates 32 bytes of 0x hex and lowercases it, so ids compare as strings. */
export function bytes32(value: string, what: string): Hex {
  if (typeof value !== "string" || !BYTES32.test(value)) {
    throw new TypeError(`${what} must be 32 bytes of 0x-prefixed hex, not ${JSON.stringify(value)}`);
  }
  return value.toLowerCase() as Hex;
}

/** Validates non-empty 0x hex of whole bytes and lowercases it. */
export function hexBytes(value: string, what: string): Hex {
  if (typeof value !== "string" || !HEX.test(value)) {
    throw new TypeError(`${what} must be 0x-prefixed hex bytes, not ${JSON.stringify(value)}`);
  }
  return value.toLowerCase() as Hex;
}

/** Validates a Unix-millisecond timestamp or duration. */
export function millis(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative integer of milliseconds, not ${value}`);
  }
  return value;
}
