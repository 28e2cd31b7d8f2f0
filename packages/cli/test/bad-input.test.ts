// Bad input against a real devnet: each mistake gets one clear line on stderr (and the --json
// error object on stdout), a non-zero exit code (2 for the user's mistake, 1 when the chain
// refused or could not be reached), never a stack or a secret, and nothing changes on chain.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createKeystoreFile, createRoostClients, readDeployment, roostContracts } from "@roost/chain";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountState,
  accountState,
  type CliOptions,
  type CliResult,
  demoAddress,
  demoKey,
  startTestNet,
  type TestNet,
} from "./helpers.js";

const DEPLOYER = demoAddress(0);
const COORDINATOR_OWNER = demoAddress(1);
const MINER_OWNER = demoAddress(3);
const MINER = demoAddress(4);
const OWNER = demoAddress(5);
const UNREGISTERED = demoAddress(6);
const STAKER = demoAddress(7);
const NO_CAI = demoAddress(8);
const PASSWORD = "the right password";
const WRONG_PASSWORD = "not the password";
const UNREACHABLE = "http://127.0.0.1:1";

let net: TestNet;
let keystore: string;
beforeAll(async () => {
  net = await startTestNet();
  // One registered miner to stake on and to try to register again.
  expect((await net.cli(["approve-owner", MINER_OWNER], { as: 4 })).code).toBe(0);
  const register = await net.cli(
    ["register", "miner", "--operator", MINER, "--self-stake", "20k", "--commission", "10", "--intro", "m1"],
    { as: 3 },
  );
  expect(register.code).toBe(0);
  keystore = join(net.root, "staker.json");
  await createKeystoreFile(keystore, demoKey(7), PASSWORD, { scryptN: 2 ** 10 });
}, 30_000);
afterAll(async () => {
  await net?.stop();
});

interface Case {
  name: string;
  argv: readonly string[];
  options?: CliOptions;
  /** Whose nonce, ETH, CAI and allowance must not change (the block number must not either). */
  actor: Address;
  code: 1 | 2;
  message: string;
  errorName: string;
}

/** The secrets a run could leak: every demo key involved and the keystore passwords. */
function secrets(options: CliOptions = {}): string[] {
  const keys: string[] = options.as === undefined ? [] : [demoKey(options.as)];
  if (options.env?.ROOST_PRIVATE_KEY) keys.push(options.env.ROOST_PRIVATE_KEY);
  keys.push(demoKey(7)); // the keystore's key
  return [...keys, ...keys.map((k) => k.slice(2)), PASSWORD, WRONG_PASSWORD];
}

/** One line "error: <message>" after any progress lines ("approving 5,000 CAI..."), no stack. */
function expectRefusal(result: CliResult, c: Case): void {
  expect(result.code).toBe(c.code);
  expect(result.stdout).toBe("");
  const lines = result.stderr.split("\n");
  expect(lines.pop()).toBe("");
  expect(lines.pop()).toBe(`error: ${c.message}`);
  for (const progress of lines) expect(progress).toMatch(/^[a-z].*\.\.\.$/);
  expect(result.stderr).not.toMatch(/^\s+at |Version: viem|Request Arguments|Contract Call/m);
  for (const secret of secrets(c.options)) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
}

/** Runs the case plain and with --json; asserts both refusals and that the chain did not move. */
async function check(c: Case): Promise<void> {
  const before: AccountState = await accountState(net, c.actor);
  expectRefusal(await net.cli(c.argv, c.options), c);

  const json = await net.cli(["--json", ...c.argv], c.options);
  expect(json.code).toBe(c.code);
  expect(JSON.parse(json.stdout)).toEqual({ error: c.message, errorName: c.errorName });
  expect(json.stderr).toBe(`error: ${c.message}\n`);
  for (const secret of secrets(c.options)) expect(`${json.stdout}${json.stderr}`).not.toContain(secret);

  expect(await accountState(net, c.actor)).toEqual(before);
}

const notAnAddress = (name: string, value: string) =>
  `${name} "${value}" is not an address (0x followed by 40 hex digits)`;
const notAnAmount = (name: string, value: string) =>
  `${name}: "${value}" is not an amount of CAI: write a number such as 20000, 20,000, 20k, 1.5m or 0.25`;
