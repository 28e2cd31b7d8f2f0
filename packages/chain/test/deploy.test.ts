import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { type Address, getAddress, type PublicClient, parseEther } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { createRoostClients, type RoostClients } from "../src/clients.js";
import { ROLES, Role, type RoostContracts, roostContracts } from "../src/contracts.js";
import { type DeployClients, deploy } from "../src/deploy.js";
import { DEVNET_CONFIG, type DeployConfig } from "../src/deploy-config.js";
import { CONTRACT_NAMES, type Deployment } from "../src/deployment.js";
import { anvilBinary, DEVNET_MNEMONIC } from "../src/devnet.js";

const deployer = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 0 });
const TREASURY = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 5 }).address;
const ARBITER = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 6 }).address;

const CREATED = ["CAIToken", "Staking", "Faucet", "PaymentEscrow", "Disputes"] as const;
const WIRING = [
  "granting GUARDIAN_ROLE",
  "granting REWARD_DISTRIBUTOR_ROLE",
  "granting SLASHER_ROLE to PaymentEscrow",
  "granting SLASHER_ROLE to Disputes",
  "granting DRIPPER_ROLE",
  "granting ARBITER_ROLE",
];
const FUNDING = ["funding the faucet", "approving the emission", "starting the emission stream"];

/** The progress steps of a deployment: each contract's address is said as soon as it exists. */
const stepsFor = (made: Deployment) => [
  ...CREATED.flatMap((name) => [`deploying ${name}`, `${name} is at ${made.contracts[name]}`]),
  ...WIRING,
];

