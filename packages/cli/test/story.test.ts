// The whole staking-and-mining story on `roost devnet` (what `npm start` runs), as people would live
// it with the `roost` command and the official openai client:
// 1. a staker takes CAI from the faucet and votes for a miner and the coordinator;
// 2. a newcomer stakes 20,000 CAI as a miner owner, registers a separate operator key with an intro, and
//    starts a miner node with that key, which finds the coordinator on chain;
// 3. an app's prompts reach miners chosen by stake: images come back, and a streamed chat answer;
// 4. the new miner redeems its receipts, its owner's commission and stakers' share arrive, emission
//    rewards accrue and the staker claims them;
// 5. the staker unstakes, waits out the devnet's unbonding period and withdraws.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoostClients, DEVNET_CHAIN_ID } from "@roost/chain";
import OpenAI from "openai";
import { parseEther } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/program.js";
import { cai, demoAddress, demoKey, roost } from "./helpers.js";
import { type Cli, spawnDevnet } from "./spawn-cli.js";

const STAKER = 8; // no CAI at the start
const OWNER = 9; // the newcomer who becomes a miner
const OPERATOR = 10; // its node's hot key
const MINER_1 = demoAddress(4);
const COORDINATOR = demoAddress(2);

let root: string;
let devnet: Cli;
let deployment: string;
let stopMiner: () => void = () => {};
let miner: Promise<number> | undefined;
let minerLog = "";

const cli = (argv: readonly string[], as?: number) =>
  roost(["--json", "--deployment", deployment, ...argv], root, as === undefined ? {} : { as });