const registerMiner = (operator: string, selfStake: string, commission = "10") => [
  "register",
  "miner",
  "--operator",
  operator,
  "--self-stake",
  selfStake,
  "--commission",
  commission,
  "--intro",
  "my node",
];
const registerCoordinator = (selfStake: string, ...more: string[]) => [
  "register",
  "coordinator",
  "--operator",
  UNREGISTERED,
  "--self-stake",
  selfStake,
  "--commission",
  "5",
  "--intro",
  "my coordinator",
  ...more,
];

/** registerMiner(UNREGISTERED, "20k") with another --intro. */
const withIntro = (intro: string) =>
  registerMiner(UNREGISTERED, "20k").map((arg) => (arg === "my node" ? intro : arg));
const notApproved = (operator: Address, owner: Address) =>
  `operator ${operator} has not approved you (${owner}) as its owner: run ` +
  `\`roost approve-owner ${owner}\` with the operator's key first`;

describe("unknown operator", () => {
  it.each<Case>([
    {
      name: "stake on a never-registered address (refused by the contract: one permit transaction)",
      argv: ["stake", UNREGISTERED, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 1,
      message: `node ${UNREGISTERED} is not registered`,
      errorName: "NodeNotActive", // Staking.stake checks the status first: None is "not registered"
    },
    {
      name: "unstake from a never-registered address (refused by the contract's simulation)",
      argv: ["unstake", UNREGISTERED, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 1,
      message: `no node was ever registered with operator ${UNREGISTERED}`,
      errorName: "NodeNotFound",
    },
    {
      name: "unjail a never-registered address (refused by the contract's simulation)",
      argv: ["unjail", UNREGISTERED],
      options: { as: 5 },
      actor: OWNER,
      code: 1,
      message: `no node was ever registered with operator ${UNREGISTERED}`,
      errorName: "NodeNotFound",
    },
  ])("$name", check);
});

describe("amounts and balances", () => {
  it.each<Case>([
    {
      name: "miner self-stake below the minimum",
      argv: registerMiner(UNREGISTERED, "15k"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: "self-stake 15,000 CAI is below the miner minimum of 20,000 CAI",
      errorName: "UsageError",
    },
    {
      name: "coordinator self-stake below the minimum",
      argv: registerCoordinator("1m", "--endpoint", "https://c.example.com"),
      options: { as: 1 },
      actor: COORDINATOR_OWNER,
      code: 2,
      message: "self-stake 1,000,000 CAI is below the coordinator minimum of 2,000,000 CAI",
      errorName: "UsageError",
    },
    {
      name: "stake more than the balance",
      argv: ["stake", MINER, "1k"],
      options: { as: 8 },
      actor: NO_CAI,
      code: 2,
      message: "balance 0 CAI is less than 1,000 CAI: get CAI first (roost faucet claim)",
      errorName: "UsageError",
    },
    {
      name: "stake slightly more than the balance",
      argv: ["stake", MINER, "100,000.5"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: "balance 100,000 CAI is less than 100,000.5 CAI: get CAI first (roost faucet claim)",
      errorName: "UsageError",
    },
    {
      name: "self-stake more than the balance",
      argv: registerMiner(UNREGISTERED, "60k"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: "balance 50,000 CAI is less than the self-stake 60,000 CAI",
      errorName: "UsageError",
    },
    {
      name: "unstake more than the stake (refused by the contract's simulation)",
      argv: ["unstake", MINER, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 1,
      message: "cannot unstake 1,000 CAI: only 0 CAI is staked on this node",
      errorName: "InsufficientStake",
    },
    {
      name: "unstake below the owner's minimum self-stake",
      argv: ["unstake", MINER, "1"],
      options: { as: 3 },
      actor: MINER_OWNER,
      code: 1,
      message: "self-stake 19,999 CAI is below the minimum of 20,000 CAI",
      errorName: "SelfStakeBelowMinimum",
    },
    {
      name: "unstake all without a stake",
      argv: ["unstake", MINER, "all"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: `you have no stake on ${MINER}`,
      errorName: "UsageError",
    },
    ...["abc", "-5", "1,5", "1e3", "1.2.3", ""].map(
      (amount): Case => ({
        name: `stake amount "${amount}"`,
        argv: ["stake", MINER, amount],
        options: { as: 7 },
        actor: STAKER,
        code: 2,
        message: notAnAmount("amount", amount),
        errorName: "UsageError",
      }),
    ),
    {
      name: "stake amount 0",
      argv: ["stake", MINER, "0"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: "amount must be more than 0",
      errorName: "UsageError",
    },
    {
      name: "stake amount with more than 18 decimals",
      argv: ["stake", MINER, "0.0000000000000000001"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: 'amount: "0.0000000000000000001" has more than 18 decimals',
      errorName: "UsageError",
    },
    {
      name: "unstake amount -5",
      argv: ["unstake", MINER, "-5"],
      options: { as: 3 },
      actor: MINER_OWNER,
      code: 2,
      message: notAnAmount("amount", "-5"),
      errorName: "UsageError",
    },
    {
      name: 'self-stake "abc"',
      argv: registerMiner(UNREGISTERED, "abc"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: notAnAmount("--self-stake", "abc"),
      errorName: "UsageError",
    },
    {
      name: "lock id that is not a number",
      argv: ["withdraw", "first"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: 'lock id "first" is not a number',
      errorName: "UsageError",
    },
    {
      name: "withdraw a lock that does not exist (refused by the contract's simulation)",
      argv: ["withdraw", "7"],
      options: { as: 7 },
      actor: STAKER,
      code: 1,
      message: "lock #7 does not exist for this account or was already withdrawn",
      errorName: "LockNotFound",
    },
    {
      name: "claim with nothing pending",
      argv: ["claim"],
      options: { as: 8 },
      actor: NO_CAI,
      code: 2,
      message: "nothing to claim: no pending rewards",
      errorName: "UsageError",
    },
  ])("$name", check);
});

describe("malformed addresses", () => {
  it.each<Case>([
    {
      name: "stake operator 0x1234",
      argv: ["stake", "0x1234", "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: notAnAddress("operator", "0x1234"),
      errorName: "UsageError",
    },
    {
      name: "stake operator with a non-hex digit",
      argv: ["stake", `${MINER.slice(0, -1)}g`, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: notAnAddress("operator", `${MINER.slice(0, -1)}g`),
      errorName: "UsageError",
    },
    {
      name: "unstake operator",
      argv: ["unstake", "miner1", "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: notAnAddress("operator", "miner1"),
      errorName: "UsageError",
    },
    {
      name: "unjail operator",
      argv: ["unjail", "0x1234"],
      options: { as: 3 },
      actor: MINER_OWNER,
      code: 2,
      message: notAnAddress("operator", "0x1234"),
      errorName: "UsageError",
    },
    {
      name: "register --operator",
      argv: registerMiner("0xabc", "20k"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: notAnAddress("--operator", "0xabc"),
      errorName: "UsageError",
    },
    {
      name: "approve-owner",
      argv: ["approve-owner", "alice"],
      options: { as: 6 },
      actor: UNREGISTERED,
      code: 2,
      message: notAnAddress("owner", "alice"),
      errorName: "UsageError",
    },
    {
      name: "claim operator",
      argv: ["claim", MINER, "0x"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: notAnAddress("operator", "0x"),
      errorName: "UsageError",
    },
    {
      name: "status address",
      argv: ["status", MINER.slice(2)],
      actor: STAKER,
      code: 2,
      message: notAnAddress("address", MINER.slice(2)),
      errorName: "UsageError",
    },
  ])("$name", check);
});

describe("registration mistakes", () => {
  it.each<Case>([
    {
      name: "unknown role",
      argv: [
        "register",
        "validator",
        "--operator",
        UNREGISTERED,
        "--self-stake",
        "20k",
        "--commission",
        "10",
      ].concat(["--intro", "x"]),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: 'role "validator" must be miner or coordinator',
      errorName: "UsageError",
    },
    {
      name: "unknown role for nodes",
      argv: ["nodes", "validators"],
      actor: STAKER,
      code: 2,
      message: '"validators" is not a role: use miners or coordinators',
      errorName: "UsageError",
    },
    ...["150", "100.5", "ten", "5%%"].map(
      (commission): Case => ({
        name: `commission ${commission}`,
        argv: registerMiner(UNREGISTERED, "20k", commission),
        options: { as: 5 },
        actor: OWNER,
        code: 2,
        message: `commission "${commission}" must be a percentage from 0 to 100, e.g. 10 or 2.5%`,
        errorName: "UsageError",
      }),
    ),
    {
      name: "coordinator without --endpoint",
      argv: registerCoordinator("2m"),
      options: { as: 1 },
      actor: COORDINATOR_OWNER,
      code: 2,
      message: "a coordinator needs --endpoint <url>",
      errorName: "UsageError",
    },
    {
      name: "coordinator with an endpoint that is not a URL",
      argv: registerCoordinator("2m", "--endpoint", "coordinator.example.com"),
      options: { as: 1 },
      actor: COORDINATOR_OWNER,
      code: 2,
      message: '--endpoint "coordinator.example.com" must be an http(s) URL',
      errorName: "UsageError",
    },
    {
      // "é" is 2 bytes in UTF-8: 1,025 characters, 2,050 bytes (the contract counts bytes).
      name: "an intro of 2,050 bytes in 1,025 characters",
      argv: withIntro("é".repeat(1025)),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: "--intro is longer than 2,048 bytes",
      errorName: "UsageError",
    },
    {
      // Exactly 2,048 bytes passes the length check: the next check (the operator's consent) refuses.
      name: "an intro of exactly 2,048 bytes",
      argv: withIntro("é".repeat(1024)),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: notApproved(UNREGISTERED, OWNER),
      errorName: "UsageError",
    },
    {
      name: "an endpoint of 257 bytes",
      argv: registerCoordinator("2m", "--endpoint", `https://${"a".repeat(249)}`),
      options: { as: 1 },
      actor: COORDINATOR_OWNER,
      code: 2,
      message: "--endpoint is longer than 256 bytes",
      errorName: "UsageError",
    },
    {
      name: "an endpoint of exactly 256 bytes",
      argv: registerCoordinator("2m", "--endpoint", `https://${"a".repeat(248)}`),
      options: { as: 1 },
      actor: COORDINATOR_OWNER,
      code: 2,
      message: notApproved(UNREGISTERED, COORDINATOR_OWNER),
      errorName: "UsageError",
    },
    {
      name: "an already-registered operator",
      argv: registerMiner(MINER, "20k"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: `operator ${MINER} is already registered (operators are never reused)`,
      errorName: "UsageError",
    },
    {
      name: "an operator that has not approved the owner",
      argv: registerMiner(UNREGISTERED, "20k"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: notApproved(UNREGISTERED, OWNER),
      errorName: "UsageError",
    },
  ])("$name", check);
});

describe("while the guardian has paused staking", () => {
  const setPaused = async (paused: boolean) => {
    const { walletClient } = createRoostClients({
      chainId: net.devnet.file.chainId,
      rpcUrls: [net.rpcUrl],
      account: privateKeyToAccount(demoKey(0)),
    });
    if (!walletClient) throw new Error("no wallet client");
    const guardian = roostContracts(net.devnet.file, net.publicClient, walletClient);
    const hash = await guardian.staking.write.setPaused([paused]);
    expect((await net.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    expect((await net.contracts.staking.read.rewardState())[4]).toBe(paused);
  };
  beforeAll(() => setPaused(true));
  afterAll(() => setPaused(false));

  it.each<Case>([
    {
      name: "register (refused before the approval is sent)",
      argv: registerMiner(UNREGISTERED, "20k"),
      options: { as: 5 },
      actor: OWNER,
      code: 2,
      message: "registration is paused by the network's guardian; try again later",
      errorName: "UsageError",
    },
    {
      name: "stake (refused by the contract: one permit transaction)",
      argv: ["stake", MINER, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 1,
      message: "new stake and registration are paused by the network guardian; try again once they resume",
      errorName: "Paused",
    },
  ])("$name", check);
});

describe("keys", () => {
  it.each<Case>([
    {
      name: "wrong keystore password (stake)",
      argv: ["stake", MINER, "1k", "--keystore", "<keystore>"],
      options: { env: { ROOST_KEYSTORE_PASSWORD: WRONG_PASSWORD } },
      actor: STAKER,
      code: 2,
      message: `wrong password for keystore ${STAKER.toLowerCase()}`,
      errorName: "WrongPasswordError",
    },
    {
      name: "wrong keystore password from ROOST_KEYSTORE (status)",
      argv: ["status"],
      options: { env: { ROOST_KEYSTORE: "<keystore>", ROOST_KEYSTORE_PASSWORD: WRONG_PASSWORD } },
      actor: STAKER,
      code: 2,
      message: `wrong password for keystore ${STAKER.toLowerCase()}`,
      errorName: "WrongPasswordError",
    },
    {
      name: "wrong keystore password from the prompt (faucet claim)",
      argv: ["--keystore", "<keystore>", "faucet", "claim"],
      options: { prompt: async () => WRONG_PASSWORD },
      actor: STAKER,
      code: 2,
      message: `wrong password for keystore ${STAKER.toLowerCase()}`,
      errorName: "WrongPasswordError",
    },
    {
      name: "keystore file that does not exist",
      argv: ["stake", MINER, "1k", "--keystore", "/nonexistent/key.json"],
      options: { env: { ROOST_KEYSTORE_PASSWORD: PASSWORD } },
      actor: STAKER,
      code: 2,
      message: "cannot read keystore file /nonexistent/key.json: no such file",
      errorName: "KeystoreFileError",
    },
    {
      name: "no key configured (stake)",
      argv: ["stake", MINER, "1k"],
      actor: STAKER,
      code: 2,
      message:
        "no signing key: pass a keystore file (--keystore <file>), or set ROOST_KEYSTORE to a keystore " +
        "file, or ROOST_PRIVATE_KEY to a private key (0x followed by 64 hex digits)",
      errorName: "NoKeyError",
    },
    {
      name: "no key configured (status without an address)",
      argv: ["status"],
      actor: STAKER,
      code: 2,
      message: "give an address, or a key (ROOST_PRIVATE_KEY or --keystore) to use its own",
      errorName: "UsageError",
    },
    {
      name: "ROOST_PRIVATE_KEY that is not a key",
      argv: ["faucet", "claim"],
      options: { env: { ROOST_PRIVATE_KEY: demoKey(8).slice(0, 40) } },
      actor: NO_CAI,
      code: 2,
      message:
        "ROOST_PRIVATE_KEY is not a private key: expected 0x followed by 64 hex digits (got 40 characters)",
      errorName: "InvalidPrivateKeyError",
    },
  ])("$name", async (c) => {
    // The keystore path is only known once the devnet's directory exists.
    const resolve = (text: string) => text.replaceAll("<keystore>", keystore);
    const env = c.options?.env;
    await check({
      ...c,
      argv: c.argv.map(resolve),
      message: resolve(c.message),
      options: {
        ...c.options,
        ...(env ? { env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolve(v)])) } : {}),
      },
    });
  });

  it("keys new refuses a short password and writes nothing", async () => {
    const result = await net.cli(["keys", "new", "--out", "short.json"], {
      env: { ROOST_KEYSTORE_PASSWORD: "1234567" },
    });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: the password must have at least 8 characters\n",
    });
    const noPassword = await net.cli(["keys", "new", "--out", "short.json"]);
    expect(noPassword).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: set ROOST_KEYSTORE_PASSWORD, or run in a terminal to be asked for a password\n",
    });
    const differ = ["first password", "second password"];
    const mismatch = await net.cli(["keys", "new", "--out", "short.json"], {
      prompt: async () => differ.shift() ?? "",
    });
    expect(mismatch).toMatchObject({ code: 2, stderr: "error: the two passwords differ\n" });
    expect(existsSync(join(net.root, "short.json"))).toBe(false);
  });
});

describe("deployment and RPC", () => {
  it("a missing deployment file", async () => {
    const path = join(net.root, "nowhere.json");
    await check({
      name: "missing",
      argv: ["--deployment", path, "stake", MINER, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: `no deployment at ${path}: start the devnet (npm start) or pass --deployment <file>`,
      errorName: "DeploymentFileError",
    });
  });

  it("no deployment in the working directory", async () => {
    const cwd = join(net.root, "elsewhere");
    mkdirSync(cwd, { recursive: true });
    await check({
      name: "default path",
      argv: ["nodes"],
      options: { cwd },
      actor: STAKER,
      code: 2,
      message: `no deployment at ${join(cwd, ".roost", "devnet.json")}: start the devnet (npm start) or pass --deployment <file>`,
      errorName: "DeploymentFileError",
    });
  });

  it("a deployment file that is not a deployment", async () => {
    const notJson = join(net.root, "broken.json");
    writeFileSync(notJson, "{ not json");
    await check({
      name: "not JSON",
      argv: ["--deployment", notJson, "faucet", "claim"],
      options: { as: 8 },
      actor: NO_CAI,
      code: 2,
      message: `${notJson} is not valid JSON`,
      errorName: "DeploymentFileError",
    });
    const noStaking = join(net.root, "partial.json");
    writeFileSync(noStaking, JSON.stringify({ ...net.devnet.file, contracts: { CAIToken: MINER } }));
    await check({
      name: "no Staking address",
      argv: ["--deployment", noStaking, "stake", MINER, "1k"],
      options: { as: 7 },
      actor: STAKER,
      code: 2,
      message: `${noStaking}: "contracts.Staking" must be an address`,
      errorName: "DeploymentFileError",
    });
  });

  // Each run retries the RPC for about a second: two commands cover the contract calls (reads,
  // then a transaction) and the devnet's test client.
  it.each([
    ["stake", MINER, "1k"],
    ["devnet", "advance", "5m"],
  ])("an unreachable RPC: %s", async (...argv) => {
    await check({
      name: "unreachable",
      argv: ["--rpc", UNREACHABLE, ...argv],
      options: { as: 7 },
      actor: STAKER,
      code: 1,
      message: `cannot reach the chain RPC at ${UNREACHABLE}; check that the node is running and the URL is right`,
      errorName: "RpcUnreachable",
    });
  });

  it("deploy over an existing deployment file without --force", async () => {
    const earlier = `${JSON.stringify(net.devnet.file, null, 2)}\n`;
    const out = join(net.root, "earlier.json");
    writeFileSync(out, earlier);
    await check({
      name: "deploy --out",
      argv: ["deploy", "--rpc", net.rpcUrl, "--out", "earlier.json"],
      options: { as: 0 },
      actor: DEPLOYER,
      code: 2,
      message: `${out} exists (an earlier deployment): pass --out <file>, or --force to overwrite it`,
      errorName: "UsageError",
    });
    // The default path, deployments/<chainId>.json, is kept the same way.
    const byDefault = join(net.root, "deployments", "31337.json");
    mkdirSync(join(net.root, "deployments"), { recursive: true });
    writeFileSync(byDefault, earlier);
    await check({
      name: "deploy",
      argv: ["deploy", "--rpc", net.rpcUrl],
      options: { as: 0 },
      actor: DEPLOYER,
      code: 2,
      message: `${byDefault} exists (an earlier deployment): pass --out <file>, or --force to overwrite it`,
      errorName: "UsageError",
    });
    expect(readFileSync(out, "utf8")).toBe(earlier);
    expect(readFileSync(byDefault, "utf8")).toBe(earlier);
  });

  it("deploy --force overwrites it with a new deployment", async () => {
    const out = join(net.root, "earlier.json");
    const before = await accountState(net, DEPLOYER);
    const result = await net.cli(["deploy", "--rpc", net.rpcUrl, "--out", "earlier.json", "--force"], {
      as: 0,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^deployed on chain 31337; deployment written to ${out}\\n`));
    const deployment = readDeployment(out);
    expect(deployment.deployer).toBe(DEPLOYER);
    for (const [name, address] of Object.entries(deployment.contracts)) {
      // Said as soon as each contract exists, so a failed deployment still leaves a trail.
      expect(result.stderr).toMatch(new RegExp(`^ {2}${name} is at ${address}$`, "m"));
      expect(address).not.toBe(net.devnet.file.contracts[name as keyof typeof deployment.contracts]);
      expect(await net.publicClient.getCode({ address })).toMatch(/^0x[0-9a-f]{100,}$/);
    }
    expect((await accountState(net, DEPLOYER)).nonce).toBeGreaterThan(before.nonce);
  });

  it("a bad duration for devnet advance", async () => {
    await check({
      name: "duration",
      argv: ["devnet", "advance", "soon"],
      actor: STAKER,
      code: 2,
      message: '"soon" is not a duration: write seconds (300) or a number with s, m, h, d or w (5m, 7d)',
      errorName: "InvalidInputError",
    });
  });

  it("a bad devnet port", async () => {
    await check({
      name: "port",
      argv: ["devnet", "--port", "99999", "--home", join(net.root, "unused")],
      actor: STAKER,
      code: 2,
      message: '--port must be a TCP port number (1-65535), got "99999"',
      errorName: "UsageError",
    });
  });
});

describe("command-line mistakes", () => {
  it.each([
    [["frobnicate"], "error: unknown command 'frobnicate'"],
    [["stake", MINER], "error: missing required argument 'amount'"],
    [["stake", MINER, "1k", "--force"], "error: unknown option '--force'"],
    [
      ["register", "miner", "--operator", MINER],
      "error: required option '--self-stake <amount>' not specified",
    ],
  ])("%s", async (argv, message) => {
    const before = await accountState(net, STAKER);
    const result = await net.cli(argv, { as: 7 });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`${message}\n(run roost --help for usage)\n`);
    expect(await accountState(net, STAKER)).toEqual(before);
  });
});
