// Issue 5 ("Dispatch"): the latency the coordinator adds over calling a backend directly, its
// throughput in tasks per second, and its memory with 1,000 connected miners, as a section of
// bench/RESULTS.md. Three processes: the coordinator (bench/coordinator/server.mjs, on the built
// package), the simulated miners with the instant backend (bench/coordinator/miners.ts), and this one,
// which sends the load. Alone: `node --import tsx bench/coordinator.ts` prints the section (after
// `npm run build`); BENCH_CPU_PROF=<dir> also profiles the coordinator process (node --cpu-prof), to be
// read with bench/coordinator/profile.ts.
import { cpus, totalmem } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG } from "../packages/coordinator/src/config.js";
import {
  Harness,
  type Latency,
  measureLatency,
  measureThroughput,
  type Throughput,
} from "./coordinator/harness.js";
import { type HttpFloor, measureHttpFloor } from "./coordinator/http-floor.js";
import { machineCpuSeconds, rssMb } from "./coordinator/load.js";
import { measureSteps, STEP_TASKS, STEP_WARMUP, type StepCost } from "./coordinator/steps.js";

const CONNECTED_MINERS = 1_000;
const LATENCY = { warmup: 500, requests: 2_000, cpuTasks: 1_000, miners: 4, slots: 4 };
const THROUGHPUT = { warmupS: 3, seconds: 10, miners: 32, slots: 16, concurrency: [64, 256] };

interface Run extends Throughput {
  fleet: string;
}

interface Results {
  latency: Latency;
  throughput: Run[];
  /** Coordinator RSS and, after a full GC, its live heap (MB) at four points. */
  memory: Record<
    "idle" | "afterLoad" | "connected" | "connectedAfterLoad",
    { rss: number; liveHeap: number }
  >;
  connectS: number;
  /** Cores busy on the machine in the second before the run: other work sharing them. */
  busyBefore: number;
  miners: { completed: number; errors: number; errorSamples: string[] };
  steps: StepCost[];
  httpFloor: HttpFloor;
  /** The coordinator's spot checks over all the runs, by status (its /api/network). */
  spotChecks: Record<string, number>;
}

async function busyCores(): Promise<number> {
  const before = machineCpuSeconds().busy;
  await sleep(1000);
  return machineCpuSeconds().busy - before;
}

/** The coordinator's spot checks by status, as its public network view reports them. */
async function spotChecks(url: string): Promise<Record<string, number>> {
  const response = await fetch(`${url}/api/network`);
  if (!response.ok) throw new Error(`GET ${url}/api/network: ${response.status}`);
  return ((await response.json()) as { spotChecks: Record<string, number> }).spotChecks;
}

async function run(): Promise<Results> {
  const busyBefore = await busyCores();
  const cpuProfDir = process.env.BENCH_CPU_PROF;
  const harness = await Harness.start({
    miners: CONNECTED_MINERS,
    ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
  });
  const miners = { completed: 0, errors: 0, errorSamples: [] as string[] };
  const stopFleet = async () => {
    const stopped = await harness.stopFleet();
    miners.completed += stopped.completed;
    miners.errors += stopped.errors;
    miners.errorSamples.push(...stopped.errorSamples);
  };
  const throughput: Run[] = [];
  const load = async (fleet: string, concurrency: number) => {
    const result = await measureThroughput(harness, concurrency, THROUGHPUT.warmupS, THROUGHPUT.seconds);
    throughput.push({ ...result, fleet });
  };
  try {
    const memory = async () => {
      const rss = rssMb(harness.coordinatorPid);
      return { rss, liveHeap: (await harness.liveMemory()).liveHeap };
    };
    await sleep(500);
    const idle = await memory();

    await harness.fleet(0, LATENCY.miners, LATENCY.slots, true);
    const latency = await measureLatency(harness, LATENCY.warmup, LATENCY.requests, LATENCY.cpuTasks);
    await stopFleet();

    await harness.fleet(0, THROUGHPUT.miners, THROUGHPUT.slots, false);
    for (const concurrency of THROUGHPUT.concurrency) {
      await load(`${THROUGHPUT.miners} × ${THROUGHPUT.slots} slots`, concurrency);
    }
    await stopFleet();
    const afterLoad = await memory();

    const connectS = (await harness.fleet(0, CONNECTED_MINERS, 1, false)) / 1000;
    await sleep(1000);
    const connected = await memory();
    const most = THROUGHPUT.concurrency[THROUGHPUT.concurrency.length - 1] as number;
    await load(`${CONNECTED_MINERS.toLocaleString("en")} × 1 slot`, most);
    const connectedAfterLoad = await memory();
    await stopFleet();
    const checks = await spotChecks(harness.coordinator.url);
    // Alone on the machine's cores, with the coordinator and the miners gone.
    await harness.stop();
    const steps = await measureSteps();
    const httpFloor = await measureHttpFloor();
    return {
      latency,
      throughput,
      memory: { idle, afterLoad, connected, connectedAfterLoad },
      connectS,
      busyBefore,
      miners,
      steps,
      httpFloor,
      spotChecks: checks,
    };
  } finally {
    await harness.stop();
  }
}

