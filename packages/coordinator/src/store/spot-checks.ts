import type Database from "libsql";
import type { Address, Hex } from "viem";
import type { StoreDatabase } from "./database.js";

/** The API key id spot-check tasks are filed under (migration 5): no request can use it. */
export const SPOT_CHECK_KEY_ID = "spot-checks";

export type SpotCheckStatus = "running" | "passed" | "failed" | "inconclusive" | "unchecked";

/** A result under check: the original task, who ran it, and the re-runs made so far (oldest first). */
export interface SpotCheck {
  taskId: Hex;
  miner: Address;
  owner: Address;
  status: SpotCheckStatus;
  verdict: string | null;
  runs: Hex[];
  createdAt: number;
}

interface Row {
  task_id: string;
  miner: string;
  owner: string;
  status: SpotCheckStatus;
  verdict: string | null;
  created_at: number;
}

const SQL = {
  open: `INSERT INTO spot_checks (task_id, miner, owner, status, created_at, updated_at)
    VALUES (?, ?, ?, 'running', ?, ?)`,
  addRun: "INSERT INTO spot_check_runs (run_task_id, task_id, created_at) VALUES (?, ?, ?)",
  get: "SELECT task_id, miner, owner, status, verdict, created_at FROM spot_checks WHERE task_id = ?",
  // In the order the runs were queued (the tasks' seq: created_at ties within a millisecond).
  runs: `SELECT r.run_task_id FROM spot_check_runs r JOIN tasks t ON t.id = r.run_task_id
    WHERE r.task_id = ? ORDER BY t.seq`,
  checkOfRun: "SELECT task_id FROM spot_check_runs WHERE run_task_id = ?",
  running: "SELECT task_id FROM spot_checks WHERE status = 'running' ORDER BY created_at",
  isRunning: "SELECT 1 FROM spot_checks WHERE task_id = ? AND status = 'running'",
  settle: `UPDATE spot_checks SET status = ?, verdict = ?, updated_at = ?
    WHERE task_id = ? AND status = 'running'`,
  counts: "SELECT status, count(*) AS n FROM spot_checks GROUP BY status",
} as const;

/**
 * Spot checks and their re-runs. Every write is one statement, so each joins the caller's transaction:
 * a check is opened in the one that accepts the result it checks, and settled in the one that pays.
 */
export class SpotCheckStore {
  readonly #db: StoreDatabase;
  readonly #sql: Record<keyof typeof SQL, Database.Statement>;

  constructor(db: StoreDatabase) {
    this.#db = db;
    const entries = Object.entries(SQL).map(([name, sql]) => [name, db.connection.prepare(sql)]);
    this.#sql = Object.fromEntries(entries) as Record<keyof typeof SQL, Database.Statement>;
  }

  open(taskId: Hex, miner: Address, owner: Address, now = Date.now()): void {
    this.#db.write(() =>
      this.#sql.open.run(taskId.toLowerCase(), miner.toLowerCase(), owner.toLowerCase(), now, now),
    );
  }

  addRun(taskId: Hex, runTaskId: Hex, now = Date.now()): void {
    this.#db.write(() => this.#sql.addRun.run(runTaskId.toLowerCase(), taskId.toLowerCase(), now));
  }

  get(taskId: string): SpotCheck | undefined {
    const row = this.#sql.get.get(taskId.toLowerCase()) as Row | undefined;
    if (row === undefined) return undefined;
    const runs = (this.#sql.runs.all(row.task_id) as { run_task_id: Hex }[]).map((r) => r.run_task_id);
    return {
      taskId: row.task_id as Hex,
      miner: row.miner as Address,
      owner: row.owner as Address,
      status: row.status,
      verdict: row.verdict,
      runs,
      createdAt: row.created_at,
    };
  }

  /** The original task a re-run belongs to, if `runTaskId` is one. */
  checkOfRun(runTaskId: string): Hex | undefined {
    return (this.#sql.checkOfRun.get(runTaskId.toLowerCase()) as { task_id: Hex } | undefined)?.task_id;
  }

  /** Whether the check of `taskId` still waits for its verdict (one indexed read). */
  isRunning(taskId: string): boolean {
    return this.#sql.isRunning.get(taskId.toLowerCase()) !== undefined;
  }

  /** Checks without a verdict yet, oldest first. */
  running(): Hex[] {
    return (this.#sql.running.all() as { task_id: Hex }[]).map((row) => row.task_id);
  }

  /** Records the verdict; false if the check already had one. */
  settle(taskId: string, status: Exclude<SpotCheckStatus, "running">, verdict: string, now = Date.now()) {
    return (
      this.#db.write(() => this.#sql.settle.run(status, verdict, now, taskId.toLowerCase())).changes === 1
    );
  }

  countsByStatus(): Record<SpotCheckStatus, number> {
    const counts: Record<SpotCheckStatus, number> = {
      running: 0,
      passed: 0,
      failed: 0,
      inconclusive: 0,
      unchecked: 0,
    };
    for (const row of this.#sql.counts.all() as { status: SpotCheckStatus; n: number }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }
}
