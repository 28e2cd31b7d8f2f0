// Issue 6 ("Miner node"): the time the miner node adds to a task over its backend's own, the CPU it
// spends idle in its long polls, and its memory, as a section of bench/RESULTS.md. The overhead: a real
// miner node (startMiner, built @roost/miner, with the libsecp256k1 signer) in this process against a stand-in coordinator in a child
// (bench/miner/stand-in.ts), timed from both sides on the shared monotonic clock
// (bench/miner/overhead.ts), then each step on its own (bench/miner/steps.ts). The idle cost: miner
// nodes in child processes polling a real coordinator with nothing to do (bench/miner/idle.ts). Alone:
// `node --import tsx bench/miner.ts` prints the section (after `npm run build`).
import { readFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type Distribution, machineCpuSeconds } from "./coordinator/load.js";
import { type IdleRun, importRssMb, measureIdle } from "./miner/idle.js";
import { measureOverhead, type Overhead, type Span } from "./miner/overhead.js";
import { measureSteps, STEPS, type StepCost } from "./miner/steps.js";

const OVERHEAD = { warmup: 500, tasks: 3_000, delayMs: 3, roundTrips: 2_000 };
const IDLE = { waits: [25_000, 1_000], warmupS: 30, windowS: 30 };
const TARGET = { overheadP50Ms: 1, idlePercent: 1 };

interface Results {
  overhead: Overhead;
  steps: StepCost[];
  idle: IdleRun[];
  /** Cores busy on the machine in the second before the run: other work sharing them. */
  busyBefore: number;
  disk: string;
  /**
   * RSS (MB) of plain node alone, after importing @roost/miner, after importing only its node module
   * (no backends), after importing @roost/chain alone, after importing node-llama-cpp alone.
   */
  imports: { bare: number; miner: number; nodeOnly: number; chain: number; llama: number };
}

async function busyCores(): Promise<number> {
  const before = machineCpuSeconds().busy;
  await sleep(1000);
  return machineCpuSeconds().busy - before;
}

/** The file system holding the temp dir (where the journals go): its device and type, from /proc/mounts. */
function tmpDisk(): string {
  const dir = tmpdir();
  let best = { mount: "", text: "an unknown file system" };
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const [device, mount, type] = line.split(" ");
    if (device === undefined || mount === undefined || type === undefined) continue;
    const within = dir === mount || dir.startsWith(mount.endsWith("/") ? mount : `${mount}/`);
    if (within && mount.length >= best.mount.length) best = { mount, text: `${type} on ${device}` };
  }
  return `${dir} (${best.text})`;
}

async function run(): Promise<Results> {
  const busyBefore = await busyCores();
  const overhead = await measureOverhead(OVERHEAD);
  const steps = await measureSteps();
  const idle = await measureIdle(IDLE.waits, IDLE.warmupS, IDLE.windowS);
  const imports = {
    bare: importRssMb([]),
    miner: importRssMb(["@roost/miner"]),
    nodeOnly: importRssMb(["../../packages/miner/dist/node/miner-node.js"]),
    chain: importRssMb(["@roost/chain"]),
    llama: importRssMb(["node-llama-cpp"]),
  };
  return { overhead, steps, idle, busyBefore, disk: tmpDisk(), imports };
}

const ms = (value: number) => value.toFixed(2);
const us = (value: number) => Math.round(value).toLocaleString("en");
const pass = (ok: boolean) => (ok ? "yes" : "**no**");

