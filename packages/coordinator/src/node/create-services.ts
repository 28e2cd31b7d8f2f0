import { createDigestSigner } from "@roost/chain";
import type { RoostDomainParams } from "@roost/protocol";
import type { Address, Hex } from "viem";
import type { CoordinatorConfig } from "../config.js";
import { Dispatcher } from "../dispatch/dispatcher.js";
import { TaskEvents } from "../dispatch/task-events.js";
import { CoordinatorMetrics } from "../ops/metrics.js";
import { EarningsBook } from "../payments/earnings.js";
import type { EscrowStatus } from "../payments/escrow-watch.js";
import { parsePriceTable } from "../payments/prices.js";
import { cryptoRandom } from "../scheduling/weighted-sampler.js";
import type { ChainView, CoordinatorServices } from "../services.js";
import { ApiKeyStore } from "../store/api-keys.js";
import type { StoreDatabase } from "../store/database.js";
import { EquivocationStore } from "../store/equivocations.js";
import { MinerTrustStore } from "../store/miner-trust.js";
import { SessionStore } from "../store/sessions.js";
import { SlashProposalStore } from "../store/slash-proposals.js";
import { SpotCheckStore } from "../store/spot-checks.js";
import { TaskStore } from "../store/tasks.js";
import { SpotChecker } from "../verification/spot-checker.js";
import { TrustBook } from "../verification/trust.js";

export interface CreateServicesOptions {
  config: Pick<CoordinatorConfig, "limits" | "leaseMs" | "cooldownMs" | "prices" | "verification">;
  db: StoreDatabase;
  chain: ChainView;
  /** The coordinator operator's private key: signs receipts. */
  operatorKey: Hex;
  chainId: number;
  contracts: { Disputes: Address; PaymentEscrow: Address };
  /** Escrow figures for /metrics, when an escrow watch runs (read at scrape time). */
  escrow?: () => EscrowStatus;
}

/** Wires the stores, the dispatcher, payments and metrics of one coordinator around an open database. */
export function createServices(
  options: CreateServicesOptions,
): CoordinatorServices & { earnings: EarningsBook } {
  const { config, db, chain } = options;
  const signer = createDigestSigner(options.operatorKey);
  const disputesDomain: RoostDomainParams = {
    chainId: options.chainId,
    verifyingContract: options.contracts.Disputes,
  };
  const escrowDomain: RoostDomainParams = {
    chainId: options.chainId,
    verifyingContract: options.contracts.PaymentEscrow,
  };
  const tasks = new TaskStore(db);
  const events = new TaskEvents();
  const dispatcher = new Dispatcher({
    tasks,
    events,
    stakes: chain,
    leaseMs: config.leaseMs,
    cooldownMs: config.cooldownMs,
  });
  const earnings = new EarningsBook(db, parsePriceTable(config.prices), signer, signer.address, escrowDomain);
  const { verification } = config;
  const slashProposals = new SlashProposalStore(db);
  const spotChecks = new SpotChecker({
    db,
    tasks,
    dispatcher,
    chain,
    earnings,
    trust: new TrustBook(verification, cryptoRandom, new MinerTrustStore(db)),
    checks: new SpotCheckStore(db),
    proposals: slashProposals,
    domain: disputesDomain,
    coordinator: signer.address,
    slashBps: verification.slashBps,
    checkTimeoutMs: verification.checkTimeoutMs,
    maxAttempts: config.limits.maxAttempts,
  });
  const metrics = new CoordinatorMetrics({
    taskCounts: () => tasks.countsByStatus(),
    minersOnline: () => dispatcher.presence.online().length,
    minersWaiting: () => dispatcher.waiting,
    chain: () => chain.status(),
    earnings: () => earnings.totals(),
    ...(options.escrow === undefined ? {} : { escrow: options.escrow }),
  });
  return {
    operator: signer.address,
    signer,
    disputesDomain,
    escrowDomain,
    db,
    tasks,
    apiKeys: new ApiKeyStore(db),
    sessions: new SessionStore(db),
    events,
    dispatcher,
    chain,
    earnings,
    equivocations: new EquivocationStore(db),
    spotChecks,
    slashProposals,
    metrics,
    limits: config.limits,
  };
}
