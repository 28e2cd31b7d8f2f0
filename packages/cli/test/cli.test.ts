// Every `roost` command end to end, in-process against a real anvil devnet: what it prints, its
// exit code, and what it did on chain (read back from the contracts with viem).
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRoostClients, formatCai, formatDuration, readDeployment, roostContracts } from "@roost/chain";
import { type Address, getAddress, parseEther, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountState, cai, demoAddress, demoKey, startTestNet, type TestNet } from "./helpers.js";

const COORDINATOR_OWNER = demoAddress(1);
const COORDINATOR = demoAddress(2);
const MINER_OWNER = demoAddress(3);
const MINER = demoAddress(4);
const STAKER = demoAddress(7);
const NEWCOMER = demoAddress(8);
const PASSWORD = "correct horse battery staple";

let net: TestNet;
beforeAll(async () => {
  net = await startTestNet();
}, 30_000);
afterAll(async () => {
  await net?.stop();
});

/** "2026-11-22T01:51:56Z": how error messages print a chain timestamp. */
const iso = (seconds: bigint | number) =>
  new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
const latestBlock = () => net.publicClient.getBlock({ blockTag: "latest" });
const balance = (address: Address) => net.contracts.token.read.balanceOf([address]);
const stakeOf = (operator: Address, staker: Address) =>
  net.contracts.staking.read.stakeOf([operator, staker]);

