import type { DigestSigner } from "@roost/chain";
import type { RoostDomainParams } from "@roost/protocol";
import type { Address } from "viem";
import type { Dispatcher, StakeView } from "./dispatch/dispatcher.js";
import type { TaskEvents } from "./dispatch/task-events.js";
import type { ApiKeyStore } from "./store/api-keys.js";
import type { StoreDatabase } from "./store/database.js";
import type { EquivocationStore } from "./store/equivocations.js";
import type { SessionStore } from "./store/sessions.js";
import type { SlashProposalStore } from "./store/slash-proposals.js";
import type { Task } from "./store/task-record.js";
import type { TaskStore } from "./store/tasks.js";
import type { SpotChecker } from "./verification/spot-checker.js";

/** Tunables of the HTTP APIs (see config.ts for the defaults and the file format). */
export interface ApiLimits {
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Longest miner long-poll, in ms. */
  pollWaitMs: number;
  /** Longest a synchronous app request waits for its result before answering 504 (the task goes on). */
  requestTimeoutMs: number;
  /** Leases handed out per task at most. */
  maxAttempts: number;
}

/** The chain view the servers need: eligibility and weights for dispatch, plus health for /healthz. */
export interface ChainView extends StakeView {
  status(): { degraded: boolean; lastSyncedBlock: number; lagBlocks?: number };
}

/** A Receipt as the miner API returns it. */
export interface SignedReceipt {
  coordinator: Address;
  miner: Address;
  /** CAI base units, as a decimal string (JSON has no uint256). */
  cumulativeAmount: string;
  /** The coordinator operator's EIP-712 signature (PaymentEscrow domain). */
  signature: `0x${string}`;
  /** Results paid for so far. */
  tasks: number;
}

/** What each miner has earned here, and the signed receipts for it (payments/earnings.ts). */
export interface Earnings {
  /** Adds the task's price to the miner's total; call inside the transaction that completes the task. */
  credit(miner: Address, task: Task): bigint;
  /** The latest receipt for the miner (signed lazily and cached), or undefined if it earned nothing. */
  receipt(miner: Address): SignedReceipt | undefined;
  /** Every miner paid here: its total (wei) and the results paid for. */
  balances(): { miner: Address; cumulative: bigint; tasks: number }[];
}

/** Counters and histograms for /metrics (ops/metrics.ts). */
export interface Metrics {
  /** A synchronous or streamed app request finished: API route kind, outcome, seconds taken. */
  request(kind: string, outcome: "completed" | "failed" | "timeout", seconds: number): void;
  /** A result was accepted (seconds from enqueue to result) or refused (reason code). */
  result(accepted: boolean, detail: number | string): void;
  /** The Prometheus text exposition of everything, plus live gauges read at scrape time. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** Everything the HTTP routes use, built once by the node and handed to each plugin. */
export interface CoordinatorServices {
  /** This coordinator's operator address: miners sign logins and results to it. */
  operator: Address;
  /** Signs Receipts with the operator key. */
  signer: DigestSigner;
  /** MinerLogin and TaskResult domain (chain id, Disputes). */
  disputesDomain: RoostDomainParams;
  /** Receipt domain (chain id, PaymentEscrow). */
  escrowDomain: RoostDomainParams;
  db: StoreDatabase;
  tasks: TaskStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  events: TaskEvents;
  dispatcher: Dispatcher;
  chain: ChainView;
  earnings: Earnings;
  /** Proofs of miners that signed two different results for one task, until Disputes has them. */
  equivocations: EquivocationStore;
  /** Re-runs a share of the results on independent miners and holds their pay until the verdict. */
  spotChecks: SpotChecker;
  /** Slashes proposed after failed spot checks, with their evidence, until Disputes has them. */
  slashProposals: SlashProposalStore;
  metrics: Metrics;
  limits: ApiLimits;
}
