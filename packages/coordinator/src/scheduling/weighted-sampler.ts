// Stake-weighted choice of a miner (issue 5, "Dispatch"): a Fenwick (binary indexed) tree over
// non-negative weights, so updates and draws cost O(log n).
//
// Float weights: a draw compares `random() * total` (53 random bits) with prefix sums held as
// doubles, each within ~log2(n) * 2^-53 of the total after a rebuild. So a key's probability is off
// by ~1e-15 at most: no test could see that bias without ~1e30 draws, far below what stake (CAI as
// a float, at most the token supply) means for fairness. What floats get wrong is cancellation:
// nodes are updated by deltas, so after adding 1e20 and taking it away again a node can keep an
// error of ~1e4. Two guards bound that drift (see `#afterUpdate`): the tree is rebuilt from the
// exact weights every max(capacity, 1024) updates (amortized O(1)), and at once when the total
// falls below 2^-20 of its peak since the last rebuild, or below zero (O(n) each time the stake
// collapses a millionfold, which real stake changes do not do).
import { randomFillSync } from "node:crypto";

/** A uniform float in [0, 1) from a random source; `Math.random` is the default for tests. */
export type Random = () => number;

const MIN_CAPACITY = 16;
const REBUILD_EVERY_MIN = 1024;
/** Rebuild when the total falls below this fraction of its peak: the drift left behind could matter. */
const CANCELLATION = 2 ** -20;
const DEFAULT_MAX_TRIES = 32;

const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;
const pool = new Uint32Array(1024);
let poolAt = pool.length;

/**
 * A uniform float in [0, 1) with 53 random bits from node:crypto (a CSPRNG), so miners cannot
 * predict the coordinator's choices. Random bytes are drawn 4 KiB at a time to keep calls cheap.
 */
