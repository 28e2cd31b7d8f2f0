import type { DigestSigner } from "@roost/chain";
import type { RoostDomainParams } from "@roost/protocol";
import type { Address, LocalAccount } from "viem";
import type { Backend } from "../backends/backend.js";
import { CoordinatorClient, type ResultResponse, type SignedReceipt } from "../coordinator/client.js";
import { CoordinatorSession } from "../coordinator/session.js";
import { AutoRedeemer, type RedemptionOptions } from "../earnings/auto-redeem.js";
import { receiptProblem, storedReceipt } from "../earnings/receipt-check.js";
import { MinerJournal } from "../journal/journal.js";
import { CapacityPool, type SharePolicy } from "../scheduling/capacity.js";
import { watchCoordinators } from "./coordinator-watch.js";
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
  /**
   * The account's key through libsecp256k1 (`createDigestSigner(privateKey)`), to sign TaskResults
   * in ~50 us instead of ~450 us; it must be the account's own key.
   */
  signer?: DigestSigner;
  /** The TaskResult and MinerLogin domain: chain id and the Disputes contract. */
  domain: RoostDomainParams;
  /** The Receipt domain: chain id and PaymentEscrow; receipts not signed for it are not kept. */
  receiptDomain: RoostDomainParams;
  /** The coordinators to work for at start (may be empty when `discovery` will find them). */
  coordinators: readonly CoordinatorTarget[];
  /** Reads the coordinators again every `intervalMs` and follows the changes. */
  discovery?: { load: () => Promise<readonly CoordinatorTarget[]>; intervalMs: number };
  /** Redeems receipts on chain by itself (threshold and schedule). */
  redemption?: RedemptionOptions;
  backends: readonly Backend[];
  /** The journal's SQLite file. */
  journalPath: string;
  logger: MinerLogger;
  sharePolicy?: SharePolicy;
  pollWaitMs?: number;
  /** How often each coordinator's latest receipt is fetched (results paid after a spot check). Default 15 s. */
  receiptRefreshMs?: number;
  hardware?: Record<string, string | number | boolean>;
  /** Each accepted result's answer, with the coordinator's updated receipt. */
  onReceipt?: (coordinator: Address, response: ResultResponse) => void;
  /** How long the outputs of accepted results stay in the journal (evidence in a dispute); 7 days. */
  outputRetentionMs?: number;
}

const DEFAULT_OUTPUT_RETENTION_MS = 7 * 86_400_000;

export interface MinerNode {
  readonly journal: MinerJournal;
  /** The coordinators the node polls now. */
  readonly sessions: readonly CoordinatorSession[];
  /**
   * Works for exactly these coordinators from now on: new ones are polled at once, ones gone stop being
   * polled (their running tasks still finish), and capacity shares follow the new stakes.
   */
  setCoordinators(targets: readonly CoordinatorTarget[]): void;
  /** Stops polling, lets running tasks give up, and closes the journal and backends. */
  stop(): Promise<void>;
}

/**
 * Starts a miner: works for every coordinator at once, each session first resuming what the journal
 * holds for it (resubmitting signed results; re-running interrupted tasks whose lease it still holds).
 */