describe("faucet claim", () => {
  it("pays the drip and says when the next claim is possible", async () => {
    expect(await balance(NEWCOMER)).toBe(0n);
    const result = await net.cli(["faucet", "claim"], { as: 8 });
    expect(result).toEqual({
      code: 0,
      stdout: "claimed 25,000 CAI; balance 25,000 CAI; next claim in 1m\n",
      stderr: "claiming from the faucet...\n",
    });
    expect(await balance(NEWCOMER)).toBe(cai(25_000));
    const block = await latestBlock();
    expect(await net.contracts.faucet.read.nextClaimAt([NEWCOMER])).toBe(block.timestamp + 60n);
  });

  it("refuses a second claim within the cooldown with the next claim time, sending nothing", async () => {
    const before = await accountState(net, NEWCOMER);
    const next = await net.contracts.faucet.read.nextClaimAt([NEWCOMER]);
    // The time left counts down while the commands run: "1m left", or "59s left" a second later.
    const pattern = `${NEWCOMER} claimed from the faucet too recently; it can claim again at ${iso(next)} \\((1m|[1-5]?\\ds) left\\)`;

    const result = await net.cli(["faucet", "claim"], { as: 8 });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^claiming from the faucet\\.\\.\\.\\nerror: ${pattern}\\n$`));
    const json = await net.cli(["--json", "faucet", "claim"], { as: 8 });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: expect.stringMatching(new RegExp(`^${pattern}$`)),
      errorName: "ClaimTooSoon",
    });
    expect(json.stderr).toMatch(new RegExp(`^error: ${pattern}\\n$`));
    expect(await accountState(net, NEWCOMER)).toEqual(before);
  });
});

describe("approve-owner and register", () => {
  it("approve-owner records the operator key's consent", async () => {
    const result = await net.cli(["approve-owner", MINER_OWNER], { as: 4 });
    expect(result).toMatchObject({
      code: 0,
      stdout: `operator ${MINER} may now be registered by ${MINER_OWNER}\n`,
    });
    expect(await net.contracts.staking.read.approvedOwner([MINER])).toBe(MINER_OWNER);

    // Lower-case input is accepted and checksummed; --json gives the transaction.
    const json = await net.cli(["--json", "approve-owner", COORDINATOR_OWNER.toLowerCase()], { as: 2 });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe("");
    const data = JSON.parse(json.stdout);
    expect(data).toMatchObject({ operator: COORDINATOR, owner: COORDINATOR_OWNER });
    const receipt = await net.publicClient.getTransactionReceipt({ hash: data.transaction });
    expect(receipt).toMatchObject({ status: "success", from: COORDINATOR.toLowerCase() });
    expect(await net.contracts.staking.read.approvedOwner([COORDINATOR])).toBe(COORDINATOR_OWNER);
  });

  it("register miner approves and locks the self-stake with the commission and intro", async () => {
    const result = await net.cli(
      [
        "register",
        "miner",
        "--operator",
        MINER,
        "--self-stake",
        "20k",
        "--commission",
        "10",
        "--intro",
        "RTX 4090 in Lyon",
      ],
      { as: 3 },
    );
    expect(result).toEqual({
      code: 0,
      stdout: `registered miner ${MINER} with 20,000 CAI of self-stake and 10% commission\n`,
      stderr: `approving 20,000 CAI...\nregistering miner ${MINER}...\n`,
    });
    expect(await net.contracts.staking.read.getNode([MINER])).toMatchObject({
      operator: MINER,
      owner: MINER_OWNER,
      role: 0,
      status: 1,
      totalStake: cai(20_000),
      selfStake: cai(20_000),
      commissionBps: 1000,
      metadataURI: "RTX 4090 in Lyon",
      endpoint: "",
    });
    expect(await accountState(net, MINER_OWNER)).toMatchObject({ cai: cai(30_000), allowance: 0n, nonce: 2 });
    // The consent is used up by the registration.
    expect(await net.contracts.staking.read.approvedOwner([MINER])).toBe(zeroAddress);
  });

  it("register coordinator needs and stores the endpoint", async () => {
    const result = await net.cli(
      [
        "register",
        "coordinator",
        "--operator",
        COORDINATOR,
        "--self-stake",
        "2,000,000",
        "--commission",
        "2.5%",
        "--intro",
        "https://example.com/about",
        "--endpoint",
        "https://coordinator.example.com",
      ],
      { as: 1 },
    );
    expect(result).toMatchObject({
      code: 0,
      stdout: `registered coordinator ${COORDINATOR} with 2,000,000 CAI of self-stake and 2.5% commission\n`,
    });
    expect(await net.contracts.staking.read.getNode([COORDINATOR])).toMatchObject({
      owner: COORDINATOR_OWNER,
      role: 1,
      status: 1,
      selfStake: cai(2_000_000),
      commissionBps: 250,
      metadataURI: "https://example.com/about",
      endpoint: "https://coordinator.example.com",
    });
    expect(await balance(COORDINATOR_OWNER)).toBe(cai(100_000));
  });
});

describe("nodes", () => {
  const minerRow = new RegExp(`^miner\\s+${MINER}\\s+${MINER_OWNER}\\s+20,000\\s+20,000\\s+10%\\s+active$`);
  const coordinatorRow = new RegExp(
    `^coordinator\\s+${COORDINATOR}\\s+${COORDINATOR_OWNER}\\s+2,000,000\\s+2,000,000\\s+2\\.5%\\s+active$`,
  );

  it("lists every node as a table (no key needed)", async () => {
    const result = await net.cli(["nodes"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^role\s+operator\s+owner\s+stake \(CAI\)\s+self \(CAI\)\s+commission\s+status$/,
    );
    expect(lines[1]).toMatch(/^-+( +-+){6}$/);
    expect(lines[2]).toMatch(minerRow);
    expect(lines[3]).toMatch(coordinatorRow);
  });

  it("filters by role", async () => {
    const miners = await net.cli(["nodes", "miners"]);
    expect(miners.code).toBe(0);
    expect(miners.stdout.trimEnd().split("\n").slice(2)).toEqual([expect.stringMatching(minerRow)]);
    const coordinators = await net.cli(["nodes", "coordinator"]);
    expect(coordinators.stdout.trimEnd().split("\n").slice(2)).toEqual([
      expect.stringMatching(coordinatorRow),
    ]);
  });

  it("prints JSON with amounts in wei as strings", async () => {
    const result = await net.cli(["--json", "nodes"]);
    expect(result.code).toBe(0);
    const nodes = JSON.parse(result.stdout);
    expect(nodes).toHaveLength(2);
    expect(nodes[0]).toMatchObject({
      operator: MINER,
      owner: MINER_OWNER,
      role: 0,
      status: 1,
      totalStake: cai(20_000).toString(),
      selfStake: cai(20_000).toString(),
      commissionBps: 1000,
      metadataURI: "RTX 4090 in Lyon",
    });
    expect(nodes[1]).toMatchObject({
      operator: COORDINATOR,
      role: 1,
      endpoint: "https://coordinator.example.com",
    });
  });
});

describe("stake, status, unstake, devnet advance, withdraw, claim", () => {
  it("stake signs a permit and stakes in one transaction", async () => {
    const before = await accountState(net, STAKER);
    const result = await net.cli(["stake", MINER, "5k"], { as: 7 });
    expect(result).toEqual({
      code: 0,
      stdout: `staked 5,000 CAI on ${MINER}; your stake there is now 5,000 CAI\n`,
      stderr: `staking 5,000 CAI on ${MINER}...\n`,
    });
    expect(await stakeOf(MINER, STAKER)).toBe(cai(5000));
    expect((await net.contracts.staking.read.getNode([MINER])).totalStake).toBe(cai(25_000));
    expect(await net.contracts.token.read.nonces([STAKER])).toBe(1n); // the permit was used
    expect(await accountState(net, STAKER)).toMatchObject({
      nonce: before.nonce + 1,
      cai: before.cai - cai(5000),
      allowance: 0n,
    });
  });

  it("stake skips the approval when the allowance is already there", async () => {
    const { walletClient } = createRoostClients({
      chainId: net.devnet.file.chainId,
      rpcUrls: [net.rpcUrl],
      account: privateKeyToAccount(demoKey(7)),
    });
    if (!walletClient) throw new Error("no wallet client");
    const writer = roostContracts(net.devnet.file, net.publicClient, walletClient);
    const hash = await writer.token.write.approve([net.contracts.staking.address, cai(1500)]);
    await net.publicClient.waitForTransactionReceipt({ hash });
    const before = await accountState(net, STAKER);

    const result = await net.cli(["stake", COORDINATOR, "1.5k"], { as: 7 });
    expect(result).toEqual({
      code: 0,
      stdout: `staked 1,500 CAI on ${COORDINATOR}; your stake there is now 1,500 CAI\n`,
      stderr: `staking 1,500 CAI on ${COORDINATOR}...\n`,
    });
    expect(await stakeOf(COORDINATOR, STAKER)).toBe(cai(1500));
    expect(await accountState(net, STAKER)).toMatchObject({
      nonce: before.nonce + 1,
      cai: cai(93_500),
      allowance: 0n,
    });
  });

  it("status shows balances and stake positions", async () => {
    const result = await net.cli(["status"], { as: 7 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^address\\s+${STAKER}$`, "m"));
    expect(result.stdout).toMatch(/^CAI\s+93,500 CAI$/m);
    expect(result.stdout).toMatch(/^ETH \(gas\)\s+9,999\.\d+$/m);
    expect(result.stdout).toMatch(/^pending rewards\s+[\d,.]+ CAI$/m);
    expect(result.stdout).toMatch(/^faucet\s+claimable now$/m);
    expect(result.stdout).toMatch(/^node\s+role\s+status\s+stake \(CAI\)\s+pending \(CAI\)$/m);
    expect(result.stdout).toMatch(new RegExp(`^${MINER}\\s+miner\\s+active\\s+5,000\\s+[\\d,.]+$`, "m"));
    expect(result.stdout).toMatch(
      new RegExp(`^${COORDINATOR}\\s+coordinator\\s+active\\s+1,500\\s+[\\d,.]+$`, "m"),
    );
    expect(result.stdout).not.toMatch(/^lock/m);

    // Anyone's status by address, without a key.
    const other = await net.cli(["status", NEWCOMER]);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/^CAI\s+25,000 CAI$/m);
    expect(other.stdout).toMatch(/^faucet\s+next claim in (1m|\d{1,2}s)$/m);
    expect(other.stdout).not.toMatch(/^node/m);
  });

  it("unstake starts an unbonding lock and says when it can be withdrawn", async () => {
    const result = await net.cli(["unstake", MINER, "2k"], { as: 7 });
    expect(result).toEqual({
      code: 0,
      stdout: `unstaked 2,000 CAI (lock 0); withdraw it in 5m with \`roost withdraw\`\n`,
      stderr: `unstaking 2,000 CAI from ${MINER}...\n`,
    });
    const block = await latestBlock();
    expect(await stakeOf(MINER, STAKER)).toBe(cai(3000));
    expect(await net.contracts.staking.read.locksOf([STAKER, 0n, 10n])).toEqual([
      {
        id: 0n,
        operator: MINER,
        amount: cai(2000),
        unlockAt: Number(block.timestamp) + 300,
        withdrawn: false,
      },
    ]);

    const all = await net.cli(["--json", "unstake", COORDINATOR, "all"], { as: 7 });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({
      operator: COORDINATOR,
      amount: cai(1500).toString(),
      lockId: "1",
    });
    expect(await stakeOf(COORDINATOR, STAKER)).toBe(0n);
  });

  it("status lists the locks with the time left", async () => {
    const result = await net.cli(["status"], { as: 7 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lock\s+node\s+amount \(CAI\)\s+withdrawable$/m);
    expect(result.stdout).toMatch(new RegExp(`^\\s*0\\s+${MINER}\\s+2,000\\s+in [45]m( \\d+s)?$`, "m"));
    expect(result.stdout).toMatch(new RegExp(`^\\s*1\\s+${COORDINATOR}\\s+1,500\\s+in 5m$`, "m"));
    const json = JSON.parse((await net.cli(["--json", "status"], { as: 7 })).stdout);
    expect(json.locks).toEqual([
      expect.objectContaining({ id: "0", amount: cai(2000).toString(), withdrawable: false }),
      expect.objectContaining({ id: "1", amount: cai(1500).toString(), withdrawable: false }),
    ]);
  });

  it("withdraw refuses locks that are still unbonding, sending nothing", async () => {
    const before = await accountState(net, STAKER);
    const none = await net.cli(["withdraw"], { as: 7 });
    expect(none).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: no matured lock to withdraw (see `roost status`)\n",
    });
    const [lock] = await net.contracts.staking.read.locksOf([STAKER, 1n, 1n]);
    const early = await net.cli(["withdraw", "1"], { as: 7 });
    expect(early.code).toBe(1);
    expect(early.stdout).toBe("");
    // The chain's clock runs on while the command runs: a second or two may have gone.
    expect(
      ["5m", "4m 59s", "4m 58s"].map(
        (left) =>
          `withdrawing 1 lock(s)...\nerror: lock #1 is still unbonding until ${iso(lock?.unlockAt ?? 0)} (${left} left)\n`,
      ),
    ).toContain(early.stderr);
    expect(await accountState(net, STAKER)).toEqual(before);
  });

  it("devnet advance moves the chain clock and mines a block", async () => {
    const before = await latestBlock();
    const result = await net.cli(["devnet", "advance", "6m", "--rpc", net.rpcUrl]);
    expect(result.code).toBe(0);
    const after = await latestBlock();
    expect(after.number).toBe(before.number + 1n);
    expect(after.timestamp - before.timestamp).toBeGreaterThanOrEqual(360n);
    expect(after.timestamp - before.timestamp).toBeLessThan(370n);
    expect(result.stdout).toBe(
      `advanced 6m; chain time is now ${new Date(Number(after.timestamp) * 1000).toISOString()}\n`,
    );

    const status = await net.cli(["status"], { as: 7 });
    expect(status.stdout).toMatch(new RegExp(`^\\s*0\\s+${MINER}\\s+2,000\\s+now$`, "m"));
    expect(status.stdout).toMatch(new RegExp(`^\\s*1\\s+${COORDINATOR}\\s+1,500\\s+now$`, "m"));
  });

  it("withdraw pays out every matured lock", async () => {
    const before = await balance(STAKER);
    const result = await net.cli(["withdraw"], { as: 7 });
    expect(result).toEqual({
      code: 0,
      stdout: "withdrew 3,500 CAI from lock(s) 0, 1\n",
      stderr: "withdrawing 2 lock(s)...\n",
    });
    expect(await balance(STAKER)).toBe(before + cai(3500));
    const locks = await net.contracts.staking.read.locksOf([STAKER, 0n, 10n]);
    expect(locks.map((l) => l.withdrawn)).toEqual([true, true]);
    expect((await net.cli(["status"], { as: 7 })).stdout).not.toMatch(/^lock/m);

    const again = await net.cli(["withdraw", "0"], { as: 7 });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^error: lock #0 does not exist for this account or was already withdrawn$/m,
    );
  });

  it("claim pays the pending rewards of every position", async () => {
    const pending = await net.contracts.staking.read.pendingRewards([MINER, STAKER]);
    expect(pending).toBeGreaterThan(0n);
    const before = await balance(STAKER);
    const result = await net.cli(["--json", "claim"], { as: 7 });
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    const paid = (await balance(STAKER)) - before;
    expect(paid).toBeGreaterThanOrEqual(pending);
    expect(data.amount).toBe(paid.toString());
    expect(data.operators).toContain(MINER);
    expect(await net.contracts.staking.read.pendingRewards([MINER, STAKER])).toBe(0n);
    expect(await stakeOf(MINER, STAKER)).toBe(cai(3000));
  });

  it("claim on a named node pays its owner the rewards and commission", async () => {
    const before = await balance(MINER_OWNER);
    const result = await net.cli(["claim", MINER], { as: 3 });
    expect(result.code).toBe(0);
    const paid = (await balance(MINER_OWNER)) - before;
    expect(paid).toBeGreaterThan(0n);
    expect(result.stdout).toBe(`claimed ${formatCai(paid)}\n`);
    expect(result.stderr).toBe("claiming from 1 node(s)...\n");
  });
});

