// What the miner node adds to a task over its backend's own time: a real miner node (startMiner from
// the built @roost/miner with its libsecp256k1 signer, as `roost miner start` runs it; its journal on a
// temp file, the instant backend) in this process, against the stand-in coordinator in a child
// (bench/miner/stand-in.ts), one task at a time. Both processes stamp CLOCK_MONOTONIC, so per task:
// written (the stand-in handed the poll answer to its socket), backend start and end (the instant
// backend), arrived (the stand-in had the whole result request); in between, the stamps of
// bench/miner/trace.ts split it into the node's steps.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDigestSigner } from "@roost/chain";
import { CoordinatorClient, type MinerNode, silentLogger, startMiner } from "@roost/miner";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type Distribution, distribution } from "../coordinator/load.js";
import {
  BENCH_DOMAIN,
  benchTask,
  exited,
  instantBackend,
  type StandInCommand,
  type StandInEvent,
  startChild,
  within,
} from "./messages.js";
import { type Stamp, type Trace, traceMiner } from "./trace.js";

export interface OverheadOptions {
  warmup: number;
  tasks: number;
  /** How long after a poll arrives the stand-in answers it with the next task. */
  delayMs: number;
  /** Round trips of the HTTP floor (after a tenth as many for warm-up). */
  roundTrips: number;
}

export interface Overhead {
  /** (arrived - written) - backend time, ms. */
  overhead: Distribution;
  /** The backend's own time. */
  backend: Distribution;
  /** The overhead's consecutive steps, in order, ms: their means add up to the overhead's mean. */
  spans: Span[];
  /** After the result's answer, up to the next poll's arrival (not in the overhead). */
  afterAnswer: Span[];
  /** The answer to the result written -> the next poll arrived. */
  answerToPoll: Distribution;
  /** The miner's CPU (this process) per measured task, µs, everything included. */
  cpuPerTaskUs: number;
  /** Results the stand-in found valid (fields, output hash, signature by the miner), and the others. */
  verified: number;
  invalid: string[];
  /** The miner client's keep-alive round trip to the stand-in's progress route, ms. */
  roundTrip: Distribution;
}

export interface Span {
  name: string;
  d: Distribution;
}

type Event<E extends StandInEvent["event"]> = Extract<StandInEvent, { event: E }>;

