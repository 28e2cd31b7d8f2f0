// The benchmark's processes and what it measures through them: a coordinator child, a miners child
// (fleets of simulated miners and the instant backend), and the load this process sends.
import type { ChildProcess } from "node:child_process";
import { get } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { privateKeyToAddress } from "viem/accounts";
import {
  BENCH_CHAIN_ID,
  BENCH_CONTRACTS,
  BENCH_MODEL,
  type CoordinatorReady,
  isEvent,
  type LoopDelay,
  type Memory,
  type MinersCommand,
  type MinersEvent,
  minerKey,
  nextMessage,
  startChild,
} from "./ipc.js";
import {
  type Distribution,
  distribution,
  keepAliveAgent,
  machineCpuSeconds,
  postJson,
  processCpuSeconds,
} from "./load.js";

type Stopped = Extract<MinersEvent, { event: "stopped" }>;

export interface HarnessOptions {
  /** Miners 0 .. miners - 1 are eligible in the coordinator's static chain view. */
  miners: number;
  /** Profile the coordinator process (node --cpu-prof) into this directory. */
  cpuProfDir?: string;
}

export class Harness {
  readonly coordinator: CoordinatorReady;
  readonly backendUrl: URL;
  readonly #coordinatorProcess: ChildProcess;
  readonly #minersProcess: ChildProcess;
  #stopped: Promise<void> | undefined;

  private constructor(
    coordinator: CoordinatorReady,
    backendUrl: URL,
    coordinatorProcess: ChildProcess,
    minersProcess: ChildProcess,
  ) {
    this.coordinator = coordinator;
    this.backendUrl = backendUrl;
    this.#coordinatorProcess = coordinatorProcess;
    this.#minersProcess = minersProcess;
  }