describe("keys", () => {
  let keystore: string;
  let address: Address;

  it("keys new writes an encrypted keystore readable only by its owner", async () => {
    const result = await net.cli(["keys", "new", "--out", "operator.json"], {
      env: { ROOST_KEYSTORE_PASSWORD: PASSWORD },
    });
    expect(result.code).toBe(0);
    keystore = join(net.root, "operator.json");
    const match = new RegExp(`^created ${keystore} for (0x[0-9a-fA-F]{40})\\n$`).exec(result.stdout);
    expect(match).not.toBeNull();
    address = getAddress(match?.[1] ?? "");
    expect(statSync(keystore).mode & 0o777).toBe(0o600);
    const text = readFileSync(keystore, "utf8");
    expect(JSON.parse(text)).toMatchObject({ version: 3, address: address.slice(2).toLowerCase() });
    expect(text).not.toContain(PASSWORD);

    const again = await net.cli(["keys", "new", "--out", "operator.json"], {
      env: { ROOST_KEYSTORE_PASSWORD: PASSWORD },
    });
    expect(again).toMatchObject({ code: 2, stdout: "" });
    expect(again.stderr).toBe(`error: keystore file ${keystore} already exists: not overwriting it\n`);
    expect(readFileSync(keystore, "utf8")).toBe(text);
  });

  it("keys address reads --keystore, ROOST_KEYSTORE or ROOST_PRIVATE_KEY", async () => {
    const env = { ROOST_KEYSTORE_PASSWORD: PASSWORD };
    expect(await net.cli(["keys", "address", "--keystore", keystore], { env })).toEqual({
      code: 0,
      stdout: `${address}\n`,
      stderr: "",
    });
    expect(await net.cli(["keys", "address"], { env: { ...env, ROOST_KEYSTORE: keystore } })).toMatchObject({
      code: 0,
      stdout: `${address}\n`,
    });
    expect(await net.cli(["keys", "address"], { as: 7 })).toMatchObject({ code: 0, stdout: `${STAKER}\n` });
    // The password from the prompt when the variable is not set.
    const asked: string[] = [];
    const prompted = await net.cli(["--json", "keys", "address", "--keystore", keystore], {
      prompt: async (question) => {
        asked.push(question);
        return PASSWORD;
      },
    });
    expect(JSON.parse(prompted.stdout)).toEqual({ address });
    expect(asked).toEqual([`Password for keystore ${keystore}: `]);
  });

  it("a keystore key claims from the faucet and stakes", async () => {
    // The new key needs gas: the deployer sends it some ETH.
    const { walletClient } = createRoostClients({
      chainId: net.devnet.file.chainId,
      rpcUrls: [net.rpcUrl],
      account: privateKeyToAccount(demoKey(0)),
    });
    const hash = await walletClient?.sendTransaction({ to: address, value: parseEther("1") });
    if (hash) await net.publicClient.waitForTransactionReceipt({ hash });

    const env = { ROOST_KEYSTORE_PASSWORD: PASSWORD };
    const claim = await net.cli(["--keystore", keystore, "faucet", "claim"], { env });
    expect(claim).toMatchObject({
      code: 0,
      stdout: "claimed 25,000 CAI; balance 25,000 CAI; next claim in 1m\n",
    });
    const stake = await net.cli(["stake", MINER, "1k", "--keystore", keystore], { env });
    expect(stake).toMatchObject({
      code: 0,
      stdout: `staked 1,000 CAI on ${MINER}; your stake there is now 1,000 CAI\n`,
    });
    expect(await stakeOf(MINER, address)).toBe(cai(1000));
    // The time left counts on the chain's clock, which `devnet advance` moved ahead of the wall clock.
    const next = await net.contracts.faucet.read.nextClaimAt([address]);
    // The pending block's time: what the refusal counts from (`latest` lags on an idle anvil).
    const left = next - (await net.publicClient.getBlock({ blockTag: "pending" })).timestamp;
    expect(left).toBeGreaterThan(50n);
    expect(left).toBeLessThanOrEqual(60n);
    const tooSoon = await net.cli(["--keystore", keystore, "--json", "faucet", "claim"], { env });
    expect(tooSoon.code).toBe(1);
    // The chain's clock runs on while the command runs: a second or two may have gone.
    const allowed = [left, left - 1n, left - 2n].map(
      (l) =>
        `${address} claimed from the faucet too recently; it can claim again at ${iso(next)} (${formatDuration(l)} left)`,
    );
    expect(allowed).toContain(JSON.parse(tooSoon.stdout).error);
    expect(await accountState(net, address)).toMatchObject({ nonce: 2, cai: cai(24_000), allowance: 0n });
    expect(`${claim.stdout}${claim.stderr}${stake.stdout}${stake.stderr}`).not.toContain(PASSWORD);
  });
});

