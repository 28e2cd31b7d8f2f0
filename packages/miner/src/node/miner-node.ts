import type { RoostDomainParams } from "@roost/protocol";
import type { Address, LocalAccount } from "viem";
import type { Backend } from "../backends/backend.js";
import { CoordinatorApiError, CoordinatorClient, type ResultResponse } from "../coordinator/client.js";
import { CoordinatorSession } from "../coordinator/session.js";
import { MinerJournal } from "../journal/journal.js";
import { CapacityPool, type SharePolicy } from "../scheduling/capacity.js";
import { submitSigned } from "../tasks/run-task.js";
import type { MinerLogger } from "./logger.js";

/** A coordinator the miner works for: its operator address, API endpoint and stake (for its share). */
export interface CoordinatorTarget {
  address: Address;
  endpoint: string;
  /** Total stake in CAI base units; weighs its share of the miner's capacity under "stake". */
  stake: bigint;
}

export interface MinerNodeOptions {
  account: LocalAccount;
  /** The TaskResult and MinerLogin domain: chain id and the Disputes contract. */
  domain: RoostDomainParams;
  coordinators: readonly CoordinatorTarget[];
  backends: readonly Backend[];
  /** The journal's SQLite file. */
  journalPath: string;
  logger: MinerLogger;
  sharePolicy?: SharePolicy;
  pollWaitMs?: number;
  hardware?: Record<string, string | number | boolean>;
  /** Each accepted result's answer, with the coordinator's updated receipt. */
  onReceipt?: (coordinator: Address, response: ResultResponse) => void;
}

export interface MinerNode {
  readonly journal: MinerJournal;
  readonly sessions: readonly CoordinatorSession[];
  /** Stops polling, lets running tasks give up, and closes the journal and backends. */
  stop(): Promise<void>;
}

/**
 * Starts a miner: resumes what the journal holds (resubmits signed results; re-runs interrupted tasks
 * whose lease it can still extend), then works for every coordinator at once.
 */
export async function startMiner(options: MinerNodeOptions): Promise<MinerNode> {
  const { logger } = options;
  const journal = MinerJournal.open(options.journalPath);
  const controller = new AbortController();
  const stakes = new Map(options.coordinators.map((c) => [c.address, c.stake] as const));
  const backends = options.backends.map((backend) => {
    const pool = new CapacityPool(backend.capacity);
    pool.setShares(stakes, options.sharePolicy ?? "stake");
    return { backend, pool };
  });
  const keepReceipt = (coordinator: Address, response: ResultResponse) => {
    const { receipt } = response;
    if (receipt !== null) {
      journal.recordReceipt({
        coordinator,
        cumulativeAmount: BigInt(receipt.cumulativeAmount),
        signature: receipt.signature,
        tasks: receipt.tasks,
      });
    }
    options.onReceipt?.(coordinator, response);
  };
  const sessions = options.coordinators.map((target) => {
    const client = new CoordinatorClient({
      endpoint: target.endpoint,
      coordinator: target.address,
      account: options.account,
      domain: options.domain,
    });
    return new CoordinatorSession(client, {
      journal,
      account: options.account,
      domain: options.domain,
      logger,
      signal: controller.signal,
      backends,
      hardware: options.hardware ?? {},
      pollWaitMs: options.pollWaitMs ?? 25_000,
      onReceipt: (response: ResultResponse) => keepReceipt(target.address, response),
    });
  });
  const byCoordinator = new Map(sessions.map((s) => [s.client.coordinator.toLowerCase(), s] as const));

  const resuming = resume(journal, byCoordinator, backends, logger, controller.signal, options, keepReceipt);
  for (const session of sessions) session.start();
  logger.info(
    `miner ${options.account.address} working for ${sessions.length} coordinator(s) with ${backends
      .map(({ backend }) => `${backend.kind} [${backend.models.join(", ")}] x${backend.capacity}`)
      .join(", ")}`,
  );

  return {
    journal,
    sessions,
    async stop() {
      controller.abort();
      await resuming;
      await Promise.all(sessions.map((session) => session.done()));
      for (const session of sessions) session.client.close();
      await Promise.all(options.backends.map((backend) => backend.close()));
      journal.close();
    },
  };
}

/** What a previous life of the node left in the journal, picked up again. */
async function resume(
  journal: MinerJournal,
  sessions: ReadonlyMap<string, CoordinatorSession>,
  backends: readonly { backend: Backend; pool: CapacityPool }[],
  logger: MinerLogger,
  signal: AbortSignal,
  options: MinerNodeOptions,
  keepReceipt: (coordinator: Address, response: ResultResponse) => void,
): Promise<void> {
  const pending = journal.unsubmitted();
  const interrupted = journal.unsignedLeases();
  if (pending.length + interrupted.length === 0) return;
  logger.info(
    `journal: ${pending.length} signed result(s) to resubmit, ${interrupted.length} interrupted task(s)`,
  );
  const deps = { journal, account: options.account, domain: options.domain, logger, signal };
  await Promise.all(
    pending.map(async (signed) => {
      const session = sessions.get(signed.coordinator.toLowerCase());
      if (session === undefined) return; // a coordinator no longer served: kept, sent if it returns
      const onReceipt = (response: ResultResponse) => keepReceipt(session.client.coordinator, response);
      await submitSigned({ ...deps, client: session.client, onReceipt }, signed);
    }),
  );
  for (const { coordinator, task } of interrupted) {
    const session = sessions.get(coordinator.toLowerCase());
    const backend = backends.find(({ backend }) => backend.models.includes(task.input.model));
    if (session === undefined || backend === undefined) {
      journal.dropLease(coordinator, task.id);
      continue;
    }
    try {
      // Still ours only if the coordinator extends the lease; else it has gone to another miner.
      if (!session.client.loggedIn) await session.client.login();
      const { leaseExpiresAt } = await session.client.progress(task.id, {});
      session.track(backend, { ...task, leaseExpiresAt });
      logger.info(`task ${task.id}: lease still held; running it again`);
    } catch (error) {
      journal.dropLease(coordinator, task.id);
      const why = error instanceof CoordinatorApiError ? error.detail : (error as Error).message;
      logger.info(`task ${task.id}: dropped after restart (${why})`);
    }
  }
}
