import Database from "libsql";
import { applyMigrations, MIGRATIONS } from "./migrations.js";

/**
 * How hard SQLite pushes each commit to disk (PRAGMA synchronous), in WAL mode:
 *
 * - "NORMAL" (default): a commit is written to the `-wal` file before it returns but fsynced only at
 *   checkpoints. The written pages live in the kernel's page cache, which survives the death of the
 *   process, so kill -9, an OOM kill or a crash of the coordinator loses nothing that was acknowledged.
 *   A power cut or kernel panic can lose the last commits since the previous checkpoint (never corrupts
 *   the database; it rolls back to an older consistent state).
 * - "FULL": the WAL is also fsynced on every commit, so acknowledged tasks survive power loss too, at the
 *   price of one fsync per write transaction (milliseconds on many disks, much more on network storage).
 */
export type SynchronousMode = "NORMAL" | "FULL";

export interface OpenDatabaseOptions {
  /** Default "NORMAL"; see {@link SynchronousMode}. */
  synchronous?: SynchronousMode;
  /**
   * How long a connection waits for another connection's write lock before SQLITE_BUSY (default 5000).
   * The libsql API is synchronous, so the wait blocks the event loop; write transactions here last
   * microseconds, so waits only happen when another process (e.g. `roost coordinator keys create`)
   * writes at the same moment.
   */
  busyTimeoutMs?: number;
  /**
   * Group commit (default false): the writes of one event-loop turn share one transaction, committed
   * at the end of the turn (setImmediate), and {@link StoreDatabase.committed} tells a caller when its
   * writes are on disk. On this machine a commit costs ~90 us and a write inside an open transaction
   * ~15 us, so under load most of a request's database time is the commit. Whoever turns this on must
   * hold every acknowledgement until `committed()` resolves (the coordinator's server does it in one
   * onSend hook). With it off, each transaction commits before immediate() returns.
   */
  groupCommit?: boolean;
}

/** A SQLite connection with the Roost schema migrated to the newest version. */
export class StoreDatabase {
  readonly path: string;
  readonly connection: Database.Database;
  #closed = false;
  #groupCommit = false;
  /** The open group-commit transaction: settles when it commits (or fails to). */
  #batch: Batch | undefined;
  #sql: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Database.Statement>;

  constructor(path: string, connection: Database.Database) {
    this.path = path;
    this.connection = connection;
    this.#sql = {
      begin: connection.prepare("BEGIN IMMEDIATE"),
      commit: connection.prepare("COMMIT"),
      rollback: connection.prepare("ROLLBACK"),
      savepoint: connection.prepare("SAVEPOINT step"),
      release: connection.prepare("RELEASE step"),
      rollbackTo: connection.prepare("ROLLBACK TO step"),
    };
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken before the first read, so a
   * read-then-write (select the oldest queued task, then lease it) cannot race another connection, and
   * a WAL read snapshot can never go stale mid-transaction (no SQLITE_BUSY_SNAPSHOT). Rolls back if
   * `fn` throws. With group commit, `fn` runs in a savepoint of the turn's transaction instead: it
   * still rolls back alone, and commits with the turn. Not reentrant without group commit.
   */
  immediate<T>(fn: () => T): T {
    const sql = this.#sql;
    if (!this.#groupCommit) return this.#guarded(fn, sql.begin, sql.commit, [sql.rollback]);
    this.#openBatch();
    return this.#guarded(fn, sql.savepoint, sql.release, [sql.rollbackTo, sql.release]);
  }

  /**
   * Runs one write that is atomic by itself (a single statement). With group commit it joins the
   * turn's transaction, without a savepoint; otherwise it commits on its own.
   */
  write<T>(fn: () => T): T {
    if (this.#groupCommit) this.#openBatch();
    return fn();
  }

  /**
   * Resolves once every write made so far is committed; undefined when nothing is waiting to commit
   * (always, without group commit). Rejects if the commit failed, in which case those writes are gone
   * and must not be acknowledged.
   */
  committed(): Promise<void> | undefined {
    return this.#batch?.done;
  }

  /** Turns group commit on (after the migrations, which commit on their own). */
  startGroupCommit(): void {
    this.#groupCommit = true;
  }

  /** Runs `fn` between `open` and `close`; if it throws, runs `undo` while a transaction is open. */
  #guarded<T>(
    fn: () => T,
    open: Database.Statement,
    close: Database.Statement,
    undo: Database.Statement[],
  ): T {
    open.run();
    try {
      const result = fn();
      close.run();
      return result;
    } catch (error) {
      this.#undo(undo);
      throw error;
    }
  }

  /** Rolls back while a transaction is open; a failure here hides behind the error that caused it. */
  #undo(statements: Database.Statement[]): void {
    if (!this.connection.inTransaction) return;
    try {
      for (const statement of statements) statement.run();
    } catch {
      // Report the error that aborted the step or the commit, not the rollback's.
    }
  }

