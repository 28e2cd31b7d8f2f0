import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicClient, parseEther } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { createRoostClients, roostChain, roostTransport, withGasMargin } from "../src/clients.js";
import { anvilBinary, DEVNET_MNEMONIC } from "../src/devnet.js";
import { explainError } from "../src/errors.js";

let anvil: ChildProcess;
let anvilUrl: string;

beforeAll(async () => {
  const port = await freePort();
  anvil = spawn(anvilBinary(), ["--host", "127.0.0.1", "--port", String(port), "--silent"], {
    stdio: "ignore",
  });
  anvilUrl = `http://127.0.0.1:${port}`;
  await waitForRpc(anvilUrl);
});

afterAll(async () => {
  if (anvil.exitCode === null) {
    anvil.kill("SIGTERM");
    await once(anvil, "exit");
  }
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function waitForRpc(url: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`anvil did not answer on ${url}`);
}

interface Seen {
  method: string;
  at: number;
}

/** A real HTTP server on 127.0.0.1; `handle` answers each JSON-RPC request it records in `seen`. */
async function server(
  handle: (n: number, body: string, res: ServerResponse, req: IncomingMessage) => void | Promise<void>,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const http = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const { method } = JSON.parse(body) as { method: string };
    seen.push({ method, at: performance.now() });
    await handle(seen.length, body, res, req);
  });
  servers.push(http);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen };
}

/** Forwards a JSON-RPC body to anvil and relays the answer. */
async function forward(body: string, res: ServerResponse): Promise<void> {
  const answer = await fetch(anvilUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  res.writeHead(answer.status, { "content-type": "application/json" });
  res.end(await answer.text());
}

const unavailable = (res: ServerResponse) => {
  res.writeHead(503, { "content-type": "text/plain" });
  res.end("Service Unavailable");
};

/** A URL on which nothing listens: connections are refused. */
async function closedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

function publicClient(rpcUrls: readonly string[], rpc: Parameters<typeof roostTransport>[1] = {}) {
  return createPublicClient({ chain: roostChain(31337, rpcUrls), transport: roostTransport(rpcUrls, rpc) });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("roostTransport: failover", () => {
  it("skips a URL that refuses connections and answers from the next one", async () => {
    const dead = await closedUrl();
    const { url, seen } = await server((_, body, res) => forward(body, res));
    const client = publicClient([dead, url], { retryCount: 2, retryDelay: 10 });
    const started = performance.now();
    expect(await client.getBlockNumber()).toBeTypeOf("bigint");
    expect(await client.getChainId()).toBe(31337);
    expect(seen.map((s) => s.method)).toEqual(["eth_blockNumber", "eth_chainId"]);
    // Retried on the dead URL with 10 + 20 ms of backoff before falling over, not much longer.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("fails over straight to the anvil URL", async () => {
    const client = publicClient([await closedUrl(), anvilUrl], { retryCount: 0 });
    const block = await client.getBlock();
    expect(block.number).toBeGreaterThanOrEqual(0n);
  });

  it("moves to the next URL at once when one answers 503, without waiting out its backoff", async () => {
    const flaky = await server((_, __, res) => unavailable(res));
    const good = await server((_, body, res) => forward(body, res));
    const client = publicClient([flaky.url, good.url], { retryCount: 2, retryDelay: 1_000 });
    const started = performance.now();
    expect(await client.getBlockNumber()).toBeTypeOf("bigint");
    expect(performance.now() - started).toBeLessThan(900);
    expect(flaky.seen).toHaveLength(1);
    expect(good.seen).toHaveLength(1);
  });

  it("retries the whole list with backoff when every URL fails", async () => {
    const down = await server((_, __, res) => unavailable(res));
    const recovering = await server((n, body, res) => (n <= 1 ? unavailable(res) : forward(body, res)));
    const client = publicClient([down.url, recovering.url], { retryCount: 2, retryDelay: 50 });
    expect(await client.getBlockNumber()).toBeTypeOf("bigint");
    expect(down.seen).toHaveLength(2);
    expect(recovering.seen).toHaveLength(2);
  });

  it("moves on from a URL that does not answer within the timeout", async () => {
    const hanging = await server(() => {}); // accepts, never answers
    const client = publicClient([hanging.url, anvilUrl], { retryCount: 0, timeout: 200 });
    const started = performance.now();
    expect(await client.getChainId()).toBe(31337);
    const elapsed = performance.now() - started;
    expect(hanging.seen).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("sends transactions through the failover too", async () => {
    const account = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 9 });
    const { publicClient: reader, walletClient } = createRoostClients({
      chainId: 31337,
      rpcUrls: [await closedUrl(), anvilUrl],
      account,
      rpc: { retryCount: 0 },
    });
    if (!walletClient) throw new Error("no wallet client");
    const to = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 8 }).address;
    const before = await reader.getBalance({ address: to });
    const hash = await walletClient.sendTransaction({ to, value: parseEther("1") });
    const receipt = await reader.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(await reader.getBalance({ address: to })).toBe(before + parseEther("1"));
  });
});

