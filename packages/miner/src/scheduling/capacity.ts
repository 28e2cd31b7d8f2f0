import type { Address } from "viem";

// How a miner's task slots are shared among the coordinators competing for them.

/** "stake": a coordinator's share follows its stake (the default); "equal": the same share for each. */
export type SharePolicy = "stake" | "equal";

/**
 * Slot accounting for one backend's capacity. Each coordinator's quota is its share of the capacity,
 * rounded up (at least one slot), so quotas add up to at least the capacity: no slot idles for want
 * of a quota while the total in flight never passes the capacity.
 */
export class CapacityPool {
  readonly capacity: number;
  #inFlight = 0;
  readonly #held = new Map<string, number>();
  #quotas = new Map<string, number>();
  #waiters: (() => void)[] = [];

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Sets the coordinators and their weights (stake in CAI base units, or 1 each for "equal"). */
  setShares(shares: ReadonlyMap<Address, bigint>, policy: SharePolicy): void {
    const weights = [...shares].map(
      ([address, stake]) => [address.toLowerCase(), policy === "equal" ? 1n : stake] as const,
    );
    const total = weights.reduce((sum, [, weight]) => sum + weight, 0n);
    const capacity = BigInt(this.capacity);
    this.#quotas = new Map(
      weights.map(([address, weight]) => {
        const share = total === 0n ? capacity : (capacity * weight + total - 1n) / total;
        return [address, Math.max(1, Number(share))];
      }),
    );
    this.#wake();
  }

  /** Slots `coordinator` may lease now: its free quota, within the pool's free capacity. */
  free(coordinator: Address): number {
    const address = coordinator.toLowerCase();
    const quota = this.#quotas.get(address) ?? 0;
    return Math.max(0, Math.min(quota - (this.#held.get(address) ?? 0), this.capacity - this.#inFlight));
  }

  /** Counts a leased task against `coordinator` (a lease beyond the quota still counts). */
  take(coordinator: Address): void {
    const address = coordinator.toLowerCase();
    this.#held.set(address, (this.#held.get(address) ?? 0) + 1);
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

  /** Resolves when a slot is released or the shares change (then look at `free` again). */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
