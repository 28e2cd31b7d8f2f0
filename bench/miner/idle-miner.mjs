// An idle miner node for the miner benchmark: startMiner from the built @roost/miner (plain node, as
// `roost miner start` runs it, with its libsecp256k1 signer; a TypeScript loader here would add to the
// memory measured) with an instant chat backend, long-polling the coordinator in BENCH_COORDINATOR with
// BENCH_POLL_WAIT_MS. Started by bench/miner/idle.ts over IPC: it sends { event: "ready" }, answers
// { cmd: "usage" } with its CPU time so far (process.cpuUsage(), µs) and { cmd: "heap" } with V8's heap
// reserved, then its live heap after a full collection (it runs with --expose-gc), and on
// { cmd: "stop" } stops the node and exits.
import { getHeapStatistics } from "node:v8";
import { createDigestSigner } from "@roost/chain";
import { silentLogger, startMiner } from "@roost/miner";
import { privateKeyToAccount } from "viem/accounts";

const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const node = await startMiner({
  account: privateKeyToAccount(env("BENCH_KEY")),
  signer: createDigestSigner(env("BENCH_KEY")), // as `roost miner start` passes it
  domain: JSON.parse(env("BENCH_DOMAIN")),
  receiptDomain: JSON.parse(env("BENCH_DOMAIN")),
  coordinators: [{ address: env("BENCH_OPERATOR"), endpoint: env("BENCH_COORDINATOR"), stake: 1n }],
  backends: [
    {
      kind: "bench-instant",
      type: "chat",
      models: [env("BENCH_MODEL")],
      capacity: 1,
      async check() {},
      async run() {
        return {
          type: "chat",
          content: "ok",
          finish_reason: "stop",
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        };
      },
      async close() {},
    },
  ],
  journalPath: env("BENCH_JOURNAL"),
  logger: silentLogger,
  pollWaitMs: Number(env("BENCH_POLL_WAIT_MS")),
  hardware: { bench: true },
});

// Orphaned (the benchmark died): do not linger.
process.on("disconnect", () => process.exit(1));
process.on("message", async (message) => {
  if (message?.cmd === "usage") {
    const { user, system } = process.cpuUsage();
    process.send({ event: "usage", cpuUs: user + system, atMs: performance.now() });
  } else if (message?.cmd === "heap") {
    const reserved = getHeapStatistics().total_heap_size / 2 ** 20;
    globalThis.gc?.();
    process.send({ event: "heap", reserved, liveHeap: process.memoryUsage().heapUsed / 2 ** 20 });
  } else if (message?.cmd === "stop") {
    await node.stop();
    process.exit(0);
  }
});
process.send({ event: "ready" });