const json = async (argv: readonly string[], as?: number) => {
  const result = await cli(argv, as);
  expect(result.code, `${argv.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};
const pendingRewards = async (index: number) =>
  BigInt((await json(["status", demoAddress(index)])).pendingRewards as string);
const balance = async (index: number) => BigInt((await json(["status", demoAddress(index)])).cai as string);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "roost-story-"));
  ({ cli: devnet, deployment } = await spawnDevnet(join(root, ".roost")));
}, 90_000);

afterAll(async () => {
  stopMiner();
  await miner;
  devnet?.child.kill("SIGINT");
  await devnet?.exited;
  rmSync(root, { recursive: true, force: true });
});

async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("the staking-and-mining story", { timeout: 180_000 }, () => {
  it("1. a staker takes CAI from the faucet and votes for a miner and the coordinator", async () => {
    await json(["faucet", "claim"], STAKER);
    expect(await balance(STAKER)).toBe(cai(25_000));
    await json(["stake", MINER_1, "5k"], STAKER);
    await json(["stake", COORDINATOR, "5k"], STAKER);
    const positions = (await json(["status", demoAddress(STAKER)])).positions as {
      operator: string;
      stake: string;
    }[];
    expect(positions.map((p) => [p.operator, BigInt(p.stake)])).toEqual(
      expect.arrayContaining([
        [MINER_1, cai(5_000)],
        [COORDINATOR, cai(5_000)],
      ]),
    );
  });

  it("2. a newcomer registers a miner with its own operator key and starts its node, which finds the coordinator", async () => {
    await json(["faucet", "claim"], OWNER);
    // The operator key pays gas for its redemptions: the owner sends it a little ETH.
    const { walletClient, publicClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [(JSON.parse(readFileSync(deployment, "utf8")) as { rpcUrl: string }).rpcUrl],
      account: mnemonicToAccount("test test test test test test test test test test test junk", {
        addressIndex: OWNER,
      }),
    });
    const hash = await walletClient?.sendTransaction({
      to: demoAddress(OPERATOR),
      value: parseEther("1"),
      chain: null,
    });
    await publicClient.waitForTransactionReceipt({ hash: hash as `0x${string}` });
    await json(["approve-owner", demoAddress(OWNER)], OPERATOR);
    await json(
      [
        "register",
        "miner",
        "--operator",
        demoAddress(OPERATOR),
        "--self-stake",
        "20k",
        "--commission",
        "10",
        "--intro",
        "a laptop in the story",
      ],
      OWNER,
    );
    const stopped = new Promise<void>((resolve) => {
      stopMiner = resolve;
    });
    miner = run(
      [
        "--deployment",
        deployment,
        "miner",
        "start",
        "--journal",
        join(root, "miner.db"),
        "--backend",
        "demo-image",
        "--backend",
        "llama",
      ],
      {
        stdout: () => {},
        stderr: (text) => {
          minerLog += text;
        },
        env: { ROOST_PRIVATE_KEY: demoKey(OPERATOR) },
        cwd: root,
      },
      () => stopped,
    );
    await until(
      () => /coordinator 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC at http/.test(minerLog),
      `the miner to find the coordinator (${minerLog})`,
    );
  });

  it("3. an app's images and a streamed chat answer are served by miners chosen by stake", async () => {
    const { coordinator } = JSON.parse(readFileSync(deployment, "utf8")) as {
      coordinator: { url: string; apiKey: string };
    };
    const openai = new OpenAI({
      baseURL: `${coordinator.url}/v1`,
      apiKey: coordinator.apiKey,
      maxRetries: 0,
    });
    const servedBy = new Set<string>();
    for (let i = 0; i < 40 && !servedBy.has(demoAddress(OPERATOR)); i++) {
      const { data, response } = await openai.images
        .generate({ model: "roost-demo/procedural-image", prompt: `the story, image ${i}`, size: "256x256" })
        .withResponse();
      expect(
        Buffer.from(data.data?.[0]?.b64_json ?? "", "base64")
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
      servedBy.add(response.headers.get("x-roost-miner") ?? "");
    }
    expect(servedBy.has(demoAddress(OPERATOR))).toBe(true); // the new miner got work
    const stream = await openai.chat.completions.create({
      model: "roost-demo/tiny-random-llama",
      messages: [{ role: "user", content: "tell me the story" }],
      max_tokens: 12,
      stream: true,
    });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      chunks++;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.length).toBeGreaterThan(0);
  });

  it("4. the miner redeems its receipts; commission and stakers' share arrive; the staker claims emission", async () => {
    const earnings = ["miner", "earnings", "--journal", join(root, "miner.db")];
    // Its results are spot-checked while it is new: the pay arrives once another miner agreed.
    await until(async () => {
      const rows = (await roost(["--json", "--deployment", deployment, ...earnings], root, { as: OPERATOR }))
        .stdout;
      return (
        rows.startsWith("[") &&
        (JSON.parse(rows) as { pending: string }[]).some((r) => BigInt(r.pending) > 0n)
      );
    }, "the new miner to be owed for a checked result");
    const ownerBefore = await pendingRewards(OWNER);
    const escrowBefore = BigInt((await json(["escrow", "status", COORDINATOR])).deposit as string);
    expect(escrowBefore).toBe(cai(100_000)); // the devnet funds its coordinator's receipts
    const redeemed = await roost(["--deployment", deployment, ...earnings, "--redeem"], root, {
      as: OPERATOR,
    });
    expect(redeemed.code, redeemed.stderr).toBe(0);
    expect(await pendingRewards(OWNER)).toBeGreaterThan(ownerBefore); // its commission and its stake's share
    // Paid from the coordinator's deposit, which covered it: the coordinator is still active.
    expect(BigInt((await json(["escrow", "status", COORDINATOR])).deposit as string)).toBeLessThan(
      escrowBefore,
    );
    const nodes = (await roost(["--json", "--deployment", deployment, "nodes", "coordinators"], root)).stdout;
    expect(JSON.parse(nodes)).toEqual([expect.objectContaining({ operator: COORDINATOR, status: 1 })]);

    expect((await cli(["devnet", "advance", "1h"])).code).toBe(0);
    const staker = await pendingRewards(STAKER);
    expect(staker).toBeGreaterThan(0n); // emission for its two votes
    const before = await balance(STAKER);
    await json(["claim"], STAKER);
    expect(await balance(STAKER)).toBeGreaterThanOrEqual(before + staker);
  });

  it("the coordinator's owner tops up its escrow deposit and takes part of it back after the unlock period", async () => {
    const before = BigInt((await json(["escrow", "status", COORDINATOR])).deposit as string);
    await json(["escrow", "deposit", COORDINATOR, "1k"], STAKER); // anyone may fund a coordinator
    expect(BigInt((await json(["escrow", "status", COORDINATOR])).deposit as string)).toBe(
      before + cai(1_000),
    );
    const refused = await cli(["escrow", "unlock", COORDINATOR, "1k"], STAKER);
    expect(refused.code).not.toBe(0); // only its owner takes it back
    await json(["escrow", "unlock", COORDINATOR, "1k"], 1);
    expect((await cli(["escrow", "withdraw", COORDINATOR], 1)).code).not.toBe(0); // still unlocking
    expect((await cli(["devnet", "advance", "3m"])).code).toBe(0);
    const owner = await balance(1);
    await json(["escrow", "withdraw", COORDINATOR], 1);
    expect(await balance(1)).toBe(owner + cai(1_000));
  });

  it("5. the staker unstakes, waits out the unbonding period and withdraws", async () => {
    await json(["unstake", MINER_1, "all"], STAKER);
    const early = await cli(["withdraw"], STAKER);
    expect(early.code).not.toBe(0); // nothing matured yet
    expect((await cli(["devnet", "advance", "6m"])).code).toBe(0);
    const before = await balance(STAKER);
    await json(["withdraw"], STAKER);
    expect(await balance(STAKER)).toBe(before + cai(5_000));
  });
});
