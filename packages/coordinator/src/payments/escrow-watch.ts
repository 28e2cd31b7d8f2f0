// Whether this coordinator's PaymentEscrow deposit still covers what it owes its miners. A receipt the
// deposit cannot pay is paid from the coordinator owner's own stake, a slash that jails the
// coordinator, so the operator must hear about a thin deposit before a miner redeems.
//
// Owed = for each miner, its cumulative total here minus what PaymentEscrow already paid it
// (`redeemed(coordinator, miner)`). Reads per check: `accountOf` plus `redeemed` of each miner that
// still has something outstanding (a fully redeemed miner is not read again until it earns more),
// all pinned to one block, in one multicall3 batch where the chain has it, else at most
// `concurrency` calls in flight.
import { explainError, formatCai } from "@roost/chain";
import { paymentEscrowAbi } from "@roost/protocol";
import { type Address, getAddress, type PublicClient } from "viem";
import { mapLimit } from "../chain/registry-reads.js";
import type { MinerBalance } from "./earnings.js";

/** ok: the deposit covers `lowRatio` × owed; low: it covers owed but not that; short: it does not. */
export type EscrowState = "unknown" | "ok" | "low" | "short";

export interface EscrowStatus {
  state: EscrowState;
  /** The coordinator's deposit (unlocking funds included: they still pay receipts), wei. */
  deposit: bigint;
  /** The part of the deposit being withdrawn, wei. */
  unlocking: bigint;
  /** Earned by miners and not yet redeemed, wei. */
  owed: bigint;
  /** The block the figures are from; -1 before the first check. */
  block: number;
  /** Unix ms of the last successful check; null before it. */
  checkedAt: number | null;
  /** Why the last check failed (the figures are then the previous check's). */
  error?: string;
}

export interface EscrowWatchOptions {
  publicClient: PublicClient;
  /** The PaymentEscrow contract. */
  escrow: Address;
  /** This coordinator's operator address (the key PaymentEscrow knows it by). */
  coordinator: Address;
  /** Miners' totals (EarningsBook). */
  earnings: { balances(): readonly MinerBalance[] };
  /** Time between checks, ms. Default 60,000. */
  intervalMs?: number;
  /** "short" when deposit < owed × warnRatio. Default 1. */
  warnRatio?: number;
  /** "low" when deposit < owed × lowRatio. Default 2; at least warnRatio. */
  lowRatio?: number;
  /** `redeemed` reads in flight at once without multicall3. Default 8. */
  concurrency?: number;
  /** Batch the reads with multicall3. Default: when the client's chain names a multicall3 contract. */
  multicall?: boolean;
  /** The state changed to low or short, or back to ok from them: once per change, not per check. */
  onWarning?: (message: string, figures: EscrowStatus) => void;
  /** A check failed (the RPC); the previous figures stay. */
  onError?: (error: unknown) => void;
}

/** Ratios are applied in millionths so that the comparison stays in exact bigint arithmetic. */
const RATIO_SCALE = 1_000_000;