let anvil: ChildProcess;
let clients: DeployClients & RoostClients;
let publicClient: PublicClient;
let deployment: Deployment;
let contracts: RoostContracts;
let blockBefore: bigint;
const steps: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  anvil = spawn(anvilBinary(), ["--host", "127.0.0.1", "--port", String(port), "--silent"], {
    stdio: "ignore",
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const created = createRoostClients({ chainId: 31337, rpcUrls: [rpcUrl], account: deployer });
  if (!created.walletClient) throw new Error("no wallet client");
  clients = { ...created, walletClient: created.walletClient };
  publicClient = clients.publicClient;
  for (const deadline = Date.now() + 10_000; ; ) {
    try {
      blockBefore = await publicClient.getBlockNumber({ cacheTime: 0 });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  deployment = await deploy(clients, DEVNET_CONFIG, (step) => steps.push(step));
  contracts = roostContracts(deployment, publicClient);
});

afterAll(async () => {
  if (anvil && anvil.exitCode === null) {
    anvil.kill("SIGTERM");
    await once(anvil, "exit");
  }
});

describe("deploy(DEVNET_CONFIG) on a fresh anvil", () => {
  it("reports every step, in order", () => {
    expect(steps).toEqual([...stepsFor(deployment), ...FUNDING]);
  });

  it("returns the deployment: chain, deployer, checksummed addresses with code", async () => {
    expect(deployment.chainId).toBe(31337);
    expect(deployment.deployer).toBe(deployer.address);
    expect(Object.keys(deployment.contracts)).toEqual([...CONTRACT_NAMES]);
    const addresses = Object.values(deployment.contracts);
    expect(new Set(addresses).size).toBe(CONTRACT_NAMES.length);
    for (const address of addresses) {
      expect(address).toBe(getAddress(address));
      expect(address).not.toBe(address.toLowerCase());
      expect((await publicClient.getCode({ address }))?.length).toBeGreaterThan(2);
    }
  });

  it("records the block of the first deployment transaction", async () => {
    expect(blockBefore).toBe(0n);
    expect(deployment.block).toBe(1);
    const block = await publicClient.getBlock({ blockNumber: BigInt(deployment.block) });
    const [hash] = block.transactions;
    if (!hash) throw new Error("empty block");
    const receipt = await publicClient.getTransactionReceipt({ hash });
    expect(receipt.contractAddress && getAddress(receipt.contractAddress)).toBe(
      deployment.contracts.CAIToken,
    );
  });

  it("records every setting as a string, with the treasury and arbiter it used", () => {
    const expected = Object.fromEntries(
      Object.entries({ ...DEVNET_CONFIG, treasury: deployer.address, arbiter: deployer.address }).map(
        ([key, value]) => [key, String(value)],
      ),
    );
    expect(deployment.parameters).toEqual(expected);
    expect(deployment.parameters.unbondingPeriod).toBe("300");
    expect(deployment.parameters.supply).toBe("1000000000000000000000000000");
    expect(deployment.parameters.challengeWindow).toBe("60");
    for (const value of Object.values(deployment.parameters)) expect(value).toBeTypeOf("string");
  });

  it("mints the supply, funds the faucet and streams the emission from the deployer", async () => {
    const { token } = contracts;
    const { contracts: c } = deployment;
    expect(await token.read.totalSupply()).toBe(DEVNET_CONFIG.supply);
    expect(await token.read.balanceOf([c.Faucet])).toBe(DEVNET_CONFIG.faucetFunds);
    expect(await token.read.balanceOf([c.Staking])).toBe(DEVNET_CONFIG.emission);
    expect(await token.read.balanceOf([deployer.address])).toBe(
      DEVNET_CONFIG.supply - DEVNET_CONFIG.faucetFunds - DEVNET_CONFIG.emission,
    );
    expect(await token.read.allowance([deployer.address, c.Staking])).toBe(0n);
  });

  it("sets the faucet's drip and cooldown", async () => {
    expect(await contracts.faucet.read.dripAmount()).toBe(DEVNET_CONFIG.faucetDrip);
    expect(await contracts.faucet.read.cooldown()).toBe(DEVNET_CONFIG.faucetCooldown);
    expect(await contracts.faucet.read.token()).toBe(deployment.contracts.CAIToken);
  });

  it("sets Staking's parameters, token and treasury", async () => {
    const { staking } = contracts;
    expect(await staking.read.minSelfStake([Role.Miner])).toBe(DEVNET_CONFIG.minMinerStake);
    expect(await staking.read.minSelfStake([Role.Coordinator])).toBe(DEVNET_CONFIG.minCoordinatorStake);
    expect(await staking.read.unbondingPeriod()).toBe(300n);
    expect(await staking.read.commissionDelay()).toBe(300n);
    expect(await staking.read.jailPeriod()).toBe(120n);
    expect(await staking.read.token()).toBe(deployment.contracts.CAIToken);
    expect(await staking.read.treasury()).toBe(deployer.address);
  });

  it("uses the contracts' own role ids", async () => {
    const { staking, faucet, disputes } = contracts;
    expect(await staking.read.DEFAULT_ADMIN_ROLE()).toBe(ROLES.DEFAULT_ADMIN_ROLE);
    expect(await staking.read.SLASHER_ROLE()).toBe(ROLES.SLASHER_ROLE);
    expect(await staking.read.GUARDIAN_ROLE()).toBe(ROLES.GUARDIAN_ROLE);
    expect(await staking.read.REWARD_DISTRIBUTOR_ROLE()).toBe(ROLES.REWARD_DISTRIBUTOR_ROLE);
    expect(await faucet.read.DRIPPER_ROLE()).toBe(ROLES.DRIPPER_ROLE);
    expect(await disputes.read.ARBITER_ROLE()).toBe(ROLES.ARBITER_ROLE);
  });

  it("grants every role to whom it belongs, and SLASHER_ROLE to no person", async () => {
    const { staking, faucet, escrow, disputes } = contracts;
    const { PaymentEscrow, Disputes } = deployment.contracts;
    const me = deployer.address;
    const grants: [string, Promise<boolean>, boolean][] = [
      ["Staking admin", staking.read.hasRole([ROLES.DEFAULT_ADMIN_ROLE, me]), true],
      ["Faucet admin", faucet.read.hasRole([ROLES.DEFAULT_ADMIN_ROLE, me]), true],
      ["PaymentEscrow admin", escrow.read.hasRole([ROLES.DEFAULT_ADMIN_ROLE, me]), true],
      ["Disputes admin", disputes.read.hasRole([ROLES.DEFAULT_ADMIN_ROLE, me]), true],
      ["guardian", staking.read.hasRole([ROLES.GUARDIAN_ROLE, me]), true],
      ["reward distributor", staking.read.hasRole([ROLES.REWARD_DISTRIBUTOR_ROLE, me]), true],
      ["dripper", faucet.read.hasRole([ROLES.DRIPPER_ROLE, me]), true],
      ["arbiter", disputes.read.hasRole([ROLES.ARBITER_ROLE, me]), true],
      ["escrow slasher", staking.read.hasRole([ROLES.SLASHER_ROLE, PaymentEscrow]), true],
      ["disputes slasher", staking.read.hasRole([ROLES.SLASHER_ROLE, Disputes]), true],
      ["deployer slasher", staking.read.hasRole([ROLES.SLASHER_ROLE, me]), false],
      ["escrow guardian", staking.read.hasRole([ROLES.GUARDIAN_ROLE, PaymentEscrow]), false],
    ];
    const results = await Promise.all(grants.map(([, has]) => has));
    expect(Object.fromEntries(grants.map(([name], i) => [name, results[i]]))).toEqual(
      Object.fromEntries(grants.map(([name, , expected]) => [name, expected])),
    );
  });

  it("links PaymentEscrow to Staking with the unlock period", async () => {
    const { escrow } = contracts;
    expect(await escrow.read.unlockPeriod()).toBe(DEVNET_CONFIG.unlockPeriod);
    expect(await escrow.read.staking()).toBe(deployment.contracts.Staking);
    expect(await escrow.read.token()).toBe(deployment.contracts.CAIToken);
  });

  it("sets the Disputes parameters and links it to Staking", async () => {
    const { disputes } = contracts;
    expect(await disputes.read.params()).toEqual({
      equivocationBps: DEVNET_CONFIG.equivocationBps,
      finderFeeBps: DEVNET_CONFIG.finderFeeBps,
      falseAccusationBps: DEVNET_CONFIG.falseAccusationBps,
      accusedShareBps: DEVNET_CONFIG.accusedShareBps,
      maxProposalBps: DEVNET_CONFIG.maxProposalBps,
      disputeBond: DEVNET_CONFIG.disputeBond,
      challengeWindow: 60,
      arbitrationWindow: 120,
    });
    expect(await disputes.read.staking()).toBe(deployment.contracts.Staking);
  });

  it("starts the emission stream at emission / duration until now + duration", async () => {
    const [, , rewardRate, periodFinish, paused] = await contracts.staking.read.rewardState();
    expect(rewardRate).toBe(DEVNET_CONFIG.emission / DEVNET_CONFIG.emissionDuration);
    expect(rewardRate).toBeGreaterThan(0n);
    const head = await publicClient.getBlock({ blockTag: "latest" });
    expect(periodFinish).toBe(head.timestamp + DEVNET_CONFIG.emissionDuration);
    expect(paused).toBe(false);
  });
});

describe("deploy with other settings", () => {
  it("honours a custom treasury and arbiter, and starts at the next block", async () => {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    const config: DeployConfig = { ...DEVNET_CONFIG, treasury: TREASURY, arbiter: ARBITER };
    const custom = await deploy(clients, config);
    const { staking, disputes } = roostContracts(custom, publicClient);
    expect(custom.block).toBe(Number(head) + 1);
    expect(custom.contracts.Staking).not.toBe(deployment.contracts.Staking);
    expect(await staking.read.treasury()).toBe(TREASURY);
    expect(await disputes.read.hasRole([ROLES.ARBITER_ROLE, ARBITER])).toBe(true);
    expect(await disputes.read.hasRole([ROLES.ARBITER_ROLE, deployer.address])).toBe(false);
    expect(custom.parameters.treasury).toBe(TREASURY);
    expect(custom.parameters.arbiter).toBe(ARBITER);
  });

  it("skips funding and emission when they are zero", async () => {
    const config: DeployConfig = { ...DEVNET_CONFIG, faucetFunds: 0n, emission: 0n, supply: parseEther("5") };
    const seen: string[] = [];
    const bare = await deploy(clients, config, (step) => seen.push(step));
    expect(seen).toEqual(stepsFor(bare));
    const { token, staking } = roostContracts(bare, publicClient);
    expect(await token.read.balanceOf([bare.contracts.Faucet])).toBe(0n);
    expect(await token.read.balanceOf([deployer.address as Address])).toBe(parseEther("5"));
    const [, , rewardRate] = await staking.read.rewardState();
    expect(rewardRate).toBe(0n);
  });

  it("refuses a config the contracts would refuse before sending anything", async () => {
    const config: DeployConfig = { ...DEVNET_CONFIG, challengeWindow: 200, arbitrationWindow: 200 };
    const deployer = clients.walletClient.account.address;
    const nonce = await clients.publicClient.getTransactionCount({ address: deployer });
    const seen: string[] = [];
    await expect(deploy(clients, config, (step) => seen.push(step))).rejects.toThrow(
      'settings "challengeWindow" + "arbitrationWindow" must not exceed "unbondingPeriod"',
    );
    expect(seen).toEqual([]);
    expect(await clients.publicClient.getTransactionCount({ address: deployer })).toBe(nonce);
  });
});
