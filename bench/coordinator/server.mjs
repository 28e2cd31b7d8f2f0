// The benchmark's coordinator process: the real server, stores, dispatcher, payments and metrics
// (createServices + buildServer, as `roost coordinator start` wires them, with its lease sweep, spot
// check sweep and session purge timers and its WAL checkpointer; spot checks at the node's defaults)
// on a temp SQLite file opened as the node opens it (WAL, synchronous NORMAL, group commit). Only the
// chain view is static: the miners in BENCH_MINER_ADDRESSES, each its own owner, eligible
// with stakes of 1,000 to 10,000 CAI. Plain
// JavaScript on the built package, as production runs it: a TypeScript loader in this process would add
// ~60 MB to the memory measured. Started by bench/coordinator/harness.ts over IPC: it sends
// CoordinatorReady, answers { cmd: "loopDelay" } with LoopDelay (since the previous one) and
// { cmd: "memory" } with Memory, and on { cmd: "stop" } shuts down and exits normally, so that
// `node --cpu-prof` writes its profile.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  buildServer,
  createServices,
  DEFAULT_CONFIG,
  openDatabase,
  startCheckpointer,
} from "@roost/coordinator";
import { generatePrivateKey } from "viem/accounts";

/** A fixed chain view (as the tests' StaticChain): the listed miners, eligible with their stakes. */
class StaticChain {
  #weights = new Map();

  set(miner, weight) {
    this.#weights.set(miner.toLowerCase(), weight);
  }
  eligible(miner) {
    return (this.#weights.get(miner.toLowerCase()) ?? 0) > 0;
  }
  weight(miner) {
    return this.#weights.get(miner.toLowerCase()) ?? 0;
  }
  owner(miner) {
    return this.#weights.has(miner.toLowerCase()) ? miner : undefined; // each its own owner
  }
  status() {
    return { degraded: false, lastSyncedBlock: 1, lagBlocks: 0 };
  }
}

const chain = new StaticChain();
JSON.parse(process.env.BENCH_MINER_ADDRESSES ?? "[]").forEach((miner, i) => {
  chain.set(miner, 1000 + ((i * 7919) % 9001));
});
const dir = mkdtempSync(join(tmpdir(), "roost-bench-coordinator-"));
const db = openDatabase(join(dir, "coordinator.db"), {
  synchronous: DEFAULT_CONFIG.synchronous,
  groupCommit: true, // as the node opens it
});
const services = createServices({
  config: DEFAULT_CONFIG,
  db,
  chain,
  operatorKey: generatePrivateKey(),
  chainId: Number(process.env.BENCH_CHAIN_ID),
  contracts: JSON.parse(process.env.BENCH_CONTRACTS ?? "{}"),
});
const server = buildServer(services);
const checkpointer = startCheckpointer(db);
await server.ready();
if (!server.hasRoute({ method: "POST", url: "/v1/chat/completions" })) {
  throw new Error("the built coordinator has no POST /v1/chat/completions: run `npm run build` first");
}
await server.listen({ host: "127.0.0.1", port: 0 });
// The node's timers (coordinator-node.ts): lease sweep every second, spot checks' review every 5 s
// (it reads every running check), session purge every minute.
const sweep = setInterval(() => services.dispatcher.sweep(), 1_000);
const checkSweep = setInterval(() => services.spotChecks.sweep(), 5_000);
const purge = setInterval(() => services.sessions.purgeExpired(), 60_000);

process.send({
  event: "ready",
  url: `http://127.0.0.1:${server.server.address().port}`,
  // The default budget (600 a minute) would refuse the load: the benchmark measures the coordinator.
  apiKey: services.apiKeys.create("bench", { rateLimitPerMinute: 1_000_000_000 }).plaintext,
  operator: services.operator,
  disputesDomain: services.disputesDomain,
});

// How long ready callbacks waited for the event loop: a synchronous stall (a SQLite checkpoint, a long
// GC) shows here as a large maximum.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

// Orphaned (the benchmark died): do not linger.
process.on("disconnect", () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
process.on("message", async (message) => {
  if (message?.cmd === "loopDelay") {
    const ms = (ns) => ns / 1e6;
    process.send({
      event: "loopDelay",
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    });
    loopDelay.reset();
    return;
  }
  if (message?.cmd === "memory") {
    // The live heap after a full collection (started with --expose-gc): a heap that grows from run to
    // run would be a leak; a larger RSS alone is not (V8 keeps freed pages for a while).
    globalThis.gc?.();
    const { heapUsed, external } = process.memoryUsage();
    process.send({ event: "memory", liveHeap: heapUsed / 2 ** 20, external: external / 2 ** 20 });
    return;
  }
  if (message?.cmd !== "stop") return;
  clearInterval(sweep);
  clearInterval(checkSweep);
  clearInterval(purge);
  services.dispatcher.close();
  await server.close();
  await checkpointer.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
