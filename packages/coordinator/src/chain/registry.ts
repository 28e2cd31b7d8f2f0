// The coordinator's view of the miners (issue 5): who is registered, their stake and whether they
// may be sent work, loaded from Staking at start and then kept current from its events.
//
// Sync. `start()` reads every miner with paginated getNodes, and minSelfStake(Miner), all pinned to
// one block B, so the pages are one state of the contract even if blocks arrive meanwhile. Then
// each poll scans Staking's events from the last scanned block up to the head (in chunks of
// `maxBlockRange`, the usual cap of providers' eth_getLogs) and re-reads `getNode` of every miner
// an event named, pinned to the head it scanned to. Re-reading instead of replaying the events:
// a stake's value moves with the pool's share price (slashes change every staker's stake, fees
// and rounding too), so replaying would duplicate the contract's share maths and drift from it
// on any mistake; a re-read is what the contract says, costs one call per touched miner (one
// multicall3 batch where the chain has it), and makes missed or reordered events harmless as
// long as no range is skipped. It also means the reads are always of a recent block, which
// non-archive nodes serve (a catch-up scans all its chunks first, then reads at its end).
//
// Progress: `scannedTo` (events read, the miners they named kept in `pending`) and
// `lastSyncedBlock` (the view is the contract's state at that block) only move forward, once
// the step that advances them succeeded; a failure mid-way loses nothing and skips no block.
// Reorgs are not handled beyond `confirmations` (default 0: follow the head); a head behind
// `scannedTo` (a lagging failover RPC) is waited out.
//
// Degraded mode: a failed poll (after the transport's own failover and retries) keeps the last
// view served, sets `status().degraded` with the error, and retries with exponential backoff
// (pollMs doubling up to maxBackoffMs); the first good poll catches up and clears it.
import { type Deployment, explainError, Status } from "@roost/chain";
import type { Address, PublicClient } from "viem";
import { type NodeRecord, StakingReader, toRecord } from "./registry-reads.js";

export type { NodeRecord, NodeStatus } from "./registry-reads.js";

/** A miner as the registry sees it: the contract's view plus whether it may be given work. */
export interface MinerView extends NodeRecord {
  /** Active (not jailed or deregistered) with selfStake >= minSelfStake. */
  readonly eligible: boolean;
}

export interface MinerRegistryOptions {
  deployment: Deployment;
  publicClient: PublicClient;
  /** Miners per getNodes call at start. Default 200. */
  pageSize?: number;
  /** Time between polls for new blocks, in ms. Default 1,000. */
  pollMs?: number;
  /** Blocks per eth_getLogs call. Default 2,000. */
  maxBlockRange?: number;
  /** getNode calls in flight at once without multicall3. Default 8. */
  concurrency?: number;
  /** Batch re-reads with multicall3. Default: when the client's chain names a multicall3 contract. */
  multicall?: boolean;
  /** Follow the head minus this many blocks. Default 0. */
  confirmations?: number;
  /** Longest wait between retries while degraded, in ms. Default 30,000. */
  maxBackoffMs?: number;
  /** A miner appeared or its view changed (eligibility included). Must not throw. */
  onChange?: (miner: MinerView) => void;
  /** A poll failed, or onChange threw (for logs; the status tells the rest). */
  onError?: (error: unknown) => void;
}

export interface RegistryStatus {
  /** The last poll failed: the view is the one of `lastSyncedBlock`. */
  degraded: boolean;
  /** The block the view is the contract's state at; -1 before the first load. */
  lastSyncedBlock: number;
  /** Blocks the view is behind the (confirmed) head last seen; absent until a head was seen. */
  lagBlocks?: number;
  /** While degraded: why, since when (ms since the epoch) and how many polls failed in a row. */
  lastError?: string;
  degradedSince?: number;
  failures?: number;
}

const DEFAULTS = {
  pageSize: 200,
  pollMs: 1_000,
  maxBlockRange: 2_000,
  concurrency: 8,
  confirmations: 0,
  maxBackoffMs: 30_000,
};

/** Miners, their stake and status from the Staking contract, followed block by block. */
export class MinerRegistry {
  readonly #options: typeof DEFAULTS;
  readonly #onChange: MinerRegistryOptions["onChange"];
  readonly #onError: MinerRegistryOptions["onError"];
  readonly #reader: StakingReader;
  readonly #client: PublicClient;
  /** By lowercase operator address. */
  readonly #miners = new Map<string, MinerView>();
  #minSelfStake = 0n;
  #lastSynced = -1n;
  #scannedTo = -1n;
  #head: bigint | undefined;
  readonly #pending = new Set<Address>();
  #minSelfStakePending = false;
  #failures = 0;
  #lastError: string | undefined;
  #degradedSince: number | undefined;
  #state: "idle" | "running" | "stopped" = "idle";
  #timer: NodeJS.Timeout | undefined;
  #poll: Promise<void> | undefined;

