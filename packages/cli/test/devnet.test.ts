// `roost devnet --chain-only` as users run it: the built CLI in a child process, stopped with Ctrl-C
// (SIGINT), started again on its saved chain, reset, and refused a port that is taken. The whole
// network (nodes, faucet service, cheater) is devnet-network.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoostClients, type DevnetFile, roostContracts } from "@roost/chain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { cai, demoAddress, roost } from "./helpers.js";
import { type Cli, listening, MAIN, spawnCli } from "./spawn-cli.js";

const MINER_OWNER = demoAddress(3);
const MINER = demoAddress(4);
const STAKER = demoAddress(7);
const NEWCOMER = demoAddress(8);

let root: string;
let home: string;
let port: number;
let deploymentPath: string;
let running: Cli | undefined;

const startDevnet = async (...extra: string[]) => {
  const cli = spawnCli(["devnet", "--chain-only", "--port", String(port), "--home", home, ...extra]);
  running = cli;
  await cli.waitFor(/Press Ctrl-C to stop\./);
  return cli;
};
const stopDevnet = async (cli: Cli) => {
  cli.child.kill("SIGINT");
  const exit = await cli.exited;
  running = undefined;
  return exit;
};
const chain = () => {
  const file = JSON.parse(readFileSync(deploymentPath, "utf8")) as DevnetFile;
  const { publicClient } = createRoostClients({
    chainId: file.chainId,
    rpcUrls: [`http://127.0.0.1:${port}`],
  });
  return { file, publicClient, contracts: roostContracts(file, publicClient) };
};
const cli = (argv: readonly string[], as?: number) =>
  roost(["--deployment", deploymentPath, ...argv], root, as === undefined ? {} : { as });

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`build the CLI first (npm run build): no ${MAIN}`);
  root = mkdtempSync(join(tmpdir(), "roost-devnet-test-"));
  home = join(root, ".roost");
  deploymentPath = join(home, "devnet.json");
  port = await freePort();
});
afterAll(async () => {
  if (running) {
    // SIGTERM also stops anvil through the CLI (SIGKILL would leave anvil running).
    running.child.kill("SIGTERM");
    await running.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

describe("roost devnet", () => {
  it("deploys, prints its progress and a summary of addresses and accounts, and writes devnet.json", async () => {
    const devnet = await startDevnet();
    const stderr = devnet.stderr();
    expect(stderr.split("\n")[0]).toBe(`  starting anvil on 127.0.0.1:${port}`);
    for (const step of [
      "  deploying CAIToken",
      "  deploying Disputes",
      "  granting REWARD_DISTRIBUTOR_ROLE",
      "  funding the faucet",
      "  starting the emission stream",
      "  funding the coordinator owner with 2100000 CAI",
      "  funding the staker with 100000 CAI",
    ]) {
      expect(stderr).toContain(`${step}\n`);
    }

    const { file, publicClient, contracts } = chain();
    expect(file).toMatchObject({ chainId: 31337, rpcUrl: `http://127.0.0.1:${port}` });
    const stdout = devnet.stdout();
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^Roost devnet deployed in \d+\.\d s$/);
    expect(stdout).toMatch(new RegExp(`^RPC\\s+http://127\\.0\\.0\\.1:${port}$`, "m"));
    expect(stdout).toMatch(/^chain id\s+31337$/m);
    expect(lines).toContain(`deployment  ${deploymentPath}`);
    expect(stdout).toMatch(/^unbonding\s+5m$/m);
    for (const [name, address] of Object.entries(file.contracts)) {
      expect(stdout).toMatch(new RegExp(`^${name}\\s+${address}$`, "m"));
      expect(await publicClient.getCode({ address })).toMatch(/^0x[0-9a-f]+$/);
    }
    expect(file.accounts).toHaveLength(9);
    for (const account of file.accounts) {
      expect(account.address).toBe(demoAddress(account.index));
      expect(lines.filter((line) => line.startsWith(`#${account.index} `))).toEqual([
        expect.stringMatching(new RegExp(`^#${account.index}\\s+.*\\s+${account.address}$`)),
      ]);
      expect(stdout).toContain(account.label);
    }
    expect(stdout).toContain(`anvil's public test mnemonic ("${file.mnemonic}")`);
    expect(await contracts.token.read.balanceOf([STAKER])).toBe(cai(100_000));
  });

  it("stops with exit code 0 on Ctrl-C, closing the port, after a stake made with the CLI", async () => {
    expect((await cli(["approve-owner", MINER_OWNER], 4)).code).toBe(0);
    const register = ["register", "miner", "--operator", MINER, "--self-stake", "20k", "--commission", "10"];
    expect((await cli([...register, "--intro", "survives restarts"], 3)).code).toBe(0);
    expect(await cli(["stake", MINER, "5k"], 7)).toMatchObject({ code: 0 });
    expect(await cli(["faucet", "claim"], 8)).toMatchObject({ code: 0 });
    expect(await chain().contracts.staking.read.stakeOf([MINER, STAKER])).toBe(cai(5000));

    const devnet = running as Cli;
    expect(await stopDevnet(devnet)).toEqual({ code: 0, signal: null });
    expect(devnet.stderr()).toMatch(/stopping the devnet \(saving the chain\)\.\.\.\n$/);
    expect(await listening(port)).toBe(false);
  });

  it("starts again on the saved chain: balances, nodes and stake are kept", async () => {
    // On another port: devnet.json must then name the new RPC URL.
    port = await freePort();
    const devnet = await startDevnet();
    expect(devnet.stdout()).toMatch(/^Roost devnet resumed in \d+\.\d s$/m);
    expect(devnet.stderr()).toBe(`  starting anvil on 127.0.0.1:${port} (resuming the saved chain)\n`);

    const { file, contracts } = chain();
    expect(file.rpcUrl).toBe(`http://127.0.0.1:${port}`);
    expect(await contracts.staking.read.stakeOf([MINER, STAKER])).toBe(cai(5000));
    expect(await contracts.token.read.balanceOf([STAKER])).toBe(cai(95_000));
    expect(await contracts.token.read.balanceOf([NEWCOMER])).toBe(cai(25_000));
    expect(await contracts.token.read.balanceOf([MINER_OWNER])).toBe(cai(30_000));
    const nodes = await cli(["--json", "nodes"]);
    expect(nodes.code).toBe(0);
    expect(JSON.parse(nodes.stdout)).toEqual([
      expect.objectContaining({
        operator: MINER,
        owner: MINER_OWNER,
        totalStake: cai(25_000).toString(),
        metadataURI: "survives restarts",
      }),
    ]);
    const status = await roost(["status", NEWCOMER], root);
    expect(status).toMatchObject({ code: 0, stderr: "" });
    expect(status.stdout).toMatch(/^CAI\s+25,000 CAI$/m);
    // The resumed chain takes new transactions.
    expect(await cli(["stake", MINER, "1k"], 7)).toMatchObject({ code: 0 });
    expect(await contracts.staking.read.stakeOf([MINER, STAKER])).toBe(cai(6000));
  });

  it("refuses a port that is taken with a clear error and a non-zero exit", async () => {
    const other = spawnCli(["devnet", "--chain-only", "--port", String(port), "--home", join(root, "other")]);
    const exit = await other.exited;
    expect(exit.code).toBe(1);
    expect(other.stdout()).toBe("");
    const lines = other.stderr().split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.pop()).toBe(
      `error: anvil could not start: port ${port} is already in use: stop what runs there or pass --port`,
    );
    // At most the progress line before it, and no stack.
    expect(lines).toEqual(lines.length ? [`  starting anvil on 127.0.0.1:${port}`] : []);
    // The devnet that holds the port is unharmed.
    expect(await chain().contracts.staking.read.stakeOf([MINER, STAKER])).toBe(cai(6000));
  });

  it("--reset deploys afresh: the stake is gone", async () => {
    expect(await stopDevnet(running as Cli)).toEqual({ code: 0, signal: null });
    const devnet = await startDevnet("--reset");
    expect(devnet.stdout()).toMatch(/^Roost devnet deployed in \d+\.\d s$/m);
    expect(devnet.stderr()).not.toContain("resuming");
    const { contracts } = chain();
    expect(await contracts.staking.read.nodeCount([0])).toBe(0n);
    expect(await contracts.staking.read.stakeOf([MINER, STAKER])).toBe(0n);
    expect(await contracts.token.read.balanceOf([STAKER])).toBe(cai(100_000));
    expect(await contracts.token.read.balanceOf([NEWCOMER])).toBe(0n);
    expect(await cli(["nodes"])).toMatchObject({ code: 0, stdout: "no nodes registered yet\n" });
    expect(await stopDevnet(devnet)).toEqual({ code: 0, signal: null });
  });
});

describe("roost --help", () => {
  it("shows examples of the main commands and exits with 0", async () => {
    const help = spawnCli(["--help"]);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    const text = help.stdout();
    expect(text).toMatch(/^Usage: roost \[options\] \[command\]/);
    for (const command of [
      "devnet",
      "deploy",
      "faucet",
      "stake",
      "unstake",
      "withdraw",
      "claim",
      "register",
    ]) {
      expect(text).toMatch(new RegExp(`^ {2}${command}\\b`, "m"));
    }
    expect(text).toContain(
      "Examples:\n  npm start                                   # = roost devnet\n  roost faucet claim\n" +
        "  roost stake <operator> 5k\n  roost nodes miners\n  roost status\n",
    );
  });

  it.each([
    ["stake", "roost stake 0x90F79bf6EB2c4f870365E785982E1f101E93b906 5k"],
    ["unstake", "roost unstake 0x90F7...b906 all"],
    [
      "register",
      'roost register miner --operator 0x15d3...6A65 --self-stake 20k --commission 10 --intro "RTX',
    ],
    ["devnet", "roost devnet advance 5m"],
    ["faucet claim", "ROOST_PRIVATE_KEY=0x... roost faucet claim"],
    ["keys new", "roost keys new --out operator.json"],
    ["deploy", "roost deploy --rpc https://rpc.example.org --config roost.json"],
  ])("%s --help has an example", async (command, example) => {
    const result = await roost([...command.split(" "), "--help"], root);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(example);
  });
});
