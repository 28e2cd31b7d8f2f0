import type { TaskResult } from "@roost/protocol";
import type Database from "libsql";
import type { Address, Hex } from "viem";
import type { StoreDatabase } from "./database.js";

// Equivocations the coordinator holds proof of: two different TaskResults one miner signed for one task.
// Kept until Disputes has them (a crash in between loses nothing: the prover sends what is pending).

export interface SignedTaskResult {
  result: TaskResult;
  signature: Hex;
}

export interface Equivocation {
  taskId: Hex;
  miner: Address;
  a: SignedTaskResult;
  b: SignedTaskResult;
  status: "pending" | "proven" | "refused";
  transactionHash: Hex | null;
  error: string | null;
}

interface Row {
  task_id: string;
  miner: string;
  result_a: string;
  signature_a: string;
  result_b: string;
  signature_b: string;
  status: Equivocation["status"];
  transaction_hash: string | null;
  error: string | null;
}

const toJson = (result: TaskResult) =>
  JSON.stringify({ ...result, completedAt: result.completedAt.toString(10) });
const fromJson = (text: string): TaskResult => {
  const parsed = JSON.parse(text) as Omit<TaskResult, "completedAt"> & { completedAt: string };
  return { ...parsed, completedAt: BigInt(parsed.completedAt) };
};
const fromRow = (row: Row): Equivocation => ({
  taskId: row.task_id as Hex,
  miner: row.miner as Address,
  a: { result: fromJson(row.result_a), signature: row.signature_a as Hex },
  b: { result: fromJson(row.result_b), signature: row.signature_b as Hex },
  status: row.status,
  transactionHash: row.transaction_hash as Hex | null,
  error: row.error,
});

export class EquivocationStore {
  /** Called after a proof is recorded (the node sends it to Disputes then). */
  onRecord: () => void = () => {};
  readonly #db: StoreDatabase;
  readonly #insert: Database.Statement;
  readonly #pending: Database.Statement;
  readonly #get: Database.Statement;
  readonly #settle: Database.Statement;

  constructor(db: StoreDatabase) {
    this.#db = db;
    const sql = db.connection;
    this.#insert = sql.prepare(
      `INSERT OR IGNORE INTO equivocations
         (task_id, miner, result_a, signature_a, result_b, signature_b, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    this.#pending = sql.prepare("SELECT * FROM equivocations WHERE status = 'pending' ORDER BY created_at");
    this.#get = sql.prepare("SELECT * FROM equivocations WHERE task_id = ?");
    this.#settle = sql.prepare(
      "UPDATE equivocations SET status = ?, transaction_hash = ?, error = ?, updated_at = ? WHERE task_id = ?",
    );
  }

  /** Keeps the proof for a task (the first one found for it: one proof slashes the miner). */
  record(miner: Address, a: SignedTaskResult, b: SignedTaskResult, now = Date.now()): void {
    const taskId = a.result.taskId.toLowerCase();
    this.#db.immediate(() =>
      this.#insert.run(
        taskId,
        miner.toLowerCase(),
        toJson(a.result),
        a.signature,
        toJson(b.result),
        b.signature,
        now,
        now,
      ),
    );
    this.onRecord();
  }

  /** Proofs not yet accepted or refused by Disputes, oldest first. */
  pending(): Equivocation[] {
    return (this.#pending.all() as Row[]).map(fromRow);
  }

  get(taskId: string): Equivocation | undefined {
    const row = this.#get.get(taskId.toLowerCase()) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Disputes accepted the proof (in `transactionHash`) or refused it (`error` says why). */
  settle(
    taskId: string,
    outcome: { proven: true; transactionHash: Hex | null } | { proven: false; error: string },
  ) {
    this.#db.immediate(() =>
      this.#settle.run(
        outcome.proven ? "proven" : "refused",
        outcome.proven ? outcome.transactionHash : null,
        outcome.proven ? null : outcome.error,
        Date.now(),
        taskId.toLowerCase(),
      ),
    );
  }
}