function markdown(r: Results): string {
  const o = r.overhead;
  const met = o.overhead.p50 <= TARGET.overheadP50Ms;
  const [longWait, shortWait] = r.idle as [IdleRun, IdleRun];
  const idleRow = (run: IdleRun, label: string, bold: boolean) => {
    const value = `${run.cpuPercent.toFixed(3)} % (${run.cpuMs.toFixed(1)} ms of CPU in ${run.windowS.toFixed(1)} s)`;
    return `| CPU idle-polling, ${label} | ${bold ? `**${value}**` : value} | <= ${TARGET.idlePercent} % of a core | ${pass(run.cpuPercent <= TARGET.idlePercent)} |`;
  };
  const row = (name: string, d: Distribution) =>
    `| ${name} | ${ms(d.p50)} | ${ms(d.p90)} | ${ms(d.p99)} | ${ms(d.mean)} |`;
  const step = (name: string) => r.steps.find((s) => s.step.startsWith(name)) as StepCost;
  const inFlow = (name: string) => (o.spans.find((s) => s.name.startsWith(name)) as Span).d;
  const sign = step("TaskResult signature, as the node");
  const viem = step("TaskResult signature in viem");
  const lease = step("journal the lease");
  const signed = step("journal the signed result");
  const loopSign = step("output hash").median + sign.median;
  const flow = {
    sign: inFlow("output hash and TaskResult signature").p50 * 1000,
    lease: inFlow("journal the lease").p50 * 1000,
    signed: inFlow("journal the signed result").p50 * 1000,
  };
  const slower = flow.sign > loopSign && flow.lease > lease.median && flow.signed > signed.median;
  const ranked = [...o.spans]
    .sort((a, b) => b.d.mean - a.d.mean)
    .slice(0, 3)
    .map((s) => `${s.name.replace(/ \(.*$/, "")} (${ms(s.d.mean)} ms)`)
    .join(", ");
  const spanSum = o.spans.reduce((sum, s) => sum + s.d.mean, 0);
  const stepRows = r.steps
    .map(
      (s) =>
        `| ${s.phase} | ${s.step} | ${s.median.toFixed(1)} | ${s.mean.toFixed(1)} | ${s.cpu.toFixed(1)} |`,
    )
    .join("\n");
  const invalid = o.invalid.length === 0 ? "" : ` First invalid: ${o.invalid.join("; ")}.`;
  const verdict = met
    ? `Within the target: ${ms(o.overhead.p50)} ms at the median.`
    : `Above the target: ${ms(o.overhead.p50)} ms at the median against ${TARGET.overheadP50Ms} ms.`;
  return `## Miner node: overhead per task, idle cost

A real miner node (\`startMiner\` from the built @roost/miner, as \`roost miner start\` runs it: TaskResults
signed with libsecp256k1 through the \`signer\` it passes, \`createDigestSigner(key)\` from @roost/chain; its
journal a SQLite file in WAL mode with synchronous NORMAL, switched to FULL for the signed result's commit
alone, so that is the one commit of a task that syncs the disk) with an instant chat backend
(bench/miner/messages.ts: it answers at once and notes when its \`run\` began and returned).
Node ${process.version} on ${cpus().length} × ${cpus()[0]?.model ?? "an unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GB; the journals on ${r.disk}.
The machine is shared: in the second before the run ${r.busyBefore.toFixed(2)} of its ${cpus().length} cores were busy with other work.

| measure | result | target | met |
|---|---:|---:|:---:|
| overhead per task, p50 | **${ms(o.overhead.p50)} ms** | <= ${TARGET.overheadP50Ms} ms | ${pass(met)} |
| overhead per task, p90 | ${ms(o.overhead.p90)} ms | | |
| overhead per task, p99 | ${ms(o.overhead.p99)} ms | | |
${idleRow(longWait, `default ${longWait.pollWaitMs / 1000} s long-poll wait`, true)}
${idleRow(shortWait, `${shortWait.pollWaitMs / 1000} s wait (stress case)`, false)}
| resident memory of the idle miner (VmRSS), ${longWait.pollWaitMs / 1000} s wait | ${longWait.rssMb.toFixed(0)} MB (V8 heap ${longWait.reservedHeapMb.toFixed(0)} MB reserved, ${longWait.liveHeapMb.toFixed(0)} MB live) | | |
| miner CPU per task, tasks one at a time | ${us(o.cpuPerTaskUs)} µs | | |

**Overhead per task.** The miner node runs in the benchmark's process, against a stand-in coordinator in a
child process (bench/miner/stand-in.ts: the miner API's login, poll, progress and result routes with the
coordinator's JSON shapes, on node:http, doing no work of its own). The miner long-polls with the
default wait and one slot; the stand-in answers each poll with one task ${OVERHEAD.delayMs} ms after it arrived (the
miner idle in its poll, as when a task comes in), so tasks go one at a time and never queue:
${us(OVERHEAD.tasks)} tasks after ${OVERHEAD.warmup} for warm-up. Both processes stamp the same monotonic clock
(\`process.hrtime.bigint()\`, CLOCK_MONOTONIC), so per task the overhead is (the result request wholly
arrived at the stand-in − the stand-in handing node:http the poll answer carrying the task) − the
backend's own run time (${ms(o.backend.p50)} ms at the median). That is everything the node does for a task, both loopback HTTP
hops (keep-alive) included. The stand-in checked every result as the coordinator does (fields, output
hash, signer recovered with libsecp256k1): ${us(o.verified)} of ${us(OVERHEAD.warmup + OVERHEAD.tasks)} valid.${invalid} ${verdict}

Step by step, as the steps run in the node (bench/miner/trace.ts stamps the entry and exit of the
journal's and the coordinator client's methods, wrapped on their prototypes, ~0.1 µs a stamp; the
stand-in stamps just before it hands an answer to node:http). The
steps follow one another, so their means add up to the overhead's mean (${ms(spanSum)} ms against ${ms(o.overhead.mean)} ms);
the largest: ${ranked}. Milliseconds:

| step in the node | p50 | p90 | p99 | mean |
|---|---:|---:|---:|---:|
${o.spans.map((s) => row(s.name, s.d)).join("\n")}
| **overhead** (written → arrived, less the backend's run) | **${ms(o.overhead.p50)}** | ${ms(o.overhead.p90)} | ${ms(o.overhead.p99)} | ${ms(o.overhead.mean)} |
${row("for scale: the miner's client, a keep-alive round trip to a route that does nothing (both hops)", o.roundTrip)}

Not in the overhead, but per task: after the coordinator has the result, the node's bookkeeping before
its next poll (a one-slot miner takes its next task only after it):

| after the answer | p50 | p90 | p99 | mean |
|---|---:|---:|---:|---:|
${o.afterAnswer.map((s) => row(s.name, s.d)).join("\n")}
| the result's answer written → the next poll arrived | ${ms(o.answerToPoll.p50)} | ${ms(o.answerToPoll.p90)} | ${ms(o.answerToPoll.p99)} | ${ms(o.answerToPoll.mean)} |

The miner CPU per task is this process's CPU time (user + system, all its threads) over the measured
tasks divided by their number: all of the above, the hops' share in this process included.

**The same steps in a hot loop.** Each on its own, with the real functions, task after task on one
journal file (bench/miner/steps.ts): ${us(STEPS.calls)} calls after ${STEPS.warmup} for warm-up (the disk alone: 500 after 50).
Wall µs per call, and CPU µs per call over all the calls (an fsync waits for the disk, so the CPU of the
steps that sync is below their wall time; V8's collector threads can put the CPU above it).

| when | step | median µs | mean µs | CPU µs |
|---|---|---:|---:|---:|
${stepRows}

The node signs as the coordinator verifies: the protocol's EIP-712 digest, then libsecp256k1 through
\`createDigestSigner\`, ${us(sign.median)} µs a signature here; viem's signTypedData (EIP-712 hashing and secp256k1 in
pure JavaScript), which signOnce falls back to without a signer, takes ${us(viem.median)} µs. signOnce as a whole (with
its commit) takes ${us(step("signOnce as a whole, with").median)} µs with the signer, ${us(step("signOnce as a whole, viem").median)} µs without. Of a task's four commits only the signed
result's syncs the disk: ${us(signed.median)} µs, about one fsync of this disk (${us(step("the disk alone").median)} µs alone) and SQLite's work.
The lease's, the submission's and the receipt's go to the WAL without a sync (${us(lease.median)}, ${us(step("mark it submitted").median)} and ${us(step("keep the receipt").median)} µs
at the median; SQLite's automatic checkpoint, which does sync, falls on a few of them now and then).
${slower ? "In the node the same steps take longer than in the loop" : "In the node, the same steps"}: output hash and signature ${us(flow.sign)} µs, the
lease's commit ${us(flow.lease)} µs and the result's ${us(flow.signed)} µs at the median (the loop: ${us(loopSign)}, ${us(lease.median)} and ${us(signed.median)}).${
    slower
      ? ` Probably because each task finds the process and the disk idle (the node sleeps in its poll between
tasks: cold caches, an idle disk queue), where the loop keeps them busy; in trials, the loop with a 3 ms
sleep between tasks came most of the way to the node's figures.`
      : ""
  }

