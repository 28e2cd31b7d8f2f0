// MinerRegistry against a real devnet (anvil with every contract deployed): the initial paginated
// load, following stake, slash/jail, unjail, deregistration, registrations and minimum changes
// from events, and degraded mode behind a real HTTP proxy that stops forwarding.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  createRoostClients,
  DEVNET_CHAIN_ID,
  DEVNET_MNEMONIC,
  type Devnet,
  Role,
  roostChain,
  roostContracts,
  Status,
  startDevnet,
} from "@roost/chain";
import {
  type Address,
  createPublicClient,
  createTestClient,
  type Hash,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  parseEther,
  stringToHex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { MinerRegistry, type MinerRegistryOptions, type MinerView, toCai } from "../src/chain/registry.js";

const address = (index: number): Address =>
  mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).address;
const cai = (amount: number) => parseEther(String(amount));

const ADMIN = 0;
const MINER_A = 4; // owner 3, self-stake 25k
const MINER_B = 6; // owner 5
const MINER_C = 9; // owner 3, deregistered before the registry starts
const MINER_D = 8; // owner 5, registered while the registry follows
const STAKER = 7;
/** An explicit gas limit: an estimate made in the second before the one the transaction is mined
 *  in misses the emission accrual's storage writes (`_updateGlobal`) and runs out of gas. */
const GAS = { gas: 1_000_000n };

const home = mkdtempSync(join(tmpdir(), "roost-registry-"));
let devnet: Devnet;
const registries: MinerRegistry[] = [];

function clients(index?: number) {
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [devnet.rpcUrl],
    ...(index === undefined ? {} : { account: mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }) }),
  });
  return { publicClient, contracts: roostContracts(devnet.file, publicClient, walletClient) };
}

/** Sends a transaction as demo account `index`; returns its block. */
async function send(index: number, write: (c: ReturnType<typeof clients>["contracts"]) => Promise<Hash>) {
  const { publicClient, contracts } = clients(index);
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await write(contracts) });
  expect(receipt.status).toBe("success");
  return receipt.blockNumber;
}

async function registerMiner(owner: number, operator: number, selfStake: bigint): Promise<bigint> {
  await send(operator, (c) => c.staking.write.approveOwner([address(owner)], GAS));
  await send(owner, (c) => c.token.write.approve([devnet.file.contracts.Staking, selfStake]));
  return send(owner, (c) =>
    c.staking.write.register(
      [Role.Miner, address(operator), selfStake, 1_000, `ipfs://m${operator}`, ""],
      GAS,
    ),
  );
}

function startRegistry(options: Partial<MinerRegistryOptions> = {}) {
  const changes: MinerView[] = [];
  const registry = new MinerRegistry({
    deployment: devnet.file,
    publicClient: clients().publicClient,
    pollMs: 50,
    onChange: (miner) => changes.push(miner),
    ...options,
  });
  registries.push(registry);
  return { registry, changes };
}

/** Polls `probe` until it returns something other than undefined/false. */
async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  devnet = await startDevnet({ home, port: await freePort() });
  await registerMiner(3, MINER_A, cai(25_000));
  await registerMiner(5, MINER_B, cai(20_000));
  await registerMiner(3, MINER_C, cai(20_000));
  await send(3, (c) => c.staking.write.deregister([address(MINER_C)], GAS));
  await send(STAKER, (c) => c.token.write.approve([devnet.file.contracts.Staking, cai(100_000)]));
}, 30_000);

afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.stop()));
  await devnet?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe.sequential("MinerRegistry following the chain", { timeout: 10_000 }, () => {
  let registry: MinerRegistry;
  let changes: MinerView[];
  const lastChange = (index: number) => changes.findLast((m) => m.operator === address(index));

  it("loads every miner page by page at start, each with its eligibility", async () => {
    ({ registry, changes } = startRegistry({ pageSize: 1 }));
    await registry.start();
    const head = await clients().publicClient.getBlockNumber();
    expect(registry.status()).toEqual({ degraded: false, lastSyncedBlock: Number(head), lagBlocks: 0 });
    expect(registry.miners().map((m) => m.operator)).toEqual(
      expect.arrayContaining([address(MINER_A), address(MINER_B), address(MINER_C)]),
    );
    expect(registry.miners()).toHaveLength(3);
    expect(changes).toHaveLength(3); // each appeared
    expect(registry.minSelfStake).toBe(cai(20_000));

    expect(registry.get(address(MINER_A))).toEqual({
      operator: address(MINER_A),
      owner: address(3),
      status: Status.Active,
      totalStake: cai(25_000),
      selfStake: cai(25_000),
      unbondingStake: 0n,
      commissionBps: 1_000,
      pendingCommissionBps: 0,
      commissionEffectiveAt: 0,
      jailedUntil: 0,
      metadataURI: `ipfs://m${MINER_A}`,
      endpoint: "",
      eligible: true,
    });
    expect(registry.eligible(address(MINER_A))).toBe(true);
    expect(registry.eligible(address(MINER_A).toLowerCase() as Address)).toBe(true);
    expect(registry.stakeOf(address(MINER_A))).toBe(cai(25_000));
    expect(registry.weight(address(MINER_A))).toBe(25_000);
    expect(registry.eligible(address(MINER_B))).toBe(true);
    // Deregistered: still known, not eligible, no weight.
    expect(registry.get(address(MINER_C))?.status).toBe(Status.Deregistered);
    expect(registry.eligible(address(MINER_C))).toBe(false);
    expect(registry.weight(address(MINER_C))).toBe(0);
    // Never registered.
    expect(registry.get(address(STAKER))).toBeUndefined();
    expect(registry.eligible(address(STAKER))).toBe(false);
    expect(registry.stakeOf(address(STAKER))).toBe(0n);
    expect(registry.weight(address(STAKER))).toBe(0);
  });

  it("a stake on a miner shows in its total stake after the next poll", async () => {
    const before = changes.length;
    await send(STAKER, (c) => c.staking.write.stake([address(MINER_A), cai(1_000)], GAS));
    await waitFor(() => registry.stakeOf(address(MINER_A)) === cai(26_000), "the stake");
    expect(registry.get(address(MINER_A))).toMatchObject({ selfStake: cai(25_000), eligible: true });
    expect(registry.weight(address(MINER_A))).toBe(26_000);
    expect(changes.slice(before).map((m) => m.operator)).toEqual([address(MINER_A)]);
  });

  it("a slash by the Disputes contract jails the miner: not eligible, no weight", async () => {
    const disputes = devnet.file.contracts.Disputes;
    const test = createTestClient({ mode: "anvil", transport: http(devnet.rpcUrl) });
    await test.impersonateAccount({ address: disputes });
    await test.setBalance({ address: disputes, value: parseEther("1") });
    const { publicClient, walletClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [devnet.rpcUrl],
      account: { address: disputes, type: "json-rpc" },
    });
    const slasher = roostContracts(devnet.file, publicClient, walletClient);
    const hash = await slasher.staking.write.slash(
      [address(MINER_A), 1_000, keccak256(stringToHex("test"))],
      GAS,
    );
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    await test.stopImpersonatingAccount({ address: disputes });

    await waitFor(() => registry.get(address(MINER_A))?.status === Status.Jailed, "the jail");
    expect(registry.get(address(MINER_A))).toMatchObject({
      totalStake: cai(23_400),
      selfStake: cai(22_500),
      eligible: false,
    });
    expect(registry.eligible(address(MINER_A))).toBe(false);
    expect(registry.weight(address(MINER_A))).toBe(0);
    expect(lastChange(MINER_A)?.eligible).toBe(false);
  });

  it("unjailed after the jail period: eligible again", async () => {
    await devnet.advanceTime(121);
    await send(3, (c) => c.staking.write.unjail([address(MINER_A)], GAS));
    await waitFor(() => registry.eligible(address(MINER_A)), "the unjail");
    expect(registry.weight(address(MINER_A))).toBe(23_400);
    expect(lastChange(MINER_A)).toMatchObject({ status: Status.Active, eligible: true });
  });

  it("deregistered: not eligible", async () => {
    await send(5, (c) => c.staking.write.deregister([address(MINER_B)], GAS));
    await waitFor(() => registry.get(address(MINER_B))?.status === Status.Deregistered, "the deregistration");
    expect(registry.eligible(address(MINER_B))).toBe(false);
    expect(lastChange(MINER_B)?.eligible).toBe(false);
  });

  it("a new minimum self-stake flips eligibility of miners no event named", async () => {
    const before = changes.length;
    await send(ADMIN, (c) => c.staking.write.setMinSelfStake([Role.Miner, cai(23_000)], GAS));
    await waitFor(() => !registry.eligible(address(MINER_A)), "the higher minimum");
    expect(registry.minSelfStake).toBe(cai(23_000));
    // Only A flipped (22.5k < 23k); B and C were already ineligible.
    expect(changes.slice(before).map((m) => [m.operator, m.eligible])).toEqual([[address(MINER_A), false]]);
    expect(registry.weight(address(MINER_A))).toBe(0);
    // The coordinators' minimum is not the miners'.
    await send(ADMIN, (c) => c.staking.write.setMinSelfStake([Role.Coordinator, cai(1_000_000)], GAS));
    await send(ADMIN, (c) => c.staking.write.setMinSelfStake([Role.Miner, cai(20_000)], GAS));
    await waitFor(() => registry.eligible(address(MINER_A)), "the lower minimum");
    expect(registry.minSelfStake).toBe(cai(20_000));
  });

  it("a miner registered meanwhile appears; a coordinator's registration is ignored", async () => {
    await registerMiner(5, MINER_D, cai(20_000));
    await waitFor(() => registry.eligible(address(MINER_D)), "the new miner");
    expect(lastChange(MINER_D)).toMatchObject({ totalStake: cai(20_000), eligible: true });

    await send(2, (c) => c.staking.write.approveOwner([address(1)], GAS));
    await send(1, (c) => c.token.write.approve([devnet.file.contracts.Staking, cai(1_000_000)]));
    const block = await send(1, (c) =>
      c.staking.write.register(
        [Role.Coordinator, address(2), cai(1_000_000), 0, "", "http://127.0.0.1:1"],
        GAS,
      ),
    );
    await waitFor(() => registry.status().lastSyncedBlock >= block, "the registration's block");
    expect(registry.get(address(2))).toBeUndefined();
    expect(registry.miners()).toHaveLength(4);
  });

  it("a scheduled commission raise shows once due, with no event at that time", async () => {
    await send(3, (c) => c.staking.write.updateNode([address(MINER_A), 2_000, "ipfs://a2", ""], GAS));
    await waitFor(() => registry.get(address(MINER_A))?.pendingCommissionBps === 2_000, "the schedule");
    expect(registry.get(address(MINER_A))).toMatchObject({ commissionBps: 1_000, metadataURI: "ipfs://a2" });
    await devnet.advanceTime(301);
    await waitFor(() => registry.get(address(MINER_A))?.commissionBps === 2_000, "the raise");
    expect(registry.get(address(MINER_A))).toMatchObject({
      pendingCommissionBps: 0,
      commissionEffectiveAt: 0,
    });
  });
});