const ms = (value: number) => value.toFixed(2);
const int = (value: number) => Math.round(value).toLocaleString("en");
const pass = (ok: boolean) => (ok ? "yes" : "**no**");

/**
 * What the spot checks did over the runs. They are on, as in the node, but a chat answer is checked only
 * under greedy decoding (pinnedInput): the load leaves the temperature at its default, so expect none.
 */
function spotCheckNote(counts: Record<string, number>): string {
  const { spotCheckRate, probationChecks } = DEFAULT_CONFIG.verification;
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const policy = `Spot checks are on, at the node's defaults (each miner's first ${probationChecks} checkable results,
then ${(spotCheckRate * 100).toFixed(0)}% of them, run again on a miner of another owner; each bench miner is its own owner)`;
  if (total === 0) {
    return `${policy},
but a chat answer is checkable only under greedy decoding (temperature 0) and the load leaves the
temperature at its default: no check was drawn, so each result above cost only the test whether it
can be checked (SpotChecker.hold) and no re-run.`;
  }
  const byStatus = Object.entries(counts)
    .map(([status, n]) => `${int(n)} ${status}`)
    .join(", ");
  return `${policy}: over all the runs the coordinator drew ${int(total)} checks (${byStatus}), whose
re-runs are among the results accepted.`;
}

