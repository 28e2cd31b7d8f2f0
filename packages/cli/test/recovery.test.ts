// A node's way back from a slash, end to end against a real devnet: the Disputes contract (its
// address impersonated on anvil) slashes and jails a miner; stakers are refused, the owner tops up
// its self-stake and, once the jail period is over (`roost devnet advance`), unjails it.
import { createRoostClients, formatDuration, roostContracts } from "@roost/chain";
import { createTestClient, http, keccak256, parseEther, stringToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountState, cai, demoAddress, startTestNet, type TestNet } from "./helpers.js";

const MINER_OWNER = demoAddress(3);
const MINER = demoAddress(4);
const STAKER = demoAddress(7);
const ACTIVE = 1;
const JAILED = 2;

let net: TestNet;
beforeAll(async () => {
  net = await startTestNet();
  expect((await net.cli(["approve-owner", MINER_OWNER], { as: 4 })).code).toBe(0);
  const register = await net.cli(
    ["register", "miner", "--operator", MINER, "--self-stake", "20k", "--commission", "10", "--intro", "m1"],
    { as: 3 },
  );
  expect(register.code).toBe(0);
}, 30_000);
afterAll(async () => {
  await net?.stop();
});

/** "2026-11-22T01:51:56Z": how error messages print a chain timestamp. */
const iso = (seconds: bigint | number) =>
  new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
const node = () => net.contracts.staking.read.getNode([MINER]);
const totalRewardable = async () => (await net.contracts.staking.read.rewardState())[1];

/**
 * `roost <argv>` as demo account `as`, plain and with --json: refused by the contract (exit 1)
 * with one of `messages` (a time left may tick down while it runs), sending nothing: the
 * account, its permit nonce and the node are as they were.
 */
async function expectRefused(
  argv: readonly string[],
  as: number,
  progress: string,
  messages: readonly string[],
  errorName: string,
): Promise<void> {
  const actor = demoAddress(as);
  const before = await accountState(net, actor);
  const permitNonce = await net.contracts.token.read.nonces([actor]);
  const nodeBefore = await node();

  const plain = await net.cli(argv, { as });
  expect(plain.code).toBe(1);
  expect(plain.stdout).toBe("");
  expect(messages.map((m) => `${progress}...\nerror: ${m}\n`)).toContain(plain.stderr);

  const json = await net.cli(["--json", ...argv], { as });
  expect(json.code).toBe(1);
  const data = JSON.parse(json.stdout);
  expect(data).toEqual({ error: expect.any(String), errorName });
  expect(messages).toContain(data.error);
  expect(json.stderr).toBe(`error: ${data.error}\n`);

  expect(await accountState(net, actor)).toEqual(before);
  expect(await net.contracts.token.read.nonces([actor])).toBe(permitNonce);
  expect(await node()).toEqual(nodeBefore);
}