/** Multicall3 as viem ships it (anvil has none): its creation code, read from viem's own constants. */
function multicall3Bytecode(): Hex {
  const viem = dirname(createRequire(import.meta.url).resolve("viem/package.json"));
  const source = readFileSync(join(viem, "_esm/constants/contracts.js"), "utf8");
  const code = /multicall3Bytecode = '(0x[0-9a-f]+)'/.exec(source)?.[1];
  if (!code) throw new Error("viem's multicall3 bytecode not found");
  return code as Hex;
}

describe("MinerRegistry on a chain with multicall3", { timeout: 10_000 }, () => {
  it("batches its re-reads into one multicall3 call, with the same view", async () => {
    const { publicClient, walletClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [devnet.rpcUrl],
      account: mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: ADMIN }),
    });
    const hash = await walletClient?.sendTransaction({ data: multicall3Bytecode() });
    const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash: hash as Hash });
    if (!contractAddress) throw new Error("multicall3 not deployed");
    const calls: string[] = [];
    const client = createPublicClient({
      chain: {
        ...roostChain(DEVNET_CHAIN_ID, [devnet.rpcUrl]),
        contracts: { multicall3: { address: contractAddress } },
      },
      transport: http(devnet.rpcUrl, {
        onFetchRequest: async (request) => {
          const body = (await request.clone().json()) as { method: string; params: [{ to?: string }] };
          if (body.method === "eth_call") calls.push(body.params[0].to?.toLowerCase() ?? "");
        },
      }),
    }) as PublicClient;
    const { registry } = startRegistry({ publicClient: client });
    const { registry: plain } = startRegistry({ pageSize: 2 });
    await Promise.all([registry.start(), plain.start()]);
    expect(registry.miners()).toHaveLength(4);
    expect(registry.miners()).toEqual(expect.arrayContaining(plain.miners()));

    calls.length = 0;
    const [a, d] = [registry.stakeOf(address(MINER_A)), registry.stakeOf(address(MINER_D))];
    await send(STAKER, (c) => c.staking.write.stake([address(MINER_A), cai(10)], GAS));
    await send(STAKER, (c) => c.staking.write.stake([address(MINER_D), cai(10)], GAS));
    const caughtUp = (r: MinerRegistry) =>
      r.stakeOf(address(MINER_A)) === a + cai(10) && r.stakeOf(address(MINER_D)) === d + cai(10);
    await waitFor(() => caughtUp(registry) && caughtUp(plain), "the stakes");
    expect(registry.miners()).toEqual(expect.arrayContaining(plain.miners()));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((to) => to === contractAddress.toLowerCase())).toBe(true);
  });
});

