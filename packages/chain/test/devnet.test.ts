import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, parseEther } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { createRoostClients } from "../src/clients.js";
import { roostContracts } from "../src/contracts.js";
import { DEVNET_CONFIG } from "../src/deploy-config.js";
import {
  DEMO_ACCOUNTS,
  DEVNET_CHAIN_ID,
  DEVNET_MNEMONIC,
  type Devnet,
  type DevnetFile,
  type DevnetOptions,
  startDevnet,
} from "../src/devnet.js";

const home = mkdtempSync(join(tmpdir(), "roost-devnet-"));
const running = new Set<Devnet>();

afterAll(async () => {
  await Promise.all([...running].map((devnet) => devnet.stop()));
  rmSync(home, { recursive: true, force: true });
});

async function start(options: DevnetOptions = {}): Promise<Devnet & { steps: string[] }> {
  const steps: string[] = [];
  const devnet = await startDevnet({
    home,
    port: await freePort(),
    onProgress: (step) => steps.push(step),
    ...options,
  });
  running.add(devnet);
  return Object.assign(devnet, { steps });
}

async function stop(devnet: Devnet): Promise<void> {
  await devnet.stop();
  running.delete(devnet);
  expect(devnet.anvil.exitCode !== null || devnet.anvil.signalCode !== null).toBe(true);
}

function clients(devnet: Devnet, index = 0) {
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [devnet.rpcUrl],
    account: mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }),
  });
  if (!walletClient) throw new Error("no wallet client");
  const contracts = roostContracts(devnet.file, publicClient, walletClient);
  return { publicClient, walletClient, contracts };
}

const readFile = (path: string) => JSON.parse(readFileSync(path, "utf8")) as DevnetFile;
const address = (index: number): Address =>
  mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).address;
const funded = DEMO_ACCOUNTS.reduce((sum, demo) => sum + parseEther(demo.cai), 0n);
const cai = (demo: (typeof DEMO_ACCOUNTS)[number]) =>
  demo.index === 0
    ? DEVNET_CONFIG.supply - DEVNET_CONFIG.faucetFunds - DEVNET_CONFIG.emission - funded
    : parseEther(demo.cai);

const STAKER = 7;
const RECIPIENT = 8;
const CHANGE = parseEther("1234");

