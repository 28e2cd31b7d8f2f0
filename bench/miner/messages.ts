// What the miner benchmark's processes share: the bench task, the instant backend, and the messages
// between bench/miner.ts and its children (the stand-in coordinator, the idle miners).
import type { ChildProcess } from "node:child_process";
import type { Backend } from "@roost/miner";
import {
  type ChatTaskInput,
  type ChatTaskOutput,
  inputHash,
  type LeasedTask,
  type RoostDomainParams,
} from "@roost/protocol";
import type { Address, Hex } from "viem";
import { startChild as startAnyChild } from "../coordinator/ipc.js";

export const BENCH_MODEL = "bench/instant-1";
/** The TaskResult domain: nothing is deployed, the benchmark needs no chain. */
export const BENCH_DOMAIN: RoostDomainParams = {
  chainId: 31_337,
  verifyingContract: "0x00000000000000000000000000000000000d1590",
};

/** Task i: a short chat, as an app's request becomes a task at the coordinator. */
export function benchTask(i: number): LeasedTask {
  const input: ChatTaskInput = {
    type: "chat",
    model: BENCH_MODEL,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: `task ${i}` },
    ],
    max_tokens: 64,
    temperature: 0,
    top_p: 1,
    seed: null,
    stop: [],
  };
  return {
    id: `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex,
    input,
    inputHash: inputHash(input),
    stream: false,
    leaseExpiresAt: Date.now() + 30_000,
  };
}

/** The instant backend's answer: a fixed sentence after the prompt, no work. */
export function instantOutput(prompt: string): ChatTaskOutput {
  return {
    type: "chat",
    content: `echo: ${prompt}. The quick brown fox jumps over the lazy dog.`,
    finish_reason: "stop",
    usage: { prompt_tokens: 12, completion_tokens: 14 },
  };
}

/** A backend run: CLOCK_MONOTONIC ns (process.hrtime.bigint(), the same clock in every process). */
export interface BackendRun {
  start: bigint;
  end: bigint;
}

/**
 * The instant backend: answers a chat at once and notes, per prompt ("task <i>"), when its `run`
 * began and returned, so the benchmark can take the backend's own time out of the miner's span;
 * `onRun` hears the count of runs after each.
 */
export function instantBackend(onRun?: (runs: number) => void): Backend & { runs: Map<string, BackendRun> } {
  const runs = new Map<string, BackendRun>();
  return {
    kind: "bench-instant",
    type: "chat",
    models: [BENCH_MODEL],
    capacity: 1,
    runs,
    async check() {},
    async run(input) {
      const start = process.hrtime.bigint();
      if (input.type !== "chat") throw new Error("chat only");
      const prompt = input.messages.at(-1)?.content ?? "";
      const output = instantOutput(prompt);
      runs.set(prompt, { start, end: process.hrtime.bigint() });
      onRun?.(runs.size);
      return output;
    },
    async close() {},
  };
}

/** The parent's commands to the stand-in coordinator (bench/miner/stand-in.ts). */
export type StandInCommand =
  /** Hand out `count` tasks, one per poll, each `delayMs` after the poll arrived; results from `miner`. */
  { cmd: "tasks"; count: number; delayMs: number; miner: Address } | { cmd: "report" } | { cmd: "exit" };

/** Per task, CLOCK_MONOTONIC ns as decimal strings (bigints do not cross IPC). */
export interface TaskTimes {
  i: number;
  /** The poll answer carrying the task was about to be handed to the socket. */
  written: string;
  /** The whole result request (headers and body) had arrived. */
  arrived: string;
  /** The answer to the result was about to be handed to the socket. */
  answered: string;
  /** The miner's next poll had arrived. */
  nextPoll: string;
}

export type StandInEvent =
  | { event: "ready"; url: string; operator: Address }
  | { event: "done" }
  | {
      event: "report";
      times: TaskTimes[];
      /** Results whose fields match their task and whose signature recovers to the miner. */
      verified: number;
      invalid: string[];
      polls: number;
    };

/** The idle miner child's messages (bench/miner/idle-miner.mjs). */
export type IdleEvent =
  | { event: "ready" }
  /** process.cpuUsage() (µs, user + system) and the monotonic clock (ms) when asked. */
  | { event: "usage"; cpuUs: number; atMs: number }
  /** V8's heap reserved (total_heap_size) when asked, and in use after a full collection, MB. */
  | { event: "heap"; reserved: number; liveHeap: number };

/** Starts bench/miner/<file> with an IPC channel (see bench/coordinator/ipc.ts). */
export const startChild = (file: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  startAnyChild(new URL(file, import.meta.url), nodeArgs, env);

/** Waits for `child` to exit, killing it if it has not after `graceMs`. */
export async function exited(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
}

/** `work`, or a rejection naming `what` if it takes over `ms`: no wait of the benchmark is unbounded. */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the miner benchmark gave up waiting for ${what} after ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