export async function startMiner(options: MinerNodeOptions): Promise<MinerNode> {
  const { logger, account, signer } = options;
  if (signer !== undefined && signer.address.toLowerCase() !== account.address.toLowerCase()) {
    throw new Error(`the signer's key (${signer.address}) is not the account's (${account.address})`);
  }
  const journal = MinerJournal.open(options.journalPath);
  const controller = new AbortController();
  const signal = controller.signal;
  const policy = options.sharePolicy ?? "stake";
  const backends = options.backends.map((backend) => ({ backend, pool: new CapacityPool(backend.capacity) }));
  const redeemer =
    options.redemption === undefined
      ? undefined
      : new AutoRedeemer(journal, account.address, options.redemption, logger, signal);
  /** Keeps a receipt PaymentEscrow would pay (a newer total replaces the journal's). */
  const keep = (coordinator: Address, receipt: SignedReceipt) => {
    const expected = { coordinator, miner: account.address, domain: options.receiptDomain };
    const problem = receiptProblem(receipt, expected);
    if (problem === undefined) {
      const stored = storedReceipt(coordinator, receipt);
      journal.recordReceipt(stored);
      redeemer?.noteReceipt(coordinator, stored.cumulativeAmount);
    } else
      logger.warn(
        `coordinator ${coordinator} sent a receipt PaymentEscrow would not pay (${problem}): not kept`,
      );
  };
  const keepReceipt = (coordinator: Address, response: ResultResponse) => {
    if (response.receipt !== null) keep(coordinator, response.receipt);
    options.onReceipt?.(coordinator, response);
  };

  const running = new Set<string>();
  /** Current sessions by lower-case coordinator address, with the target each was made for. */
  const current = new Map<string, { session: CoordinatorSession; target: CoordinatorTarget }>();
  /** Sessions stopped while their tasks finish. */
  const leaving = new Set<Promise<void>>();

  const open = (target: CoordinatorTarget) => {
    const client = new CoordinatorClient({
      endpoint: target.endpoint,
      coordinator: target.address,
      account,
      domain: options.domain,
    });
    const session = new CoordinatorSession(client, {
      journal,
      account,
      ...(signer === undefined ? {} : { signer }),
      domain: options.domain,
      logger,
      signal,
      backends,
      running,
      hardware: options.hardware ?? {},
      pollWaitMs: options.pollWaitMs ?? 25_000,
      ...(options.receiptRefreshMs === undefined ? {} : { receiptRefreshMs: options.receiptRefreshMs }),
      onReceipt: (response: ResultResponse) => keepReceipt(target.address, response),
      onLatestReceipt: (receipt: SignedReceipt) => keep(target.address, receipt),
    });
    session.start();
    return session;
  };
  const close = (session: CoordinatorSession) => {
    session.stop();
    const closing = session.done().finally(() => {
      session.client.close();
      leaving.delete(closing);
    });
    leaving.add(closing);
  };

  const setCoordinators = (targets: readonly CoordinatorTarget[]) => {
    if (signal.aborted) return;
    const wanted = new Map(targets.map((t) => [t.address.toLowerCase(), t] as const));
    for (const [address, known] of current) {
      const next = wanted.get(address);
      if (next === undefined) {
        logger.info(`coordinator ${known.target.address} left the list: polling it no more`);
        close(known.session);
        current.delete(address);
      } else if (next.endpoint !== known.target.endpoint) {
        // The same session and client, repointed: its running tasks submit to the new endpoint too.
        logger.info(`coordinator ${known.target.address} moved to ${next.endpoint}`);
        known.session.client.setEndpoint(next.endpoint);
      }
    }
    for (const [address, target] of wanted) {
      const known = current.get(address);
      if (known !== undefined) {
        known.target = target;
        continue;
      }
      logger.info(`working for coordinator ${target.address} at ${target.endpoint}`);
      current.set(address, { session: open(target), target });
    }
    const stakes = new Map(targets.map((t) => [t.address, t.stake] as const));
    for (const { pool } of backends) pool.setShares(stakes, policy);
  };

  setCoordinators(options.coordinators);
  redeemer?.start();
  const retention = options.outputRetentionMs ?? DEFAULT_OUTPUT_RETENTION_MS;
  const prune = () => journal.pruneOutputs(Date.now() - retention);
  prune();
  const pruning = setInterval(prune, Math.min(retention, 3_600_000));
  const watching =
    options.discovery === undefined
      ? Promise.resolve()
      : watchCoordinators({ ...options.discovery, apply: setCoordinators, logger, signal });
  logger.info(
    `miner ${account.address} working for ${current.size} coordinator(s) with ${backends
      .map(({ backend }) => `${backend.kind} [${backend.models.join(", ")}] x${backend.capacity}`)
      .join(", ")}`,
  );

  return {
    journal,
    get sessions() {
      return [...current.values()].map(({ session }) => session);
    },
    setCoordinators,
    async stop() {
      controller.abort();
      clearInterval(pruning);
      await watching;
      for (const { session } of current.values()) close(session);
      current.clear();
      await Promise.all([...leaving]);
      await redeemer?.done();
      await Promise.all(options.backends.map((backend) => backend.close()));
      journal.close();
    },
  };
}