export function cryptoRandom(): number {
  if (poolAt + 2 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const high = (pool[poolAt++] as number) >>> 5; // 27 bits
  const low = (pool[poolAt++] as number) >>> 6; // 26 bits
  return (high * TWO_POW_26 + low) / TWO_POW_53;
}

function unit(random: Random): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${r}`);
  return r;
}

/**
 * Keys (such as miner operator addresses; normalize their case first) with non-negative weights,
 * drawn with probability weight / total. `set`, `delete` and `sample` are O(log n); growing the
 * capacity (doubling) and the drift guards rebuild the tree in O(n).
 */
export class WeightedSampler<K> {
  #capacity: number; // a power of two, so the root #tree[#capacity] holds the total
  #tree: Float64Array; // 1-based Fenwick tree: #tree[i] sums the weights of slots (i - lowbit(i), i]
  #weights: Float64Array; // 1-based: the exact weight of each slot
  #keys: (K | undefined)[] = [undefined]; // 1-based: the key in each slot
  readonly #slots = new Map<K, number>();
  readonly #free: number[] = []; // slots freed by delete, reused first
  #used = 0; // highest slot ever handed out
  #positive = 0; // keys with weight > 0
  #peak = 0; // the largest total since the last rebuild
  #updates = 0; // updates since the last rebuild

  constructor(initialCapacity = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity) capacity *= 2;
    this.#capacity = capacity;
    this.#tree = new Float64Array(capacity + 1);
    this.#weights = new Float64Array(capacity + 1);
  }

  /** Keys held, including those with weight 0. */
  get size(): number {
    return this.#slots.size;
  }

  /** Slots allocated: a power of two, doubled when full. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The sum of all weights (0 when no key has a positive weight). */
  get totalWeight(): number {
    return this.#positive === 0 ? 0 : Math.max(0, this.#tree[this.#capacity] as number);
  }

  has(key: K): boolean {
    return this.#slots.has(key);
  }

  get(key: K): number | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined ? undefined : this.#weights[slot];
  }

  /** Inserts or updates a key. Weight 0 keeps the key but it is never drawn. */
  set(key: K, weight: number): this {
    if (!(weight >= 0 && weight < Number.POSITIVE_INFINITY)) {
      throw new RangeError(`weight must be a finite number >= 0, got ${weight}`);
    }
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#nextSlot();
      this.#slots.set(key, slot);
      this.#keys[slot] = key;
    }
    this.#write(slot, weight + 0); // + 0 turns -0 into 0
    return this;
  }

  /** Removes a key; its slot is reused by the next insert. Returns whether it was present. */
  delete(key: K): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#write(slot, 0);
    this.#slots.delete(key);
    this.#keys[slot] = undefined;
    this.#free.push(slot);
    return true;
  }

  /** A key drawn with probability weight / total in O(log n), or undefined when the total is 0. */
  sample(random: Random = Math.random): K | undefined {
    if (this.#positive === 0) return undefined;
    const r = unit(random);
    const slot = this.#descend(r * (this.#tree[this.#capacity] as number));
    if (slot <= this.#used && (this.#weights[slot] as number) > 0) return this.#keys[slot];
    // Only rounding at a boundary or drift lands on an empty or zero-weight slot (~never): rebuild,
    // then pick with the same r exactly in O(n).
    this.#rebuild();
    return this.#pickWhere(() => true, r);
  }

  /**
   * A key drawn with probability weight / (total weight of the keys passing `predicate`), or
   * undefined when no key with a positive weight passes. First up to `maxTries` weighted draws
   * (rejection sampling, O(log n) each), then an exact weighted pick among the keys that pass
   * (O(n) calls of `predicate`). Both stages give the same conditional distribution, so the result
   * is exact. With a fraction p of the weight eligible the cost is O(maxTries log n) plus O(n) with
   * probability (1 - p)^maxTries: cheap when most stake is eligible, linear when almost none is.
   */
  sampleWhere(
    predicate: (key: K, weight: number) => boolean,
    random: Random = Math.random,
    maxTries = DEFAULT_MAX_TRIES,
  ): K | undefined {
    for (let i = 0; i < maxTries; i++) {
      const key = this.sample(random);
      if (key === undefined) return undefined;
      if (predicate(key, this.#weights[this.#slots.get(key) as number] as number)) return key;
    }
    return this.#positive === 0 ? undefined : this.#pickWhere(predicate, unit(random));
  }

  /** The smallest slot whose prefix sum exceeds target (Fenwick descent, O(log n)). */
  #descend(target: number): number {
    const tree = this.#tree;
    let slot = 0;
    let rest = target;
    for (let step = this.#capacity; step > 0; step >>= 1) {
      const node = tree[slot + step] as number;
      if (node <= rest) {
        slot += step;
        rest -= node;
      }
    }
    return slot + 1;
  }

  /** Exact O(n) weighted pick among the keys with weight > 0 passing `predicate`, for r in [0, 1). */
  #pickWhere(predicate: (key: K, weight: number) => boolean, r: number): K | undefined {
    const slots: number[] = [];
    let total = 0;
    for (let slot = 1; slot <= this.#used; slot++) {
      const weight = this.#weights[slot] as number; // 0 in freed slots
      if (weight > 0 && predicate(this.#keys[slot] as K, weight)) {
        slots.push(slot);
        total += weight;
      }
    }
    let rest = r * total;
    for (const slot of slots) {
      rest -= this.#weights[slot] as number;
      if (rest < 0) return this.#keys[slot];
    }
    const last = slots.at(-1); // none passed, or rounding left a sliver past the last key
    return last === undefined ? undefined : this.#keys[last];
  }

  #nextSlot(): number {
    if (this.#used === this.#capacity) {
      this.#capacity *= 2;
      const weights = new Float64Array(this.#capacity + 1);
      weights.set(this.#weights);
      this.#weights = weights;
      this.#tree = new Float64Array(this.#capacity + 1);
      this.#rebuild();
    }
    return ++this.#used;
  }

  #write(slot: number, weight: number): void {
    const old = this.#weights[slot] as number;
    if (old === weight) return;
    this.#positive += (weight > 0 ? 1 : 0) - (old > 0 ? 1 : 0);
    this.#weights[slot] = weight;
    const delta = weight - old;
    const tree = this.#tree;
    for (let i = slot; i <= this.#capacity; i += i & -i) tree[i] = (tree[i] as number) + delta;
    this.#afterUpdate();
  }

  #afterUpdate(): void {
    const total = this.#tree[this.#capacity] as number;
    if (total > this.#peak) this.#peak = total;
    this.#updates++;
    if (this.#updates >= Math.max(this.#capacity, REBUILD_EVERY_MIN) || total < this.#peak * CANCELLATION) {
      this.#rebuild();
    }
  }

  /** Recomputes every node from the exact weights in O(n). */
  #rebuild(): void {
    const tree = this.#tree;
    tree.set(this.#weights);
    for (let i = 1; i <= this.#capacity; i++) {
      const parent = i + (i & -i);
      if (parent <= this.#capacity) tree[parent] = (tree[parent] as number) + (tree[i] as number);
    }
    this.#peak = tree[this.#capacity] as number;
    this.#updates = 0;
  }
}
