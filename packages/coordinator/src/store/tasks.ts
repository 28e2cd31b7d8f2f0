import type Database from "libsql";
import type { Hex } from "viem";
import type { StoreDatabase } from "./database.js";
import {
  AlreadyCompletedError,
  DuplicateTaskError,
  IdempotencyConflictError,
  LeaseExpiredError,
  NotLeaseHolderError,
  TaskNotFoundError,
} from "./errors.js";
import {
  bytes32,
  encodePayload,
  hexBytes,
  millis,
  rowFromValues,
  TASK_COLUMNS,
  TASK_KINDS,
  TASK_STATUSES,
  type Task,
  type TaskKind,
  type TaskRow,
  type TaskStatus,
  taskFromRow,
  toJson,
} from "./task-record.js";
import { TASK_SQL } from "./task-sql.js";

export interface EnqueueInput {
  /** 32 random bytes chosen by the coordinator, 0x hex. */
  id: string;
  apiKeyId: string;
  kind: TaskKind;
  model: string;
  /** The request body; must be JSON data. */
  input: unknown;
  /** keccak256 of the canonical JSON input (0x hex, 32 bytes). */
  inputHash: string;
  stream: boolean;
  /** The request's Idempotency-Key header, scoped to `apiKeyId`. */
  idempotencyKey?: string;
  /** Leases handed out at most; 1 means never retried. */
  maxAttempts: number;
  /** Unix milliseconds; default Date.now(). */
  now?: number;
  /** Store the task already leased to this miner, for `leaseMs` (its first attempt). */
  leaseTo?: { miner: string; leaseMs: number };
  /** Owners whose miners must not run it (a spot check); the dispatcher places such a task itself. */
  excludedOwners?: readonly string[];
}

export interface LeaseInput {
  /** The miner's operator address (compared as an exact string). */
  miner: string;
  /** Models the miner serves. */
  models: readonly string[];
  /** Most tasks to hand out (1 to 1000). */
  limit: number;
  leaseMs: number;
  now: number;
}

export interface CompleteInput {
  resultHash: string;
  signature: string;
  /** Raw bytes or JSON data. */
  payload: unknown;
  /** The coordinator's clock when the result arrived (Unix ms); the lease must still run then. */
  completedAt: number;
}

export interface ExpiredLeases {
  /** Back in the queue for another miner. */
  requeued: Hex[];
  /** Out of attempts, or a stream that had already sent tokens. */
  failed: Hex[];
  /** The miner whose lease ran out, for each task above. */
  holders: Record<Hex, string>;
}

const MAX_ATTEMPTS_LIMIT = 100;
const MAX_REASON_LENGTH = 1000;

/**
 * The durable task queue. Every method is synchronous; its writes are committed before it returns or,
 * with group commit, at the end of the event-loop turn, so a caller acknowledges them (HTTP 2xx) only
 * once `StoreDatabase.committed()` has resolved. All writes that read first run under BEGIN IMMEDIATE;
 * a task therefore moves queued → leased in exactly one transaction and is never leased to two miners,
 * whichever connection or process leases.
 */
export class TaskStore {
  readonly #db: StoreDatabase;
  readonly #sql: Record<keyof typeof TASK_SQL, Database.Statement>;

  constructor(db: StoreDatabase) {
    this.#db = db;
    // Statements that return whole task rows read them in raw mode (see rowFromValues).
    const entries = Object.entries(TASK_SQL).map(([name, sql]) => {
      const statement = db.connection.prepare(sql);
      return [name, sql.includes(TASK_COLUMNS) ? statement.raw(true) : statement];
    });
    this.#sql = Object.fromEntries(entries) as Record<keyof typeof TASK_SQL, Database.Statement>;
  }