function markdown(r: Results): string {
  const { direct, coordinator, cpuPerTask } = r.latency;
  const m = r.memory;
  const added50 = coordinator.p50 - direct.p50;
  const added99 = coordinator.p99 - direct.p99;
  const part = r.latency.coordinatorPart;
  const miner = r.latency.minerPart;
  const best = Math.max(...r.throughput.map((t) => t.perSecond));
  const fastest = r.throughput.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const fastestCpu = (fastest.cpu.coordinator / fastest.perSecond) * 1e6;
  const samples = [...r.throughput.flatMap((t) => t.errorSamples), ...r.miners.errorSamples];
  const errorNote = samples.length === 0 ? "" : ` First errors: ${samples.slice(0, 5).join("; ")}.`;
  const harnessPerTask = ((fastest.cpu.miners + fastest.cpu.load) / fastest.perSecond) * 1e6;
  const latencyRow = (name: string, d: typeof direct) =>
    `| ${name} | ${ms(d.p50)} | ${ms(d.p90)} | ${ms(d.p99)} | ${ms(d.max)} | ${ms(d.mean)} |`;
  const throughputRows = r.throughput
    .map((t) => {
      const other = t.cpu.machine - t.cpu.coordinator - t.cpu.miners - t.cpu.load;
      const perTask = (t.cpu.coordinator / t.perSecond) * 1e6;
      return `| ${t.fleet} | ${t.concurrency} | ${int(t.completed)} in ${t.seconds.toFixed(1)} s | **${int(t.perSecond)}** | ${t.errors} | ${ms(t.latency.p50)} / ${ms(t.latency.p99)} | ${t.cpu.coordinator.toFixed(2)} | ${t.cpu.miners.toFixed(2)} | ${t.cpu.load.toFixed(2)} | ${other.toFixed(2)} | ${int(perTask)} | ${int(t.loopDelay.p50)} / ${int(t.loopDelay.max)} |`;
    })
    .join("\n");
  const stepsTotal = r.steps.reduce((sum, s) => sum + s.mean, 0);
  const stepRows = r.steps
    .map((s) => `| ${s.request} | ${s.step} | ${s.median.toFixed(1)} | ${s.mean.toFixed(1)} |`)
    .join("\n");
  return `## Coordinator: added latency, throughput, memory

Three processes on one machine: the coordinator (bench/coordinator/server.mjs: plain node on the built
package, the real server, stores, dispatcher, payments and metrics from \`createServices\` + \`buildServer\`
with the node's lease sweep, spot-check sweep and session purge timers and WAL checkpointer thread, no request logging, SQLite on a temp file opened as the node opens
it: WAL, synchronous NORMAL, group commit; only the chain view is static), the simulated miners (bench/coordinator/miners.ts:
the test fixtures' \`MinerClient\` and serve loop, each miner logged in with a signed MinerLogin,
long-polling, and signing an EIP-712 TaskResult for every task, with libsecp256k1, byte-identical to
viem's signature; plus a tiny OpenAI-compatible backend that answers at once), and the load
(bench/coordinator.ts, node:http with keep-alive). Node ${process.version} on ${cpus().length} ×
${cpus()[0]?.model ?? "an unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GB. The machine is shared: in the second
before the run ${r.busyBefore.toFixed(2)} of its ${cpus().length} cores were busy with other work, and the "other" CPU
column shows it during each throughput window.

### Latency the coordinator adds

One request in flight, ${int(LATENCY.requests)} requests of each path after ${LATENCY.warmup} warm-up pairs, alternating.
Direct: POST /v1/chat/completions to the backend. Through the coordinator: POST /v1/chat/completions
(non-stream) to the coordinator, which stores the task and hands it to one of ${LATENCY.miners} long-polling miners
(${LATENCY.slots} slots each); the miner calls the same backend over HTTP, signs the TaskResult and posts it; the
coordinator checks the signature, records the result and credits it (or holds its pay when the result is drawn for
a spot check, below), answers the app, then signs the miner its receipt.
Milliseconds; wrong or failed answers: ${r.latency.errors}.

| path | p50 | p90 | p99 | max | mean |
|---|---:|---:|---:|---:|---:|
${latencyRow("direct (backend)", direct)}
${latencyRow("through the coordinator", coordinator)}

What is added, and by whom. End to end: the coordinator-path percentile less the direct one; the
bench miner's own work is in it. The miner notes, for each task, how long it held it: from the task
reaching its code to its result request being handed to node:http, its backend call included. Per
request, the latency less that span is the coordinator's part (its work and the HTTP hops to and from
it; the poll answer's parsing and the result's serialization in the miner count here too), and the span
less the same round's direct call is the miner's part, which issue 6 measures on the real miner.

| added | p50 | p99 | target | met |
|---|---:|---:|---:|:---:|
| end to end (coordinator and bench miner) | ${ms(added50)} | ${ms(added99)} | | |
| the coordinator's part, per request (${int(part.n)} requests) | **${ms(part.p50)}** | **${ms(part.p99)}** | p50 <= 2, p99 <= 10 | ${pass(part.p50 <= 2 && part.p99 <= 10)} |
| the bench miner's part, per request | ${ms(miner.p50)} | ${ms(miner.p99)} | | |

CPU per task on this sequential path (${int(cpuPerTask.tasks)} more coordinator requests alone, /proc/<pid>/stat):
coordinator ${int(cpuPerTask.coordinator)} µs, miners process ${int(cpuPerTask.miners)} µs (the miner and the backend call),
load ${int(cpuPerTask.load)} µs.

### Throughput

Closed loop: N clients each send the next request when the previous one is answered, ${THROUGHPUT.warmupS} s of
warm-up, then the answers arriving in ${THROUGHPUT.seconds} s are counted (the latencies: of the requests also sent in
that window). The miners answer in-process here (no
backend call, to leave the cores to the coordinator), still with a signed TaskResult each; a miner with
k slots polls again as soon as it has a free one. Every answer is checked (status 200 and the expected
content). CPU in cores (CPU seconds per second of the window) from /proc/<pid>/stat; the event-loop delay is
the coordinator's (\`monitorEventLoopDelay\`, 5 ms resolution), how long its ready work waited.

| miners | clients | answered | tasks/s | errors | latency p50 / p99 (ms) | CPU coordinator | CPU miners | CPU load | CPU other | coordinator µs CPU per task | event-loop delay p50 / max (ms) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${throughputRows}

Target: >= 2,000 tasks/s; best ${int(best)}: ${pass(best >= 2000)}. Miner-side errors over all runs: ${r.miners.errors}
(${int(r.miners.completed)} results accepted).${errorNote} The coordinator is one Node.js thread: at ${int(fastestCpu)} µs of CPU per task
it can answer at most ${int(1e6 / fastestCpu)} tasks/s with a whole core to itself, and here it shares two cores with the
miners and the load, which spend another ${int(harnessPerTask)} µs per task between them. Requests sent during the
warm-up are left out of the latencies: in the first seconds the miners open new connections, and libuv accepts one
connection per event-loop iteration (libuv/libuv#3696), so while the coordinator's loop is saturated a new
connection can wait seconds to be accepted.

${spotCheckNote(r.spotChecks)}

For scale, the HTTP floor on this machine (bench/coordinator/http-floor.ts): a bare Fastify route that
validates a small JSON body and answers a small JSON object, driven by the same keep-alive client with
256 clients, answers ${int(r.httpFloor.perSecond)} requests/s for ${int(r.httpFloor.serverUs)} µs of server CPU and ${int(r.httpFloor.clientUs)} µs of client CPU
per request. A task is at least two such requests (the app's, and the miner's result) plus a share of a
poll, so at 2,000 tasks/s the HTTP alone, with no work behind it, would take
${((2 * 2000 * (r.httpFloor.serverUs + r.httpFloor.clientUs)) / 1e6).toFixed(2)} of the machine's ${cpus().length} cores.

Where a task's coordinator CPU goes: the store, hashing and signature steps of one chat task, run on the
real services in one process, task after task (${int(STEP_TASKS)} tasks after ${int(STEP_WARMUP)} for warm-up), each step timed on its
own (bench/coordinator/steps.ts). Here each task pays two whole commits (its app request's and its
result's); under load one commit covers every write of an event-loop turn. HTTP parsing and replies,
Fastify's validation, dispatch and the event plumbing are not in it: they are the rest of the CPU per task
above.

| request | step | median µs | mean µs |
|---|---|---:|---:|
${stepRows}
| | **total** | | **${stepsTotal.toFixed(0)}** |

### Memory

Resident memory (VmRSS, /proc/<pid>/status) of the coordinator process, then its live heap: V8's heap
in use right after a full collection (\`gc()\`, the process runs with --expose-gc), which would grow from
run to run if something leaked.

| state | RSS | live heap | target (RSS) |
|---|---:|---:|---:|
| idle, nothing connected | ${int(m.idle.rss)} MB | ${int(m.idle.liveHeap)} MB | |
| after the ${THROUGHPUT.miners}-miner throughput runs (miners gone) | ${int(m.afterLoad.rss)} MB | ${int(m.afterLoad.liveHeap)} MB | |
| ${int(CONNECTED_MINERS)} miners logged in (distinct operator keys), each in a long-poll | **${int(m.connected.rss)} MB** | ${int(m.connected.liveHeap)} MB | <= 300 MB: ${pass(m.connected.rss <= 300)} |
| the same, after the ${int(CONNECTED_MINERS)}-miner throughput run | ${int(m.connectedAfterLoad.rss)} MB | ${int(m.connectedAfterLoad.liveHeap)} MB | |

The ${int(CONNECTED_MINERS)} miners were logged in and all waiting ${r.connectS.toFixed(1)} s after they started. The
stake-weighted choice and its fairness are measured in "Stake-weighted choice" above.
`;
}

export async function benchCoordinator(): Promise<string> {
  return markdown(await run());
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await benchCoordinator());
}
