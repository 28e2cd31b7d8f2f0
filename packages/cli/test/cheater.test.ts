// The network's promise, end to end on a devnet: a miner that fakes its images is caught by the
// coordinator's spot checks, a slash is proposed to Disputes with evidence anyone can fetch, executed
// after the challenge window by anyone, and the cheater (and the staker who voted for it) lose stake;
// the cheater is jailed and gets no more work, while the honest miners were paid and never accused.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoostClients, DEVNET_CHAIN_ID, Role, roostContracts } from "@roost/chain";
import { type CoordinatorNode, DEFAULT_CONFIG } from "@roost/coordinator";
import OpenAI from "openai";
import { type Address, keccak256, parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  account,
  COORDINATOR,
  MINERS,
  privateKeyOf,
  startNetworkWithNode,
  type TestNetwork,
} from "../../coordinator/test/fixtures/network.js";
import { runCli, until } from "./running-cli.js";

const GAS = { gas: 1_000_000n };
const JAILED = 2;
const IMAGE_MODEL = "roost-demo/procedural-image";
/** A third, honest miner: owner 9 (given CAI by the staker), operator key 8. */
const THIRD = { owner: 9, operator: 8 };
const CHEATER = MINERS[1];
const STAKER = 7;
const dir = mkdtempSync(join(tmpdir(), "roost-cheater-"));
let network: TestNetwork;
let coordinator: CoordinatorNode;
let stopNetwork: () => Promise<void>;
let stopMiners: () => void = () => undefined;
let miners: { done: Promise<number>; err: () => string }[] = [];

beforeAll(async () => {
  // The production defaults: every miner on probation (each image checked) until it passes 10 checks.
  ({
    network,
    node: coordinator,
    stop: stopNetwork,
  } = await startNetworkWithNode([20_000, 20_000], {
    verification: DEFAULT_CONFIG.verification,
  }));
  await network.send(COORDINATOR.owner, (c) =>
    c.staking.write.updateNode(
      [account(COORDINATOR.operator).address, 1_000, "ipfs://intro", coordinator.url],
      GAS,
    ),
  );
  const staking = network.devnet.file.contracts.Staking;
  await network.send(STAKER, (c) =>
    c.token.write.transfer([account(THIRD.owner).address, parseEther("20000")]),
  );
  await network.send(THIRD.operator, (c) =>
    c.staking.write.approveOwner([account(THIRD.owner).address], GAS),
  );
  await network.send(THIRD.owner, (c) => c.token.write.approve([staking, parseEther("20000")]));
  await network.send(THIRD.owner, (c) =>
    c.staking.write.register(
      [Role.Miner, account(THIRD.operator).address, parseEther("20000"), 1_000, "ipfs://intro", ""],
      GAS,
    ),
  );
  // A staker votes for the cheater with 10,000 CAI: its stake is on the line too.
  await network.send(STAKER, (c) => c.token.write.approve([staking, parseEther("10000")]));
  await network.send(STAKER, (c) =>
    c.staking.write.stake([account(CHEATER.operator).address, parseEther("10000")], GAS),
  );
}, 90_000);

afterAll(async () => {
  stopMiners();
  await Promise.all(miners.map((miner) => miner.done));
  await stopNetwork?.();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (argv: string[], key: number, stopped?: Promise<void>) =>
  runCli(
    { deployment: network.devnet.path, rpcUrl: network.devnet.rpcUrl, cwd: dir },
    argv,
    privateKeyOf(key),
    stopped,
  );

function settings(name: string, backend: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ backends: [backend], redeemIntervalMs: 3_600_000 }));
  return path;
}

/** Tasks this coordinator leased to `miner` so far (its own and spot-check re-runs). */
function tasksOf(miner: Address): number {
  const row = coordinator.services.db.connection
    .prepare("SELECT count(*) AS n FROM tasks WHERE leased_to = ?")
    .get(miner) as { n: number };
  return row.n;
}

