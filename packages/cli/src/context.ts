import { resolve } from "node:path";
import {
  createRoostClients,
  type Deployment,
  type ErrorContext,
  explainError,
  loadPrivateKey,
  PasswordUnavailableError,
  type RoostContracts,
  readDeployment,
  roostContracts,
  whyReverted,
} from "@roost/chain";
import type { Hash, Hex, LocalAccount, PublicClient, TransactionReceipt } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Io, toJson, UsageError } from "./output.js";

/**
 * The chain's "now": the pending block's timestamp, which follows the wall clock (and a devnet's
 * `advance`) even when no block has been mined for a while, as on an idle anvil.
 */
export async function chainTime(publicClient: PublicClient): Promise<bigint> {
  return (await publicClient.getBlock({ blockTag: "pending" })).timestamp;
}

/** Options every command accepts. */
export interface GlobalOptions {
  /** RPC URLs, comma-separated (failover in order). Default: the deployment's rpcUrl. */
  rpc?: string;
  /** Deployment JSON. Default: $ROOST_DEPLOYMENT, else .roost/devnet.json. */
  deployment?: string;
  /** Encrypted keystore file. Default: $ROOST_KEYSTORE, else $ROOST_PRIVATE_KEY. */
  keystore?: string;
  json?: boolean;
}

/** What a command needs, made lazily from the global options: deployment, clients, account. */
export class Context {
  #deployment: (Deployment & { rpcUrl?: string }) | undefined;
  #account: LocalAccount | undefined;
  #privateKey: Promise<Hex> | undefined;
  #publicClient: PublicClient | undefined;

  constructor(
    readonly io: Io,
    readonly options: GlobalOptions,
  ) {}

  get json(): boolean {
    return this.options.json === true;
  }

  deployment(): Deployment & { rpcUrl?: string } {
    this.#deployment ??= readDeployment(
      resolve(this.io.cwd, this.options.deployment ?? (this.io.env.ROOST_DEPLOYMENT || ".roost/devnet.json")),
    );
    return this.#deployment;
  }

  rpcUrls(): string[] {
    // An empty variable counts as unset, as for the key variables.
    const list = this.options.rpc ?? (this.io.env.ROOST_RPC_URL || this.deployment().rpcUrl);
    if (!list) throw new UsageError("no RPC URL: pass --rpc <url> or set ROOST_RPC_URL");
    return list
      .split(",")
      .map((url) => url.trim())
      .filter(Boolean);
  }

  async account(): Promise<LocalAccount> {
    this.#account ??= privateKeyToAccount(await this.privateKey());
    return this.#account;
  }

  /**
   * The signing key itself, for nodes that sign at high rates (the coordinator's receipts, the miner's
   * results); read (and a keystore's password asked for) once.
   */
  privateKey(): Promise<Hex> {
    this.#privateKey ??= this.#loadPrivateKey();
    return this.#privateKey;
  }

  #loadPrivateKey(): Promise<Hex> {
    const { keystore } = this.options;
    const env = { ...this.io.env };
    if (env.ROOST_KEYSTORE) env.ROOST_KEYSTORE = resolve(this.io.cwd, env.ROOST_KEYSTORE);
    return loadPrivateKey({
      ...(keystore ? { keystore: resolve(this.io.cwd, keystore) } : {}),
      env,
      // Only `io` may ask for a password: without a terminal there, say what to set instead.
      prompt:
        this.io.prompt ??
        (() =>
          Promise.reject(
            new PasswordUnavailableError("set ROOST_KEYSTORE_PASSWORD, or run in a terminal to be asked"),
          )),
    });
  }

  publicClient(): PublicClient {
    this.#publicClient ??= createRoostClients({
      chainId: this.deployment().chainId,
      rpcUrls: this.rpcUrls(),
    }).publicClient;
    return this.#publicClient;
  }

  /** The contracts, read-only. */
  reader(): RoostContracts {
    return roostContracts(this.deployment(), this.publicClient());
  }

  /** The contracts with the signing account, and that account. */
  async writer(): Promise<{ contracts: RoostContracts; account: LocalAccount; publicClient: PublicClient }> {
    const account = await this.account();
    const { publicClient, walletClient } = createRoostClients({
      chainId: this.deployment().chainId,
      rpcUrls: this.rpcUrls(),
      account,
    });
    return {
      contracts: roostContracts(this.deployment(), publicClient, walletClient),
      account,
      publicClient,
    };
  }

  /**
   * Simulates, then sends, a transaction and waits for it: a call that would revert is refused
   * before anything is sent, with the reason in words.
   */
  async transact(
    label: string,
    publicClient: PublicClient,
    send: () => Promise<Hash>,
    errorContext?: ErrorContext,
  ): Promise<TransactionReceipt> {
    if (!this.json) this.io.stderr(`${label}...\n`);
    let hash: Hash;
    try {
      hash = await send();
    } catch (error) {
      // Times left ("claim again in 1m") count from the chain's clock, which `roost devnet
      // advance` moves ahead of the wall clock.
      const now = await chainTime(publicClient).catch(() => undefined);
      throw explainError(error, { ...(now !== undefined ? { now: Number(now) } : {}), ...errorContext });
    }
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      const why = await whyReverted(publicClient, receipt).catch(() => "its reason could not be read");
      throw new Error(`${label}: transaction ${hash} reverted: ${why}`);
    }
    return receipt;
  }

  /** Prints `human` or, with --json, `data`. */
  print(human: string, data: unknown): void {
    this.io.stdout(`${this.json ? toJson(data) : human}\n`);
  }
}
