// `npm run bench`: how long `roost devnet` takes to bring up the whole local network (anvil and the
// contracts, a coordinator, two miners on the built-in backends, the faucet's drip service) from cold
// (deploy and register everything) and warm (resume the saved home), until it prints that it is ready;
// then how long until a first chat request is answered through the coordinator and a miner, which shows
// "ready" means ready to serve. Runs the built CLI as a user would.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../scripts/testing/ports.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "packages/cli/dist/main.js");
const RUNS = 5;
/** How long a started devnet gets to answer its first chat request before the run counts as failed. */
const ANSWER_TIMEOUT_MS = 60_000;
/** The demo model of the devnet's miners (the llama backend's built-in tiny one), as the summary's curl. */
const MODEL = "roost-demo/tiny-random-llama";
/** The summary's last line: the devnet is up. */
const READY = /Press Ctrl-C to stop/;

/**
 * The progress lines (stderr) that begin a step of the start-up, and the step's name. A line that
 * begins none (a contract deployed, an account funded) belongs to the step under way; the steps are
 * taken in the order the CLI prints them, so a reordered start-up still adds up.
 */
const STEP_STARTS: { line: RegExp; step: (match: RegExpExecArray) => string }[] = [
  {
    line: /starting anvil/,
    step: () =>
      "anvil, then the contracts deployed, wired and funded (cold) or the saved chain loaded (warm)",
  },
  {
    line: /registering the|depositing|pointing the coordinator/,
    step: () =>
      "the nodes on chain: registered, the coordinator's escrow deposited (cold); the coordinator's endpoint re-pointed (warm)",
  },
  {
    line: /starting the coordinator/,
    step: () => "the coordinator node started, until it sees the miners eligible",
  },
  { line: /starting (miner \d+)/, step: (match) => `${match[1]} started` },
  {
    line: /starting the faucet/,
    step: () =>
      "the web server (the faucet's drip service, the portal's files) and the dispute keeper started, the summary printed",
  },
];
/** Before the first progress line. */
const FIRST_STEP = "node and the CLI's imports";
/** After READY. */
export const LAST_STEP =
  "after the summary: a first chat request answered through the coordinator and a miner";

/** A step of one start-up and how long it took (ms). */
export interface Step {
  step: string;
  ms: number;
}

export interface DevnetStart {
  /** Milliseconds from launch until the summary's last line, "Press Ctrl-C to stop." */
  ready: number;
  /** Milliseconds from launch until a first chat completion came back through the coordinator. */
  answered: number;
  /** The steps in the order they ran, FIRST_STEP to LAST_STEP. */
  steps: Step[];
  /** The chain's height once that answer came back: anvil mines one block per transaction. */
  block: number;
}

/** Where the summary says the network is: the chain's RPC, the coordinator, the app API key. */
interface Endpoints {
  rpc: string;
  coordinator: string;
  apiKey: string;
}

/** Reads the endpoints off the human summary, as a user would copy them. */
function endpoints(summary: string): Endpoints {
  const field = (pattern: RegExp) => {
    const value = pattern.exec(summary)?.[1];
    if (value === undefined) throw new Error(`no ${pattern} in the devnet's summary:\n${summary}`);
    return value;
  };
  return {
    rpc: field(/^RPC\s+(\S+)/m),
    coordinator: field(/^coordinator\s+(\S+)/m),
    apiKey: field(/^app API key\s+(\S+)/m),
  };
}

/** What `roost devnet` printed by the time it was ready. */
interface Printed {
  /** stdout: the summary. */
  summary: string;
  /** stdout and stderr (the progress lines) as they came, for errors. */
  log: string;
  /** Each step begun, with when (ms from launch) its first line came. */
  begun: { step: string; at: number }[];
  /** When READY came (ms from launch). */
  ready: number;
}

