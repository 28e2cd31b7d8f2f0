import type { LeasedTask } from "@roost/protocol";
import type { Backend } from "../backends/backend.js";
import { backoffDelay, sleep } from "../node/backoff.js";
import type { CapacityPool } from "../scheduling/capacity.js";
import { runTask, type TaskRunDeps } from "../tasks/run-task.js";
import { CoordinatorApiError, type CoordinatorClient } from "./client.js";

export interface SessionOptions extends Omit<TaskRunDeps, "client"> {
  /** Each backend with the pool of its slots, shared by all sessions. */
  backends: readonly { backend: Backend; pool: CapacityPool }[];
  /** What the miner reports of its hardware with every poll. */
  hardware: Record<string, string | number | boolean>;
  /** The long-poll wait asked for; the coordinator caps it. */
  pollWaitMs: number;
}

/**
 * The miner's life with one coordinator: log in, long-poll for as many tasks as its backends have
 * free slots (within this coordinator's share), run each, and start over; on any failure, back off
 * and log in again. Ends when the node's signal aborts, after the running tasks are done.
 */
export class CoordinatorSession {
  readonly client: CoordinatorClient;
  readonly #options: SessionOptions;
  readonly #running = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;

  constructor(client: CoordinatorClient, options: SessionOptions) {
    this.client = client;
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Resolves when the loop has ended and the tasks it started have finished. */
  async done(): Promise<void> {
    await this.#loop;
    await Promise.all(this.#running);
  }

  /** Runs a task leased to this session, counted against its backend's pool. */
  track(backend: { backend: Backend; pool: CapacityPool }, task: LeasedTask): void {
    backend.pool.take(this.client.coordinator);
    const run = runTask({ ...this.#options, client: this.client }, backend.backend, task).finally(() => {
      backend.pool.release(this.client.coordinator);
      this.#running.delete(run);
    });
    this.#running.add(run);
  }

  async #run(): Promise<void> {
    const { signal, logger } = this.#options;
    const name = `coordinator ${this.client.coordinator} (${this.client.endpoint})`;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!this.client.loggedIn) {
          await this.client.login();
          logger.info(`logged in to ${name}`);
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
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof CoordinatorApiError && error.sessionLost) {
          logger.info(`${name}: session ended (${error.detail}); logging in again`);
          continue;
        }
        const delay = backoffDelay(failures++);
        logger.warn(`${name}: ${(error as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await sleep(delay, signal);
      }
    }
  }

  #accept(task: LeasedTask): void {
    const backend = this.#options.backends.find(({ backend }) => backend.models.includes(task.input.model));
    if (backend !== undefined) {
      this.track(backend, task);
      return;
    }
    // Cannot happen with an honest coordinator (polls name the models); give it straight back.
    void this.client.fail(task.id, `this miner serves no model ${task.input.model}`).catch(() => undefined);
  }
}