/** A real HTTP JSON-RPC proxy in front of anvil that can stop forwarding. */
async function startProxy(target: string) {
  const proxy = {
    mode: "forward" as "forward" | "503" | "close",
    url: "",
    server: undefined as unknown as Server,
  };
  proxy.server = createServer(async (req, res) => {
    if (proxy.mode === "close") return void req.socket.destroy();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (proxy.mode === "503") return void res.writeHead(503).end("unavailable");
    try {
      const upstream = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, { "content-type": "application/json" });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  return proxy;
}

describe.sequential("MinerRegistry when the RPC fails", { timeout: 10_000 }, () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let registry: MinerRegistry;
  let changes: MinerView[];
  const errors: unknown[] = [];

  beforeAll(async () => {
    proxy = await startProxy(devnet.rpcUrl);
    const { publicClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [proxy.url],
      rpc: { retryCount: 0, timeout: 1_000 },
    });
    ({ registry, changes } = startRegistry({
      publicClient,
      maxBackoffMs: 200,
      maxBlockRange: 3,
      onError: (error) => errors.push(error),
    }));
  });
  afterAll(async () => {
    proxy.server.closeAllConnections();
    await new Promise((resolve) => proxy.server.close(resolve));
  });

  it("start rejects while there is no RPC (degraded, nothing to serve) and can be retried", async () => {
    proxy.mode = "503";
    await expect(registry.start()).rejects.toThrow();
    expect(registry.status()).toEqual({
      degraded: true,
      lastSyncedBlock: -1,
      lastError: `cannot reach the chain RPC at ${proxy.url} (HTTP 503); check that the node is running and the URL is right`,
      degradedSince: expect.any(Number),
      failures: 1,
    });
    expect(registry.miners()).toEqual([]);
    proxy.mode = "forward";
    await registry.start();
    expect(registry.status()).toMatchObject({ degraded: false });
    expect(registry.status().lastError).toBeUndefined();
    expect(registry.miners()).toHaveLength(4);
  });

  it.each(["503", "close"] as const)(
    "RPC answering %s: degraded on the last view, then catches up",
    async (mode) => {
      const view = registry.miners();
      const synced = registry.status().lastSyncedBlock;
      errors.length = 0;
      proxy.mode = mode;
      await waitFor(() => registry.status().degraded, "degraded");
      expect(errors.length).toBeGreaterThan(0);

      // Meanwhile the chain moves on: a stake, and more blocks than one log query spans.
      const stake = registry.stakeOf(address(MINER_D));
      const block = await send(STAKER, (c) => c.staking.write.stake([address(MINER_D), cai(100)], GAS));
      await createTestClient({ mode: "anvil", transport: http(devnet.rpcUrl) }).mine({ blocks: 10 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const status = registry.status();
      expect(status).toMatchObject({
        degraded: true,
        lastSyncedBlock: synced,
        lastError: expect.any(String),
      });
      expect(status.failures).toBeGreaterThan(1);
      expect(registry.miners()).toEqual(view); // the last view, still served
      expect(registry.eligible(address(MINER_D))).toBe(true);
      expect(registry.stakeOf(address(MINER_D))).toBe(stake);

      proxy.mode = "forward";
      await waitFor(() => !registry.status().degraded, "the recovery");
      await waitFor(() => registry.stakeOf(address(MINER_D)) === stake + cai(100), "the catch-up");
      expect(registry.status().lastSyncedBlock).toBeGreaterThanOrEqual(Number(block) + 10);
      expect(registry.status()).toEqual({
        degraded: false,
        lastSyncedBlock: registry.status().lastSyncedBlock,
        lagBlocks: registry.chainLag,
      });
      expect(changes.findLast((m) => m.operator === address(MINER_D))?.totalStake).toBe(stake + cai(100));
    },
  );

  it("weights are exact to a micro-CAI up to the whole supply", () => {
    expect(toCai(cai(1_000_000_000) - 1n)).toBe(999_999_999.999999);
    expect(toCai(cai(20_000) + 123_456_789_012_345n)).toBe(20_000.000123);
    expect(toCai(0n)).toBe(0);
  });
});