describe("deploy", () => {
  it("deploys and wires a fresh set of contracts with settings from --config", async () => {
    writeFileSync(join(net.root, "roost.json"), JSON.stringify({ faucetDrip: "10k", unbondingPeriod: "6d" }));
    const out = join(net.root, "deployments", "test.json");
    const result = await net.cli(
      ["deploy", "--rpc", net.rpcUrl, "--config", "roost.json", "--out", "deployments/test.json"],
      { as: 0 },
    );
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^deployed on chain 31337; deployment written to ${out}\\n`));
    expect(result.stderr).toMatch(/^ {2}deploying CAIToken$/m);
    expect(result.stderr).toMatch(/^ {2}starting the emission stream$/m);

    const deployment = readDeployment(out);
    expect(deployment.chainId).toBe(31337);
    expect(deployment.deployer).toBe(demoAddress(0));
    for (const [name, address] of Object.entries(deployment.contracts)) {
      expect(result.stdout).toMatch(new RegExp(`^${name}\\s+${address}$`, "m"));
      expect(address).not.toBe(net.devnet.file.contracts[name as keyof typeof deployment.contracts]);
      expect(await net.publicClient.getCode({ address })).toMatch(/^0x[0-9a-f]{100,}$/);
    }
    const fresh = roostContracts(deployment, net.publicClient);
    expect(await fresh.faucet.read.dripAmount()).toBe(cai(10_000));
    expect(await fresh.staking.read.unbondingPeriod()).toBe(6n * 86_400n);
    expect(await fresh.staking.read.minSelfStake([0])).toBe(cai(20_000));
    expect(await fresh.token.read.balanceOf([deployment.contracts.Faucet])).toBe(cai(100_000_000));

    // The CLI works against the new deployment.
    const nodes = await net.cli(["--deployment", out, "--rpc", net.rpcUrl, "nodes"]);
    expect(nodes).toEqual({ code: 0, stdout: "no nodes registered yet\n", stderr: "" });
  });

  it("needs --rpc", async () => {
    const result = await net.cli(["deploy"], { as: 0 });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: deploy needs --rpc <url> or ROOST_RPC_URL (the chain to deploy to)\n",
    });
  });
});
