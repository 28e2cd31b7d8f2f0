// The coordinator client gives up on a coordinator that accepts connections but never answers (hung,
// or a half-open link), so the session backs off and tries again instead of waiting forever.

import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoordinatorClient } from "../src/coordinator/client.js";
import { startMiner } from "../src/node/miner-node.js";
import { scriptedChat } from "./fixtures/scripted-chat.js";

const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  sockets.add(socket); // reads the request, never answers
  socket.on("error", () => undefined);
});
let endpoint = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const client = () =>
  new CoordinatorClient({
    endpoint,
    coordinator: privateKeyToAccount(generatePrivateKey()).address,
    account: privateKeyToAccount(generatePrivateKey()),
    domain: { chainId: 31337, verifyingContract: "0x0000000000000000000000000000000000000001" },
    silenceMs: 200,
  });

describe("coordinator client", () => {
  it("gives up a request the coordinator leaves unanswered, saying so", async () => {
    const started = Date.now();
    await expect(client().login()).rejects.toThrow(`no answer from ${endpoint} in 0.2 s`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("waits out a long-poll's own wait before giving up", async () => {
    const c = client();
    const started = Date.now();
    await expect(c.poll({ slots: 1, models: ["m"], waitMs: 300 })).rejects.toThrow("in 0.5 s");
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    c.close();
  });
});

describe("a coordinator that refuses the miner's logins", () => {
  it("is asked again with backoff, not in a tight loop", async () => {
    let logins = 0;
    const refusing = createHttpServer((req, res) => {
      if (req.url === "/miner/v1/login") logins++;
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: "bad_signature", message: "the login is not signed by its operator" },
        }),
      );
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    const dir = mkdtempSync(join(tmpdir(), "roost-refused-"));
    const account = privateKeyToAccount(generatePrivateKey());
    const lines: string[] = [];
    const node = await startMiner({
      account,
      domain: { chainId: 31337, verifyingContract: account.address },
      receiptDomain: { chainId: 31337, verifyingContract: account.address },
      coordinators: [
        {
          address: account.address,
          endpoint: `http://127.0.0.1:${(refusing.address() as { port: number }).port}`,
          stake: 1n,
        },
      ],
      backends: [scriptedChat()],
      journalPath: join(dir, "journal.db"),
      logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await node.stop();
    refusing.close();
    rmSync(dir, { recursive: true, force: true });
    expect(logins).toBeGreaterThanOrEqual(1);
    expect(logins).toBeLessThanOrEqual(4); // backoff from 0.5 s, doubling, with jitter
    expect(lines.some((l) => l.includes("the login is not signed by its operator; retrying in"))).toBe(true);
  });
});
