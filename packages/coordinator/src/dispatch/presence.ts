import type { Address } from "viem";

/** What a miner states with each poll. */
export interface PollRequest {
  /** Free slots: tasks it can take now (0 to 64). */
  slots: number;
  /** Model ids it serves. */
  models: string[];
  /** Free-form hardware report (GPUs, CPU, memory), shown on /api/network. */
  hardware?: Record<string, unknown>;
}

export interface MinerPresenceView {
  operator: Address;
  models: string[];
  hardware: Record<string, unknown> | undefined;
  /** Unix milliseconds of the last poll. */
  lastSeen: number;
  online: boolean;
}

/** Which miners polled lately, and what they serve: the source of /v1/models and /api/network. */
export class MinerPresence {
  readonly #onlineMs: number;
  readonly #now: () => number;
  readonly #miners = new Map<Address, { request: PollRequest; lastSeen: number }>();
  /** Model id -> miners whose latest poll named it: every app request checks its model here. */
  readonly #byModel = new Map<string, Set<Address>>();

  constructor(onlineMs: number, now: () => number) {
    this.#onlineMs = onlineMs;
    this.#now = now;
  }

  seen(miner: Address, request: PollRequest): void {
    const previous = this.#miners.get(miner)?.request.models;
    if (previous !== request.models) {
      for (const model of previous ?? []) this.#byModel.get(model)?.delete(miner);
      for (const model of request.models) {
        let miners = this.#byModel.get(model);
        if (miners === undefined) {
          miners = new Set();
          this.#byModel.set(model, miners);
        }
        miners.add(miner);
      }
    }
    this.#miners.set(miner, { request, lastSeen: this.#now() });
  }

  /** Whether an online miner accepted by `filter` serves `model`; stops at the first one found. */
  serves(model: string, filter: (miner: Address) => boolean = () => true): boolean {
    const now = this.#now();
    for (const miner of this.#byModel.get(model) ?? []) {
      const seen = this.#miners.get(miner);
      if (seen !== undefined && now - seen.lastSeen <= this.#onlineMs && filter(miner)) return true;
    }
    return false;
  }

  /** Every miner that ever polled since start, newest first. */
  list(): MinerPresenceView[] {
    const now = this.#now();
    return [...this.#miners.entries()]
      .map(([operator, { request, lastSeen }]) => ({
        operator,
        models: request.models,
        hardware: request.hardware,
        lastSeen,
        online: now - lastSeen <= this.#onlineMs,
      }))
      .sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** Miners online now. */
  online(): MinerPresenceView[] {
    return this.list().filter((miner) => miner.online);
  }

  /** Models served by at least one online miner accepted by `filter`, sorted. */
  models(filter: (miner: Address) => boolean = () => true): string[] {
    const models = new Set<string>();
    for (const miner of this.online())
      if (filter(miner.operator)) for (const m of miner.models) models.add(m);
    return [...models].sort();
  }
}
