import { explainError, type RoostContracts } from "@roost/chain";
import { type Address, formatEther, type PublicClient } from "viem";
import type { MinerJournal } from "../journal/journal.js";
import { backoffDelay, sleep } from "../node/backoff.js";
import type { MinerLogger } from "../node/logger.js";
import { redeemPending } from "./redeemer.js";

export interface RedemptionOptions {
  /** The contracts with the operator's wallet (it pays the gas of redemptions). */
  contracts: RoostContracts;
  publicClient: PublicClient;
  /** Redeem as soon as one coordinator owes at least this much unredeemed (CAI base units). */
  threshold: bigint;
  /** Also redeem everything pending this often; 0 turns the schedule off. */
  intervalMs: number;
}

/**
 * Redeems the miner's receipts on chain by itself: when a new receipt leaves a coordinator owing at
 * least the threshold, and on a schedule for whatever is left. One redemption at a time; a failed one
 * (RPC down, a revert) is reported in words and tried again after a backoff, never in a tight loop.
 */
export class AutoRedeemer {
  readonly #journal: MinerJournal;
  readonly #miner: Address;
  readonly #options: RedemptionOptions;
  readonly #logger: MinerLogger;
  readonly #signal: AbortSignal;
  /** What PaymentEscrow had redeemed per coordinator when last read (lower-case keys). */
  readonly #redeemed = new Map<string, bigint>();
  #running: Promise<void> = Promise.resolve();
  /** Redemptions queued or under way. */
  #queued = 0;
  /** A receipt passed the threshold while a redemption was under way: run once more after it. */
  #again = false;
  #failures = 0;
  #quietUntil = 0;
  #schedule: Promise<void> | undefined;
  #retry: Promise<void> | undefined;

  constructor(
    journal: MinerJournal,
    miner: Address,
    options: RedemptionOptions,
    logger: MinerLogger,
    signal: AbortSignal,
  ) {
    this.#journal = journal;
    this.#miner = miner;
    this.#options = options;
    this.#logger = logger;
    this.#signal = signal;
  }

  /** Starts the schedule (if any). */
  start(): void {
    if (this.#options.intervalMs <= 0) return;
    this.#schedule ??= (async () => {
      while (!this.#signal.aborted) {
        await sleep(this.#options.intervalMs, this.#signal);
        // After a failure its own retry comes first; the schedule does not pile on.
        if (!this.#signal.aborted && Date.now() >= this.#quietUntil) await this.redeem(1n);
      }
    })();
  }

  /** A new receipt from `coordinator`: redeems when what it owes passes the threshold. */
  noteReceipt(coordinator: Address, cumulativeAmount: bigint): void {
    const owed = cumulativeAmount - (this.#redeemed.get(coordinator.toLowerCase()) ?? 0n);
    if (owed < this.#options.threshold || Date.now() < this.#quietUntil) return;
    if (this.#queued > 0) this.#again = true;
    else void this.redeem(this.#options.threshold);
  }

  /** Redeems every receipt with at least `threshold` pending; resolves when it is mined (or failed). */
  redeem(threshold: bigint): Promise<void> {
    this.#queued++;
    this.#running = this.#running
      .then(() => this.#redeemOnce(threshold))
      .then(() => {
        if (!this.#again) return;
        this.#again = false;
        return this.#redeemOnce(this.#options.threshold);
      })
      .finally(() => {
        this.#queued--;
      });
    return this.#running;
  }

  /** Waits for the schedule to end (after the node's signal aborted) and any redemption under way. */
  async done(): Promise<void> {
    await this.#schedule;
    await this.#retry;
    await this.#running;
  }

  async #redeemOnce(threshold: bigint): Promise<void> {
    if (this.#signal.aborted) return;
    const { contracts, publicClient } = this.#options;
    try {
      const { checked, sent } = await redeemPending(this.#journal, contracts, this.#miner, threshold);
      for (const e of checked) this.#redeemed.set(e.coordinator.toLowerCase(), e.redeemed);
      if (sent !== undefined) {
        const receipt = await publicClient.waitForTransactionReceipt({ hash: sent.hash, timeout: 120_000 });
        if (receipt.status !== "success") throw new Error(`redemption ${sent.hash} reverted`);
        for (const r of sent.receipts) this.#redeemed.set(r.coordinator.toLowerCase(), r.cumulativeAmount);
        this.#logger.info(
          `redeemed ${formatEther(sent.amount)} CAI from ${sent.receipts.length} coordinator(s) in ${sent.hash}`,
        );
      }
      this.#failures = 0;
      this.#quietUntil = 0;
    } catch (error) {
      const delay = backoffDelay(this.#failures++, 600_000);
      this.#quietUntil = Date.now() + delay;
      this.#logger.warn(
        `redemption failed: ${explainError(error).message}; retrying in ${Math.round(delay / 1000)} s`,
      );
      // One retry pending at a time, however many tries failed meanwhile.
      this.#retry ??= sleep(delay, this.#signal).then(() => {
        this.#retry = undefined;
        return this.#signal.aborted ? undefined : this.redeem(threshold);
      });
    }
  }
}