describe.sequential("startDevnet", { timeout: 20_000 }, () => {
  let first: Devnet & { steps: string[] };
  let second: Devnet & { steps: string[] };

  it("deploys on first start and writes devnet.json", async () => {
    first = await start();
    expect(first.resumed).toBe(false);
    expect(first.path).toBe(join(home, "devnet.json"));
    expect(first.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.steps[0]).toBe(`starting anvil on ${first.rpcUrl.slice("http://".length)}`);
    expect(first.steps).toContain("deploying CAIToken");
    expect(first.steps).toContain("funding the coordinator owner with 2100000 CAI");

    const file = readFile(first.path);
    expect(file).toEqual(first.file);
    expect(file.rpcUrl).toBe(first.rpcUrl);
    expect(file.chainId).toBe(31337);
    expect(file.mnemonic).toBe(DEVNET_MNEMONIC);
    expect(file.deployer).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect(file.parameters.unbondingPeriod).toBe("300");
    const { publicClient } = clients(first);
    expect(await publicClient.getChainId()).toBe(31337);
    for (const contract of Object.values(file.contracts)) {
      expect((await publicClient.getCode({ address: contract }))?.length).toBeGreaterThan(2);
    }
  });

  it("lists the demo accounts with their roles, derived from the mnemonic", () => {
    const { accounts } = readFile(first.path);
    expect(accounts).toEqual(
      DEMO_ACCOUNTS.map(({ index, role, label }) => ({ index, role, label, address: address(index) })),
    );
    // anvil's well-known first accounts: the mnemonic and the derivation are the usual ones.
    expect(accounts[1]?.address).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    expect(accounts.filter((a) => a.role === "miner-owner").map((a) => a.index)).toEqual([3, 5]);
  });

  it("funds every demo account with its CAI and gas", async () => {
    const { publicClient, contracts } = clients(first);
    for (const demo of DEMO_ACCOUNTS) {
      expect([demo.index, await contracts.token.read.balanceOf([address(demo.index)])]).toEqual([
        demo.index,
        cai(demo),
      ]);
      expect(await publicClient.getBalance({ address: address(demo.index) })).toBeGreaterThan(
        parseEther("1"),
      );
    }
    expect(await contracts.token.read.balanceOf([first.file.contracts.Faucet])).toBe(
      DEVNET_CONFIG.faucetFunds,
    );
  });

  it("advanceTime moves block.timestamp forward by at least the seconds given", async () => {
    const { publicClient } = clients(first);
    const before = await publicClient.getBlock({ blockTag: "latest" });
    await first.advanceTime(3600);
    const after = await publicClient.getBlock({ blockTag: "latest" });
    expect(after.number).toBe(before.number + 1n);
    expect(after.timestamp - before.timestamp).toBeGreaterThanOrEqual(3600n);
    expect(after.timestamp - before.timestamp).toBeLessThan(3600n + 60n);
  });

  it("keeps the chain across a restart: same deployment, balances and changes", async () => {
    const { publicClient, walletClient, contracts } = clients(first, STAKER);
    const hash = await contracts.token.write.transfer([address(RECIPIENT), CHANGE]);
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    const ethBefore = await publicClient.getBalance({ address: walletClient.account.address });
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    await stop(first);

    second = await start();
    expect(second.resumed).toBe(true);
    expect(second.rpcUrl).not.toBe(first.rpcUrl);
    expect(second.steps).toEqual([
      `starting anvil on ${second.rpcUrl.slice("http://".length)} (resuming the saved chain)`,
    ]);
    expect({ ...second.file, rpcUrl: first.rpcUrl }).toEqual(first.file);
    expect(second.file.rpcUrl).toBe(second.rpcUrl);

    const after = clients(second, STAKER);
    expect(await after.publicClient.getBlockNumber({ cacheTime: 0 })).toBeGreaterThanOrEqual(head);
    expect(await after.contracts.token.read.balanceOf([address(RECIPIENT)])).toBe(CHANGE);
    expect(await after.contracts.token.read.balanceOf([address(STAKER)])).toBe(parseEther("100000") - CHANGE);
    expect(await after.contracts.token.read.balanceOf([address(3)])).toBe(parseEther("50000"));
    expect(await after.publicClient.getBalance({ address: address(STAKER) })).toBe(ethBefore);
  });

  it("points devnet.json at the port it was restarted on", () => {
    expect(readFile(second.path).rpcUrl).toBe(second.rpcUrl);
  });

  it("refuses a port already in use by another server, saying so", async () => {
    const http = createServer((_, res) => res.end("not an RPC"));
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const { port } = http.address() as { port: number };
    const other = mkdtempSync(join(tmpdir(), "roost-devnet-busy-"));
    try {
      await expect(startDevnet({ home: other, port })).rejects.toThrowError(
        `anvil could not start: port ${port} is already in use: stop what runs there or pass --port`,
      );
    } finally {
      http.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("refuses a port on which another devnet already runs, without touching that devnet", async () => {
    const port = Number(new URL(second.rpcUrl).port);
    const other = mkdtempSync(join(tmpdir(), "roost-devnet-busy-"));
    const { publicClient } = clients(second);
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    try {
      await expect(startDevnet({ home: other, port })).rejects.toThrowError(
        `port ${port} is already in use: stop what runs there or pass --port`,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    expect(await publicClient.getBlockNumber({ cacheTime: 0 })).toBe(head);
  });

  it("deploys afresh over a corrupt devnet.json", async () => {
    await stop(second);
    writeFileSync(second.path, "{ corrupt");
    const third = await start();
    expect(third.resumed).toBe(false);
    expect(third.steps).toContain("deploying CAIToken");
    expect(readFile(third.path)).toEqual(third.file);
    const { contracts, publicClient } = clients(third);
    expect(await publicClient.getCode({ address: third.file.contracts.Staking })).toMatch(/^0x[0-9a-f]{10}/);
    expect(await contracts.token.read.balanceOf([address(3)])).toBe(parseEther("50000"));
    await stop(third);
  });

  it("deploys afresh when devnet.json names contracts the chain does not have", async () => {
    const file = readFile(join(home, "devnet.json"));
    const missing = "0x000000000000000000000000000000000000dEaD";
    writeFileSync(
      join(home, "devnet.json"),
      JSON.stringify({ ...file, contracts: { ...file.contracts, Staking: missing } }),
    );
    const fourth = await start();
    expect(fourth.resumed).toBe(false);
    expect(fourth.file.contracts.Staking).not.toBe(missing);
    await stop(fourth);
  });

  it("reset forgets the chain: a fresh deployment without the change", async () => {
    const fresh = await start({ reset: true });
    expect(fresh.resumed).toBe(false);
    expect(fresh.steps[0]).not.toContain("resuming");
    expect(fresh.steps).toContain("deploying CAIToken");
    expect(fresh.file.block).toBe(1);
    const { contracts } = clients(fresh);
    expect(await contracts.token.read.balanceOf([address(RECIPIENT)])).toBe(0n);
    expect(await contracts.token.read.balanceOf([address(STAKER)])).toBe(parseEther("100000"));
    expect(readFile(fresh.path)).toEqual(fresh.file);
    await stop(fresh);
  });
});