**Idle CPU.** ${r.idle.length} miner nodes, each in its own child process (bench/miner/idle-miner.mjs, plain
node on the built package) with the instant backend, its own key and its signer, long-poll a real coordinator that
has no tasks (bench/coordinator/server.mjs, the coordinator benchmark's, on 127.0.0.1): one with the
default ${longWait.pollWaitMs / 1000} s wait, one with a ${shortWait.pollWaitMs / 1000} s wait as a stress case (a poll answered empty every second).
From when both wait in a poll, ${IDLE.warmupS} s of warm-up, then each child's own CPU time (\`process.cpuUsage()\`,
user + system, µs resolution; /proc's 10 ms ticks are too coarse here) over a ${IDLE.windowS} s window, as a
share of one core. The warm-up is there to keep a one-off out of the window: some time after start, V8's
memory reducer runs a few full collections that give back the heap grown at start-up, once (in a trial
run with --trace-gc: about 8 s after start, some 30 ms of collection, V8's reserved heap from 33 to 15 MB
and the RSS from 94 to 76 MB). The miners spent ${longWait.warmupCpuMs.toFixed(0)} ms and
${shortWait.warmupCpuMs.toFixed(0)} ms of CPU in the warm-up (${((longWait.warmupCpuMs / (IDLE.warmupS * 1000)) * 100).toFixed(2)} % and ${((shortWait.warmupCpuMs / (IDLE.warmupS * 1000)) * 100).toFixed(2)} % of a core over it). The memory is the idle
miner's VmRSS (/proc/<pid>/status) after the window, with V8's heap reserved at that moment
(\`total_heap_size\`) and then in use right after a full collection. The ${shortWait.pollWaitMs / 1000} s-wait miner: ${shortWait.rssMb.toFixed(0)} MB (V8 heap
${shortWait.reservedHeapMb.toFixed(0)} MB reserved, ${shortWait.liveHeapMb.toFixed(0)} MB live). For scale, right after the imports (before any
collection gives back the heap grown while loading): plain node alone ${r.imports.bare.toFixed(0)} MB; node importing
@roost/miner ${r.imports.miner.toFixed(0)} MB, or ${r.imports.nodeOnly.toFixed(0)} MB importing only its node (dist/node/miner-node.js, without the
backends' modules); @roost/chain alone, which both load, ${r.imports.chain.toFixed(0)} MB. node-llama-cpp is not among them: the
llama backend imports it only when it loads its model; imported on its own, it takes plain node to ${r.imports.llama.toFixed(0)} MB.
`;
}

export async function benchMiner(): Promise<string> {
  return markdown(await run());
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await benchMiner());
}
