// CoordinatorMetrics: the text exposition parses as Prometheus text format 0.0.4 and carries the
// counted events and the live figures read at scrape time.
import { parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { CoordinatorMetrics, type MetricsSources } from "../src/ops/metrics.js";
import type { EscrowState } from "../src/payments/escrow-watch.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

/** A strict parser of the Prometheus text format: throws on any line that is not valid. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name = "", rest = ""] = comment;
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) {
          throw new Error(`bad type: ${line}`);
        }
        if (types.has(name)) throw new Error(`TYPE twice: ${name}`);
        types.set(name, rest);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name = "", rawLabels = "", rawValue = ""] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < rawLabels.length) {
      const label = LABEL.exec(rawLabels);
      if (!label) throw new Error(`bad labels: ${line}`);
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    // Go's strconv.ParseFloat, as Prometheus reads values: NaN and Inf in any case (prom-client writes "Nan").
    const special = { nan: Number.NaN, "+inf": Infinity, inf: Infinity, "-inf": -Infinity }[
      rawValue.toLowerCase()
    ];
    const value = special ?? Number(rawValue);
    if (special === undefined && (rawValue.trim() === "" || Number.isNaN(value))) {
      throw new Error(`bad value: ${line}`);
    }
    const family = name.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(name) && types.get(family) !== "histogram")
      throw new Error(`sample without TYPE: ${line}`);
    samples.push({ name, labels, value });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} appears ${found.length} times`);
  return found[0]?.value;
}

function sources(
  overrides: Partial<MetricsSources> = {},
): MetricsSources & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  return {
    calls,
    taskCounts: () => {
      count("tasks");
      return { queued: 3, leased: 2, completed: 40, failed: 1 };
    },
    minersOnline: () => 5,
    minersWaiting: () => 2,
    chain: () => ({ degraded: false, lastSyncedBlock: 1234, lagBlocks: 2 }),
    ...overrides,
  };
}

const P = "roost_coordinator_";

describe("CoordinatorMetrics", () => {
  it("renders valid Prometheus text with the counted events", async () => {
    const metrics = new CoordinatorMetrics(sources());
    metrics.request("chat", "completed", 0.2);
    metrics.request("chat", "completed", 3);
    metrics.request("image", "timeout", 120);
    metrics.request("chat", "failed", -1); // a clock step: counted, not timed
    metrics.result(true, 4.5);
    metrics.result(true, 0.05);
    metrics.result(false, "bad_signature");
    metrics.result(false, "bad_signature");
    metrics.result(false, "lease_expired");

    const text = await metrics.render();
    const { samples, types } = parsePrometheus(text);
    expect(metrics.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(types.get(`${P}app_requests_total`)).toBe("counter");
    expect(types.get(`${P}app_request_duration_seconds`)).toBe("histogram");

    expect(value(samples, `${P}app_requests_total`, { kind: "chat", outcome: "completed" })).toBe(2);
    expect(value(samples, `${P}app_requests_total`, { kind: "chat", outcome: "failed" })).toBe(1);
    expect(value(samples, `${P}app_requests_total`, { kind: "image", outcome: "timeout" })).toBe(1);
    const chat = { kind: "chat", outcome: "completed" };
    expect(value(samples, `${P}app_request_duration_seconds_count`, chat)).toBe(2);
    expect(value(samples, `${P}app_request_duration_seconds_sum`, chat)).toBeCloseTo(3.2);
    expect(value(samples, `${P}app_request_duration_seconds_bucket`, { ...chat, le: "0.25" })).toBe(1);
    expect(value(samples, `${P}app_request_duration_seconds_bucket`, { ...chat, le: "5" })).toBe(2);
    const slow = { kind: "image", outcome: "timeout" };
    expect(value(samples, `${P}app_request_duration_seconds_bucket`, { ...slow, le: "60" })).toBe(0);
    expect(value(samples, `${P}app_request_duration_seconds_bucket`, { ...slow, le: "120" })).toBe(1);
    expect(value(samples, `${P}app_request_duration_seconds_bucket`, { ...slow, le: "600" })).toBe(1);
    expect(
      value(samples, `${P}app_request_duration_seconds_count`, { kind: "chat", outcome: "failed" }),
    ).toBe(undefined);

    expect(value(samples, `${P}results_accepted_total`)).toBe(2);
    expect(value(samples, `${P}results_refused_total`, { reason: "bad_signature" })).toBe(2);
    expect(value(samples, `${P}results_refused_total`, { reason: "lease_expired" })).toBe(1);
    expect(value(samples, `${P}task_duration_seconds_count`)).toBe(2);
    expect(value(samples, `${P}task_duration_seconds_bucket`, { le: "0.05" })).toBe(1);
    expect(value(samples, `${P}task_duration_seconds_bucket`, { le: "5" })).toBe(2);

    // The process metrics, in the standard names.
    expect(value(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(value(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  it("reads the live gauges at each scrape, once per scrape", async () => {
    let online = 5;
    let chain = { degraded: false, lastSyncedBlock: 1234, lagBlocks: 2 } as {
      degraded: boolean;
      lastSyncedBlock: number;
      lagBlocks?: number;
    };
    const s = sources({ minersOnline: () => online, chain: () => chain });
    const metrics = new CoordinatorMetrics(s);
    let { samples } = parsePrometheus(await metrics.render());
    expect(s.calls.tasks).toBe(1);
    expect(value(samples, `${P}tasks`, { status: "queued" })).toBe(3);
    expect(value(samples, `${P}tasks`, { status: "leased" })).toBe(2);
    expect(value(samples, `${P}tasks`, { status: "completed" })).toBe(40);
    expect(value(samples, `${P}tasks`, { status: "failed" })).toBe(1);
    expect(value(samples, `${P}miners_online`)).toBe(5);
    expect(value(samples, `${P}miners_waiting`)).toBe(2);
    expect(value(samples, `${P}chain_lag_blocks`)).toBe(2);
    expect(value(samples, `${P}chain_synced_block`)).toBe(1234);
    expect(value(samples, `${P}chain_degraded`)).toBe(0);
    // No escrow or earnings source: no such metrics at all (not a misleading 0).
    expect(samples.filter((x) => /escrow|paid|earnings/.test(x.name))).toEqual([]);

    online = 7;
    chain = { degraded: true, lastSyncedBlock: 1240 };
    ({ samples } = parsePrometheus(await metrics.render()));
    expect(s.calls.tasks).toBe(2);
    expect(value(samples, `${P}miners_online`)).toBe(7);
    expect(value(samples, `${P}chain_degraded`)).toBe(1);
    expect(value(samples, `${P}chain_synced_block`)).toBe(1240);
    expect(value(samples, `${P}chain_lag_blocks`)).toBeNaN(); // unknown
  });

  it("shows the escrow figures in CAI and its state, and the earnings totals", async () => {
    let escrow: { state: EscrowState; deposit: bigint; owed: bigint } = {
      state: "unknown",
      deposit: 0n,
      owed: 0n,
    };
    const metrics = new CoordinatorMetrics(
      sources({
        escrow: () => escrow,
        earnings: () => ({ cumulative: parseEther("1234.5"), miners: 3, tasks: 99 }),
      }),
    );
    let { samples } = parsePrometheus(await metrics.render());
    expect(value(samples, `${P}escrow_deposit_cai`)).toBeNaN(); // not read from the chain yet
    expect(value(samples, `${P}escrow_state`, { state: "unknown" })).toBe(1);
    expect(value(samples, `${P}miner_earnings_cai`)).toBe(1234.5);
    expect(value(samples, `${P}miners_paid`)).toBe(3);
    expect(value(samples, `${P}tasks_paid`)).toBe(99);

    escrow = { state: "low", deposit: parseEther("15"), owed: parseEther("10.25") };
    ({ samples } = parsePrometheus(await metrics.render()));
    expect(value(samples, `${P}escrow_deposit_cai`)).toBe(15);
    expect(value(samples, `${P}escrow_owed_cai`)).toBe(10.25);
    expect(value(samples, `${P}escrow_state`, { state: "low" })).toBe(1);
    expect(value(samples, `${P}escrow_state`, { state: "ok" })).toBe(0);
    expect(value(samples, `${P}escrow_state`, { state: "short" })).toBe(0);
    expect(value(samples, `${P}escrow_state`, { state: "unknown" })).toBe(0);
  });

  it("a failing source leaves its figures out and is counted; the scrape still succeeds", async () => {
    let broken = true;
    const metrics = new CoordinatorMetrics(
      sources({
        taskCounts: () => {
          if (broken) throw new Error("database is closed");
          return { queued: 1, leased: 0, completed: 0, failed: 0 };
        },
        minersWaiting: () => {
          throw new Error("no dispatcher");
        },
      }),
    );
    let { samples } = parsePrometheus(await metrics.render());
    expect(samples.filter((s) => s.name === `${P}tasks`)).toEqual([]);
    expect(value(samples, `${P}miners_waiting`)).toBeNaN();
    expect(value(samples, `${P}metrics_source_errors_total`, { source: "tasks" })).toBe(1);
    expect(value(samples, `${P}metrics_source_errors_total`, { source: "miners" })).toBe(1);
    expect(value(samples, `${P}chain_synced_block`)).toBe(1234); // the other sources still read

    broken = false;
    ({ samples } = parsePrometheus(await metrics.render()));
    expect(value(samples, `${P}tasks`, { status: "queued" })).toBe(1);
    expect(value(samples, `${P}metrics_source_errors_total`, { source: "tasks" })).toBe(1);
  });

  it("each instance has its own registry: two do not collide or share counts", async () => {
    const a = new CoordinatorMetrics(sources());
    const b = new CoordinatorMetrics(sources());
    a.result(true, 1);
    expect(value(parsePrometheus(await a.render()).samples, `${P}results_accepted_total`)).toBe(1);
    expect(value(parsePrometheus(await b.render()).samples, `${P}results_accepted_total`)).toBe(0);
  });

  it("the parser used here rejects malformed text (so the checks above mean something)", () => {
    expect(() => parsePrometheus("# TYPE x gauge\nx{a=1} 2\n")).toThrow("bad labels");
    expect(() => parsePrometheus("y 2\n")).toThrow("sample without TYPE");
    expect(() => parsePrometheus("# TYPE x gauge\nx two\n")).toThrow("bad value");
  });
});