/** Notes the step a progress line begins, unless it goes on with the step under way. */
function noteStep(printed: Printed, line: string, at: number): void {
  for (const { line: pattern, step } of STEP_STARTS) {
    const match = pattern.exec(line);
    if (match === null) continue;
    const name = step(match);
    if (printed.begun.at(-1)?.step !== name) printed.begun.push({ step: name, at });
    return;
  }
}

/**
 * Resolves once the child prints READY; rejects if it exits first. Both streams are read as they come:
 * a line's time is its chunk's arrival, a few µs after the CLI writes it.
 */
function untilReady(child: ChildProcess, started: number): Promise<Printed> {
  const printed: Printed = { summary: "", log: "", begun: [{ step: FIRST_STEP, at: 0 }], ready: 0 };
  let partial = ""; // stderr's last line, until its end comes
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      printed.log += chunk;
      printed.summary += chunk;
      if (READY.test(printed.summary)) {
        printed.ready = performance.now() - started;
        resolve(printed);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      const at = performance.now() - started;
      printed.log += chunk;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) noteStep(printed, line, at);
    });
    child.on("exit", (code) => reject(new Error(`roost devnet exited (${code}):\n${printed.log}`)));
  });
}

/** Each step's duration, to the next step's beginning; the summary's to READY, the last to `answered`. */
function stepDurations({ begun, ready }: Printed, answered: number): Step[] {
  const ends = [...begun.slice(1).map((b) => b.at), ready];
  const steps = begun.map(({ step, at }, i) => ({ step, ms: (ends[i] ?? ready) - at }));
  return [...steps, { step: LAST_STEP, ms: answered - ready }];
}

/**
 * Sends the summary's chat request until it is answered. The miners log in on their own after the
 * summary is printed, so a request can come before either polls; the coordinator queues it until one
 * does, and the retries cover any other early refusal.
 */
async function firstAnswer({ coordinator, apiKey }: Endpoints): Promise<void> {
  const deadline = performance.now() + ANSWER_TIMEOUT_MS;
  let last = "no answer";
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`${coordinator}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hello" }], max_tokens: 8 }),
        signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))),
      });
      const body = (await response.json()) as { choices?: { message?: { content?: unknown } }[] };
      if (response.ok && typeof body.choices?.[0]?.message?.content === "string") return;
      last = `${response.status} ${JSON.stringify(body)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(50);
  }
  throw new Error(`the devnet answered no chat request in ${ANSWER_TIMEOUT_MS / 1000} s: ${last}`);
}

async function blockNumber(rpc: string): Promise<number> {
  const response = await fetch(rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
  });
  const { result } = (await response.json()) as { result: string };
  return Number(result);
}

/** Starts `roost devnet` on `home`, times it ready and answering, then stops it with Ctrl-C. */
async function startOnce(home: string, port: number): Promise<DevnetStart> {
  const started = performance.now();
  // Ports 0: the coordinator and the faucet take free ports, so a devnet already on 8080 or 3000
  // (or a web server) cannot fail the run; the chain's port has no "any free" setting.
  const args = [
    "devnet",
    "--port",
    String(port),
    "--coordinator-port",
    "0",
    "--web-port",
    "0",
    "--home",
    home,
  ];
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    const printed = await untilReady(child, started);
    const at = endpoints(printed.summary);
    await firstAnswer(at);
    const answered = performance.now() - started;
    return {
      ready: printed.ready,
      answered,
      steps: stepDurations(printed, answered),
      block: await blockNumber(at.rpc),
    };
  } finally {
    if (child.exitCode === null) child.kill("SIGINT");
    await exited;
  }
}

/** RUNS pairs: a cold start on a fresh home, then a warm one resuming the same home. */
export async function benchDevnet(): Promise<{ cold: DevnetStart[]; warm: DevnetStart[] }> {
  const cold: DevnetStart[] = [];
  const warm: DevnetStart[] = [];
  for (let i = 0; i < RUNS; i++) {
    const home = mkdtempSync(join(tmpdir(), "roost-bench-"));
    try {
      cold.push(await startOnce(home, await freePort()));
      warm.push(await startOnce(home, await freePort()));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  return { cold, warm };
}
