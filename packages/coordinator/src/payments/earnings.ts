// Each miner's pay as one growing number: every accepted result adds its price to the miner's total,
// in the same transaction that records the result, and the miner's Receipt is the coordinator's
// signature over that total (PaymentEscrow pays the increase since the last redemption). A receipt is
// signed when asked for (the miner API returns one with each accepted result, after the app has its
// answer; ~40 us with the native signer) and at most once per total. The signature is kept in memory,
// not written: it can always be made again from the committed total, so it costs no commit.

import type { DigestSigner } from "@roost/chain";
import { hashReceipt, type RoostDomainParams, type TaskInput } from "@roost/protocol";
import type Database from "libsql";
import { type Address, getAddress, type Hex, isAddressEqual } from "viem";
import type { Earnings, SignedReceipt } from "../services.js";
import type { StoreDatabase } from "../store/database.js";
import type { Task } from "../store/task-record.js";
import type { PriceTable } from "./prices.js";

/** One miner's earnings here. */
export interface MinerBalance {
  miner: Address;
  /** Wei earned in total (what its latest Receipt says). */
  cumulative: bigint;
  /** Results paid for. */
  tasks: number;
}

interface EarningsRow {
  miner: string;
  cumulative: string;
  tasks: number;
}

const SQL = {
  byMiner: "SELECT miner, cumulative, tasks FROM miner_earnings WHERE miner = ?",
  all: "SELECT miner, cumulative, tasks FROM miner_earnings",
  // The new total is computed by the caller from the row it read in the same transaction.
  credit: `INSERT INTO miner_earnings (miner, cumulative, tasks, updated_at) VALUES (:miner, :cumulative, 1, :now)
    ON CONFLICT (miner) DO UPDATE SET cumulative = excluded.cumulative, tasks = tasks + 1,
      updated_at = excluded.updated_at`,
} as const;

/** Miners' cumulative earnings in the coordinator database, and their signed Receipts. */
export class EarningsBook implements Earnings {
  readonly #db: StoreDatabase;
  readonly #prices: PriceTable;
  readonly #signer: DigestSigner;
  readonly #coordinator: Address;
  readonly #domain: RoostDomainParams;
  readonly #sql: Record<keyof typeof SQL, Database.Statement>;
  /** The latest signed receipt of each miner, for the total it was signed for. */
  readonly #signatures = new Map<Address, { amount: string; signature: Hex }>();

  /**
   * @param coordinator this coordinator's operator address; `signer` must hold its key, since
   *   PaymentEscrow only pays receipts the coordinator operator signed.
   * @param escrowDomain the Receipt's EIP-712 domain (chain id, PaymentEscrow address).
   */
  constructor(
    db: StoreDatabase,
    prices: PriceTable,
    signer: DigestSigner,
    coordinator: Address,
    escrowDomain: RoostDomainParams,
  ) {
    if (!isAddressEqual(signer.address, coordinator)) {
      throw new Error(
        `EarningsBook: receipts would be signed by ${signer.address}, not the coordinator operator ${coordinator}; PaymentEscrow would refuse them`,
      );
    }
    this.#db = db;
    this.#prices = prices;
    this.#signer = signer;
    this.#coordinator = getAddress(coordinator);
    this.#domain = escrowDomain;
    const entries = Object.entries(SQL).map(([name, sql]) => [name, db.connection.prepare(sql)]);
    this.#sql = Object.fromEntries(entries) as Record<keyof typeof SQL, Database.Statement>;
  }

  /**
   * Adds the task's price to the miner's total and returns the new total (wei). Must run inside the
   * transaction that completes the task (TaskStore.complete's `inSameTransaction`): the read and the
   * write of the total are then one atomic step, and the credit commits or rolls back with the result.
   * @throws if called outside a transaction, or if the stored task input has no chat/image type.
   */
  credit(miner: Address, task: Task): bigint {
    if (!this.#db.connection.inTransaction) {
      throw new Error("EarningsBook.credit must run inside the transaction that completes the task");
    }
    const key = getAddress(miner);
    const price = this.#prices.priceOf(pricedAs(task));
    const row = this.#sql.byMiner.get(key) as EarningsRow | undefined;
    const cumulative = (row === undefined ? 0n : BigInt(row.cumulative)) + price;
    this.#sql.credit.run({ miner: key, cumulative: cumulative.toString(), now: Date.now() });
    return cumulative;
  }

  /** The Receipt for the miner's current total, signed once per total; undefined if it earned nothing. */
  receipt(miner: Address): SignedReceipt | undefined {
    const key = getAddress(miner);
    const row = this.#sql.byMiner.get(key) as EarningsRow | undefined;
    if (row === undefined || row.cumulative === "0") return undefined;
    const cached = this.#signatures.get(key);
    let signature: Hex;
    if (cached?.amount === row.cumulative) {
      signature = cached.signature;
    } else {
      const message = {
        coordinator: this.#coordinator,
        miner: key,
        cumulativeAmount: BigInt(row.cumulative),
      };
      signature = this.#signer.sign(hashReceipt(this.#domain, message));
      this.#signatures.set(key, { amount: row.cumulative, signature });
    }
    return {
      coordinator: this.#coordinator,
      miner: key,
      cumulativeAmount: row.cumulative,
      signature,
      tasks: row.tasks,
    };
  }

  /** Every miner that was ever credited, with its total. */
  balances(): MinerBalance[] {
    return (this.#sql.all.all() as EarningsRow[]).map((row) => ({
      miner: row.miner as Address,
      cumulative: BigInt(row.cumulative),
      tasks: row.tasks,
    }));
  }

  /** Everything paid out in receipts so far, for ops: wei over all miners, miners and tasks paid. */
  totals(): { cumulative: bigint; miners: number; tasks: number } {
    let cumulative = 0n;
    let tasks = 0;
    const balances = this.balances();
    for (const balance of balances) {
      cumulative += balance.cumulative;
      tasks += balance.tasks;
    }
    return { cumulative, miners: balances.length, tasks };
  }
}

/** The type and model a task is priced by, from its stored TaskInput. */
function pricedAs(task: Task): Pick<TaskInput, "type" | "model"> {
  const input = task.input as { type?: unknown; model?: unknown } | null;
  const type = input?.type;
  const model = input?.model;
  if ((type !== "chat" && type !== "image") || typeof model !== "string") {
    throw new TypeError(
      `task ${task.id}: its stored input is not a chat or image TaskInput; cannot price it`,
    );
  }
  return { type, model };
}
