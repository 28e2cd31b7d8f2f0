import type { LeasedTask, TaskOutput, TaskResult } from "@roost/protocol";
import Database from "libsql";
import type { Address, Hex } from "viem";

// The miner's memory across crashes: which leases it accepted and which results it signed. A result
// is written here (and synced to disk) before it is sent anywhere, so a restarted node resubmits the
// very bytes it signed and never signs a second, different result for a task.

/** A result submission as it goes on the wire: the TaskResult with its uint64 as a decimal string. */
export interface ResultBody {
  result: Omit<TaskResult, "completedAt"> & { completedAt: string };
  signature: Hex;
  output: TaskOutput;
}

export interface JournalLease {
  coordinator: Address;
  task: LeasedTask;
  /** Unix milliseconds when the node accepted it. */
  acceptedAt: number;
}

export interface JournalResult {
  coordinator: Address;
  taskId: Hex;
  /** As signed and sent; a result accepted long ago (see pruneOutputs) has lost its `output`. */
  body: ResultBody;
  /** Unix milliseconds when the coordinator accepted it; null while it still has to be sent. */
  submittedAt: number | null;
}

/** A coordinator's signed promise of everything it owes the miner so far (PaymentEscrow redeems it). */
export interface StoredReceipt {
  coordinator: Address;
  /** CAI base units. */
  cumulativeAmount: bigint;
  signature: Hex;
  tasks: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS leases (
  coordinator TEXT NOT NULL,
  task_id TEXT NOT NULL,
  task TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (coordinator, task_id)
);
CREATE TABLE IF NOT EXISTS results (
  coordinator TEXT NOT NULL,
  task_id TEXT NOT NULL,
  body TEXT NOT NULL,
  signed_at INTEGER NOT NULL,
  submitted_at INTEGER,
  PRIMARY KEY (coordinator, task_id)
);
CREATE TABLE IF NOT EXISTS receipts (
  coordinator TEXT PRIMARY KEY,
  cumulative_amount TEXT NOT NULL,
  signature TEXT NOT NULL,
  tasks INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS results_unsubmitted ON results (submitted_at) WHERE submitted_at IS NULL;
`;

/** Keys are stored lower-case so one task never gets two rows because of address checksums. */
const key = (coordinator: Address, taskId: Hex): [string, string] => [
  coordinator.toLowerCase(),
  taskId.toLowerCase(),
];

/**
 * The journal: one SQLite file in WAL mode. Every method is synchronous and committed when it returns,
 * so nothing is lost to a process crash. A signed result is also synced to disk before it is returned
 * (synchronous FULL for that commit: it survives power loss too, since a second, different signature
 * after a reboot would be slashable). Leases, submissions and receipts are not synced by themselves
 * (synchronous NORMAL): lost to a power cut, a lease only means a task is not resumed, a submission is
 * sent again (the coordinator answers a replay), and a receipt comes again with the next task.
 */
export class MinerJournal {
  readonly path: string;
  readonly #db: Database.Database;
  /** Statements by SQL, prepared on first use: every task goes through several of them. */
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
  }

  /** Opens (creating if needed) the journal at `path`. */
  static open(path: string): MinerJournal {
    const db = new Database(path, { timeout: 5000 });
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(SCHEMA);
    } catch (error) {
      db.close();
      throw new Error(`cannot open the miner journal at ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new MinerJournal(path, db);
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Notes a lease the node accepted (a second call for the same task keeps the first). */
  recordLease(coordinator: Address, task: LeasedTask, now = Date.now()): void {
    this.#prepare(
      "INSERT OR IGNORE INTO leases (coordinator, task_id, task, accepted_at) VALUES (?, ?, ?, ?)",
    ).run(...key(coordinator, task.id), JSON.stringify(task), now);
  }

