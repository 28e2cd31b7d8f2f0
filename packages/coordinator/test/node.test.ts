// The whole coordinator node against a devnet: miners registered on chain log in, tasks are served,
// receipts the coordinator signs are redeemed by PaymentEscrow, and a slash on chain stops dispatch.

import { createRoostClients, DEVNET_CHAIN_ID, roostContracts } from "@roost/chain";
import type { ChatTaskInput } from "@roost/protocol";
import { createTestClient, type Hex, http, keccak256, parseEther, stringToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoordinatorNode } from "../src/node/coordinator-node.js";
import type { Task } from "../src/store/task-record.js";
import { demoChatOutput, MinerApiError, MinerClient } from "./fixtures/miner-client.js";
import { chatInput, queueTask } from "./fixtures/miner-tasks.js";
import { account, COORDINATOR, MINERS, startNetworkWithNode, type TestNetwork } from "./fixtures/network.js";

const GAS = { gas: 1_000_000n };
const MODEL = "roost-demo-chat";
let network: TestNetwork;
let node: CoordinatorNode;

function miner(index: number): MinerClient {
  return new MinerClient({
    baseUrl: node.url,
    account: account(index),
    coordinator: node.services.operator,
    disputesDomain: node.services.disputesDomain,
  });
}

/** Queues a chat task as the app API does, and resolves when it is final. */
function submitChat(prompt: string): Promise<Task> {
  const { services } = node;
  const task = queueTask(node, chatInput(prompt, MODEL));
  return new Promise((resolve) => {
    const unsubscribe = services.events.subscribe(task.id, (event) => {
      if (event.type === "completed" || event.type === "failed") {
        unsubscribe();
        resolve(event.task);
      }
    });
  });
}

let stop: () => Promise<void>;

beforeAll(async () => {
  ({ network, node, stop } = await startNetworkWithNode([20_000, 20_000], { leaseMs: 5_000 }));
}, 60_000);

afterAll(async () => {
  await stop?.();
});

describe.sequential("coordinator node on a devnet", { timeout: 30_000 }, () => {
  it("lets the operators of registered miners log in, and no one else", async () => {
    expect(node.services.operator).toBe(account(COORDINATOR.operator).address);
    await expect(miner(MINERS[0].operator).login()).resolves.toMatchObject({
      operator: account(MINERS[0].operator).address,
    });
    // The owner's key is not the operator key; account 7 is a staker.
    for (const index of [MINERS[0].owner, 7]) {
      const error = await miner(index)
        .login()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MinerApiError);
      expect(error).toMatchObject({
        status: 403,
        body: { error: { code: "not_eligible", param: "login.operator" } },
      });
    }
  });

  it("serves a task and pays for it with a receipt PaymentEscrow redeems", async () => {
    const client = miner(MINERS[0].operator);
    await client.login();
    const loop = client.serve({
      models: [MODEL],
      slots: 2,
      answer: (task) => demoChatOutput(task.input as ChatTaskInput),
    });
    try {
      const task = await submitChat("hello network");
      expect(task.status).toBe("completed");
      expect(task.leasedTo).toBe(client.address);
    } finally {
      await loop.stop();
    }
    const receipt = await client.receipt();
    expect(BigInt(receipt.cumulativeAmount)).toBeGreaterThan(0n);

    // The coordinator's owner funds the escrow; anyone may then redeem the miner's receipt.
    const amount = parseEther("100");
    await network.send(COORDINATOR.owner, (c) =>
      c.token.write.approve([network.devnet.file.contracts.PaymentEscrow, amount]),
    );
    await network.send(COORDINATOR.owner, (c) =>
      c.escrow.write.deposit([node.services.operator, amount], GAS),
    );
    await network.send(MINERS[0].operator, (c) =>
      c.escrow.write.redeem(
        [
          {
            coordinator: receipt.coordinator,
            miner: receipt.miner,
            cumulativeAmount: BigInt(receipt.cumulativeAmount),
          },
          receipt.signature as Hex,
        ],
        GAS,
      ),
    );
    const { publicClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [network.devnet.rpcUrl],
    });
    const redeemed = await roostContracts(network.devnet.file, publicClient).escrow.read.redeemed([
      receipt.coordinator,
      receipt.miner,
    ]);
    expect(redeemed).toBe(BigInt(receipt.cumulativeAmount));
  });

  it("stops giving work to a miner slashed and jailed on chain", async () => {
    const jailed = miner(MINERS[1].operator);
    await jailed.login();
    const disputes = network.devnet.file.contracts.Disputes;
    const test = createTestClient({ mode: "anvil", transport: http(network.devnet.rpcUrl) });
    await test.impersonateAccount({ address: disputes });
    await test.setBalance({ address: disputes, value: parseEther("1") });
    const { publicClient, walletClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [network.devnet.rpcUrl],
      account: { address: disputes, type: "json-rpc" },
    });
    const hash = await roostContracts(network.devnet.file, publicClient, walletClient).staking.write.slash(
      [jailed.address, 1_000, keccak256(stringToHex("node test"))],
      GAS,
    );
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    await test.stopImpersonatingAccount({ address: disputes });

    const deadline = Date.now() + 10_000;
    while (node.registry.eligible(jailed.address) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(node.registry.eligible(jailed.address)).toBe(false);
    const error = await jailed.poll({ slots: 1, models: [MODEL], waitMs: 0 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, body: { error: { code: "not_eligible" } } });

    // The honest miner still gets the work.
    const honest = miner(MINERS[0].operator);
    await honest.login();
    const loop = honest.serve({
      models: [MODEL],
      slots: 1,
      answer: (task) => demoChatOutput(task.input as ChatTaskInput),
    });
    try {
      const task = await submitChat("after the slash");
      expect(task.leasedTo).toBe(honest.address);
    } finally {
      await loop.stop();
    }
  });

  it("reports its chain view on /healthz and its counters on /metrics", async () => {
    const health = (await (await fetch(`${node.url}/healthz`)).json()) as {
      status: string;
      chain: { degraded: boolean };
    };
    expect(health).toMatchObject({ status: "ok", chain: { degraded: false } });
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/roost_coordinator_results_accepted_total 2/);
  });
});
