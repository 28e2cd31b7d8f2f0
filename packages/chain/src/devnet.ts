import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import { caiTokenAbi } from "@roost/protocol";
import { type Address, createTestClient, http, parseEther } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { createRoostClients } from "./clients.js";
import { deploy } from "./deploy.js";
import { DEVNET_CONFIG } from "./deploy-config.js";
import { type Deployment, parseDeployment } from "./deployment.js";

/** anvil's well-known test mnemonic: its keys are public, for the devnet only. */
export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";
export const DEVNET_CHAIN_ID = 31337;

/** The devnet's demo accounts: anvil's accounts by index, each with a role and CAI to start. */
export const DEMO_ACCOUNTS = [
  { index: 0, role: "deployer", label: "admin, treasury, guardian, distributor, dripper, arbiter", cai: "0" },
  { index: 1, role: "coordinator-owner", label: "coordinator owner", cai: "2100000" },
  { index: 2, role: "coordinator-operator", label: "coordinator operator key", cai: "0" },
  { index: 3, role: "miner-owner", label: "miner 1 owner", cai: "50000" },
  { index: 4, role: "miner-operator", label: "miner 1 operator key", cai: "0" },
  { index: 5, role: "miner-owner", label: "miner 2 owner", cai: "50000" },
  { index: 6, role: "miner-operator", label: "miner 2 operator key", cai: "0" },
  { index: 7, role: "staker", label: "staker", cai: "100000" },
  { index: 8, role: "staker", label: "staker without CAI (uses the faucet)", cai: "0" },
] as const;

export interface DemoAccount {
  index: number;
  role: string;
  label: string;
  address: Address;
}

/** `.roost/devnet.json`: the deployment plus what a demo needs. */
export interface DevnetFile extends Deployment {
  rpcUrl: string;
  mnemonic: string;
  accounts: DemoAccount[];
}

export interface DevnetOptions {
  /** Default 8545. */
  port?: number;
  /** Where devnet.json and devnet/ (anvil's state) live. Default `.roost` in the working directory. */
  home?: string;
  /** Forget the previous devnet and start afresh. */
  reset?: boolean;
  onProgress?: (step: string) => void;
}

export interface Devnet {
  rpcUrl: string;
  file: DevnetFile;
  /** Path of devnet.json. */
  path: string;
  /** Whether this start reused a saved chain (false: deployed afresh). */
  resumed: boolean;
  anvil: ChildProcess;
  /** Moves the chain's clock forward and mines a block (for demos: unbonding, windows). */
  advanceTime(seconds: number): Promise<void>;
  /** Stops anvil, which saves the chain to disk first. */
  stop(): Promise<void>;
}

