// The miner's side of the chain, against a real devnet (anvil, every contract deployed, a coordinator
// and two miners registered): coordinator discovery with allow and deny lists, the start-up check that
// names what is missing, the warning when the miner is jailed while it runs, and receipts redeemed by
// themselves once they pass the threshold (and retried when the RPC is down).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoostClients, type RoostContracts, roostContracts } from "@roost/chain";
import { signReceipt } from "@roost/protocol";
import { type Address, createTestClient, http, keccak256, parseEther, stringToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  account,
  COORDINATOR,
  MINERS,
  startNetwork,
  type TestNetwork,
} from "../../coordinator/test/fixtures/network.js";
import { waitFor } from "../../coordinator/test/fixtures/store-helpers.js";
import { chainCoordinators, discoverCoordinators } from "../src/chain/discovery.js";
import { MinerNotReadyError, preflight } from "../src/chain/preflight.js";
import { AutoRedeemer } from "../src/earnings/auto-redeem.js";
import { MinerJournal } from "../src/journal/journal.js";
import type { MinerLogger } from "../src/node/logger.js";

const GAS = { gas: 1_000_000n };
const dir = mkdtempSync(join(tmpdir(), "roost-miner-chain-"));
let network: TestNetwork;
let reader: RoostContracts;
const coordinator = account(COORDINATOR.operator).address;
const [minerA, minerB] = MINERS.map((m) => account(m.operator).address) as [Address, Address];

beforeAll(async () => {
  network = await startNetwork([20_000, 30_000]);
  const { publicClient } = createRoostClients({
    chainId: network.devnet.file.chainId,
    rpcUrls: [network.devnet.rpcUrl],
  });
  reader = roostContracts(network.devnet.file, publicClient);
}, 60_000);

afterAll(async () => {
  await network?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function collectingLogger(): MinerLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) };
}

/** A contract's address acting on anvil without its key (as Disputes does when a slash executes). */
async function impersonated(address: Address) {
  const test = createTestClient({ mode: "anvil", transport: http(network.devnet.rpcUrl) });
  await test.impersonateAccount({ address });
  await test.setBalance({ address, value: parseEther("1") });
  const { publicClient, walletClient } = createRoostClients({
    chainId: network.devnet.file.chainId,
    rpcUrls: [network.devnet.rpcUrl],
    account: { address, type: "json-rpc" },
  });
  return { contracts: roostContracts(network.devnet.file, publicClient, walletClient), publicClient };
}

describe("coordinator discovery", () => {
  it("finds every active coordinator with its endpoint and total stake", async () => {
    const found = await discoverCoordinators(reader);
    expect(found).toEqual([
      { address: coordinator, endpoint: "http://127.0.0.1:8080", stake: parseEther("2000000") },
    ]);
  });

  it("leaves out denied coordinators and, with an allow list, every other one", async () => {
    expect(await discoverCoordinators(reader, { deny: [coordinator.toLowerCase() as Address] })).toEqual([]);
    expect(await discoverCoordinators(reader, { allow: [minerA] })).toEqual([]);
    expect(await discoverCoordinators(reader, { allow: [coordinator] })).toHaveLength(1);
  });
});

describe("preflight", () => {
  it("passes a registered, active miner and returns its node", async () => {
    const node = await preflight(reader, minerB);
    expect(node.selfStake).toBe(parseEther("30000"));
  });

  it("names the command that registers an unknown operator", async () => {
    const stranger = account(9).address;
    await expect(preflight(reader, stranger)).rejects.toThrow(
      new MinerNotReadyError(
        `operator ${stranger} is not registered: run roost register miner --operator ${stranger} --self-stake 20000 --commission 10 --intro "..." with the owner key (after roost approve-owner <owner> with this operator key)`,
      ),
    );
  });

  it("refuses a coordinator's operator key", async () => {
    await expect(preflight(reader, coordinator)).rejects.toThrow(
      `operator ${coordinator} is registered as a coordinator, not a miner`,
    );
  });
});

describe("the miner's standing while it runs", () => {
  it("warns once when the miner is jailed, says until when, and keeps discovering coordinators", async () => {
    const logger = collectingLogger();
    const load = chainCoordinators(reader, minerA, {}, logger);
    expect(await load()).toHaveLength(1);
    expect(logger.lines).toEqual([]);

    const disputes = await impersonated(network.devnet.file.contracts.Disputes);
    const hash = await disputes.contracts.staking.write.slash(
      [minerA, 1000, keccak256(stringToHex("test"))],
      GAS,
    );
    await disputes.publicClient.waitForTransactionReceipt({ hash });
    const { jailedUntil } = await reader.staking.read.getNode([minerA]);
    const until = new Date(Number(jailedUntil) * 1000).toISOString();

    expect(await load()).toHaveLength(1);
    expect(await load()).toHaveLength(1);
    expect(logger.lines).toEqual([
      `warning: operator ${minerA} is jailed until ${until}: then run roost unjail ${minerA} with the owner key (coordinators give this miner no work meanwhile)`,
    ]);
    await expect(preflight(reader, minerA)).rejects.toBeInstanceOf(MinerNotReadyError);
  });
});