  /**
   * Stores a new task, queued (or leased, with `leaseTo`). With an Idempotency-Key already used by the same API key, returns the
   * existing task (whose id then differs from `input.id`) if the request matches (kind, model, stream,
   * inputHash), and throws {@link IdempotencyConflictError} otherwise.
   */
  enqueue(input: EnqueueInput): Task {
    const id = bytes32(input.id, "task id");
    const inputHash = bytes32(input.inputHash, "inputHash");
    const now = millis(input.now ?? Date.now(), "now");
    if (!TASK_KINDS.includes(input.kind)) throw new TypeError(`unknown task kind ${String(input.kind)}`);
    nonEmpty(input.apiKeyId, "apiKeyId", 200);
    nonEmpty(input.model, "model", 500);
    if (typeof input.stream !== "boolean") throw new TypeError("stream must be a boolean");
    const { maxAttempts, idempotencyKey } = input;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
      throw new TypeError(`maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`);
    }
    if (idempotencyKey !== undefined) nonEmpty(idempotencyKey, "Idempotency-Key", 255);
    const json = toJson(input.input, "task input");
    const stream = input.stream ? 1 : 0;
    const { leaseTo } = input;
    if (leaseTo !== undefined) nonEmpty(leaseTo.miner, "miner", 200);
    const lease =
      leaseTo === undefined
        ? { status: "queued", attempts: 0, leased_to: null, lease_expires_at: null }
        : {
            status: "leased",
            attempts: 1,
            leased_to: leaseTo.miner,
            lease_expires_at: now + positive(leaseTo.leaseMs, "leaseMs"),
          };

