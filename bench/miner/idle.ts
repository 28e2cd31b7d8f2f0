// What an idle miner node costs: miner nodes in child processes (bench/miner/idle-miner.mjs, plain node on
// the built package) long-polling a real coordinator that has no tasks for them (bench/coordinator/
// server.mjs, the coordinator benchmark's), each with its own long-poll wait, all measured over the
// same window: each child's own CPU time (process.cpuUsage(), µs resolution: /proc's 10 ms ticks
// are too coarse for an idle process) over the window's wall time, then its resident memory.
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { privateKeyToAddress } from "viem/accounts";
import {
  BENCH_CHAIN_ID,
  BENCH_CONTRACTS,
  type CoordinatorReady,
  isEvent,
  minerKey,
  nextMessage,
  startChild as startCoordinatorChild,
} from "../coordinator/ipc.js";
import { rssMb } from "../coordinator/load.js";
import { BENCH_MODEL, exited, type IdleEvent, startChild, within } from "./messages.js";

export interface IdleRun {
  pollWaitMs: number;
  /** Share of one core over the window, in %. */
  cpuPercent: number;
  cpuMs: number;
  windowS: number;
  /** CPU ms in the warm-up before the window (from the first poll): start-up work finishing. */
  warmupCpuMs: number;
  rssMb: number;
  /** V8's heap reserved (total_heap_size) with the RSS, and in use after a full collection, MB. */
  reservedHeapMb: number;
  liveHeapMb: number;
}

type Event<E extends IdleEvent["event"]> = Extract<IdleEvent, { event: E }>;

function healthz(url: string): Promise<{ minersWaiting: number }> {
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve(JSON.parse(text)));
    }).on("error", reject);
  });
}

/** One idle miner per entry of `waits` (its pollWaitMs), measured together for `windowS` after `warmupS`. */
export async function measureIdle(waits: number[], warmupS: number, windowS: number): Promise<IdleRun[]> {
  const dir = mkdtempSync(join(tmpdir(), "roost-bench-idle-miner-"));
  const keys = waits.map((_, i) => minerKey(10_000 + i));
  const coordinator = startCoordinatorChild("server.mjs", [], {
    BENCH_MINER_ADDRESSES: JSON.stringify(keys.map((key) => privateKeyToAddress(key))),
    BENCH_CHAIN_ID: String(BENCH_CHAIN_ID),
    BENCH_CONTRACTS: JSON.stringify(BENCH_CONTRACTS),
  });
  const miners: ChildProcess[] = [];
  try {
    const ready = await within(
      nextMessage(coordinator, isEvent<CoordinatorReady>("ready")),
      30_000,
      "the coordinator",
    );
    waits.forEach((pollWaitMs, i) => {
      miners.push(
        startChild("idle-miner.mjs", ["--expose-gc"], {
          BENCH_KEY: keys[i],
          BENCH_DOMAIN: JSON.stringify(ready.disputesDomain),
          BENCH_OPERATOR: ready.operator,
          BENCH_COORDINATOR: ready.url,
          BENCH_MODEL,
          BENCH_JOURNAL: join(dir, `journal-${i}.db`),
          BENCH_POLL_WAIT_MS: String(pollWaitMs),
        }),
      );
    });
    const ask = <T extends IdleEvent>(child: ChildProcess, cmd: "usage" | "heap") => {
      const answer = nextMessage(child, isEvent<T>(cmd));
      child.send({ cmd });
      return within(answer, 10_000, `an idle miner's ${cmd}`);
    };
    const usage = (child: ChildProcess) => ask<Event<"usage">>(child, "usage");
    await within(
      Promise.all(miners.map((child) => nextMessage(child, isEvent<Event<"ready">>("ready")))),
      30_000,
      "the idle miners to start",
    );
    for (let tries = 0; (await healthz(ready.url)).minersWaiting < waits.length; tries++) {
      if (tries > 200) throw new Error("the idle miners did not all reach a long poll in 10 s");
      await sleep(50);
    }
    const start = await Promise.all(miners.map(usage));
    await sleep(warmupS * 1000);
    const first = await Promise.all(miners.map(usage));
    await sleep(windowS * 1000);
    const last = await Promise.all(miners.map(usage));
    const runs: IdleRun[] = [];
    for (const [i, child] of miners.entries()) {
      const a = first[i] as Event<"usage">;
      const b = last[i] as Event<"usage">;
      const rss = rssMb(child.pid as number); // before the collection below
      const { reserved, liveHeap } = await ask<Event<"heap">>(child, "heap");
      const cpuMs = (b.cpuUs - a.cpuUs) / 1000;
      const wallMs = b.atMs - a.atMs;
      runs.push({
        pollWaitMs: waits[i] as number,
        cpuPercent: (cpuMs / wallMs) * 100,
        cpuMs,
        windowS: wallMs / 1000,
        warmupCpuMs: (a.cpuUs - (start[i] as Event<"usage">).cpuUs) / 1000,
        rssMb: rss,
        reservedHeapMb: reserved,
        liveHeapMb: liveHeap,
      });
    }
    return runs;
  } finally {
    for (const child of miners) if (child.connected) child.send({ cmd: "stop" });
    await Promise.all(miners.map((child) => exited(child)));
    if (coordinator.connected) coordinator.send({ cmd: "stop" });
    await exited(coordinator);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Resident memory (MB) of a plain node process right after it imported `specifiers` (none: node alone),
 * resolved from this directory as the idle miner's imports are.
 */
export function importRssMb(specifiers: string[]): number {
  const imports = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(" ");
  const script = `${imports} console.log(process.memoryUsage().rss / 2 ** 20);`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: dirname(fileURLToPath(import.meta.url)),
    encoding: "utf8",
  });
  return Number(out.trim());
}