function next<E extends StandInEvent["event"]>(
  child: ReturnType<typeof startChild>,
  name: E,
): Promise<Event<E>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: StandInEvent) => {
      if (message.event !== name) return;
      cleanup();
      resolve(message as Event<E>);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the stand-in coordinator exited (code ${code}) before "${name}"`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

const ms = (from: string | bigint, to: string | bigint) => Number(BigInt(to) - BigInt(from)) / 1e6;

export async function measureOverhead(options: OverheadOptions): Promise<Overhead> {
  const dir = mkdtempSync(join(tmpdir(), "roost-bench-miner-"));
  const standIn = startChild("stand-in.ts");
  let node: MinerNode | undefined;
  let tracing: { restore: () => void } | undefined;
  try {
    const { url, operator } = await within(next(standIn, "ready"), 30_000, "the stand-in coordinator");
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const count = options.warmup + options.tasks;
    const done = next(standIn, "done");
    done.catch(() => undefined); // awaited below; handled here should an earlier step throw first
    standIn.send({
      cmd: "tasks",
      count,
      delayMs: options.delayMs,
      miner: account.address,
    } satisfies StandInCommand);
    // The CPU count starts as the last warm-up task runs (the backend tells, synchronously).
    let cpuAtWarm: NodeJS.CpuUsage | undefined;
    const backend = instantBackend((runs) => {
      if (runs === options.warmup) cpuAtWarm = process.cpuUsage();
    });
    const trace: Trace = new Map();
    tracing = traceMiner(trace);
    node = await startMiner({
      account,
      signer: createDigestSigner(key), // as `roost miner start` passes it
      domain: BENCH_DOMAIN,
      receiptDomain: BENCH_DOMAIN,
      coordinators: [{ address: operator, endpoint: url, stake: 1n }],
      backends: [backend],
      journalPath: join(dir, "journal.db"),
      logger: silentLogger,
      hardware: { bench: true },
    });
    // At most 20 ms a task: far beyond what the node takes (a stall would otherwise hang the run).
    await within(done, 10_000 + count * 20, `the miner node to complete ${count} tasks`);
    const cpu = process.cpuUsage(cpuAtWarm);
    await node.stop();
    node = undefined;
    tracing.restore();

    // The HTTP floor: the miner's own client, a route that does nothing, one request at a time.
    const client = new CoordinatorClient({
      endpoint: url,
      coordinator: operator,
      account,
      domain: BENCH_DOMAIN,
    });
    await client.login();
    const roundTrips: number[] = [];
    const warmTrips = Math.ceil(options.roundTrips / 10);
    for (let i = 0; i < warmTrips + options.roundTrips; i++) {
      const start = performance.now();
      await client.progress(`0x${"00".repeat(31)}01`, {});
      if (i >= warmTrips) roundTrips.push(performance.now() - start);
    }
    client.close();

    standIn.send({ cmd: "report" } satisfies StandInCommand);
    const report = await within(next(standIn, "report"), 30_000, "the stand-in's report");
    const measured = report.times.filter((t) => t.i >= options.warmup);
    const overhead: number[] = [];
    const backendMs: number[] = [];
    const answerToPoll: number[] = [];
    /** Per span, its boundaries: stand-in or backend stamps by name, trace stamps by Stamp. */
    const cuts = [
      ["written", "poll<", "the poll answer's hop in and its reading (node:http, JSON.parse)"],
      ["poll<", "recordLease>", "accepting the task (session, capacity pool, runTask set-up)"],
      ["recordLease>", "recordLease<", "journal the lease (recordLease: INSERT, commit, no fsync)"],
      ["recordLease<", "backendStart", "on to the backend"],
      ["backendEnd", "signedResult>", "back from the backend (runTask: heartbeat cleared, progress awaited)"],
      ["signedResult>", "signedResult<", "look for a result signed before (signedResult: SELECT)"],
      ["signedResult<", "recordSigned>", "output hash and TaskResult signature (digest + libsecp256k1)"],
      ["recordSigned>", "recordSigned<", "journal the signed result (recordSigned: INSERT, commit + fsync)"],
      ["recordSigned<", "submit>", "on to the submission"],
      ["submit>", "arrived", "the result request (JSON, node:http) and its hop out"],
    ] as const;
    const after = [
      ["answered", "submit<", "the answer's hop in and its reading"],
      ["submit<", "markSubmitted>", "on to the journal"],
      [
        "markSubmitted>",
        "markSubmitted<",
        "mark it submitted (markSubmitted: UPDATE, DELETE, commit, no fsync)",
      ],
      ["recordReceipt>", "recordReceipt<", "keep the receipt (recordReceipt: UPSERT, commit, no fsync)"],
      ["recordReceipt<", "nextPoll", "slot freed, next poll sent, its hop"],
    ] as const;
    const values = new Map<string, number[]>();
    for (const t of measured) {
      const task = benchTask(t.i);
      const run = backend.runs.get(`task ${t.i}`);
      const stamps = trace.get(task.id.toLowerCase());
      if (run === undefined || stamps === undefined) throw new Error(`no stamps for task ${t.i}`);
      const at = (name: string): bigint => {
        const stamp =
          name === "backendStart"
            ? run.start
            : name === "backendEnd"
              ? run.end
              : name in t
                ? BigInt(t[name as keyof typeof t])
                : stamps[name as Stamp];
        if (stamp === undefined) throw new Error(`task ${t.i}: no ${name} stamp`);
        return stamp;
      };
      const own = ms(run.start, run.end);
      backendMs.push(own);
      overhead.push(ms(t.written, t.arrived) - own);
      answerToPoll.push(ms(t.answered, t.nextPoll));
      for (const [from, to, name] of [...cuts, ...after]) {
        const list = values.get(name) ?? [];
        list.push(ms(at(from), at(to)));
        values.set(name, list);
      }
    }
    const spans = (list: typeof cuts | typeof after) =>
      list.map(([, , name]) => ({ name, d: distribution(values.get(name) ?? []) }));
    return {
      overhead: distribution(overhead),
      backend: distribution(backendMs),
      spans: spans(cuts),
      afterAnswer: spans(after),
      answerToPoll: distribution(answerToPoll),
      cpuPerTaskUs: (cpu.user + cpu.system) / options.tasks,
      verified: report.verified,
      invalid: report.invalid,
      roundTrip: distribution(roundTrips),
    };
  } finally {
    await node?.stop();
    tracing?.restore();
    if (standIn.connected) standIn.send({ cmd: "exit" } satisfies StandInCommand);
    await exited(standIn);
    rmSync(dir, { recursive: true, force: true });
  }
}