  #openBatch(): void {
    if (this.#batch !== undefined) return;
    this.#sql.begin.run();
    const batch = new Batch();
    this.#batch = batch;
    // Queued from a microtask, so that end-of-turn work the current callback queues itself runs first:
    // the poll answer carrying the task just stored goes out before the commit, which it need not await.
    queueMicrotask(() => setImmediate(() => this.#commitBatch(batch)));
  }

  #commitBatch(batch: Batch): void {
    if (this.#batch !== batch) return; // already committed by close()
    this.#batch = undefined;
    try {
      this.#sql.commit.run();
      batch.resolve();
    } catch (error) {
      this.#undo([this.#sql.rollback]);
      batch.reject(error);
    }
  }

  /** Highest applied migration version. */
  schemaVersion(): number {
    const row = this.connection.prepare("SELECT max(version) AS version FROM schema_migrations").get() as
      | { version: number | null }
      | undefined;
    return row?.version ?? 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Commits what is pending, then closes; the last connection to close checkpoints the WAL. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#batch !== undefined) this.#commitBatch(this.#batch);
    this.#closed = true;
    this.connection.close();
  }
}

/** One group-commit transaction's outcome, awaited by the replies that acknowledge its writes. */
class Batch {
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failed commit is reported to whoever awaits it; with no one waiting it must not crash the node.
    this.done.catch(() => undefined);
  }
}

/**
 * Opens (creating if needed) the coordinator database at `path` in WAL mode with foreign keys on, and
 * applies pending schema migrations, each in its own transaction.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): StoreDatabase {
  const synchronous = options.synchronous ?? "NORMAL";
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (synchronous !== "NORMAL" && synchronous !== "FULL") {
    throw new TypeError(`openDatabase: synchronous must be NORMAL or FULL, not ${String(synchronous)}`);
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`openDatabase: busyTimeoutMs must be a non-negative integer, not ${busyTimeoutMs}`);
  }
  const connection = new Database(path, { timeout: busyTimeoutMs });
  const db = new StoreDatabase(path, connection);
  try {
    // busy_timeout first: switching to WAL itself needs a lock another process may briefly hold.
    connection.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const mode = pragmaValue(connection, "journal_mode = WAL");
    if (mode !== "wal" && !(path === ":memory:" && mode === "memory")) {
      throw new Error(`openDatabase: could not switch ${path} to WAL mode (journal_mode is ${String(mode)})`);
    }
    connection.exec(`PRAGMA synchronous = ${synchronous}`);
    connection.exec("PRAGMA foreign_keys = ON");
    applyMigrations(db, MIGRATIONS);
    if (options.groupCommit === true) db.startGroupCommit();
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Reads a single-valued pragma (the row carries an extra `_metadata` key, so take the first key). */
export function pragmaValue(connection: Database.Database, pragma: string): unknown {
  const row = connection.prepare(`PRAGMA ${pragma}`).get() as Record<string, unknown> | undefined;
  if (row === undefined) return undefined;
  const key = Object.keys(row).find((name) => name !== "_metadata");
  return key === undefined ? undefined : row[key];
}