describe("a cheating miner", { timeout: 120_000 }, () => {
  it("is caught by spot checks, slashed with its stakers through Disputes, jailed and given no more work", async () => {
    const stopped = new Promise<void>((resolve) => {
      stopMiners = resolve;
    });
    const honest = { kind: "demo-image" };
    miners = [
      cli(
        ["miner", "start", "--config", settings("a.json", honest), "--journal", join(dir, "a.db")],
        MINERS[0].operator,
        stopped,
      ),
      cli(
        [
          "miner",
          "start",
          "--config",
          settings("b.json", { kind: "cheat", fakeShare: 1, backend: honest }),
          "--journal",
          join(dir, "b.db"),
        ],
        CHEATER.operator,
        stopped,
      ),
      cli(
        ["miner", "start", "--config", settings("c.json", honest), "--journal", join(dir, "c.db")],
        THIRD.operator,
        stopped,
      ),
    ];
    const cheater = account(CHEATER.operator).address;
    const operators = [MINERS[0].operator, CHEATER.operator, THIRD.operator].map((i) => account(i).address);
    await until(
      () =>
        operators.every((op) =>
          coordinator.services.dispatcher.presence.online().some((m) => m.operator === op),
        ),
      `the three miners to poll (${miners.map((m) => m.err()).join(" | ")})`,
    );

    // An app asks for images until the cheater's first fake is caught (each checked on probation).
    const openai = new OpenAI({
      baseURL: `${coordinator.url}/v1`,
      apiKey: coordinator.services.apiKeys.create("cheater e2e").plaintext,
      maxRetries: 0,
    });
    const proposed = coordinator.services.db.connection.prepare(
      "SELECT task_id FROM slash_proposals WHERE miner = ? AND status = 'proposed'",
    );
    const proposalAgainstCheater = () => proposed.get(cheater.toLowerCase()) !== undefined;
    for (let i = 0; i < 30 && !proposalAgainstCheater(); i++) {
      await openai.images.generate({ model: IMAGE_MODEL, prompt: `a hen, take ${i}`, size: "256x256" });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await until(proposalAgainstCheater, "the slash proposal against the cheater to be on chain", 30_000);

    // The proposal on chain: its evidence is served by the coordinator and matches its hash.
    const { publicClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [network.devnet.rpcUrl],
    });
    const chain = roostContracts(network.devnet.file, publicClient);
    const listed = cli(["--json", "disputes", "list"], STAKER);
    expect(await listed.done, listed.err()).toBe(0);
    const [proposal] = JSON.parse(listed.out()) as {
      id: string;
      miner: string;
      bps: number;
      evidenceHash: string;
      evidenceURI?: string;
    }[];
    expect(proposal?.miner).toBe(cheater);
    expect(proposal?.bps).toBe(1_000);
    const evidence = await fetch(`${coordinator.url}/api/evidence/${proposal?.evidenceHash}`);
    expect(keccak256(new Uint8Array(await evidence.arrayBuffer()))).toBe(proposal?.evidenceHash);

    // Nobody disputes it; after the devnet's 60 s challenge window anyone executes it.
    const ownerStake = (await chain.staking.read.getNode([cheater])).selfStake;
    expect(await cli(["devnet", "advance", "2m"], STAKER).done).toBe(0);
    const executed = cli(["disputes", "execute", String(proposal?.id)], STAKER);
    expect(await executed.done, executed.err()).toBe(0);
    const node = await chain.staking.read.getNode([cheater]);
    expect(node.status).toBe(JAILED);
    expect(node.selfStake).toBe((ownerStake * 9n) / 10n); // 10% slashed
    expect(node.totalStake - node.selfStake).toBe(parseEther("9000")); // the staker's 10,000 less 10%
    const nodes = cli(["nodes", "miners"], STAKER);
    expect(await nodes.done).toBe(0);
    expect(nodes.out()).toMatch(new RegExp(`${cheater}.*jailed`, "i"));

    // Jailed: once the coordinator has read it from the chain, the cheater gets no more tasks.
    await until(() => !coordinator.registry.eligible(cheater), "the registry to see the jail");
    const before = tasksOf(cheater);
    for (let i = 0; i < 6; i++) {
      await openai.images.generate({ model: IMAGE_MODEL, prompt: `after the jail ${i}`, size: "256x256" });
    }
    expect(tasksOf(cheater)).toBe(before);
    // The honest miners were never accused.
    const accused = coordinator.services.db.connection
      .prepare("SELECT DISTINCT miner FROM slash_proposals")
      .all();
    expect(accused).toEqual([{ miner: cheater.toLowerCase() }]);
  });
});
