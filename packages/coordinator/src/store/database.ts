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
}

/** A SQLite connection with the Roost schema migrated to the newest version. */
export class StoreDatabase {
  readonly path: string;
  readonly connection: Database.Database;
  #closed = false;

  constructor(path: string, connection: Database.Database) {
    this.path = path;
    this.connection = connection;
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken before the first read, so a
   * read-then-write (select the oldest queued task, then lease it) cannot race another connection, and
   * a WAL read snapshot can never go stale mid-transaction (no SQLITE_BUSY_SNAPSHOT). Rolls back if
   * `fn` throws. Not reentrant: nesting throws "cannot start a transaction within a transaction".
   */
  immediate<T>(fn: () => T): T {
    this.connection.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.connection.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.connection.inTransaction) {
        try {
          this.connection.exec("ROLLBACK");
        } catch {
          // Report the error that aborted the transaction, not the rollback's.
        }
      }
      throw error;
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

  /** Closes the connection; the last connection to close checkpoints the WAL. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.connection.close();
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