describe("roostTransport: retries with backoff", () => {
  it("rides out two 503s with growing gaps, then succeeds", async () => {
    const proxy = await server((n, body, res) => (n <= 2 ? unavailable(res) : forward(body, res)));
    const client = publicClient([proxy.url], { retryCount: 3, retryDelay: 100 });
    expect(await client.getBlockNumber()).toBeTypeOf("bigint");
    expect(proxy.seen.map((s) => s.method)).toEqual([
      "eth_blockNumber",
      "eth_blockNumber",
      "eth_blockNumber",
    ]);
    const [first, second, third] = proxy.seen.map((s) => s.at) as [number, number, number];
    const gaps = [second - first, third - second] as const;
    // viem doubles the delay on each retry: ~100 ms, then ~200 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeGreaterThan(gaps[0] * 1.5);
  });

  it("gives up after retryCount retries and explains the HTTP status", async () => {
    const proxy = await server((_, __, res) => unavailable(res));
    const error = await failure(
      publicClient([proxy.url], { retryCount: 2, retryDelay: 10 }).getBlockNumber(),
    );
    expect(proxy.seen).toHaveLength(3);
    const explained = explainError(error);
    expect(explained.errorName).toBe("RpcUnreachable");
    expect(explained.message).toContain("(HTTP 503)");
    expect(explained.message).toContain(`at ${proxy.url} (HTTP 503)`);
  });

  it("does not retry an answer that is not transient (a JSON-RPC error)", async () => {
    const proxy = await server((_, body, res) => {
      const { id } = JSON.parse(body) as { id: number };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32601, message: "method not found" } }));
    });
    await failure(publicClient([proxy.url], { retryCount: 3, retryDelay: 10 }).getBlockNumber());
    expect(proxy.seen).toHaveLength(1);
  });
});

describe("roostTransport: every URL down", () => {
  it("explains that the RPC cannot be reached", async () => {
    const urls = [await closedUrl(), await closedUrl()];
    const error = await failure(publicClient(urls, { retryCount: 1, retryDelay: 10 }).getBlockNumber());
    const explained = explainError(error);
    expect(explained.errorName).toBe("RpcUnreachable");
    expect(explained.message).toMatch(
      /^cannot reach the chain RPC at http:\/\/127\.0\.0\.1:\d+; check that the node is running and the URL is right$/,
    );
    expect(explained.cause).toBe(error);
  });

  it("explains a single dead URL with the URL", async () => {
    const url = await closedUrl();
    const { publicClient: client } = createRoostClients({
      chainId: 31337,
      rpcUrls: [url],
      rpc: { retryCount: 0 },
    });
    const explained = explainError(await failure(client.getBlockNumber()));
    expect(explained.errorName).toBe("RpcUnreachable");
    expect(explained.message).toContain(`cannot reach the chain RPC at ${url};`);
  });

  it("explains a URL that never answers as a timeout", async () => {
    const hanging = await server(() => {});
    const error = await failure(publicClient([hanging.url], { retryCount: 0, timeout: 100 }).getChainId());
    const explained = explainError(error);
    expect(explained.errorName).toBe("Timeout");
    expect(explained.message).toContain(`the chain RPC at ${hanging.url} did not answer in time`);
  });

  it("refuses an empty URL list", () => {
    expect(() => roostTransport([])).toThrowError(
      "no RPC URL given: pass at least one (e.g. --rpc http://127.0.0.1:8545)",
    );
  });
});

describe("createRoostClients", () => {
  it("gives a public client only without an account", () => {
    const clients = createRoostClients({ chainId: 31337, rpcUrls: [anvilUrl] });
    expect(clients.walletClient).toBeUndefined();
    expect(clients.chain).toMatchObject({ id: 31337, name: "Roost devnet" });
    expect(clients.chain.rpcUrls.default.http).toEqual([anvilUrl]);
    expect(clients.publicClient.pollingInterval).toBe(50);
  });

  it("gives a wallet client with the account, polling at a normal pace off the devnet", () => {
    const account = mnemonicToAccount(DEVNET_MNEMONIC);
    const clients = createRoostClients({ chainId: 11155111, rpcUrls: [anvilUrl, anvilUrl], account });
    expect(clients.chain.name).toBe("chain 11155111");
    expect(clients.walletClient?.account.address).toBe(account.address);
    expect(clients.walletClient?.chain.id).toBe(11155111);
    expect(clients.publicClient.pollingInterval).toBe(1_000);
  });
});

describe("withGasMargin", () => {
  it("adds 30% and 50,000 gas to gas estimates and leaves other answers alone", async () => {
    const from = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 9 }).address;
    const to = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 8 }).address;
    const plain = createPublicClient({ transport: roostTransport([anvilUrl]) });
    const { publicClient } = createRoostClients({ chainId: 31337, rpcUrls: [anvilUrl] });
    const padded = createPublicClient({ transport: withGasMargin(roostTransport([anvilUrl]), 2, 0n) });
    const request = { account: from, to, value: 1n } as const;
    expect(await padded.estimateGas(request)).toBe(42_000n);
    expect(await plain.estimateGas(request)).toBe(21_000n);
    expect(await publicClient.estimateGas(request)).toBe(77_300n);
    expect(await publicClient.getChainId()).toBe(31337);
  });
});
