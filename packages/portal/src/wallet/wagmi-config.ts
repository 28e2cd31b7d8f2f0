import { defineChain } from "viem";
import { createConfig, http, injected } from "wagmi";
import type { PortalConfig } from "../config";
import { devWallet } from "./dev-wallet";

/** The chain as wallets see it (a one-click switch adds it to an injected wallet). */
export function roostChain(config: PortalConfig) {
  return defineChain({
    id: config.chainId,
    name: config.chainId === 31337 ? "Roost devnet" : `Roost (chain ${config.chainId})`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
}

export function wagmiConfig(config: PortalConfig) {
  const chain = roostChain(config);
  const dev = (config.demoAccounts ?? []).map((account) => devWallet(account, config.rpcUrl, config.chainId));
  return createConfig({
    chains: [chain],
    connectors: [injected(), ...dev],
    // Reads made together (the nodes table's pages) go in one JSON-RPC batch.
    // (8 pages of nodes a request: providers, and viem, cap a response at about 10 MB).
    transports: { [chain.id]: http(config.rpcUrl, { batch: { batchSize: 8, wait: 10 } }) },
  });
}
