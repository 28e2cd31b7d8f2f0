// The coordinator client gives up on a coordinator that accepts connections but never answers (hung,
// or a half-open link), so the session backs off and tries again instead of waiting forever.
import { createServer, type Socket } from "node:net";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoordinatorClient } from "../src/coordinator/client.js";

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