describe("slashed, jailed, topped up and unjailed", () => {
  it("a slash by the Disputes contract jails the miner with half its self-stake gone", async () => {
    expect(await node()).toMatchObject({ status: ACTIVE, selfStake: cai(20_000) });
    expect(await totalRewardable()).toBe(cai(20_000));
    // Disputes holds SLASHER_ROLE: its address, impersonated, slashes as a proven equivocation would.
    const disputes = net.devnet.file.contracts.Disputes;
    const test = createTestClient({ mode: "anvil", transport: http(net.rpcUrl) });
    await test.impersonateAccount({ address: disputes });
    await test.setBalance({ address: disputes, value: parseEther("1") });
    const { walletClient } = createRoostClients({
      chainId: net.devnet.file.chainId,
      rpcUrls: [net.rpcUrl],
      account: { address: disputes, type: "json-rpc" },
    });
    if (!walletClient) throw new Error("no wallet client");
    const slasher = roostContracts(net.devnet.file, net.publicClient, walletClient);
    const hash = await slasher.staking.write.slash([MINER, 5000, keccak256(stringToHex("recovery test"))]);
    const receipt = await net.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    await test.stopImpersonatingAccount({ address: disputes });

    const block = await net.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    expect(await net.contracts.staking.read.jailPeriod()).toBe(120n);
    expect(await node()).toMatchObject({
      status: JAILED,
      selfStake: cai(10_000),
      totalStake: cai(10_000),
      jailedUntil: Number(block.timestamp) + 120,
    });
    expect(await totalRewardable()).toBe(0n); // a jailed node earns nothing
    const status = await net.cli(["nodes"]);
    expect(status.stdout).toMatch(
      new RegExp(`^miner\\s+${MINER}\\s+${MINER_OWNER}\\s+10,000\\s+10,000\\s+10%\\s+jailed$`, "m"),
    );
  });

  it("a staker's stake on the jailed node is refused by the contract, sending nothing", async () => {
    await expectRefused(
      ["stake", MINER, "1k"],
      7,
      `staking 1,000 CAI on ${MINER}`,
      [`node ${MINER} is jailed; its owner must unjail it first (Staking.unjail)`],
      "NodeNotActive",
    );
    expect(await net.contracts.staking.read.stakeOf([MINER, STAKER])).toBe(0n);
  });

  it("unjail before the jail period is over is refused with the time left", async () => {
    const { jailedUntil } = await node();
    // Counted from the pending block's time, as the CLI does; the clock runs on while it runs.
    const left = BigInt(jailedUntil) - (await net.publicClient.getBlock({ blockTag: "pending" })).timestamp;
    expect(left).toBeGreaterThan(100n);
    expect(left).toBeLessThanOrEqual(120n);
    const messages = [0n, 1n, 2n, 3n].map(
      (tick) =>
        `the node is jailed until ${iso(jailedUntil)} (${formatDuration(left - tick)} left); it can be unjailed after that`,
    );
    await expectRefused(["unjail", MINER], 3, `unjailing ${MINER}`, messages, "StillJailed");
  });

  it("after the jail period, unjail still needs the self-stake back at the minimum", async () => {
    const advance = await net.cli(["devnet", "advance", "3m"]);
    expect(advance.code).toBe(0);
    expect(advance.stdout).toMatch(/^advanced 3m; chain time is now /);
    const { jailedUntil } = await node();
    expect((await net.publicClient.getBlock()).timestamp).toBeGreaterThan(BigInt(jailedUntil));
    await expectRefused(
      ["unjail", MINER],
      3,
      `unjailing ${MINER}`,
      ["self-stake 10,000 CAI is below the minimum of 20,000 CAI"],
      "SelfStakeBelowMinimum",
    );
  });

  it("the owner tops up its jailed node's self-stake (a permit, one transaction)", async () => {
    const before = await accountState(net, MINER_OWNER);
    const permitNonce = await net.contracts.token.read.nonces([MINER_OWNER]);
    const result = await net.cli(["stake", MINER, "10k"], { as: 3 });
    expect(result).toEqual({
      code: 0,
      stdout: `staked 10,000 CAI on ${MINER}; your stake there is now 20,000 CAI\n`,
      stderr: `staking 10,000 CAI on ${MINER}...\n`,
    });
    expect(await node()).toMatchObject({ status: JAILED, selfStake: cai(20_000), totalStake: cai(20_000) });
    expect(await accountState(net, MINER_OWNER)).toMatchObject({
      nonce: before.nonce + 1,
      cai: before.cai - cai(10_000),
      allowance: 0n,
    });
    expect(await net.contracts.token.read.nonces([MINER_OWNER])).toBe(permitNonce + 1n);
    expect(await totalRewardable()).toBe(0n); // still jailed: the top-up earns nothing yet
  });

  it("a key other than the owner's cannot unjail it", async () => {
    await expectRefused(
      ["unjail", MINER],
      7,
      `unjailing ${MINER}`,
      [`${STAKER} is not the owner of node ${MINER}; only its owner may do this`],
      "NotNodeOwner",
    );
  });

  it("the owner unjails it: active again, earning, and open to stakers", async () => {
    const result = await net.cli(["unjail", MINER.toLowerCase()], { as: 3 });
    expect(result).toEqual({
      code: 0,
      stdout: `${MINER} is active again\n`,
      stderr: `unjailing ${MINER}...\n`,
    });
    expect(await node()).toMatchObject({ status: ACTIVE, selfStake: cai(20_000), totalStake: cai(20_000) });
    expect(await totalRewardable()).toBe(cai(20_000));

    // The slash left the pool's shares worth half a token each; the new shares round down (against
    // the staker, 1 wei here) and amounts print rounded toward zero.
    const stake = await net.cli(["stake", MINER, "1k"], { as: 7 });
    expect(stake).toMatchObject({
      code: 0,
      stdout: `staked 1,000 CAI on ${MINER}; your stake there is now 999.999999 CAI\n`,
    });
    expect(await net.contracts.staking.read.stakeOf([MINER, STAKER])).toBe(cai(1000) - 1n);
    expect(await totalRewardable()).toBe(cai(21_000));
  });

  it("unjail of an active node is refused", async () => {
    await expectRefused(
      ["unjail", MINER],
      3,
      `unjailing ${MINER}`,
      [`node ${MINER} is not jailed`],
      "NotJailed",
    );
  });
});