    const row: Omit<TaskRow, "seq"> = {
      id,
      api_key_id: input.apiKeyId,
      kind: input.kind,
      model: input.model,
      input: json,
      input_hash: inputHash,
      stream,
      idempotency_key: idempotencyKey ?? null,
      ...lease,
      max_attempts: maxAttempts,
      first_token_sent: 0,
      result_hash: null,
      signature: null,
      result_payload: null,
      result_encoding: null,
      completed_at: null,
      error: null,
      created_at: now,
      updated_at: now,
      excluded_owners:
        input.excludedOwners === undefined
          ? null
          : JSON.stringify(input.excludedOwners.map((owner) => owner.toLowerCase())),
    };
    const insert = (): Task => {
      try {
        this.#sql.insert.run(row);
      } catch (error) {
        const { code, message } = error as { code?: unknown; message?: unknown };
        if (code === "SQLITE_CONSTRAINT_UNIQUE" && String(message).includes("tasks.id")) {
          throw new DuplicateTaskError(id);
        }
        throw error;
      }
      return taskFromRow(row as TaskRow);
    };
    // Without a key the insert is one statement, atomic by itself; with one, the look-up and the
    // insert must be one transaction.
    if (idempotencyKey === undefined) return this.#db.write(insert);
    return this.#db.immediate(() => {
      const prior = one(this.#sql.byIdempotencyKey.get(input.apiKeyId, idempotencyKey));
      if (prior === undefined) return insert();
      const same =
        prior.kind === input.kind &&
        prior.model === input.model &&
        prior.stream === stream &&
        prior.input_hash === inputHash;
      if (!same) throw new IdempotencyConflictError(prior.id, idempotencyKey);
      return taskFromRow(prior);
    });
  }

  /** Leases up to `limit` of the oldest queued tasks of the given models to `miner`, oldest first. */
  lease({ miner, models, limit, leaseMs, now }: LeaseInput): Task[] {
    nonEmpty(miner, "miner", 200);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new TypeError(`lease limit must be an integer from 1 to 1000, not ${limit}`);
    }
    const expiresAt = millis(now, "now") + positive(leaseMs, "leaseMs");
    if (models.length === 0) return [];
    const modelsJson = JSON.stringify(models);
    if (this.#sql.anyQueued.get({ models: modelsJson }) === undefined) return [];
    const rows = this.#db.immediate(() =>
      many(this.#sql.lease.all({ miner, models: modelsJson, limit, expiresAt, now })),
    );
    // RETURNING has no defined order.
    rows.sort((a, b) => a.created_at - b.created_at || a.seq - b.seq);
    return rows.map(taskFromRow);
  }

  /** The oldest queued restricted tasks (see EnqueueInput.excludedOwners) of `models` that `owner`'s miners may run. */
  restrictedQueued(models: readonly string[], owner: string, limit: number): Task[] {
    if (models.length === 0) return [];
    const rows = this.#sql.restrictedQueued.all({
      models: JSON.stringify(models),
      owner: owner.toLowerCase(),
      limit,
    });
    return many(rows).map(taskFromRow);
  }

  /** Whether any restricted task waits in the queue (one index probe). */
  anyRestrictedQueued(): boolean {
    return this.#sql.anyRestrictedQueued.get() !== undefined;
  }

  /** Fails a queued or leased task the coordinator gives up on; undefined if it had already ended. */
  cancel(id: string, reason: string, now: number = Date.now()): Task | undefined {
    const error = String(reason).slice(0, MAX_REASON_LENGTH) || "cancelled";
    const row = this.#db.write(() =>
      one(this.#sql.cancel.get({ id: id.toLowerCase(), error, now: millis(now, "now") })),
    );
    return row === undefined ? undefined : taskFromRow(row);
  }

  /** A task's status, holder and creation time, without reading its input or result. */
  state(id: string): { status: TaskStatus; leasedTo: string | null; createdAt: number } | undefined {
    const row = this.#sql.state.get(id.toLowerCase()) as
      | { status: TaskStatus; leased_to: string | null; created_at: number }
      | undefined;
    return row === undefined
      ? undefined
      : { status: row.status, leasedTo: row.leased_to, createdAt: row.created_at };
  }

  /** Leases one queued task to `miner`; undefined when the task is not (or no longer) queued. */
  assign(id: string, miner: string, leaseMs: number, now: number): Task | undefined {
    nonEmpty(miner, "miner", 200);
    const expiresAt = millis(now, "now") + positive(leaseMs, "leaseMs");
    const row = this.#db.write(() =>
      one(this.#sql.assign.get({ id: id.toLowerCase(), miner, expiresAt, now })),
    );
    return row === undefined ? undefined : taskFromRow(row);
  }

  /** Pushes an unexpired lease held by `miner` to now + leaseMs; false if the miner does not hold one. */
  extendLease(id: string, miner: string, leaseMs: number, now: number): boolean {
    const expiresAt = millis(now, "now") + positive(leaseMs, "leaseMs");
    return (
      this.#db.write(() => this.#sql.extend.run({ id: id.toLowerCase(), miner, expiresAt, now })).changes ===
      1
    );
  }

  /**
   * Records the result of a task leased to `miner`; accepted exactly once. `inSameTransaction` runs
   * inside the same transaction (crediting the miner), so a result is recorded and paid together or not
   * at all.
   * @throws TaskNotFoundError, AlreadyCompletedError, NotLeaseHolderError, LeaseExpiredError
   */
  complete(id: string, miner: string, result: CompleteInput, inSameTransaction?: (task: Task) => void): Task {
    const taskId = id.toLowerCase();
    const resultHash = bytes32(result.resultHash, "resultHash");
    const signature = hexBytes(result.signature, "signature");
    const completedAt = millis(result.completedAt, "completedAt");
    const { bytes, encoding } = encodePayload(result.payload);
    return this.#db.immediate(() => {
      const params = { id: taskId, miner, resultHash, signature, payload: bytes, encoding, completedAt };
      const row = one(this.#sql.complete.get(params));
      if (row === undefined) {
        const held = this.#holderRow(taskId, miner);
        throw new LeaseExpiredError(taskId, held.lease_expires_at ?? completedAt);
      }
      const task = taskFromRow(row);
      inSameTransaction?.(task);
      return task;
    });
  }

  /**
   * The lease holder gives the task up: back to the queue, or failed with `reason` when it has used its
   * last attempt or already streamed tokens. Allowed after the lease ran out, as long as it is not yet
   * requeued (same outcome as the expiry sweep).
   * @throws TaskNotFoundError, AlreadyCompletedError, NotLeaseHolderError
   */
  fail(id: string, miner: string, reason: string, now: number = Date.now()): Task {
    const taskId = id.toLowerCase();
    millis(now, "now");
    const error = String(reason).slice(0, MAX_REASON_LENGTH) || "failed";
    return this.#db.immediate(() => {
      const row = this.#holderRow(taskId, miner);
      const final = row.attempts >= row.max_attempts || (row.stream === 1 && row.first_token_sent === 1);
      const status: TaskStatus = final ? "failed" : "queued";
      return taskFromRow(single(many(this.#sql.fail.all({ id: taskId, miner, status, error, now })), taskId));
    });
  }

  /** Ends every lease that ran out by `now`: requeued, or failed when out of attempts. */
  requeueExpired(now: number): ExpiredLeases {
    millis(now, "now");
    const { holders, rows } = this.#db.immediate(() => ({
      holders: this.#sql.expiredHolders.all({ now }) as { id: Hex; leased_to: string }[],
      rows: this.#sql.requeueExpired.all({ now }) as { id: Hex; status: TaskStatus; seq: number }[],
    }));
    rows.sort((a, b) => a.seq - b.seq);
    return {
      requeued: rows.filter((row) => row.status === "queued").map((row) => row.id),
      failed: rows.filter((row) => row.status === "failed").map((row) => row.id),
      holders: Object.fromEntries(holders.map((row) => [row.id, row.leased_to])),
    };
  }

  /**
   * The holder gives a task back before working on it (it hung up before receiving it): queued again
   * without spending an attempt. False if `miner` does not hold the task's lease.
   */
  release(id: string, miner: string, now: number = Date.now()): boolean {
    const at = millis(now, "now");
    return (
      this.#db.write(() => this.#sql.release.run({ id: id.toLowerCase(), miner, now: at })).changes === 1
    );
  }

  /** Marks that the first streamed token of a leased task reached the client; true if newly marked. */
  firstTokenSent(id: string): boolean {
    return this.#db.write(() => this.#sql.markFirstToken.run(id.toLowerCase())).changes === 1;
  }

  get(id: string): Task | undefined {
    const row = one(this.#sql.byId.get(id.toLowerCase()));
    return row === undefined ? undefined : taskFromRow(row);
  }

  countsByStatus(): Record<TaskStatus, number> {
    const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<
      TaskStatus,
      number
    >;
    for (const row of this.#sql.counts.all() as { status: TaskStatus; n: number }[])
      counts[row.status] = row.n;
    return counts;
  }

  /** The task's row if `miner` holds its lease; call inside a transaction. */
  #holderRow(taskId: string, miner: string): TaskRow {
    const row = one(this.#sql.byId.get(taskId));
    if (row === undefined) throw new TaskNotFoundError(taskId);
    if (row.status === "completed") throw new AlreadyCompletedError(taskId);
    if (row.status !== "leased" || row.leased_to !== miner) {
      throw new NotLeaseHolderError(taskId, miner, row.status as TaskStatus);
    }
    return row;
  }
}

/** A raw-mode task row, if any. */
function one(values: unknown): TaskRow | undefined {
  return values === undefined ? undefined : rowFromValues(values as unknown[]);
}

function many(rows: unknown[]): TaskRow[] {
  return rows.map((values) => rowFromValues(values as unknown[]));
}

function single(rows: TaskRow[], id: string): TaskRow {
  const row = rows[0];
  if (row === undefined || rows.length !== 1)
    throw new Error(`task ${id}: expected one row, got ${rows.length}`);
  return row;
}

function nonEmpty(value: string, what: string, maxLength: number): void {
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) {
    throw new TypeError(`${what} must be a string of 1 to ${maxLength} characters`);
  }
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${what} must be a positive integer of milliseconds, not ${value}`);
  }
  return value;
}
