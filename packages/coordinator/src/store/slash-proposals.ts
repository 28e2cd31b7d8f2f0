import type Database from "libsql";
import type { Address, Hex } from "viem";
import type { StoreDatabase } from "./database.js";

// Slashes this coordinator proposes to Disputes after a failed spot check, with the evidence bundle
// served at the proposal's evidenceURI. Kept until Disputes took the proposal or refused it, so a crash
// or a dead RPC in between loses nothing.

export interface SlashProposal {
  /** The task the accused miner's result was for (the proposal's taskId). */
  taskId: Hex;
  miner: Address;
  bps: number;
  evidenceHash: Hex;
  status: "pending" | "proposed" | "refused";
  /** Disputes' proposal id, once proposed (null if an earlier send landed unseen). */
  proposalId: bigint | null;
  transactionHash: Hex | null;
  error: string | null;
}

interface Row {
  task_id: string;
  miner: string;
  bps: number;
  evidence_hash: string;
  status: SlashProposal["status"];
  proposal_id: string | null;
  transaction_hash: string | null;
  error: string | null;
}

const COLUMNS = "task_id, miner, bps, evidence_hash, status, proposal_id, transaction_hash, error";
const fromRow = (row: Row): SlashProposal => ({
  taskId: row.task_id as Hex,
  miner: row.miner as Address,
  bps: row.bps,
  evidenceHash: row.evidence_hash as Hex,
  status: row.status,
  proposalId: row.proposal_id === null ? null : BigInt(row.proposal_id),
  transactionHash: row.transaction_hash as Hex | null,
  error: row.error,
});

export class SlashProposalStore {
  readonly #db: StoreDatabase;
  readonly #sql: Record<"insert" | "pending" | "get" | "evidence" | "settle" | "since", Database.Statement>;

  constructor(db: StoreDatabase) {
    this.#db = db;
    const sql = db.connection;
    this.#sql = {
      insert: sql.prepare(
        `INSERT OR IGNORE INTO slash_proposals
           (task_id, miner, bps, evidence, evidence_hash, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ),
      pending: sql.prepare(
        `SELECT ${COLUMNS} FROM slash_proposals WHERE status = 'pending' ORDER BY created_at`,
      ),
      get: sql.prepare(`SELECT ${COLUMNS} FROM slash_proposals WHERE task_id = ?`),
      evidence: sql.prepare("SELECT evidence FROM slash_proposals WHERE evidence_hash = ?"),
      since: sql.prepare(
        "SELECT 1 FROM slash_proposals WHERE miner = ? AND created_at >= ? AND status <> 'refused' LIMIT 1",
      ),
      settle: sql.prepare(
        `UPDATE slash_proposals SET status = ?, proposal_id = ?, transaction_hash = ?, error = ?, updated_at = ?
         WHERE task_id = ?`,
      ),
    };
  }

  /** Keeps a proposal to send (one per task: a second verdict on it changes nothing). */
  record(
    proposal: { taskId: Hex; miner: Address; bps: number; evidence: Uint8Array; evidenceHash: Hex },
    now = Date.now(),
  ): void {
    this.#db.write(() =>
      this.#sql.insert.run(
        proposal.taskId.toLowerCase(),
        proposal.miner.toLowerCase(),
        proposal.bps,
        Buffer.from(proposal.evidence),
        proposal.evidenceHash.toLowerCase(),
        now,
        now,
      ),
    );
  }

  /** Whether a proposal against `miner` (not refused by Disputes) was recorded at `since` or later. */
  proposedSince(miner: Address, since: number): boolean {
    return this.#sql.since.get(miner.toLowerCase(), since) !== undefined;
  }

  pending(): SlashProposal[] {
    return (this.#sql.pending.all() as Row[]).map(fromRow);
  }

  get(taskId: string): SlashProposal | undefined {
    const row = this.#sql.get.get(taskId.toLowerCase()) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** The evidence bundle with this keccak256, exactly as hashed. */
  evidence(evidenceHash: string): Uint8Array | undefined {
    const row = this.#sql.evidence.get(evidenceHash.toLowerCase()) as { evidence: Uint8Array } | undefined;
    return row === undefined ? undefined : new Uint8Array(row.evidence);
  }

  settle(
    taskId: string,
    outcome:
      | { proposed: true; proposalId: bigint | null; transactionHash: Hex | null }
      | { proposed: false; error: string },
  ): void {
    this.#db.immediate(() =>
      this.#sql.settle.run(
        outcome.proposed ? "proposed" : "refused",
        outcome.proposed ? (outcome.proposalId?.toString() ?? null) : null,
        outcome.proposed ? outcome.transactionHash : null,
        outcome.proposed ? null : outcome.error,
        Date.now(),
        taskId.toLowerCase(),
      ),
    );
  }
}
