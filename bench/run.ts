// `npm run bench`: every benchmark, written to bench/RESULTS.md. Needs `npm run build` first.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchCoordinator } from "./coordinator.js";
import { benchDevnet, type DevnetStart } from "./devnet.js";
import { gasReport } from "./gas.js";
import { benchMiner } from "./miner.js";
import { portalSection } from "./portal.js";
import { benchSampler } from "./sampler.js";
import { benchVerification } from "./verification.js";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const seconds = (ms: number) => (ms / 1000).toFixed(2);
/** The values once each, in order: "27" when every run agrees. */
const distinct = (values: number[]) => [...new Set(values)].sort((a, b) => a - b).join(", ");
const DEVNET_TARGET_S = 30;

/** A row of the devnet's start-up table: ready and first answer, median and every run, in seconds. */
function devnetRow(start: string, runs: DevnetStart[], target: string): string {
  const ready = runs.map((r) => r.ready);
  const answered = runs.map((r) => r.answered);
  const met = target === "" ? "" : median(ready) <= DEVNET_TARGET_S * 1000 ? "yes" : "**no**";
  const cells = [
    start,
    `**${seconds(median(ready))} s**`,
    ready.map(seconds).join(", "),
    `${seconds(median(answered))} s`,
    answered.map(seconds).join(", "),
    target,
    met,
  ];
  return `| ${cells.join(" | ")} |`;
}

/**
 * The start-up's steps in the order they ran (the cold runs', then any only warm runs have), with the
 * median milliseconds of each over the runs that had it; a run doing one twice counts its sum.
 */
function devnetSteps(cold: DevnetStart[], warm: DevnetStart[]): string {
  const names = [...new Set([...cold, ...warm].flatMap((r) => r.steps.map((s) => s.step)))];
  const cell = (runs: DevnetStart[], step: string) => {
    const had = runs.filter((r) => r.steps.some((s) => s.step === step));
    if (had.length === 0) return "";
    const sums = had.map((r) => r.steps.reduce((sum, s) => (s.step === step ? sum + s.ms : sum), 0));
    return median(sums).toFixed(0);
  };
  return names.map((step) => `| ${step} | ${cell(cold, step)} | ${cell(warm, step)} |`).join("\n");
}

function devnetSection(cold: DevnetStart[], warm: DevnetStart[]): string {
  // anvil mines a block per transaction: a cold chain's height is the set-up's transactions, and a
  // warm start's added height is its own.
  const coldTransactions = distinct(cold.map((r) => r.block));
  const warmTransactions = distinct(warm.map((r, i) => r.block - (cold[i]?.block ?? Number.NaN)));
  return `## roost devnet start-up

The whole local network, as \`roost devnet\` starts it by default: anvil with the contracts, a coordinator
node, two miner nodes on the built-in backends and the faucet's drip service (its web server also serves
the portal), ready to serve. Timed from launching \`roost devnet --coordinator-port 0 --web-port 0\` (the
built CLI, as \`npm start\` runs it after its build; ports 0, any free one, so that nothing already on 8080
or 3000 can fail a run) until it prints that it is ready ("Press Ctrl-C to stop."), ${cold.length} runs each.

Cold: an empty home, so anvil starts, every contract is deployed, wired and funded, the coordinator and
both miners are registered and the coordinator's escrow deposited (${coldTransactions} transactions, all told), then
the nodes start on empty databases. Warm:
the same home again, so anvil loads the saved chain, the deployment and the registrations are reused and
the nodes reopen their databases; the coordinator's free port is not the last run's, so its endpoint is
re-pointed on chain (${warmTransactions} transaction, which a devnet keeping its port, as on the default 8080, skips).

Ready to serve: as soon as the summary is printed, the bench sends the summary's curl request (a chat
completion from the demo model, 8 tokens) to the printed coordinator URL with the printed API key, again
until answered; "first answer" is from launch to that answer, through the coordinator and a miner.

| start | ready: median | runs (s) | first answer: median | runs (s) | target (ready, after install) | met |
|---|---:|---|---:|---|---:|:---:|
${devnetRow("cold", cold, `<= ${DEVNET_TARGET_S} s`)}
${devnetRow("warm", warm, "")}

Where the time goes: a step begins with the progress line \`roost devnet\` prints for it (as the bench
receives it) and ends when the next begins, the last before the summary when the summary is printed.
Median milliseconds per step over the runs, in the order they ran (the medians need not add up to the
total's):

| step | cold (ms) | warm (ms) |
|---|---:|---:|
${devnetSteps(cold, warm)}`;
}

const gas = gasReport();
console.log("timing roost devnet, the whole network (cold and warm starts)...");
const { cold, warm } = await benchDevnet();
console.log("timing the coordinator's stake-weighted choice...");
const sampler = await benchSampler();
console.log("measuring the coordinator: added latency, throughput, memory (about 2 minutes)...");
const coordinator = await benchCoordinator();
console.log("measuring the miner node: overhead per task, idle CPU, memory (about 1.5 minutes)...");
const miner = await benchMiner();
console.log("simulating verification: detection, GPU cost, honest noise (about 1 minute)...");
const verification = await benchVerification();
console.log("measuring the staking portal: download size, 10,000 nodes in Chromium (about 20 s)...");
const portal = await portalSection();

const report = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}.

${devnetSection(cold, warm)}

${sampler}

${coordinator}

${miner}

${verification}

${portal}

${gas}`;
writeFileSync(fileURLToPath(new URL("RESULTS.md", import.meta.url)), report);
console.log(report);
