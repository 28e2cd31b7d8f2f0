import type { Address } from "viem";

// How a miner's task slots are shared among the coordinators competing for them.

/** "stake": a coordinator's share follows its stake (the default); "equal": the same share for each. */
export type SharePolicy = "stake" | "equal";

/** How long after its last lease a coordinator still counts as competing for slots. */
export const BUSY_WINDOW_MS = 10_000;

/**
 * Slot accounting for one backend's capacity, shared by weight among the coordinators that compete
 * for it, and work-conserving: a busy coordinator (holding a task, or given one in the last
 * {@link BUSY_WINDOW_MS}) is entitled to its weight's share of the capacity among the busy ones, so the
 * share of an idle coordinator goes to the busy ones, and returns to it as their tasks finish once it
 * has work again (nothing is pre-empted). An idle coordinator polls for one slot, enough to be seen to
 * have work: its first task makes it busy, and its next poll asks for its share. Polls are long and
 * concurrent, so each asks for what was free when it was sent; one slot per idle coordinator bounds
 * what a burst arriving everywhere at once can lease beyond the capacity (the excess waits in the
 * backend, its leases kept alive).
 */
export class CapacityPool {
  readonly capacity: number;
  #inFlight = 0;
  readonly #held = new Map<string, number>();
  readonly #lastLease = new Map<string, number>();
  #weights = new Map<string, bigint>();
  #waiters = new Set<() => void>();
  readonly #now: () => number;

  constructor(capacity: number, now: () => number = Date.now) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
    }
    this.capacity = capacity;
    this.#now = now;
  }

  /** Sets the coordinators and their weights (stake in CAI base units, or 1 each for "equal"). */
  setShares(shares: ReadonlyMap<Address, bigint>, policy: SharePolicy): void {
    this.#weights = new Map(
      [...shares].map(
        ([address, stake]) => [address.toLowerCase(), policy === "equal" ? 1n : stake] as const,
      ),
    );
    this.#wake();
  }

  /** Slots `coordinator` may lease now: its free entitlement, within the pool's free capacity. */
  free(coordinator: Address): number {
    const address = coordinator.toLowerCase();
    const weight = this.#weights.get(address);
    if (weight === undefined) return 0;
    const now = this.#now();
    if (!this.#busy(address, now)) return Math.min(1, this.capacity - this.#inFlight);
    let competing = weight;
    for (const [other, w] of this.#weights) {
      if (other !== address && this.#busy(other, now)) competing += w;
    }
    const capacity = BigInt(this.capacity);
    const entitled =
      competing === 0n
        ? this.capacity
        : Math.max(1, Number((capacity * weight + competing - 1n) / competing));
    return Math.max(0, Math.min(entitled - (this.#held.get(address) ?? 0), this.capacity - this.#inFlight));
  }

  /** Counts a leased task against `coordinator` (a lease beyond its entitlement still counts). */
  take(coordinator: Address): void {
    const address = coordinator.toLowerCase();
    this.#held.set(address, (this.#held.get(address) ?? 0) + 1);
    this.#lastLease.set(address, this.#now());
    this.#inFlight += 1;
  }

  /** A task finished: its slot is free again. */
  release(coordinator: Address): void {
    const address = coordinator.toLowerCase();
    const held = this.#held.get(address) ?? 0;
    if (held <= 0) return;
    this.#held.set(address, held - 1);
    this.#inFlight -= 1;
    this.#wake();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Resolves when a slot is released or the shares change (then look at `free` again), and at the
   * latest after {@link BUSY_WINDOW_MS}, when a busy coordinator may have gone idle.
   */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), BUSY_WINDOW_MS);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.delete(done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #busy(address: string, now: number): boolean {
    return (
      (this.#held.get(address) ?? 0) > 0 || now - (this.#lastLease.get(address) ?? -Infinity) < BUSY_WINDOW_MS
    );
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
