// What one HTTP request costs on this machine before any work: a bare Fastify route (echo-server.mjs)
// driven by the benchmark's own client (node:http keep-alive, as the load and the simulated miners use),
// closed loop with 256 clients. A task through the coordinator takes two such requests (the app's and
// the miner's result) plus a share of a poll, on both sides, so this bounds what the three processes
// can do on the machine's cores together.
import { setTimeout as sleep } from "node:timers/promises";
import { isEvent, nextMessage, startChild } from "./ipc.js";
import { keepAliveAgent, postJson, processCpuSeconds } from "./load.js";

export interface HttpFloor {
  perSecond: number;
  /** CPU µs per request of the server process and of this (client) process. */
  serverUs: number;
  clientUs: number;
}

export async function measureHttpFloor(clients = 256, warmupS = 2, seconds = 5): Promise<HttpFloor> {
  const server = startChild("echo-server.mjs");
  try {
    const { port } = await nextMessage(server, isEvent<{ event: "ready"; port: number }>("ready"));
    const url = new URL(`http://127.0.0.1:${port}/v1/chat/completions`);
    const agent = keepAliveAgent(clients);
    const body = JSON.stringify({
      model: "bench",
      messages: [{ role: "user", content: "ping" }],
      max_tokens: 16,
    });
    let running = true;
    let answered = 0;
    const worker = async () => {
      while (running) {
        const { status } = await postJson(agent, url, body);
        if (status !== 200) throw new Error(`the echo server answered ${status}`);
        answered++;
      }
    };
    const workers = Array.from({ length: clients }, worker);
    await sleep(warmupS * 1000);
    const start = { at: performance.now(), n: answered, server: processCpuSeconds(server.pid as number) };
    const client = process.cpuUsage();
    await sleep(seconds * 1000);
    const n = answered - start.n;
    const wall = (performance.now() - start.at) / 1000;
    const serverCpu = processCpuSeconds(server.pid as number) - start.server;
    const clientCpu = process.cpuUsage(client);
    running = false;
    await Promise.all(workers);
    agent.destroy();
    return {
      perSecond: n / wall,
      serverUs: (serverCpu * 1e6) / n,
      clientUs: (clientCpu.user + clientCpu.system) / n,
    };
  } finally {
    server.kill();
  }
}
