// What the benchmark's three processes share: the simulated miners' keys, the model they serve, the
// messages between the orchestrator (bench/coordinator.ts) and its two children, and how to start one.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RoostDomainParams } from "@roost/protocol";
import { type Address, type Hex, keccak256, stringToHex } from "viem";

export const BENCH_MODEL = "bench/echo-1";
/** The EIP-712 domains' chain and contracts: nothing is deployed, the benchmark needs no chain. */
export const BENCH_CHAIN_ID = 31_337;
export const BENCH_CONTRACTS = {
  Disputes: "0x00000000000000000000000000000000000d1590" as Address,
  PaymentEscrow: "0x0000000000000000000000000000000000e5c409" as Address,
};

/** Miner i's operator key: derived from i, so the coordinator's static chain view and the miners agree. */
export function minerKey(i: number): Hex {
  return keccak256(stringToHex(`roost-bench-miner-${i}`));
}

/** The coordinator child's first message (bench/coordinator/server.mjs). */
export interface CoordinatorReady {
  event: "ready";
  url: string;
  /** An API key without a practical rate limit, for the load. */
  apiKey: string;
  operator: Address;
  disputesDomain: RoostDomainParams;
}

/** The coordinator's event-loop delay (ms) since the previous such message (bench/coordinator/server.mjs). */
export interface LoopDelay {
  event: "loopDelay";
  p50: number;
  p99: number;
  max: number;
}

/** The coordinator's live memory in MB, after a full GC. */
export interface Memory {
  event: "memory";
  liveHeap: number;
  /** Memory of C++ objects bound to JS ones (SQLite statements, buffers). */
  external: number;
}

export type MinersCommand =
  | {
      cmd: "fleet";
      /** Miners i = first .. first + count - 1 (minerKey(i)). */
      first: number;
      count: number;
      slots: number;
      /** Answer each task by calling the backend over HTTP (true) or in-process (false). */
      viaBackend: boolean;
      coordinator: CoordinatorReady;
    }
  | { cmd: "stopFleet" }
  /** The miner spans recorded since the previous such command. */
  | { cmd: "spans" }
  | { cmd: "exit" };

export type MinersEvent =
  | { event: "ready"; backendUrl: string }
  | { event: "fleet"; started: number }
  | { event: "stopped"; completed: number; errors: number; errorSamples: string[] }
  /**
   * Per task id, the ms from the miner starting on the task (the backend call included) to its result
   * request leaving: the part of a request's latency spent in the miner.
   */
  | { event: "spans"; spans: [string, number][] };

/**
 * Starts bench/coordinator/<file> (or the file at a URL) with an IPC channel: a .ts file under tsx, a
 * .mjs file with plain node; `nodeArgs` go to node itself.
 */
export function startChild(
  file: string | URL,
  nodeArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const path = fileURLToPath(typeof file === "string" ? new URL(file, import.meta.url) : file);
  const loader = path.endsWith(".ts") ? ["--import", "tsx"] : [];
  return spawn(process.execPath, [...nodeArgs, ...loader, path], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
}

/** The child's next message that `accept` takes (a type guard), or a rejection if it exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => message is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`benchmark child exited (code ${code}, signal ${signal}) before answering`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** A type guard for messages with `event === name`. */
export function isEvent<E extends { event: string }>(name: E["event"]) {
  return (message: unknown): message is E =>
    typeof message === "object" && message !== null && (message as { event?: unknown }).event === name;
}
