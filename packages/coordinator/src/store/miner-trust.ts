import type Database from "libsql";
import type { Address } from "viem";
import type { StoreDatabase } from "./database.js";

/** A miner's record of spot checks (verification/trust.ts decides what it means). */
export interface TrustRecord {
  /** Checks passed since the last failure (or since the miner was first seen). */
  streak: number;
  passed: number;
  failed: number;
}

/** Trust per miner operator in the coordinator database, so a restart does not forgive a cheater. */
export class MinerTrustStore {
  readonly #db: StoreDatabase;
  readonly #get: Database.Statement;
  readonly #put: Database.Statement;

  constructor(db: StoreDatabase) {
    this.#db = db;
    this.#get = db.connection.prepare("SELECT streak, passed, failed FROM miner_trust WHERE miner = ?");
    this.#put = db.connection.prepare(
      `INSERT INTO miner_trust (miner, streak, passed, failed, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (miner) DO UPDATE SET streak = excluded.streak, passed = excluded.passed,
         failed = excluded.failed, updated_at = excluded.updated_at`,
    );
  }

  load(miner: Address): TrustRecord | undefined {
    const row = this.#get.get(miner.toLowerCase()) as TrustRecord | undefined;
    // Named columns only: libsql adds a `_metadata` key to rows.
    return row === undefined ? undefined : { streak: row.streak, passed: row.passed, failed: row.failed };
  }

  /** One statement: joins the caller's transaction (the verdict's) when there is one. */
  save(miner: Address, record: TrustRecord, now = Date.now()): void {
    this.#db.write(() =>
      this.#put.run(miner.toLowerCase(), record.streak, record.passed, record.failed, now),
    );
  }
}
