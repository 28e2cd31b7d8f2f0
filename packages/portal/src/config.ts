import type { Address } from "viem";

/** The network the portal talks to, as its server describes it at /api/devnet. */
export interface PortalConfig {
  chainId: number;
  rpcUrl: string;
  contracts: {
    CAIToken: Address;
    Staking: Address;
    Faucet: Address;
    PaymentEscrow: Address;
    Disputes: Address;
  };
  /** First block of the deployment (event scans start there). */
  block: number;
  /** A coordinator's public URL (the playground and the network view), if the server knows one. */
  coordinatorUrl?: string;
  /** The gasless faucet (POST {address}), on the devnet. */
  dripUrl?: string;
  /** The devnet's demo accounts (anvil's, unlocked: anvil signs for them), for the built-in dev wallet. */
  demoAccounts?: { index: number; label: string; address: Address }[];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Loads and checks the network description; a clear error if the server gives none. */
export async function loadConfig(url = "/api/devnet"): Promise<PortalConfig> {
  const response = await fetch(url);
  if (!response.ok) throw new ConfigError(`${url} answered HTTP ${response.status}`);
  const json = (await response.json()) as Partial<PortalConfig>;
  if (
    typeof json.chainId !== "number" ||
    typeof json.rpcUrl !== "string" ||
    typeof json.contracts !== "object"
  ) {
    throw new ConfigError(`${url} does not describe a network (chainId, rpcUrl, contracts)`);
  }
  return json as PortalConfig;
}
