// A miner that signs two different results for one task is slashed from the coordinator's records:
// the coordinator rebuilds the TaskResult it accepted, keeps both signed results, and proves the
// equivocation to Disputes on a real devnet, which slashes and marks the miner's key.

import { createRoostClients, DEVNET_CHAIN_ID, roostContracts } from "@roost/chain";
import type { ChatTaskOutput } from "@roost/protocol";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoordinatorNode } from "../src/node/coordinator-node.js";
import { MinerApiError, MinerClient } from "./fixtures/miner-client.js";
import { chatInput, queueTask } from "./fixtures/miner-tasks.js";
import { account, MINERS, startNetworkWithNode, type TestNetwork } from "./fixtures/network.js";

const MODEL = "roost-demo-chat";
const JAILED = 2;
const ACTIVE = 1;
/** An explicit gas limit: estimates made a second before the block miss the emission accrual's writes. */
const GAS = { gas: 1_000_000n };
let network: TestNetwork;
let node: CoordinatorNode;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ network, node, stop } = await startNetworkWithNode());
}, 60_000);

afterAll(async () => {
  await stop?.();
});

const answer = (content: string): ChatTaskOutput => ({
  type: "chat",
  content,
  finish_reason: "stop",
  usage: { prompt_tokens: 1, completion_tokens: 2 },
});

describe("equivocation", { timeout: 30_000 }, () => {
  it("is proven on chain from the coordinator's records when a miner signs a second result", async () => {
    const { services } = node;
    const minerAccount = account(MINERS[0].operator);
    const client = new MinerClient({
      baseUrl: node.url,
      account: minerAccount,
      coordinator: services.operator,
      disputesDomain: services.disputesDomain,
    });
    await client.login();
    queueTask(node, chatInput("two answers", MODEL));
    const [task] = await client.poll({ slots: 1, models: [MODEL], waitMs: 2_000 });
    if (task === undefined) throw new Error("no task leased");
    await client.result(task, answer("the first answer"));
    const { publicClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [network.devnet.rpcUrl],
    });
    const chain = roostContracts(network.devnet.file, publicClient);
    const finderBefore = await chain.token.read.balanceOf([services.operator]);

    // Replaying the same signed result is fine; a different one is a second signature.
    const second = await client.resultBody(task, answer("a different answer"));
    const refused = await client.submitResult(task.id, second).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MinerApiError);
    expect(refused).toMatchObject({ status: 409, code: "equivocation" });

    const deadline = Date.now() + 15_000;
    while (services.equivocations.get(task.id)?.status !== "proven") {
      if (Date.now() > deadline) throw new Error("timed out waiting for the proof to be accepted");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await chain.disputes.read.equivocated([minerAccount.address])).toBe(true);
    const record = services.equivocations.get(task.id);
    expect(record?.status).toBe("proven");
    expect(record?.a.result.resultHash).not.toBe(record?.b.result.resultHash);
    const miner = await chain.staking.read.getNode([minerAccount.address]);
    expect(miner.status).toBe(JAILED);
    expect(miner.selfStake).toBe(parseEther("14000")); // 30% of 20,000 slashed
    expect(await chain.token.read.balanceOf([services.operator])).toBeGreaterThan(finderBefore); // finder's fee

    // Its owner restores the self-stake and unjails it after the jail period: active on Staking again,
    // but the key is marked, and this coordinator gives it no more work.
    const owner = MINERS[0].owner;
    await network.send(owner, (c) =>
      c.token.write.approve([network.devnet.file.contracts.Staking, parseEther("6000")]),
    );
    await network.send(owner, (c) => c.staking.write.stake([minerAccount.address, parseEther("6000")], GAS));
    await network.devnet.advanceTime(3_600);
    await network.send(owner, (c) => c.staking.write.unjail([minerAccount.address], GAS));
    expect((await chain.staking.read.getNode([minerAccount.address])).status).toBe(ACTIVE);
    const seen = Date.now() + 15_000;
    while (!node.registry.eligible(minerAccount.address)) {
      if (Date.now() > seen) throw new Error("the registry did not see the unjail");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The coordinator reads Disputes' marks every 5 s.
    const marked = Date.now() + 15_000;
    while (services.chain.eligible(minerAccount.address)) {
      if (Date.now() > marked) throw new Error("the coordinator still gives the marked key work");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const again = new MinerClient({
      baseUrl: node.url,
      account: minerAccount,
      coordinator: services.operator,
      disputesDomain: services.disputesDomain,
    });
    await expect(again.login()).rejects.toMatchObject({ status: 403, code: "not_eligible" });
  });
});
