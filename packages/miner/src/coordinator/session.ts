import type { LeasedTask } from "@roost/protocol";
import type { Backend } from "../backends/backend.js";
import { backoffDelay, sleep } from "../node/backoff.js";
import type { CapacityPool } from "../scheduling/capacity.js";
import { runTask, submitSigned, type TaskRunDeps } from "../tasks/run-task.js";
import { CoordinatorApiError, type CoordinatorClient, type SignedReceipt } from "./client.js";

export interface SessionOptions extends Omit<TaskRunDeps, "client"> {
  /** Each backend with the pool of its slots, shared by all sessions. */
  backends: readonly { backend: Backend; pool: CapacityPool }[];
  /** What the miner reports of its hardware with every poll. */
  hardware: Record<string, string | number | boolean>;
  /** The long-poll wait asked for; the coordinator caps it. */
  pollWaitMs: number;
  /**
   * Tasks running on this node, across sessions, as `coordinator:taskId` in lower case: a session that
   * resumes the journal leaves alone a task an earlier session for the same coordinator still runs.
   */
  running: Set<string>;
  /**
   * The coordinator's latest receipt, asked for every `receiptRefreshMs` (default 15 s) while the
   * session runs: a result under a spot check is paid after its answer came back, so only a fresh
   * receipt brings that pay (and the auto-redeemer would otherwise never see it).
   */
  onLatestReceipt?: (receipt: SignedReceipt) => void;
  receiptRefreshMs?: number;
}

/** How often the latest receipt is fetched, by default. */
const RECEIPT_REFRESH_MS = 15_000;

const taskKey = (coordinator: string, taskId: string) => `${coordinator}:${taskId}`.toLowerCase();

/**
 * The miner's life with one coordinator: log in, pick up what the journal holds for it (signed results
 * to resubmit, interrupted leases still held), long-poll for as many tasks as its backends have free
 * slots (within this coordinator's share), run each, and start over; on any failure, back off and log
 * in again. `stop()` ends the polling; tasks already leased run to their end.
 */
export class CoordinatorSession {
  readonly client: CoordinatorClient;
  readonly #options: SessionOptions;
  readonly #tasks = new Set<Promise<void>>();
  readonly #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  /** When the latest receipt was last asked for (ms; 0: never). */
  #receiptAt = 0;