describe("automatic redemption", { timeout: 30_000 }, () => {
  const escrow = () => network.devnet.file.contracts.PaymentEscrow;
  const domain = () => ({ chainId: network.devnet.file.chainId, verifyingContract: escrow() });
  const signed = async (cumulativeAmount: bigint, tasks: number) => ({
    coordinator,
    cumulativeAmount,
    tasks,
    signature: await signReceipt(account(COORDINATOR.operator), domain(), {
      coordinator,
      miner: minerB,
      cumulativeAmount,
    }),
  });
  const redeemed = () => reader.escrow.read.redeemed([coordinator, minerB]);
  const writer = (rpcUrl: string) => {
    const { publicClient, walletClient } = createRoostClients({
      chainId: network.devnet.file.chainId,
      rpcUrls: [rpcUrl],
      account: account(MINERS[1].operator),
      rpc: { retryCount: 0 },
    });
    return { contracts: roostContracts(network.devnet.file, publicClient, walletClient), publicClient };
  };

  beforeAll(async () => {
    const amount = parseEther("1000");
    await network.send(COORDINATOR.owner, (c) => c.token.write.approve([escrow(), amount]));
    await network.send(COORDINATOR.owner, (c) => c.escrow.write.deposit([coordinator, amount], GAS));
  });

  it("redeems once a coordinator owes the threshold, not before, and pays what the receipt says", async () => {
    const journal = MinerJournal.open(join(dir, "redeem.db"));
    const controller = new AbortController();
    const logger = collectingLogger();
    const redeemer = new AutoRedeemer(
      journal,
      minerB,
      { ...writer(network.devnet.rpcUrl), threshold: parseEther("5"), intervalMs: 0 },
      logger,
      controller.signal,
    );
    const below = await signed(parseEther("4.99"), 1);
    journal.recordReceipt(below);
    redeemer.noteReceipt(coordinator, below.cumulativeAmount);
    await redeemer.redeem(parseEther("5")); // what a receipt under the threshold would trigger: nothing
    expect(await redeemed()).toBe(0n);

    const above = await signed(parseEther("7.5"), 2);
    journal.recordReceipt(above);
    redeemer.noteReceipt(coordinator, above.cumulativeAmount);
    await waitFor(() => logger.lines.some((l) => l.startsWith("redeemed")), 10_000, "the redemption");
    expect(await redeemed()).toBe(parseEther("7.5"));
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/^redeemed 7\.5 CAI from 1 coordinator\(s\) in 0x[0-9a-f]{64}$/),
    );

    // A later receipt 1 CAI above the redeemed amount stays below the threshold: no transaction.
    const later = await signed(parseEther("8.5"), 3);
    journal.recordReceipt(later);
    redeemer.noteReceipt(coordinator, later.cumulativeAmount);
    controller.abort();
    await redeemer.done();
    expect(await redeemed()).toBe(parseEther("7.5"));
    expect(logger.lines.filter((l) => l.startsWith("redeemed"))).toHaveLength(1);
    journal.close();
  });

  it("on a schedule, redeems whatever is pending; with the RPC down, says so and tries again", async () => {
    const journal = MinerJournal.open(join(dir, "schedule.db"));
    journal.recordReceipt(await signed(parseEther("9"), 4));
    const controller = new AbortController();
    const logger = collectingLogger();
    const down = new AutoRedeemer(
      journal,
      minerB,
      { ...writer("http://127.0.0.1:9"), threshold: parseEther("100"), intervalMs: 100 },
      logger,
      controller.signal,
    );
    down.start();
    await waitFor(() => logger.lines.length >= 2, 10_000, "two failed tries");
    expect(logger.lines[0]).toMatch(/^warning: redemption failed: .*127\.0\.0\.1:9.*; retrying in \d+ s$/);
    controller.abort();
    await down.done();

    const up = new AbortController();
    const working = new AutoRedeemer(
      journal,
      minerB,
      { ...writer(network.devnet.rpcUrl), threshold: parseEther("100"), intervalMs: 100 },
      collectingLogger(),
      up.signal,
    );
    working.start();
    await waitForValue(redeemed, parseEther("9"));
    up.abort();
    await working.done();
    journal.close();
  });
});

async function waitForValue(read: () => Promise<bigint>, expected: bigint, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value === expected) return;
    if (Date.now() > deadline) throw new Error(`still ${value}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
