import type { DigestSigner } from "@roost/chain";
import type { LeasedTask, RoostDomainParams } from "@roost/protocol";
import type { Hex, LocalAccount } from "viem";
import { type Backend, BackendTaskError } from "../backends/backend.js";
import { CoordinatorApiError, type CoordinatorClient, type ResultResponse } from "../coordinator/client.js";
import type { JournalResult, MinerJournal } from "../journal/journal.js";
import { backoffDelay, sleep } from "../node/backoff.js";
import type { MinerLogger } from "../node/logger.js";
import { signOnce } from "./sign-once.js";

export interface TaskRunDeps {
  client: CoordinatorClient;
  journal: MinerJournal;
  account: LocalAccount;
  /** The account's key through libsecp256k1, for the TaskResult signatures (see signOnce). */
  signer?: DigestSigner;
  domain: RoostDomainParams;
  logger: MinerLogger;
  /** Aborted when the node stops: running tasks give up (their leases run out and go elsewhere). */
  signal: AbortSignal;
  /** Called with each accepted result's receipt. */
  onReceipt?: (response: ResultResponse) => void;
}

/** Lease extensions a task sends per lease period while it runs without other progress to report. */
const HEARTBEATS_PER_LEASE = 3;

/**
 * Runs one leased task to its end: backend run with streamed deltas and progress (each extends the
 * lease), the signature through the journal, the submission retried until the coordinator answers.
 * A backend failure gives the task back with the reason; a lost lease abandons it.
 */
export async function runTask(deps: TaskRunDeps, backend: Backend, task: LeasedTask): Promise<void> {
  const { client, journal, logger } = deps;
  journal.recordLease(client.coordinator, task);
  const abort = new AbortController();
  const stop = () => abort.abort();
  deps.signal.addEventListener("abort", stop, { once: true });

  // Deltas and progress go out in order, one request at a time; a refusal means the lease is gone.
  let outgoing: Promise<void> = Promise.resolve();
  let lastSent = Date.now();
  const send = (progress: { delta?: string; fraction?: number }) => {
    lastSent = Date.now();
    outgoing = outgoing.then(async () => {
      if (abort.signal.aborted) return;
      try {
        // The new expiry is not journaled: a restarted node asks the coordinator whether it still holds
        // the lease, which is the only answer that counts (and spares a disk sync per streamed token).
        await client.progress(task.id, progress);
      } catch (error) {
        if (error instanceof CoordinatorApiError && error.status === 409) {
          logger.warn(`task ${task.id}: lease lost (${error.detail}); abandoning it`);
          abort.abort();
        } else logger.warn(`task ${task.id}: progress not delivered: ${(error as Error).message}`);
      }
    });
  };
  // The expiry is the coordinator's clock: capped, so a miner whose clock runs behind still extends
  // the lease often enough.
  const leaseMs = Math.min(30_000, Math.max(3000, task.leaseExpiresAt - Date.now()));
  const heartbeat = setInterval(
    () => {
      if (Date.now() - lastSent >= leaseMs / HEARTBEATS_PER_LEASE) send({});
    },
    leaseMs / HEARTBEATS_PER_LEASE / 2,
  );

  try {
    const output = await backend
      .run(task.input, {
        signal: abort.signal,
        ...(task.stream ? { onDelta: (text: string) => send({ delta: text }) } : {}),
        onProgress: (fraction) => {
          if (Date.now() - lastSent >= 250) send({ fraction });
        },
      })
      .finally(() => clearInterval(heartbeat)); // the lease needs no extending past the run
    await outgoing;
    if (abort.signal.aborted) {
      await abandon(deps, task.id);
      return;
    }
    const signed = await signOnce({ ...deps, coordinator: client.coordinator, task, output });
    await submitSigned(deps, signed);
  } catch (error) {
    await outgoing;
    if (abort.signal.aborted) {
      await abandon(deps, task.id);
      return;
    }
    journal.dropLease(client.coordinator, task.id);
    const reason =
      error instanceof BackendTaskError ? error.message : `${backend.kind} backend: ${String(error)}`;
    logger.warn(`task ${task.id} failed: ${reason}`);
    await client.fail(task.id, reason).catch((failError: unknown) => {
      logger.warn(`task ${task.id}: could not give it back: ${(failError as Error).message}`);
    });
  } finally {
    clearInterval(heartbeat); // also when run() threw before returning its promise
    deps.signal.removeEventListener("abort", stop);
  }
}

/** How long a stopping node waits for a coordinator to take back a task it gives up. */
const GIVE_BACK_MS = 2000;

/**
 * Forgets a task this node stopped running. When the node itself is stopping (not a lost lease), the
 * task is given back so the coordinator hands it to another miner now rather than when the lease runs
 * out; a coordinator that does not answer within GIVE_BACK_MS is not waited for.
 */
async function abandon(deps: TaskRunDeps, taskId: Hex): Promise<void> {
  const { client, journal } = deps;
  journal.dropLease(client.coordinator, taskId);
  if (!deps.signal.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.fail(taskId, "the miner is stopping").catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, GIVE_BACK_MS);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Sends a journaled result until the coordinator answers it: accepted (or a refusal, which no retry
 * changes) settles it; a network error or 5xx retries with backoff, the same signed bytes each time.
 */
export async function submitSigned(deps: TaskRunDeps, signed: JournalResult): Promise<void> {
  const { client, journal, logger } = deps;
  for (let attempt = 0; ; attempt++) {
    let response: ResultResponse;
    try {
      // While this one waited to retry, another path may have delivered it: never send it twice.
      if (attempt > 0 && journal.isSubmitted(client.coordinator, signed.taskId)) return;
      if (!client.loggedIn) await client.login();
      response = await client.submit(signed.taskId, signed.body);
      journal.markSubmitted(client.coordinator, signed.taskId);
    } catch (error) {
      const api = error instanceof CoordinatorApiError ? error : undefined;
      // A refusal no retry changes; a timeout (408) or a rate limit (429) is retried like a 5xx.
      const final =
        api !== undefined && !api.sessionLost && api.status < 500 && api.status !== 408 && api.status !== 429;
      if (final) {
        logger.warn(`task ${signed.taskId}: result refused: ${api.message}`);
        journal.markSubmitted(client.coordinator, signed.taskId);
        return;
      }
      if (deps.signal.aborted) return;
      const delay = backoffDelay(attempt);
      logger.warn(
        `task ${signed.taskId}: result not delivered (${(error as Error).message}); retrying in ${delay} ms`,
      );
      await sleep(delay, deps.signal);
      continue;
    }
    try {
      deps.onReceipt?.(response);
    } catch (error) {
      logger.warn(
        `task ${signed.taskId}: the coordinator's receipt was not kept: ${(error as Error).message}`,
      );
    }
    return;
  }
}