  constructor(client: CoordinatorClient, options: SessionOptions) {
    this.client = client;
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling this coordinator; running tasks go on until they are submitted. */
  stop(): void {
    this.#stopped.abort();
  }

  /** Resolves when the loop has ended and the tasks it started have finished. */
  async done(): Promise<void> {
    await this.#loop;
    await Promise.all(this.#tasks);
  }

  /** Runs a task leased to this session, counted against its backend's pool. */
  track(backend: { backend: Backend; pool: CapacityPool }, task: LeasedTask): void {
    const key = taskKey(this.client.coordinator, task.id);
    backend.pool.take(this.client.coordinator);
    this.#options.running.add(key);
    this.#background(
      runTask({ ...this.#options, client: this.client }, backend.backend, task).finally(() => {
        backend.pool.release(this.client.coordinator);
        this.#options.running.delete(key);
      }),
    );
  }

  #background(work: Promise<void>): void {
    const tracked = work.finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    const signal = AbortSignal.any([this.#options.signal, this.#stopped.signal]);
    let failures = 0;
    let resumed = false;
    while (!signal.aborted) {
      let loggingIn = false;
      try {
        if (!this.client.loggedIn) {
          loggingIn = true;
          await this.client.login();
          loggingIn = false;
          logger.info(`logged in to ${this.#name}`);
        }
        if (!resumed) {
          await this.#resume();
          resumed = true;
        }
        // Polls name every model served, so the coordinator (and its apps) always see them all; a task
        // for a backend whose slots are all taken waits in that backend, its lease kept alive.
        const backends = this.#options.backends;
        const slots = Math.min(
          64,
          backends.reduce((sum, { pool }) => sum + pool.free(this.client.coordinator), 0),
        );
        if (slots === 0) {
          await Promise.race(backends.map(({ pool }) => pool.changed(signal)));
          continue;
        }
        const tasks = await this.client.poll(
          {
            slots,
            models: backends.flatMap(({ backend }) => backend.models),
            waitMs: this.#options.pollWaitMs,
            hardware: this.#options.hardware,
          },
          signal,
        );
        failures = 0;
        for (const task of tasks) this.#accept(task);
        await this.#refreshReceipt();
      } catch (error) {
        if (signal.aborted) break;
        // A session that ended is renewed at once; a refused login (bad signature, unknown miner) is
        // retried with backoff like any other failure, never in a tight loop.
        if (!loggingIn && error instanceof CoordinatorApiError && error.sessionLost) {
          logger.info(`${this.#name}: session ended (${error.detail}); logging in again`);
          continue;
        }
        const delay = backoffDelay(failures++);
        logger.warn(`${this.#name}: ${(error as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await sleep(delay, signal);
      }
    }
  }

  /** Fetches the latest receipt when the last fetch is older than the refresh period (none yet: 404). */
  async #refreshReceipt(): Promise<void> {
    const { onLatestReceipt, receiptRefreshMs = RECEIPT_REFRESH_MS } = this.#options;
    if (onLatestReceipt === undefined || Date.now() - this.#receiptAt < receiptRefreshMs) return;
    this.#receiptAt = Date.now();
    try {
      onLatestReceipt(await this.client.receipt());
    } catch (error) {
      // Nothing earned here yet (404), or a failed read: the next refresh asks again.
      if (!(error instanceof CoordinatorApiError)) throw error;
    }
  }

  /**
   * What a previous life of the node left in the journal for this coordinator: signed results are
   * resubmitted (the same bytes, never signed again); an interrupted task runs again only if the
   * coordinator still extends its lease, else it has gone to another miner and is dropped.
   */
  async #resume(): Promise<void> {
    const { journal, logger, running } = this.#options;
    const coordinator = this.client.coordinator.toLowerCase();
    // Only this coordinator's entries, and none whose task still runs here (that run submits it).
    const ours = (entryCoordinator: string, taskId: string) =>
      entryCoordinator.toLowerCase() === coordinator && !running.has(taskKey(coordinator, taskId));
    const pending = journal.unsubmitted().filter((r) => ours(r.coordinator, r.taskId));
    const interrupted = journal.unsignedLeases().filter((l) => ours(l.coordinator, l.task.id));
    if (pending.length + interrupted.length === 0) return;
    logger.info(
      `journal: ${pending.length} signed result(s) to resubmit and ${interrupted.length} interrupted task(s) for coordinator ${this.client.coordinator}`,
    );
    for (const signed of pending) {
      this.#background(submitSigned({ ...this.#options, client: this.client }, signed));
    }
    for (const { task } of interrupted) {
      const backend = this.#backendFor(task.input.model);
      try {
        if (backend === undefined) throw new Error(`this miner no longer serves ${task.input.model}`);
        const { leaseExpiresAt } = await this.client.progress(task.id, {});
        this.track(backend, { ...task, leaseExpiresAt });
        logger.info(`task ${task.id}: lease still held; running it again`);
      } catch (error) {
        journal.dropLease(this.client.coordinator, task.id);
        const why = error instanceof CoordinatorApiError ? error.detail : (error as Error).message;
        logger.info(`task ${task.id}: dropped after restart (${why})`);
      }
    }
  }

  /** For logs: the endpoint may change while the session runs. */
  get #name(): string {
    return `coordinator ${this.client.coordinator} (${this.client.endpoint})`;
  }

  #backendFor(model: string) {
    return this.#options.backends.find(({ backend }) => backend.models.includes(model));
  }

  #accept(task: LeasedTask): void {
    if (this.#options.running.has(taskKey(this.client.coordinator, task.id))) return; // already running here
    const backend = this.#backendFor(task.input.model);
    if (backend !== undefined) {
      this.track(backend, task);
      return;
    }
    // Cannot happen with an honest coordinator (polls name the models); give it straight back.
    void this.client.fail(task.id, `this miner serves no model ${task.input.model}`).catch(() => undefined);
  }
}
