// The coordinator's Prometheus metrics (/metrics). Events (requests, results) are counted as they
// happen; state (queue depth, miners, chain, escrow) is read from its owners at scrape time, once per
// scrape each, so the figures are never stale and nothing has to keep gauges in sync. Everything lives
// in a registry of its own, so two coordinators in one process (tests) or a library user's own
// prom-client metrics never collide. The Node.js process metrics keep their standard unprefixed names
// (process_resident_memory_bytes, nodejs_eventloop_lag_seconds...) so stock dashboards work.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { formatUnits } from "viem";
import type { EscrowState } from "../payments/escrow-watch.js";
import type { ChainView, Metrics } from "../services.js";
import { TASK_STATUSES, type TaskStatus } from "../store/task-record.js";

/** Where the live gauges come from; each is called once per scrape. */
export interface MetricsSources {
  /** TaskStore.countsByStatus (one GROUP BY over the tasks table). */
  taskCounts(): Record<TaskStatus, number>;
  /** dispatcher.presence.online().length */
  minersOnline(): number;
  /** dispatcher.waiting */
  minersWaiting(): number;
  chain(): ReturnType<ChainView["status"]>;
  /** EscrowWatch.status(), when the node watches its deposit. */
  escrow?(): { state: EscrowState; deposit: bigint; owed: bigint };
  /** EarningsBook.totals(). */
  earnings?(): { cumulative: bigint; miners: number; tasks: number };
}

const PREFIX = "roost_coordinator_";
/** From 5 ms (a cached answer) to 10 minutes (a long generation in a queue). */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
const ESCROW_STATES: readonly EscrowState[] = ["unknown", "ok", "low", "short"];
/** Label values come from code (route kinds, refusal codes); the cap only guards against a mistake. */
const MAX_LABEL_LENGTH = 64;

export class CoordinatorMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"kind" | "outcome">;
  readonly #requestSeconds: Histogram<"kind" | "outcome">;
  readonly #accepted: Counter;
  readonly #refused: Counter<"reason">;
  readonly #taskSeconds: Histogram;
  readonly #sourceErrors: Counter<"source">;
  readonly #readers: Reader[];

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: `${PREFIX}app_requests_total`,
      help: "App API requests that finished, by route kind and outcome (completed, failed, timeout)",
      labelNames: ["kind", "outcome"],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: `${PREFIX}app_request_duration_seconds`,
      help: "Time from an app request's arrival to its answer (the end of the stream for streams)",
      labelNames: ["kind", "outcome"],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#accepted = new Counter({
      name: `${PREFIX}results_accepted_total`,
      help: "Miner results accepted (and paid)",
      registers,
    });
    this.#refused = new Counter({
      name: `${PREFIX}results_refused_total`,
      help: "Miner results refused, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.#taskSeconds = new Histogram({
      name: `${PREFIX}task_duration_seconds`,
      help: "Time from a task's enqueue to its accepted result",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#sourceErrors = new Counter({
      name: `${PREFIX}metrics_source_errors_total`,
      help: "Scrapes at which a live figure could not be read (it is then left out)",
      labelNames: ["source"],
      registers,
    });
    this.#readers = liveReaders(sources, registers);
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  request(kind: string, outcome: "completed" | "failed" | "timeout", seconds: number): void {
    const labels = { kind: label(kind), outcome };
    this.#requests.inc(labels);
    if (validSeconds(seconds)) this.#requestSeconds.observe(labels, seconds);
  }

  /** Accepted: `detail` is the seconds from enqueue to result. Refused: `detail` is the reason code. */
  result(accepted: boolean, detail: number | string): void {
    if (!accepted) {
      this.#refused.inc({ reason: typeof detail === "string" ? label(detail) : "unknown" });
      return;
    }
    this.#accepted.inc();
    if (typeof detail === "number" && validSeconds(detail)) this.#taskSeconds.observe(detail);
  }

  async render(): Promise<string> {
    for (const reader of this.#readers) {
      try {
        reader.read();
      } catch {
        // Left out of this scrape rather than shown stale: NaN, or no series for labelled gauges.
        for (const gauge of reader.gauges) {
          gauge.reset();
          if (!LABELLED.has(gauge)) gauge.set(Number.NaN);
        }
        this.#sourceErrors.inc({ source: reader.source });
      }
    }
    return this.registry.metrics();
  }
}

