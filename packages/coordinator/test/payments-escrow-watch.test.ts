// EscrowWatch against a real devnet: a registered coordinator (owner 1, operator 2) with a small
// PaymentEscrow deposit, a registered miner (owner 3, operator 4) earning receipts in a real SQLite
// EarningsBook, one receipt redeemed on chain, and the RPC unreachable.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  createDigestSigner,
  createRoostClients,
  DEVNET_CHAIN_ID,
  DEVNET_MNEMONIC,
  type Devnet,
  Role,
  roostChain,
  roostContracts,
  startDevnet,
} from "@roost/chain";
import { type ChatTaskInput, hashReceipt, type RoostDomainParams } from "@roost/protocol";
import {
  type Address,
  createPublicClient,
  type Hash,
  type Hex,
  http,
  type PublicClient,
  parseEther,
  toHex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { EarningsBook } from "../src/payments/earnings.js";
import { type EscrowStatus, EscrowWatch, type EscrowWatchOptions } from "../src/payments/escrow-watch.js";
import { parsePriceTable } from "../src/payments/prices.js";
import { TaskStore } from "../src/store/tasks.js";
import { apiKeyId, chatTask, fakeInputHash, TempStores, waitFor } from "./fixtures/store-helpers.js";

const account = (index: number) => mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index });
const address = (index: number): Address => account(index).address;
const cai = (amount: number) => parseEther(String(amount));
const GAS = { gas: 1_000_000n };

const COORDINATOR_OWNER = 1;
const COORDINATOR = 2;
const MINER_OWNER = 3;
const MINER = 4;

const home = mkdtempSync(join(tmpdir(), "roost-escrow-"));
const stores = new TempStores();
let devnet: Devnet;
let book: EarningsBook;
let tasks: TaskStore;
let keyId: string;
const watches: EscrowWatch[] = [];

function clients(index?: number) {
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [devnet.rpcUrl],
    ...(index === undefined ? {} : { account: account(index) }),
  });
  return { publicClient, contracts: roostContracts(devnet.file, publicClient, walletClient) };
}

async function send(index: number, write: (c: ReturnType<typeof clients>["contracts"]) => Promise<Hash>) {
  const { publicClient, contracts } = clients(index);
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await write(contracts) });
  expect(receipt.status).toBe("success");
}

async function register(role: number, owner: number, operator: number, stake: bigint, endpoint: string) {
  await send(operator, (c) => c.staking.write.approveOwner([address(owner)], GAS));
  await send(owner, (c) => c.token.write.approve([devnet.file.contracts.Staking, stake]));
  await send(owner, (c) =>
    c.staking.write.register([role, address(operator), stake, 1_000, "ipfs://node", endpoint], GAS),
  );
}

const deposit = (amount: bigint) =>
  send(COORDINATOR_OWNER, (c) => c.escrow.write.deposit([address(COORDINATOR), amount], GAS));

let clock = 1_000;
/** One accepted 4-CAI result for the miner, credited in its completing transaction. */
function earn(): bigint {
  const input: ChatTaskInput = {
    type: "chat",
    model: "llama",
    messages: [{ role: "user", content: `task ${clock}` }],
    max_tokens: 8,
    temperature: 0,
    top_p: 1,
    seed: null,
    stop: [],
  };
  const now = clock++;
  const task = tasks.enqueue(
    chatTask(keyId, { model: "llama", input, inputHash: fakeInputHash(input), now }),
  );
  tasks.assign(task.id, address(MINER), 60_000, now);
  let total = 0n;
  const result = { resultHash: `0x${"ab".repeat(32)}`, signature: `0x${"cd".repeat(65)}`, payload: "ok" };
  tasks.complete(task.id, address(MINER), { ...result, completedAt: now + 1 }, (done) => {
    total = book.credit(address(MINER), done);
  });
  return total;
}

function watch(options: Partial<EscrowWatchOptions> = {}) {
  const warnings: { message: string; figures: EscrowStatus }[] = [];
  const errors: unknown[] = [];
  const w = new EscrowWatch({
    publicClient: clients().publicClient,
    escrow: devnet.file.contracts.PaymentEscrow,
    coordinator: address(COORDINATOR),
    earnings: book,
    onWarning: (message, figures) => warnings.push({ message, figures }),
    onError: (error) => errors.push(error),
    ...options,
  });
  watches.push(w);
  return { w, warnings, errors };
}

