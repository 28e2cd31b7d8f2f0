import type { Address } from "viem";
import { cryptoRandom, type Random, WeightedSampler } from "../scheduling/weighted-sampler.js";
import type { Task } from "../store/task-record.js";
import type { TaskStore } from "../store/tasks.js";
import { MinerPresence, type PollRequest } from "./presence.js";
import type { TaskEvents } from "./task-events.js";

/** How the dispatcher sees the chain: who may work and with what weight (the MinerRegistry). */
export interface StakeView {
  eligible(operator: Address): boolean;
  /** Sampling weight, proportional to stake; 0 = never chosen. */
  weight(operator: Address): number;
  /** The owner of a registered miner operator (spot checks run on another owner's miner). */
  owner(operator: Address): Address | undefined;
}

export interface DispatcherOptions {
  tasks: TaskStore;
  events: TaskEvents;
  stakes: StakeView;
  /** Lease length; a miner extends it with progress calls. Default 30 s. */
  leaseMs?: number;
  /** How long a miner that failed a task or let a lease lapse gets no work. Default 10 s. */
  cooldownMs?: number;
  /** A miner counts as online this long after its last poll. Default 60 s. */
  onlineMs?: number;
  random?: Random;
  now?: () => number;
}

interface Waiter {
  miner: Address;
  request: PollRequest;
  /** Tasks leased to this poll so far; it is answered when full or at the end of the event-loop turn. */
  handed: Task[];
  answering: boolean;
  resolve: (tasks: Task[]) => void;
}

/**
 * Hands tasks to miners. Miners long-poll; a miner waiting with a free slot is in a stake-weighted
 * sampler, and each new or requeued task goes to one of the waiting miners that serve its model, drawn
 * with probability proportional to stake (O(log n)). A poll is answered once its slots are full or at
 * the end of the event-loop turn, so a burst of tasks reaches a miner in one answer rather than one
 * poll per task. When no miner waits, the task stays queued in the store and the next miner to poll
 * takes the oldest queued tasks it can serve.
 */
export class Dispatcher {
  readonly presence: MinerPresence;
  readonly leaseMs: number;
  readonly #tasks: TaskStore;
  readonly #events: TaskEvents;
  readonly #stakes: StakeView;
  readonly #cooldownMs: number;
  readonly #random: Random;
  readonly #now: () => number;
  readonly #waiting = new WeightedSampler<Address>();
  readonly #waiters = new Map<Address, Waiter>();
  readonly #coolUntil = new Map<Address, number>();
  /** Miners that already failed a task, so its next attempt prefers someone else. */
  readonly #tried = new Map<string, Set<Address>>();
  /**
   * Whether a restricted task (a spot-check run) may wait in the queue: while false, polls skip its
   * query. Set by anything that can queue one (an offer, a requeue, a release; true after a restart).
   */
  #restrictedMaybe = true;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#tasks = options.tasks;
    this.#events = options.events;
    this.#stakes = options.stakes;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.#cooldownMs = options.cooldownMs ?? 10_000;
    this.#random = options.random ?? cryptoRandom;
    this.#now = options.now ?? Date.now;
    this.presence = new MinerPresence(options.onlineMs ?? 60_000, this.#now);
  }

