import type { Address } from "viem";
import { cryptoRandom, type Random } from "../scheduling/weighted-sampler.js";
import type { TrustRecord } from "../store/miner-trust.js";

// Which results get a spot check, BOINC-style adaptive replication: a miner is checked on every task
// until it has passed `probationChecks` checks in a row, then on a random share `spotCheckRate` of its
// tasks; any failed check puts it back on probation. The draw uses a cryptographic random source, so a
// miner cannot predict which of its results will be re-run.

export interface TrustPolicy {
  /** Share of a trusted miner's tasks that are re-run elsewhere (p). */
  spotCheckRate: number;
  /** Checks passed in a row before a miner is trusted. */
  probationChecks: number;
}

export const DEFAULT_TRUST_POLICY: TrustPolicy = { spotCheckRate: 0.03, probationChecks: 10 };

export interface MinerTrust extends TrustRecord {
  trusted: boolean;
}

/** Where trust is kept between runs (store/miner-trust.ts); the book caches what it read. */
export interface TrustRecords {
  load(miner: Address): TrustRecord | undefined;
  save(miner: Address, record: TrustRecord): void;
}

/** Trust per miner operator (lower-case keys), cached in memory over optional durable records. */
export class TrustBook {
  readonly policy: TrustPolicy;
  readonly #random: Random;
  readonly #records: TrustRecords | undefined;
  readonly #miners = new Map<string, TrustRecord>();

  constructor(
    policy: TrustPolicy = DEFAULT_TRUST_POLICY,
    random: Random = cryptoRandom,
    records?: TrustRecords,
  ) {
    if (!(policy.spotCheckRate >= 0 && policy.spotCheckRate <= 1)) {
      throw new RangeError(`spotCheckRate must be from 0 to 1, not ${policy.spotCheckRate}`);
    }
    if (!Number.isSafeInteger(policy.probationChecks) || policy.probationChecks < 0) {
      throw new RangeError(`probationChecks must be a whole number, not ${policy.probationChecks}`);
    }
    this.policy = policy;
    this.#random = random;
    this.#records = records;
  }

  /** Whether this result of `miner` is to be checked: always on probation, else with probability p. */
  shouldCheck(miner: Address): boolean {
    if (!this.trust(miner).trusted) return true;
    return this.#random() < this.policy.spotCheckRate;
  }

  /** A check `miner`'s result passed. */
  recordPass(miner: Address): MinerTrust {
    const entry = this.#entry(miner);
    entry.streak += 1;
    entry.passed += 1;
    this.#records?.save(miner, entry);
    return this.trust(miner);
  }

  /** A check `miner`'s result failed: back on probation. */
  recordFail(miner: Address): MinerTrust {
    const entry = this.#entry(miner);
    entry.streak = 0;
    entry.failed += 1;
    this.#records?.save(miner, entry);
    return this.trust(miner);
  }

  /** Drops the cached record (a transaction that changed it rolled back): the next read reloads it. */
  forget(miner: Address): void {
    this.#miners.delete(miner.toLowerCase());
  }

  trust(miner: Address): MinerTrust {
    const entry = this.#entry(miner);
    return { ...entry, trusted: entry.streak >= this.policy.probationChecks };
  }

  #entry(miner: Address): TrustRecord {
    const address = miner.toLowerCase();
    let entry = this.#miners.get(address);
    if (entry === undefined) {
      const stored = this.#records?.load(miner);
      entry = stored === undefined ? { streak: 0, passed: 0, failed: 0 } : { ...stored };
      this.#miners.set(address, entry);
    }
    return entry;
  }
}