  constructor(options: MinerRegistryOptions) {
    const { deployment, publicClient, onChange, onError, ...rest } = options;
    const { multicall, ...numbers } = rest;
    const settings = { ...DEFAULTS, ...numbers };
    for (const key of ["pageSize", "pollMs", "maxBlockRange", "concurrency", "maxBackoffMs"] as const) {
      if (!Number.isSafeInteger(settings[key]) || settings[key] <= 0) {
        throw new RangeError(`MinerRegistry: ${key} must be a positive integer, got ${settings[key]}`);
      }
    }
    if (!Number.isSafeInteger(settings.confirmations) || settings.confirmations < 0) {
      throw new RangeError(`MinerRegistry: confirmations must be 0 or more, got ${settings.confirmations}`);
    }
    this.#options = settings;
    this.#onChange = onChange;
    this.#onError = onError;
    this.#client = publicClient;
    this.#reader = new StakingReader(deployment, publicClient, {
      concurrency: settings.concurrency,
      multicall: multicall ?? publicClient.chain?.contracts?.multicall3 !== undefined,
    });
  }

  /**
   * Loads every miner and the minimum self-stake, then follows new blocks every `pollMs`. Rejects
   * if the first load fails (there is no view to serve yet); it may be called again then.
   */
  async start(): Promise<void> {
    if (this.#state !== "idle") throw new Error(`MinerRegistry: cannot start a ${this.#state} registry`);
    this.#state = "running";
    try {
      const block = await this.#targetHead();
      const [minSelfStake, nodes] = await Promise.all([
        this.#reader.minSelfStake(block),
        this.#reader.allMiners(block, this.#options.pageSize),
      ]);
      if (this.#state !== "running") return; // stopped meanwhile
      this.#minSelfStake = minSelfStake;
      this.#apply(nodes);
      this.#lastSynced = this.#scannedTo = block;
      this.#healthy();
    } catch (error) {
      this.#failed(error);
      if (this.#state === "running") this.#state = "idle";
      throw error;
    }
    this.#schedule(this.#options.pollMs);
  }

  /** Stops polling; resolves once a poll in flight has ended. The last view stays readable. */
  async stop(): Promise<void> {
    this.#state = "stopped";
    clearTimeout(this.#timer);
    await this.#poll;
  }

  /** A registered miner (any status), or undefined. */
  get(operator: Address): MinerView | undefined {
    return this.#miners.get(operator.toLowerCase());
  }

  /** Every miner ever registered, jailed and deregistered ones included, in no set order. */
  miners(): MinerView[] {
    return [...this.#miners.values()];
  }

  /** A registered miner, Active (not jailed or deregistered), with selfStake >= minSelfStake. */
  eligible(operator: Address): boolean {
    return this.get(operator)?.eligible ?? false;
  }

  /** The owner of a registered miner (any status), or undefined. */
  owner(operator: Address): Address | undefined {
    return this.get(operator)?.owner;
  }

  /** The miner's total active stake in wei (0 for an unknown operator). */
  stakeOf(operator: Address): bigint {
    return this.get(operator)?.totalStake ?? 0n;
  }

  /**
   * The miner's sampling weight: its total stake in CAI if eligible, else 0. Exact to 10^-6 CAI:
   * the wei are first cut to whole micro-CAI as a bigint, which stay below 2^53 (9.007e9 CAI)
   * for any stake up to the total supply of 10^9 CAI, so Number() is exact and the only rounding
   * left is the final division (relative error ~1e-16). Dividing wei as a double instead would
   * already round above 2^53 wei (~0.009 CAI).
   */
  weight(operator: Address): number {
    const miner = this.get(operator);
    return miner?.eligible ? toCai(miner.totalStake) : 0;
  }

  /** The minimum self-stake of a miner (wei) at `lastSyncedBlock`. */
  get minSelfStake(): bigint {
    return this.#minSelfStake;
  }

  /** Blocks the view is behind the confirmed head last seen, for metrics (0 before the first load).
   *  While degraded the head is the last one seen, so this understates the lag: see `status()`. */
  get chainLag(): number {
    const head = this.#head;
    if (head === undefined || this.#lastSynced < 0n || head < this.#lastSynced) return 0;
    return Number(head - this.#lastSynced);
  }

  status(): RegistryStatus {
    const status: RegistryStatus = {
      degraded: this.#degradedSince !== undefined,
      lastSyncedBlock: Number(this.#lastSynced),
    };
    if (this.#head !== undefined && this.#lastSynced >= 0n) status.lagBlocks = this.chainLag;
    if (this.#degradedSince !== undefined) {
      status.lastError = this.#lastError ?? "unknown error";
      status.degradedSince = this.#degradedSince;
      status.failures = this.#failures;
    }
    return status;
  }

  #schedule(delay: number): void {
    if (this.#state !== "running") return;
    this.#timer = setTimeout(() => {
      this.#poll = this.#sync().finally(() => {
        this.#poll = undefined;
      });
    }, delay);
    this.#timer.unref();
  }

  /** One poll: scan the new blocks' events, re-read the miners they named, then schedule the next. */
  async #sync(): Promise<void> {
    let delay = this.#options.pollMs;
    try {
      const head = await this.#targetHead();
      while (this.#scannedTo < head && this.#state === "running") {
        const from = this.#scannedTo + 1n;
        const to = min(head, from + BigInt(this.#options.maxBlockRange) - 1n);
        const changes = await this.#reader.changes(from, to, (operator) => this.get(operator) !== undefined);
        for (const operator of changes.operators) this.#pending.add(operator);
        if (changes.minSelfStakeSet) this.#minSelfStakePending = true;
        this.#scannedTo = to;
      }
      if (this.#state === "running" && this.#lastSynced < this.#scannedTo) {
        await this.#refresh(this.#scannedTo);
      }
      this.#healthy();
    } catch (error) {
      this.#failed(error);
      delay = Math.min(this.#options.maxBackoffMs, this.#options.pollMs * 2 ** Math.min(this.#failures, 30));
    }
    this.#schedule(delay);
  }

  /** Re-reads the pending miners (and those whose commission raise fell due) at `block`. */
  async #refresh(block: bigint): Promise<void> {
    const due = [...this.#miners.values()].filter((m) => m.commissionEffectiveAt !== 0);
    if (due.length > 0) {
      // getNode shows a due raise by the block's time alone, with no event: re-read those miners.
      const time = Number(await this.#reader.blockTime(block));
      for (const miner of due) if (miner.commissionEffectiveAt <= time) this.#pending.add(miner.operator);
    }
    const operators = [...this.#pending];
    const [minSelfStake, nodes] = await Promise.all([
      this.#minSelfStakePending ? this.#reader.minSelfStake(block) : this.#minSelfStake,
      this.#reader.nodes(operators, block),
    ]);
    if (this.#state !== "running") return;
    const minChanged = minSelfStake !== this.#minSelfStake;
    this.#minSelfStake = minSelfStake;
    this.#minSelfStakePending = false;
    this.#pending.clear();
    this.#lastSynced = block;
    const changed = new Set(nodes.map((node) => node.operator.toLowerCase()));
    // A new minimum can flip any miner's eligibility, not only those re-read.
    const others = minChanged ? [...this.#miners.values()].filter((m) => !changed.has(key(m))) : [];
    this.#apply([...nodes, ...others]);
  }

  /** Stores `nodes` with their eligibility under the current minimum; reports those that changed. */
  #apply(nodes: readonly NodeRecord[]): void {
    const updated: MinerView[] = [];
    for (const node of nodes) {
      const view: MinerView = { ...toRecord(node), eligible: this.#isEligible(node) };
      const before = this.#miners.get(key(view));
      if (before && sameView(before, view)) continue;
      this.#miners.set(key(view), view);
      updated.push(view);
    }
    const onChange = this.#onChange;
    if (!onChange) return;
    for (const view of updated) {
      try {
        onChange(view);
      } catch (error) {
        this.#onError?.(error);
      }
    }
  }

  #isEligible(node: NodeRecord): boolean {
    return node.status === Status.Active && node.selfStake >= this.#minSelfStake;
  }

  async #targetHead(): Promise<bigint> {
    const latest = await this.#client.getBlockNumber({ cacheTime: 0 });
    const head = latest - BigInt(this.#options.confirmations);
    this.#head = head > 0n ? head : 0n;
    return this.#head;
  }

  #healthy(): void {
    this.#failures = 0;
    this.#lastError = undefined;
    this.#degradedSince = undefined;
  }

  #failed(error: unknown): void {
    this.#failures++;
    this.#lastError = explainError(error).message; // origin only: no API key of the URL
    this.#degradedSince ??= Date.now();
    this.#onError?.(error);
  }
}

/** Wei to CAI as a number, exact to 10^-6 CAI (see MinerRegistry.weight). */
export function toCai(wei: bigint): number {
  return Number(wei / 10n ** 12n) / 1e6;
}

const key = (miner: { operator: Address }) => miner.operator.toLowerCase();
const min = (a: bigint, b: bigint) => (a < b ? a : b);

function sameView(a: MinerView, b: MinerView): boolean {
  return (Object.keys(b) as (keyof MinerView)[]).every((field) => a[field] === b[field]);
}
