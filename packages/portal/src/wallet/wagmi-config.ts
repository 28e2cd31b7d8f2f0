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
    transports: { [chain.id]: http(config.rpcUrl) },
  });
}