  /**
   * For a task about to be stored: a waiting miner serving `model`, drawn by stake, to store it
   * already leased to (then {@link handOver} it), or undefined to store it queued and {@link offer} it.
   */
  pick(model: string): { miner: Address; leaseMs: number } | undefined {
    if (this.#closed || this.#waiting.size === 0) return undefined;
    const miner = this.#waiting.sampleWhere((key) => this.#serves(key, model), this.#random);
    return miner === undefined ? undefined : { miner, leaseMs: this.leaseMs };
  }

  /** A new task was stored leased to the miner {@link pick} chose: add it to that miner's poll. */
  handOver(task: Task): void {
    const miner = task.leasedTo as Address;
    if (task.status === "leased" && this.#waiters.has(miner)) {
      this.#hand(miner, task);
      return;
    }
    // The poll ended in between (not expected: pick and handOver run in one turn): queue it again.
    if (task.status === "leased") this.returnUnseen(task.id, miner, "the miner's poll ended before it");
  }

  /**
   * A task leased to `miner` that never reached it goes back to the queue without spending an attempt,
   * and is offered again; false if `miner` no longer holds it.
   */
  returnUnseen(taskId: string, miner: Address, reason: string): boolean {
    if (!this.#tasks.release(taskId, miner)) return false;
    this.#restrictedMaybe = true;
    this.#events.emit({ type: "requeued", taskId, reason });
    const queued = this.#tasks.get(taskId);
    if (queued !== undefined) this.offer(queued);
    return true;
  }

  /** A task was just stored as queued (new, or back from a miner): offer it to a waiting miner. */
  offer(task: Task): void {
    if (task.excludedOwners !== null) this.#restrictedMaybe = true;
    if (this.#closed || task.status !== "queued" || this.#waiting.size === 0) return;
    const tried = this.#tried.get(task.id);
    const serves = (miner: Address) => this.#serves(miner, task.model) && this.#allowed(task, miner);
    const miner =
      this.#waiting.sampleWhere((key) => serves(key) && !tried?.has(key), this.#random) ??
      (tried === undefined ? undefined : this.#waiting.sampleWhere(serves, this.#random));
    if (miner === undefined) return;
    const leased = this.#tasks.assign(task.id, miner, this.leaseMs, this.#now());
    if (leased === undefined) return; // taken meanwhile by a polling miner
    this.#hand(miner, leased);
  }

  /**
   * A miner asks for up to `request.slots` tasks of `request.models`. Answers at once with queued
   * tasks, else waits up to `waitMs` for one to be offered; [] on timeout, abort or shutdown.
   */
  async poll(miner: Address, request: PollRequest, waitMs: number, signal?: AbortSignal): Promise<Task[]> {
    this.presence.seen(miner, request);
    this.#release(miner); // a newer poll replaces an older one
    if (this.#closed || request.slots === 0 || !this.#stakes.eligible(miner)) return [];
    if (!this.#cooling(miner) && request.models.length > 0) {
      // Spot checks first: they wait for an independent miner, while any miner may take the rest.
      const leased = this.#restrictedMaybe ? this.#leaseRestricted(miner, request) : [];
      if (this.#restrictedMaybe && leased.length === 0 && !this.#tasks.anyRestrictedQueued()) {
        this.#restrictedMaybe = false;
      }
      if (leased.length < request.slots) {
        leased.push(
          ...this.#tasks.lease({
            miner,
            models: request.models,
            limit: request.slots - leased.length,
            leaseMs: this.leaseMs,
            now: this.#now(),
          }),
        );
      }
      if (leased.length > 0) {
        for (const task of leased) this.#events.emit({ type: "leased", task });
        return leased;
      }
    }
    if (waitMs <= 0 || signal?.aborted) return [];
    // A cooling miner's poll ends with its cooldown, so its next poll takes the work queued meanwhile.
    const wait = Math.min(waitMs, this.#cooldownLeft(miner) || waitMs);
    return new Promise<Task[]>((resolve) => {
      const timer = setTimeout(() => this.#release(miner), wait);
      const onAbort = () => this.#release(miner);
      signal?.addEventListener("abort", onAbort, { once: true });
      const waiter: Waiter = {
        miner,
        request,
        handed: [],
        answering: false,
        resolve: (tasks) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(tasks);
        },
      };
      this.#waiters.set(miner, waiter);
      this.#waiting.set(miner, this.#stakes.weight(miner));
    });
  }

  /**
   * Whether an online, eligible miner serving `model` belongs to none of `excludedOwners`: a spot check
   * drawn when no such miner exists could only time out.
   */
  canPlace(model: string, excludedOwners: readonly string[]): boolean {
    return this.presence.serves(model, (miner) => {
      const owner = this.#stakes.owner(miner);
      return (
        owner !== undefined && this.#stakes.eligible(miner) && !excludedOwners.includes(owner.toLowerCase())
      );
    });
  }

  /** The miner failed a task or let its lease lapse: no work for it for a while. */
  cooldown(miner: Address, taskId?: string): void {
    this.#coolUntil.set(miner, this.#now() + this.#cooldownMs);
    if (taskId === undefined) return;
    const id = taskId.toLowerCase();
    let tried = this.#tried.get(id);
    if (tried === undefined) {
      tried = new Set();
      this.#tried.set(id, tried);
    }
    tried.add(miner);
  }

  /** The task reached a final state: forget the per-task bookkeeping. */
  settled(taskId: string): void {
    this.#tried.delete(taskId.toLowerCase());
  }

  /** Re-reads a miner's stake weight (after a registry change). */
  reweigh(miner: Address): void {
    if (!this.#waiters.has(miner)) return;
    if (this.#stakes.eligible(miner)) this.#waiting.set(miner, this.#stakes.weight(miner));
    else this.#release(miner);
  }

  /** Ends expired leases: requeued tasks are offered again, failed ones announced. */
  sweep(): { requeued: number; failed: number } {
    const { requeued, failed, holders } = this.#tasks.requeueExpired(this.#now());
    if (requeued.length > 0) this.#restrictedMaybe = true;
    // A miner that let a lease lapse is cooled down first, so the task's next offer skips it.
    for (const [id, miner] of Object.entries(holders)) this.cooldown(miner as Address, id);
    for (const id of failed) {
      const task = this.#tasks.get(id);
      if (task === undefined) continue;
      this.settled(id);
      this.#events.emit({ type: "failed", task });
    }
    for (const id of requeued) {
      this.#events.emit({ type: "requeued", taskId: id, reason: "lease expired" });
      const task = this.#tasks.get(id);
      if (task !== undefined) this.offer(task);
    }
    return { requeued: requeued.length, failed: failed.length };
  }

  /** Miners waiting in a long poll right now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Answers every waiting poll (with the tasks already handed to it, if any) and takes no more. */
  close(): void {
    this.#closed = true;
    for (const miner of [...this.#waiters.keys()]) this.#release(miner);
  }

  /** Adds a task leased to `miner` to its waiting poll, which stays in the draw while it has room. */
  #hand(miner: Address, task: Task): void {
    const waiter = this.#waiters.get(miner) as Waiter;
    waiter.handed.push(task);
    this.#events.emit({ type: "leased", task });
    if (waiter.handed.length >= waiter.request.slots) {
      this.#release(miner);
    } else if (!waiter.answering) {
      waiter.answering = true;
      setImmediate(() => {
        if (this.#waiters.get(miner) === waiter) this.#release(miner);
      });
    }
  }

  /** Leases to `miner` the queued restricted tasks (spot checks) its owner's miners may run. */
  #leaseRestricted(miner: Address, request: PollRequest): Task[] {
    const owner = this.#stakes.owner(miner);
    if (owner === undefined) return [];
    const leased: Task[] = [];
    for (const task of this.#tasks.restrictedQueued(request.models, owner, request.slots)) {
      const taken = this.#tasks.assign(task.id, miner, this.leaseMs, this.#now());
      if (taken !== undefined) leased.push(taken);
    }
    return leased;
  }

  /** Whether `miner` may run `task`: any miner, unless the task excludes its owner's miners. */
  #allowed(task: Task, miner: Address): boolean {
    if (task.excludedOwners === null) return true;
    const owner = this.#stakes.owner(miner);
    return owner !== undefined && !task.excludedOwners.includes(owner.toLowerCase());
  }

  /** Answers the miner's waiting poll with what it was handed so far (maybe nothing). */
  #release(miner: Address): void {
    const waiter = this.#waiters.get(miner);
    if (waiter === undefined) return;
    this.#waiters.delete(miner);
    this.#waiting.delete(miner);
    waiter.resolve(waiter.handed);
  }

  /** Whether `miner` waits with `model` among its models and is not cooling down. */
  #serves(miner: Address, model: string): boolean {
    const waiter = this.#waiters.get(miner);
    return (waiter?.request.models.includes(model) ?? false) && !this.#cooling(miner);
  }

  /** Milliseconds of cooldown left; 0 when the miner may work. */
  #cooldownLeft(miner: Address): number {
    return this.#cooling(miner) ? (this.#coolUntil.get(miner) as number) - this.#now() : 0;
  }

  #cooling(miner: Address): boolean {
    const until = this.#coolUntil.get(miner);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#coolUntil.delete(miner);
    return false;
  }
}