/** The anvil binary of the installed @foundry-rs package (directly: npx leaves wrapper processes). */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string] ?? process.arch;
  return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/anvil`);
}

/**
 * Starts anvil on 127.0.0.1 with its state saved under `<home>/devnet/`. On first start (or with
 * `reset`) deploys every contract with the devnet's short periods and funds the demo accounts;
 * later starts load the saved chain and reuse the deployment in `<home>/devnet.json`.
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const port = options.port ?? 8545;
  const home = options.home ?? ".roost";
  const progress = options.onProgress ?? (() => {});
  await assertPortFree(port);
  const stateDir = join(home, "devnet");
  const path = join(home, "devnet.json");
  if (options.reset) {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(path, { force: true });
  }
  mkdirSync(stateDir, { recursive: true });
  const statePath = join(stateDir, "state.json");
  const saved = existsSync(statePath) && existsSync(path);

  progress(`starting anvil on 127.0.0.1:${port}${saved ? " (resuming the saved chain)" : ""}`);
  const anvil = spawn(
    anvilBinary(),
    ["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(DEVNET_CHAIN_ID)].concat([
      "--mnemonic",
      DEVNET_MNEMONIC,
      "--state",
      statePath,
      "--state-interval",
      "5",
      "--silent",
    ]),
    // Its own process group: a terminal's Ctrl-C goes to the roost process, which saves and stops
    // anvil in order, instead of killing anvil at the same moment (the exit hook below still ends it).
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let stderr = "";
  anvil.stderr?.on("data", (d) => {
    stderr += d;
  });
  anvil.once("error", (error) => {
    // The binary could not be run at all (missing, not executable): said like anvil's own errors.
    stderr += `cannot run ${anvilBinary()}: ${error.message}`;
  });
  const exited = new Promise<void>((resolve) => anvil.once("exit", () => resolve()));
  // However this process ends (an exception, process.exit), anvil must not outlive it.
  const killOnExit = () => anvil.kill("SIGTERM");
  process.once("exit", killOnExit);
  anvil.once("exit", () => process.off("exit", killOnExit));
  const stop = async () => {
    if (anvil.exitCode === null && anvil.signalCode === null) anvil.kill("SIGTERM");
    await exited;
  };

  const rpcUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForRpc(rpcUrl, anvil, () => stderr);
    let file = saved ? readSavedDevnet(path, rpcUrl) : undefined;
    if (file && !(await hasCode(rpcUrl, file.contracts.Staking))) file = undefined;
    const resumed = file !== undefined;
    if (!file) file = await deployDevnet(rpcUrl, progress);
    // Also when resuming: the port (so rpcUrl) may differ from the last start.
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    return {
      rpcUrl,
      file,
      path,
      resumed,
      anvil,
      advanceTime: (seconds) => advanceChainTime(rpcUrl, seconds),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Moves an anvil chain's clock forward by `seconds` and mines a block (for demos and tests). */
export async function advanceChainTime(rpcUrl: string, seconds: number): Promise<void> {
  const test = createTestClient({ mode: "anvil", transport: http(rpcUrl) });
  await test.increaseTime({ seconds });
  await test.mine({ blocks: 1 });
}

async function deployDevnet(rpcUrl: string, progress: (step: string) => void): Promise<DevnetFile> {
  const deployer = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 0 });
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [rpcUrl],
    account: deployer,
  });
  if (!walletClient) throw new Error("unreachable: a wallet client was asked for");
  const deployment = await deploy({ publicClient, walletClient }, DEVNET_CONFIG, progress);
  const accounts: DemoAccount[] = [];
  for (const demo of DEMO_ACCOUNTS) {
    const { address } = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: demo.index });
    accounts.push({ index: demo.index, role: demo.role, label: demo.label, address });
    if (demo.cai === "0") continue;
    progress(`funding the ${demo.label} with ${demo.cai} CAI`);
    const hash = await walletClient.writeContract({
      address: deployment.contracts.CAIToken,
      abi: caiTokenAbi,
      functionName: "transfer",
      args: [address, parseEther(demo.cai)],
    });
    await publicClient.waitForTransactionReceipt({ hash });
  }
  return { ...deployment, rpcUrl, mnemonic: DEVNET_MNEMONIC, accounts };
}

function readSavedDevnet(path: string, rpcUrl: string): DevnetFile | undefined {
  try {
    const json = JSON.parse(readFileSync(path, "utf8"));
    return { ...json, ...parseDeployment(json, path), rpcUrl } as DevnetFile;
  } catch {
    return undefined; // unreadable: deploy afresh
  }
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await res.json()) as { result?: unknown }).result;
}

async function hasCode(url: string, address: Address): Promise<boolean> {
  const code = await rpc(url, "eth_getCode", [address, "latest"]);
  return typeof code === "string" && code.length > 2;
}

/** Refuses a port something already listens on: anvil would exit, but whatever answers there (another
 *  devnet) would otherwise be taken for it and deployed to. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(
              `anvil could not start: port ${port} is already in use: stop what runs there or pass --port`,
            )
          : error,
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

async function waitForRpc(url: string, anvil: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (anvil.exitCode !== null || (anvil.pid === undefined && stderr() !== "")) {
      const reason = stderr().includes("Address already in use")
        ? `port ${new URL(url).port} is already in use: stop what runs there or pass --port`
        : stderr().trim() || `exit code ${anvil.exitCode ?? "unknown"}`;
      throw new Error(`anvil could not start: ${reason}`);
    }
    try {
      await rpc(url, "eth_chainId", []);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`anvil did not answer on ${url} within 10 s`);
}
