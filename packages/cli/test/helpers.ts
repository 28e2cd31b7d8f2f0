// Shared by the CLI suites: a devnet per test file, the demo keys, running `roost` in-process with
// captured output, and snapshots of an account's on-chain state.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createRoostClients,
  DEVNET_MNEMONIC,
  type Devnet,
  type RoostContracts,
  roostContracts,
  startDevnet,
} from "@roost/chain";
import { type Address, type Hex, type PublicClient, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { freePort } from "../../../scripts/testing/ports.js";
import { run } from "../src/program.js";

/** The private key of demo account `index` (anvil's public test mnemonic: devnet only). */
export function demoKey(index: number): Hex {
  const key = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for demo account #${index}`);
  return toHex(key);
}

export function demoAddress(index: number): Address {
  return mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).address;
}

/** What one `roost` run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Demo account whose key goes in ROOST_PRIVATE_KEY. */
  as?: number;
  /** More environment variables (nothing comes from process.env). */
  env?: Record<string, string>;
  /** Working directory; default the test devnet's root (where .roost/devnet.json is). */
  cwd?: string;
  prompt?: (question: string) => Promise<string>;
}

/** Runs `roost <argv>` in-process with its own environment and captured output. */
export async function roost(
  argv: readonly string[],
  cwd: string,
  options: CliOptions = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const env: NodeJS.ProcessEnv = {
    ...(options.as === undefined ? {} : { ROOST_PRIVATE_KEY: demoKey(options.as) }),
    ...options.env,
  };
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd: options.cwd ?? cwd,
    ...(options.prompt ? { prompt: options.prompt } : {}),
  });
  return { code, stdout, stderr };
}

/** A devnet for one test file: its own home under a temporary root, on an OS-chosen port. */
export interface TestNet {
  devnet: Devnet;
  /** Temporary directory holding `.roost/` (the devnet's home): the CLI's working directory. */
  root: string;
  home: string;
  rpcUrl: string;
  /** `<home>/devnet.json`. */
  deploymentPath: string;
  publicClient: PublicClient;
  contracts: RoostContracts;
  /** `roost <argv>` with the test devnet's root as working directory. */
  cli(argv: readonly string[], options?: CliOptions): Promise<CliResult>;
  /** Stops anvil and removes the temporary directory. */
  stop(): Promise<void>;
}

export async function startTestNet(): Promise<TestNet> {
  const root = mkdtempSync(join(tmpdir(), "roost-cli-test-"));
  const home = join(root, ".roost");
  let devnet: Devnet | undefined;
  for (let attempt = 1; !devnet; attempt++) {
    // Another process may take the chosen port before anvil binds it: choose again. Our anvil
    // then either fails to start or exits while the other process answers in its place.
    try {
      devnet = await startDevnet({ port: await freePort(), home, reset: true });
    } catch (error) {
      if (attempt === 3 || !String(error).includes("already in use")) throw error;
      continue;
    }
    if (devnet.anvil.exitCode !== null || devnet.anvil.signalCode !== null) {
      await devnet.stop();
      if (attempt === 3) throw new Error(`anvil exited after starting on ${devnet.rpcUrl}`);
      devnet = undefined;
    }
  }
  const { publicClient } = createRoostClients({ chainId: devnet.file.chainId, rpcUrls: [devnet.rpcUrl] });
  const net: Devnet = devnet;
  return {
    devnet: net,
    root,
    home,
    rpcUrl: net.rpcUrl,
    deploymentPath: net.path,
    publicClient,
    contracts: roostContracts(net.file, publicClient),
    cli: (argv, options) => roost(argv, root, options),
    stop: async () => {
      await net.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** An account's state that a refused command must leave as it was. */
export interface AccountState {
  block: bigint;
  nonce: number;
  eth: bigint;
  cai: bigint;
  allowance: bigint;
}

export async function accountState(net: TestNet, address: Address): Promise<AccountState> {
  const [block, nonce, eth, cai, allowance] = await Promise.all([
    net.publicClient.getBlockNumber({ cacheTime: 0 }),
    net.publicClient.getTransactionCount({ address }),
    net.publicClient.getBalance({ address }),
    net.contracts.token.read.balanceOf([address]),
    net.contracts.token.read.allowance([address, net.contracts.staking.address]),
  ]);
  return { block, nonce, eth, cai, allowance };
}

/** 1 CAI (18 decimals) times `n`. */
export const cai = (n: number | bigint): bigint => BigInt(n) * 10n ** 18n;