/** One source of live figures and the gauges it sets. */
interface Reader {
  source: string;
  gauges: Gauge<string>[];
  read(): void;
}

/** Gauges with labels: on a failed read their series are dropped instead of set to NaN. */
const LABELLED = new WeakSet<Gauge<string>>();

/** The gauges set from `sources` at each scrape; the optional ones exist only with their source. */
function liveReaders(s: MetricsSources, registers: Registry[]): Reader[] {
  const gauge = (name: string, help: string, labelNames: string[] = []) => {
    const metric = new Gauge({ name: `${PREFIX}${name}`, help, labelNames, registers });
    if (labelNames.length > 0) LABELLED.add(metric);
    return metric;
  };
  const tasks = gauge("tasks", "Tasks in the store by status", ["status"]);
  const online = gauge("miners_online", "Miners that polled within the online window");
  const waiting = gauge("miners_waiting", "Miners waiting in a long poll for work");
  const lag = gauge("chain_lag_blocks", "Blocks the registry's view is behind the chain head (NaN: unknown)");
  const synced = gauge(
    "chain_synced_block",
    "The block the registry's view of the miners is from (-1: none)",
  );
  const degraded = gauge("chain_degraded", "1 while the chain RPC fails and the last view is served");
  const readers: Reader[] = [
    {
      source: "tasks",
      gauges: [tasks],
      read() {
        const counts = s.taskCounts();
        for (const status of TASK_STATUSES) tasks.set({ status }, counts[status] ?? 0);
      },
    },
    {
      source: "miners",
      gauges: [online, waiting],
      read() {
        online.set(s.minersOnline());
        waiting.set(s.minersWaiting());
      },
    },
    {
      source: "chain",
      gauges: [lag, synced, degraded],
      read() {
        const chain = s.chain();
        degraded.set(chain.degraded ? 1 : 0);
        synced.set(chain.lastSyncedBlock);
        lag.set(chain.lagBlocks ?? Number.NaN); // unknown until a head was seen
      },
    },
  ];
  const { escrow, earnings } = s;
  if (escrow !== undefined) {
    const deposit = gauge("escrow_deposit_cai", "This coordinator's PaymentEscrow deposit, CAI");
    const owed = gauge("escrow_owed_cai", "Earned by miners and not yet redeemed, CAI");
    const state = gauge("escrow_state", "1 for the escrow deposit's current state", ["state"]);
    readers.push({
      source: "escrow",
      gauges: [deposit, owed, state],
      read() {
        const status = escrow();
        const known = status.state !== "unknown"; // not read from the chain yet
        deposit.set(known ? cai(status.deposit) : Number.NaN);
        owed.set(known ? cai(status.owed) : Number.NaN);
        for (const name of ESCROW_STATES) state.set({ state: name }, name === status.state ? 1 : 0);
      },
    });
  }
  if (earnings !== undefined) {
    const earned = gauge("miner_earnings_cai", "Total of all miners' receipts, CAI");
    const miners = gauge("miners_paid", "Miners that earned anything here");
    const paid = gauge("tasks_paid", "Results paid for");
    readers.push({
      source: "earnings",
      gauges: [earned, miners, paid],
      read() {
        const totals = earnings();
        earned.set(cai(totals.cumulative));
        miners.set(totals.miners);
        paid.set(totals.tasks);
      },
    });
  }
  return readers;
}

function label(value: string): string {
  return value.length > MAX_LABEL_LENGTH ? value.slice(0, MAX_LABEL_LENGTH) : value || "unknown";
}

/** A clock step can make a duration negative; such a sample is dropped rather than skew a histogram. */
function validSeconds(seconds: number): boolean {
  return Number.isFinite(seconds) && seconds >= 0;
}

/** Wei to CAI as a float (a gauge's value is a double; exact to ~15 significant digits). */
function cai(wei: bigint): number {
  return Number(formatUnits(wei, 18));
}