  static async start(options: HarnessOptions): Promise<Harness> {
    const profile =
      options.cpuProfDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`];
    // --expose-gc lets memory() read the live heap after a full collection.
    const nodeArgs = ["--expose-gc", ...profile];
    const miners = Array.from({ length: options.miners }, (_, i) => privateKeyToAddress(minerKey(i)));
    const coordinatorProcess = startChild("server.mjs", nodeArgs, {
      BENCH_MINER_ADDRESSES: JSON.stringify(miners),
      BENCH_CHAIN_ID: String(BENCH_CHAIN_ID),
      BENCH_CONTRACTS: JSON.stringify(BENCH_CONTRACTS),
    });
    const minersProcess = startChild("miners.ts");
    const [coordinator, backend] = await Promise.all([
      nextMessage(coordinatorProcess, isEvent<CoordinatorReady>("ready")),
      nextMessage(minersProcess, isEvent<Extract<MinersEvent, { event: "ready" }>>("ready")),
    ]);
    return new Harness(coordinator, new URL(backend.backendUrl), coordinatorProcess, minersProcess);
  }

  get coordinatorPid(): number {
    return this.#coordinatorProcess.pid as number;
  }

  get minersPid(): number {
    return this.#minersProcess.pid as number;
  }

  /** Starts miners first .. first + count - 1 and waits until `count` of them wait in a long-poll. */
  async fleet(first: number, count: number, slots: number, viaBackend: boolean): Promise<number> {
    const started = performance.now();
    const command: MinersCommand = {
      cmd: "fleet",
      first,
      count,
      slots,
      viaBackend,
      coordinator: this.coordinator,
    };
    this.#minersProcess.send(command);
    await nextMessage(this.#minersProcess, isEvent<Extract<MinersEvent, { event: "fleet" }>>("fleet"));
    for (;;) {
      if ((await this.health()).minersWaiting >= count) return performance.now() - started;
      await sleep(50);
    }
  }

  /** Stops the running fleet (waiting polls are cut off): what it completed and its errors. */
  async stopFleet(): Promise<Stopped> {
    const command: MinersCommand = { cmd: "stopFleet" };
    this.#minersProcess.send(command);
    return nextMessage(this.#minersProcess, isEvent<Stopped>("stopped"));
  }

  /** The miners' spans (task id -> ms) since the previous call. */
  async spans(): Promise<Map<string, number>> {
    const command: MinersCommand = { cmd: "spans" };
    this.#minersProcess.send(command);
    const { spans } = await nextMessage(
      this.#minersProcess,
      isEvent<Extract<MinersEvent, { event: "spans" }>>("spans"),
    );
    return new Map(spans);
  }

  /** The coordinator's event-loop delay since the previous call. */
  loopDelay(): Promise<LoopDelay> {
    this.#coordinatorProcess.send({ cmd: "loopDelay" });
    return nextMessage(this.#coordinatorProcess, isEvent<LoopDelay>("loopDelay"));
  }

  /** The coordinator's live heap after a full collection (read its RSS first: this collects). */
  liveMemory(): Promise<Memory> {
    this.#coordinatorProcess.send({ cmd: "memory" });
    return nextMessage(this.#coordinatorProcess, isEvent<Memory>("memory"));
  }

  health(): Promise<{ minersWaiting: number; minersOnline: number }> {
    return new Promise((resolve, reject) => {
      get(`${this.coordinator.url}/healthz`, (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve(JSON.parse(text)));
      }).on("error", reject);
    });
  }

  /** Stops both children and waits for them to exit; later calls wait for the same. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      const exited = (child: ChildProcess) =>
        child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve));
      const done = [exited(this.#coordinatorProcess), exited(this.#minersProcess)];
      if (this.#coordinatorProcess.connected) this.#coordinatorProcess.send({ cmd: "stop" });
      if (this.#minersProcess.connected) this.#minersProcess.send({ cmd: "exit" } satisfies MinersCommand);
      await Promise.all(done);
    })();
    return this.#stopped;
  }
}

/** A chat request body and the answer its content must be. */
function chat(n: number): { body: string; expected: string } {
  const prompt = `ping ${n}`;
  return {
    body: JSON.stringify({
      model: BENCH_MODEL,
      messages: [{ role: "user", content: prompt }],
      max_tokens: 16,
    }),
    expected: `echo: ${prompt}`,
  };
}

function answered(status: number, body: string, expected: string): boolean {
  if (status !== 200) return false;
  const json = JSON.parse(body) as { choices?: { message?: { content?: string } }[] };
  return json.choices?.[0]?.message?.content === expected;
}

export interface Latency {
  direct: Distribution;
  coordinator: Distribution;
  /**
   * Per request through the coordinator, its latency less the span the miner held the task (which
   * includes the miner's call to the backend): the time the coordinator and the hops to it took.
   */
  coordinatorPart: Distribution;
  /** The miner's span less the direct call's latency of the same round: what the bench miner adds. */
  minerPart: Distribution;
  errors: number;
  /** CPU µs per task of each process, from a further run of coordinator requests alone. */
  cpuPerTask: { coordinator: number; miners: number; load: number; tasks: number };
}

/**
 * One request in flight at a time, alternating the direct path (the backend) and the coordinator path
 * (POST /v1/chat/completions), so drift in the machine's load hits both alike. Milliseconds. Then
 * `cpuTasks` coordinator requests alone, to tell what each process spends on one task.
 */
export async function measureLatency(
  harness: Harness,
  warmup: number,
  requests: number,
  cpuTasks: number,
): Promise<Latency> {
  const agent = keepAliveAgent(1);
  const coordinatorUrl = new URL(`${harness.coordinator.url}/v1/chat/completions`);
  const auth = { authorization: `Bearer ${harness.coordinator.apiKey}` };
  const direct: number[] = [];
  const viaCoordinator: number[] = [];
  const taskIds: (string | undefined)[] = [];
  let errors = 0;
  for (let i = 0; i < warmup + requests; i++) {
    const { body, expected } = chat(i);
    let start = performance.now();
    const a = await postJson(agent, harness.backendUrl, body);
    const directMs = performance.now() - start;
    start = performance.now();
    const b = await postJson(agent, coordinatorUrl, body, auth);
    const coordinatorMs = performance.now() - start;
    if (!answered(a.status, a.body, expected) || !answered(b.status, b.body, expected)) errors++;
    if (i < warmup) continue;
    direct.push(directMs);
    viaCoordinator.push(coordinatorMs);
    taskIds.push(b.taskId);
  }
  const spans = await harness.spans();
  const coordinatorPart: number[] = [];
  const minerPart: number[] = [];
  taskIds.forEach((id, i) => {
    const span = id === undefined ? undefined : spans.get(id);
    if (span === undefined) return;
    coordinatorPart.push((viaCoordinator[i] as number) - span);
    minerPart.push(span - (direct[i] as number));
  });
  const before = snapshot(harness);
  for (let i = 0; i < cpuTasks; i++) {
    const { body, expected } = chat(i);
    const answer = await postJson(agent, coordinatorUrl, body, auth);
    if (!answered(answer.status, answer.body, expected)) errors++;
  }
  const after = snapshot(harness);
  agent.destroy();
  const perTask = (key: "coordinator" | "miners" | "load") => ((after[key] - before[key]) * 1e6) / cpuTasks;
  return {
    direct: distribution(direct),
    coordinator: distribution(viaCoordinator),
    coordinatorPart: distribution(coordinatorPart),
    minerPart: distribution(minerPart),
    errors,
    cpuPerTask: {
      coordinator: perTask("coordinator"),
      miners: perTask("miners"),
      load: perTask("load"),
      tasks: cpuTasks,
    },
  };
}

export interface Throughput {
  concurrency: number;
  seconds: number;
  /** Answers that arrived within the window. */
  completed: number;
  perSecond: number;
  /** Non-200 answers, wrong contents and network errors, over warm-up and measurement. */
  errors: number;
  errorSamples: string[];
  /** Of the requests both sent and answered within the window. */
  latency: Distribution;
  /** CPU seconds per second of the window (1 = one core busy). */
  cpu: { coordinator: number; miners: number; load: number; machine: number };
  /** The coordinator's event-loop delay in the window. */
  loopDelay: LoopDelay;
}

/**
 * `concurrency` closed-loop clients for `warmupS`, then `seconds` of measurement: the answers that
 * arrive within that window, and the latencies of those also sent within it.
 */
export async function measureThroughput(
  harness: Harness,
  concurrency: number,
  warmupS: number,
  seconds: number,
): Promise<Throughput> {
  const agent = keepAliveAgent(concurrency);
  const url = new URL(`${harness.coordinator.url}/v1/chat/completions`);
  const auth = { authorization: `Bearer ${harness.coordinator.apiKey}` };
  let measuring = false;
  let running = true;
  let sent = 0;
  let errors = 0;
  let completed = 0;
  const errorSamples: string[] = [];
  const latencies: number[] = [];
  const worker = async () => {
    while (running) {
      const { body, expected } = chat(sent++);
      const start = performance.now();
      const startedInWindow = measuring;
      try {
        const answer = await postJson(agent, url, body, auth);
        if (!answered(answer.status, answer.body, expected)) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`${answer.status} ${answer.body.slice(0, 200)}`);
        } else if (measuring) {
          completed++;
          if (startedInWindow) latencies.push(performance.now() - start);
        }
      } catch (error) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(error));
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await sleep(warmupS * 1000);
  await harness.loopDelay();
  const before = snapshot(harness);
  measuring = true;
  await sleep(seconds * 1000);
  measuring = false;
  const after = snapshot(harness);
  const loopDelay = await harness.loopDelay();
  running = false;
  await Promise.all(workers);
  agent.destroy();
  const wall = (after.at - before.at) / 1000;
  const rate = (key: keyof Omit<typeof before, "at">) => (after[key] - before[key]) / wall;
  return {
    concurrency,
    seconds: wall,
    completed,
    perSecond: completed / wall,
    errors,
    errorSamples,
    latency: distribution(latencies),
    cpu: {
      coordinator: rate("coordinator"),
      miners: rate("miners"),
      load: rate("load"),
      machine: rate("machine"),
    },
    loopDelay,
  };
}

function snapshot(harness: Harness) {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    coordinator: processCpuSeconds(harness.coordinatorPid),
    miners: processCpuSeconds(harness.minersPid),
    load: (usage.user + usage.system) / 1e6,
    machine: machineCpuSeconds().busy,
  };
}