/** Compares the coordinator's escrow deposit with what it owes, every `intervalMs`. */
export class EscrowWatch {
  readonly #client: PublicClient;
  readonly #escrow: Address;
  readonly #coordinator: Address;
  readonly #earnings: EscrowWatchOptions["earnings"];
  readonly #intervalMs: number;
  readonly #warn: bigint;
  readonly #low: bigint;
  readonly #concurrency: number;
  readonly #multicall: boolean;
  readonly #onWarning: EscrowWatchOptions["onWarning"];
  readonly #onError: EscrowWatchOptions["onError"];
  /** What PaymentEscrow had paid each miner at the last check (it only grows). */
  readonly #redeemed = new Map<Address, bigint>();
  #status: EscrowStatus = {
    state: "unknown",
    deposit: 0n,
    unlocking: 0n,
    owed: 0n,
    block: -1,
    checkedAt: null,
  };
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #check: Promise<EscrowStatus> | undefined;

  constructor(options: EscrowWatchOptions) {
    const intervalMs = options.intervalMs ?? 60_000;
    const concurrency = options.concurrency ?? 8;
    const warnRatio = options.warnRatio ?? 1;
    const lowRatio = options.lowRatio ?? Math.max(2, warnRatio);
    for (const [name, value] of [
      ["intervalMs", intervalMs],
      ["concurrency", concurrency],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`EscrowWatch: ${name} must be a positive integer, got ${value}`);
      }
    }
    if (!(Number.isFinite(warnRatio) && warnRatio > 0 && warnRatio <= 1000)) {
      throw new RangeError(
        `EscrowWatch: warnRatio must be a number above 0 (1 = what is owed), got ${warnRatio}`,
      );
    }
    if (!(Number.isFinite(lowRatio) && lowRatio >= warnRatio && lowRatio <= 1000)) {
      throw new RangeError(
        `EscrowWatch: lowRatio must be at least warnRatio (${warnRatio}), got ${lowRatio}`,
      );
    }
    this.#client = options.publicClient;
    this.#escrow = getAddress(options.escrow);
    this.#coordinator = getAddress(options.coordinator);
    this.#earnings = options.earnings;
    this.#intervalMs = intervalMs;
    this.#warn = BigInt(Math.round(warnRatio * RATIO_SCALE));
    this.#low = BigInt(Math.round(lowRatio * RATIO_SCALE));
    this.#concurrency = concurrency;
    this.#multicall = options.multicall ?? options.publicClient.chain?.contracts?.multicall3 !== undefined;
    this.#onWarning = options.onWarning;
    this.#onError = options.onError;
  }

  /** Checks now, then every `intervalMs`. A failed check is reported and retried at the next tick. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const tick = () => {
      this.check()
        .catch(() => {}) // reported through onError and status().error
        .finally(() => {
          // unref: a watch must not keep the process alive on its own.
          if (this.#running) this.#timer = setTimeout(tick, this.#intervalMs).unref();
        });
    };
    tick();
  }

  /** Stops the checks; resolves once a check in flight has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#check?.catch(() => {});
  }

  /** The figures of the last successful check, for /healthz and metrics. */
  status(): EscrowStatus {
    return { ...this.#status };
  }

  /** Reads the chain and updates the status now; concurrent callers share one check. */
  check(): Promise<EscrowStatus> {
    this.#check ??= this.#read().finally(() => {
      this.#check = undefined;
    });
    return this.#check;
  }

  async #read(): Promise<EscrowStatus> {
    try {
      // cacheTime 0: viem would otherwise hand back a head up to one polling interval old.
      const block = await this.#client.getBlockNumber({ cacheTime: 0 });
      // Only miners with something outstanding at the last check need their `redeemed` read.
      const balances = this.#earnings
        .balances()
        .filter((b) => b.cumulative > (this.#redeemed.get(b.miner) ?? 0n));
      const [account, redeemed] = await Promise.all([
        this.#client.readContract({
          address: this.#escrow,
          abi: paymentEscrowAbi,
          functionName: "accountOf",
          args: [this.#coordinator],
          blockNumber: block,
        }),
        this.#redeemedOf(
          balances.map((b) => b.miner),
          block,
        ),
      ]);
      let owed = 0n;
      balances.forEach((balance, i) => {
        const paid = redeemed[i] ?? 0n;
        this.#redeemed.set(balance.miner, paid);
        // A total below what was redeemed (a database restored from an old backup) owes nothing.
        if (balance.cumulative > paid) owed += balance.cumulative - paid;
      });
      const [deposit, unlocking] = account;
      const previous = this.#status.state;
      this.#status = {
        state: this.#classify(deposit, owed),
        deposit,
        unlocking,
        owed,
        block: Number(block),
        checkedAt: Date.now(),
      };
      this.#announce(previous);
      return this.status();
    } catch (error) {
      const explained = explainError(error);
      this.#status = { ...this.#status, error: explained.message };
      this.#onError?.(explained);
      throw explained;
    }
  }

  async #redeemedOf(miners: readonly Address[], blockNumber: bigint): Promise<bigint[]> {
    const call = (miner: Address) =>
      ({
        address: this.#escrow,
        abi: paymentEscrowAbi,
        functionName: "redeemed",
        args: [this.#coordinator, miner],
      }) as const;
    if (miners.length === 0) return [];
    if (this.#multicall) {
      return this.#client.multicall({ contracts: miners.map(call), allowFailure: false, blockNumber });
    }
    return mapLimit(miners, this.#concurrency, (miner) =>
      this.#client.readContract({ ...call(miner), blockNumber }),
    );
  }

  #classify(deposit: bigint, owed: bigint): EscrowState {
    const scaled = deposit * BigInt(RATIO_SCALE);
    if (scaled < owed * this.#warn) return "short";
    if (scaled < owed * this.#low) return "low";
    return "ok";
  }

  #announce(previous: EscrowState): void {
    const figures = this.status();
    const { state, deposit, owed } = figures;
    if (state === previous || (state === "ok" && previous === "unknown")) return;
    const has = `the PaymentEscrow deposit of ${formatCai(deposit)}`;
    const message = {
      short: `${has} does not cover the ${formatCai(owed)} owed to miners: deposit more now, or redeemed receipts will be paid from the owner's stake (a slash that jails the coordinator)`,
      low: `${has} covers less than ${this.#ratioText(this.#low)} the ${formatCai(owed)} owed to miners: deposit more soon`,
      ok: `${has} covers the ${formatCai(owed)} owed to miners again`,
    }[state as Exclude<EscrowState, "unknown">];
    try {
      this.#onWarning?.(message, figures);
    } catch (error) {
      this.#onError?.(error);
    }
  }

  #ratioText(ratio: bigint): string {
    return `${Number(ratio) / RATIO_SCALE}×`;
  }
}