beforeAll(async () => {
  devnet = await startDevnet({ home, port: await freePort() });
  await register(Role.Coordinator, COORDINATOR_OWNER, COORDINATOR, cai(2_000_000), "http://127.0.0.1:1");
  await register(Role.Miner, MINER_OWNER, MINER, cai(25_000), "");
  await send(COORDINATOR_OWNER, (c) =>
    c.token.write.approve([devnet.file.contracts.PaymentEscrow, cai(1_000)]),
  );
  await deposit(cai(10));

  const db = stores.open(stores.path());
  const signer = createDigestSigner(toHex(account(COORDINATOR).getHdKey().privateKey as Uint8Array));
  const domain: RoostDomainParams = {
    chainId: DEVNET_CHAIN_ID,
    verifyingContract: devnet.file.contracts.PaymentEscrow,
  };
  book = new EarningsBook(
    db,
    parsePriceTable({ models: { llama: "4" } }),
    signer,
    address(COORDINATOR),
    domain,
  );
  tasks = new TaskStore(db);
  keyId = apiKeyId(db);
}, 30_000);

afterAll(async () => {
  await Promise.all(watches.map((w) => w.stop()));
  await devnet?.stop();
  stores.cleanup();
  rmSync(home, { recursive: true, force: true });
});

describe.sequential("EscrowWatch on a devnet", { timeout: 10_000 }, () => {
  let main: ReturnType<typeof watch>;
  let at8: ReturnType<EarningsBook["receipt"]>;
  const figures = () => ({
    state: main.w.status().state,
    deposit: main.w.status().deposit,
    owed: main.w.status().owed,
  });

  it("nothing earned: the deposit is read, the state is ok, nobody is warned", async () => {
    main = watch();
    expect(main.w.status()).toMatchObject({ state: "unknown", block: -1, checkedAt: null });
    const status = await main.w.check();
    expect(status).toEqual({
      state: "ok",
      deposit: cai(10),
      unlocking: 0n,
      owed: 0n,
      block: Number(await clients().publicClient.getBlockNumber()),
      checkedAt: expect.any(Number),
    });
    expect(main.w.status()).toEqual(status);
    expect(main.warnings).toEqual([]);
  });

  it("owed above half the deposit: low, announced once", async () => {
    expect(earn()).toBe(cai(4));
    await main.w.check();
    expect(figures()).toEqual({ state: "ok", deposit: cai(10), owed: cai(4) }); // 10 >= 2 x 4
    expect(earn()).toBe(cai(8));
    at8 = book.receipt(address(MINER));
    await main.w.check();
    expect(figures()).toEqual({ state: "low", deposit: cai(10), owed: cai(8) });
    expect(main.warnings.map((w) => w.message)).toEqual([
      "the PaymentEscrow deposit of 10 CAI covers less than 2× the 8 CAI owed to miners: deposit more soon",
    ]);
    expect(main.warnings[0]?.figures).toMatchObject({ state: "low", deposit: cai(10), owed: cai(8) });
  });

  it("owed above the deposit: short, announced once however many checks see it", async () => {
    expect(earn()).toBe(cai(12));
    await main.w.check();
    await main.w.check();
    expect(figures()).toEqual({ state: "short", deposit: cai(10), owed: cai(12) });
    expect(main.warnings).toHaveLength(2);
    expect(main.warnings[1]?.message).toMatch(
      /^the PaymentEscrow deposit of 10 CAI does not cover the 12 CAI owed to miners: deposit more now/,
    );
  });

  it("a receipt redeemed on chain: the owed figure drops by what it paid", async () => {
    if (at8 === undefined) throw new Error("no receipt");
    const receipt = {
      coordinator: at8.coordinator,
      miner: at8.miner,
      cumulativeAmount: BigInt(at8.cumulativeAmount),
    };
    await send(MINER, (c) => c.escrow.write.redeem([receipt, at8?.signature as Hex], GAS));
    const status = await main.w.check();
    // Paid 8 from the deposit: 2 left, 12 - 8 = 4 owed, still short, and no new announcement.
    expect(figures()).toEqual({ state: "short", deposit: cai(2), owed: cai(4) });
    expect(status.block).toBeGreaterThan(0);
    expect(main.warnings).toHaveLength(2);
  });

  it("a new deposit that covers twice the debt: ok again, announced", async () => {
    await deposit(cai(10));
    await main.w.check();
    expect(figures()).toEqual({ state: "ok", deposit: cai(12), owed: cai(4) });
    expect(main.warnings.map((w) => w.message)).toContain(
      "the PaymentEscrow deposit of 12 CAI covers the 4 CAI owed to miners again",
    );
    expect(main.warnings).toHaveLength(3);
    expect(main.errors).toEqual([]);
  });

  it("started, it checks on its own every interval", async () => {
    const timed = watch({ intervalMs: 50 });
    timed.w.start();
    await waitFor(() => timed.w.status().state === "ok", 5_000, "the first check");
    earn(); // 16 earned, 8 redeemed: 8 owed against 12 deposited
    await waitFor(() => timed.w.status().state === "low", 5_000, "a check seeing the new total");
    expect(timed.w.status()).toMatchObject({ deposit: cai(12), owed: cai(8) });
    expect(timed.warnings.map((w) => w.figures.state)).toEqual(["low"]);
    await timed.w.stop();
  });

  it("other ratios: short below 1.5× the debt, low below 3×", async () => {
    const strict = watch({ warnRatio: 1.5, lowRatio: 3 });
    await send(MINER, (c) =>
      c.escrow.write.redeem(
        [
          { coordinator: address(COORDINATOR), miner: address(MINER), cumulativeAmount: cai(12) },
          signatureAt(12),
        ],
        GAS,
      ),
    );
    expect(await strict.w.check()).toMatchObject({ state: "low", deposit: cai(8), owed: cai(4) }); // 6 <= 8 < 12
    expect(() => watch({ warnRatio: 2, lowRatio: 1 })).toThrow("lowRatio must be at least warnRatio");
    expect(() => watch({ warnRatio: 0 })).toThrow("warnRatio must be a number above 0");
    expect(() => watch({ intervalMs: 0 })).toThrow("intervalMs must be a positive integer");
  });

  it("reads with multicall3 where the chain has it: the same figures", async () => {
    const { publicClient, walletClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [devnet.rpcUrl],
      account: account(0),
    });
    const hash = await walletClient?.sendTransaction({ data: multicall3Bytecode() });
    const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash: hash as Hash });
    if (!contractAddress) throw new Error("multicall3 not deployed");
    const targets: string[] = [];
    const client = createPublicClient({
      chain: {
        ...roostChain(DEVNET_CHAIN_ID, [devnet.rpcUrl]),
        contracts: { multicall3: { address: contractAddress } },
      },
      transport: http(devnet.rpcUrl, {
        onFetchRequest: async (request) => {
          const body = (await request.clone().json()) as { method: string; params: [{ to?: string }] };
          if (body.method === "eth_call") targets.push(body.params[0].to?.toLowerCase() ?? "");
        },
      }),
    }) as PublicClient;
    const batched = watch({ publicClient: client });
    const plain = watch();
    const [a, b] = await Promise.all([batched.w.check(), plain.w.check()]);
    expect({ ...a, checkedAt: 0 }).toEqual({ ...b, checkedAt: 0 });
    expect(a.owed).toBe(cai(4));
    expect(targets).toContain(contractAddress.toLowerCase());
  });

  it("an unreachable RPC: the check fails, is reported, and the last figures stay", async () => {
    const port = await freePort();
    const { publicClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [`http://127.0.0.1:${port}`],
      rpc: { retryCount: 0, timeout: 1_000 },
    });
    const dead = watch({ publicClient });
    await expect(dead.w.check()).rejects.toThrow(`cannot reach the chain RPC at http://127.0.0.1:${port}`);
    expect(dead.w.status()).toMatchObject({
      state: "unknown",
      error: expect.stringContaining("cannot reach"),
    });
    expect(dead.errors).toHaveLength(1);
    expect(dead.warnings).toEqual([]);
  });
});

/** The coordinator's signature over a Receipt for `amount` CAI (as a receipt of that total would carry). */
function signatureAt(amount: number): Hex {
  const signer = createDigestSigner(toHex(account(COORDINATOR).getHdKey().privateKey as Uint8Array));
  const message = { coordinator: address(COORDINATOR), miner: address(MINER), cumulativeAmount: cai(amount) };
  return signer.sign(
    hashReceipt(
      { chainId: DEVNET_CHAIN_ID, verifyingContract: devnet.file.contracts.PaymentEscrow },
      message,
    ),
  );
}

/** Multicall3 as viem ships it (anvil has none): its creation code, read from viem's own constants. */
function multicall3Bytecode(): Hex {
  const viem = dirname(createRequire(import.meta.url).resolve("viem/package.json"));
  const source = readFileSync(join(viem, "_esm/constants/contracts.js"), "utf8");
  const code = /multicall3Bytecode = '(0x[0-9a-f]+)'/.exec(source)?.[1];
  if (!code) throw new Error("viem's multicall3 bytecode not found");
  return code as Hex;
}