  /** The signed result of a task, if the node ever signed one. */
  signedResult(coordinator: Address, taskId: Hex): JournalResult | undefined {
    const row = this.#prepare(
      "SELECT body, submitted_at FROM results WHERE coordinator = ? AND task_id = ?",
    ).get(...key(coordinator, taskId)) as { body: string; submitted_at: number | null } | undefined;
    if (row === undefined) return undefined;
    return { coordinator, taskId, body: JSON.parse(row.body) as ResultBody, submittedAt: row.submitted_at };
  }

  /**
   * Stores a freshly signed result, unless one is already stored for the task: then that one wins and is
   * returned, so whatever the caller sends is the single result ever committed for the task.
   */
  recordSigned(coordinator: Address, taskId: Hex, body: ResultBody, now = Date.now()): JournalResult {
    this.#db.exec("PRAGMA synchronous = FULL"); // this commit syncs the WAL, earlier commits with it
    let inserted: { changes: number };
    try {
      inserted = this.#prepare(
        "INSERT OR IGNORE INTO results (coordinator, task_id, body, signed_at) VALUES (?, ?, ?, ?)",
      ).run(...key(coordinator, taskId), JSON.stringify(body), now);
    } finally {
      this.#db.exec("PRAGMA synchronous = NORMAL");
    }
    if (inserted.changes === 1) return { coordinator, taskId, body, submittedAt: null };
    return this.signedResult(coordinator, taskId) as JournalResult;
  }

  /** Whether the coordinator has accepted the task's result. */
  isSubmitted(coordinator: Address, taskId: Hex): boolean {
    const row = this.#prepare("SELECT submitted_at FROM results WHERE coordinator = ? AND task_id = ?").get(
      ...key(coordinator, taskId),
    ) as { submitted_at: number | null } | undefined;
    return row?.submitted_at != null;
  }

  /** The coordinator accepted (or already had) the result: the lease is done. */
  markSubmitted(coordinator: Address, taskId: Hex, now = Date.now()): void {
    const [c, t] = key(coordinator, taskId);
    this.#db.transaction(() => {
      this.#prepare(
        "UPDATE results SET submitted_at = ? WHERE coordinator = ? AND task_id = ? AND submitted_at IS NULL",
      ).run(now, c, t);
      this.#prepare("DELETE FROM leases WHERE coordinator = ? AND task_id = ?").run(c, t);
    })();
  }

  /** Forgets a lease the node gave back or lost; a signed result, if any, is kept. */
  dropLease(coordinator: Address, taskId: Hex): void {
    this.#prepare("DELETE FROM leases WHERE coordinator = ? AND task_id = ?").run(
      ...key(coordinator, taskId),
    );
  }

  /** Signed results still to be sent, oldest first. */
  unsubmitted(): JournalResult[] {
    const rows = this.#prepare(
      "SELECT coordinator, task_id, body FROM results WHERE submitted_at IS NULL ORDER BY signed_at, task_id",
    ).all() as { coordinator: Address; task_id: Hex; body: string }[];
    return rows.map((row) => ({
      coordinator: row.coordinator,
      taskId: row.task_id,
      body: JSON.parse(row.body) as ResultBody,
      submittedAt: null,
    }));
  }

  /** Accepted leases with no signed result yet: work a crash interrupted. */
  unsignedLeases(): JournalLease[] {
    const rows = this.#prepare(
      `SELECT l.coordinator, l.task, l.accepted_at FROM leases l
         LEFT JOIN results r ON r.coordinator = l.coordinator AND r.task_id = l.task_id
         WHERE r.task_id IS NULL ORDER BY l.accepted_at, l.task_id`,
    ).all() as { coordinator: Address; task: string; accepted_at: number }[];
    return rows.map((row) => ({
      coordinator: row.coordinator,
      task: JSON.parse(row.task) as LeasedTask,
      acceptedAt: row.accepted_at,
    }));
  }

  /**
   * Keeps `receipt` if it pays more than the one stored for its coordinator (receipts are cumulative:
   * the latest one redeems everything earned there, and an older one arriving late must not win).
   */
  recordReceipt(receipt: StoredReceipt, now = Date.now()): void {
    this.#prepare(
      `INSERT INTO receipts (coordinator, cumulative_amount, signature, tasks, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (coordinator) DO UPDATE SET cumulative_amount = excluded.cumulative_amount,
           signature = excluded.signature, tasks = excluded.tasks, updated_at = excluded.updated_at
         WHERE length(excluded.cumulative_amount) > length(cumulative_amount)
            OR (length(excluded.cumulative_amount) = length(cumulative_amount) AND excluded.cumulative_amount > cumulative_amount)`,
    ).run(
      receipt.coordinator.toLowerCase(),
      receipt.cumulativeAmount.toString(10),
      receipt.signature,
      receipt.tasks,
      now,
    );
  }

  /** The latest receipt per coordinator. */
  receipts(): StoredReceipt[] {
    const rows = this.#prepare(
      "SELECT coordinator, cumulative_amount, signature, tasks FROM receipts ORDER BY coordinator",
    ).all() as { coordinator: Address; cumulative_amount: string; signature: Hex; tasks: number }[];
    return rows.map((row) => ({
      coordinator: row.coordinator,
      cumulativeAmount: BigInt(row.cumulative_amount),
      signature: row.signature,
      tasks: row.tasks,
    }));
  }

  /**
   * Drops the outputs of results the coordinator accepted before `before` (Unix ms), keeping the signed
   * TaskResult: a signed image is kept only as long as a dispute over it can be raised, not for ever.
   * @returns how many outputs were dropped
   */
  pruneOutputs(before: number): number {
    return this.#prepare(
      `UPDATE results SET body = json_remove(body, '$.output')
         WHERE submitted_at IS NOT NULL AND submitted_at < ? AND json_type(body, '$.output') IS NOT NULL`,
    ).run(before).changes;
  }

  /** How many results the node ever signed. */
  signedCount(): number {
    return (this.#prepare("SELECT count(*) AS n FROM results").get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }
}
