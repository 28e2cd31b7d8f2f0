import { type Address, type EIP1193RequestFn, getAddress, numberToHex } from "viem";
import { createConnector } from "wagmi";

// The devnet's built-in wallet: one connector per demo account, so the portal works (and a headless
// browser test runs) without an extension. Requests go to the devnet's anvil, which holds the demo
// accounts unlocked and signs for them; it only works there, and says so in its name.

export interface DevAccount {
  index: number;
  label: string;
  address: Address;
}

export function devWallet(account: DevAccount, rpcUrl: string, chainId: number) {
  let connected = false;
  let id = 0;
  const answer = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [account.address];
    if (method === "eth_chainId") return numberToHex(chainId);
    if (method === "wallet_switchEthereumChain") return null;
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = (await response.json()) as {
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    if (body.error !== undefined) throw Object.assign(new Error(body.error.message), body.error);
    return body.result;
  };
  const request = answer as EIP1193RequestFn;
  const provider = { request, on: () => {}, removeListener: () => {} };
  return createConnector(() => ({
    id: `roost-dev-${account.index}`,
    name: `Dev wallet #${account.index}: ${account.label}`,
    type: "roost-dev",
    async connect() {
      connected = true;
      return { accounts: [getAddress(account.address)], chainId } as never;
    },
    async disconnect() {
      connected = false;
    },
    async getAccounts() {
      return [getAddress(account.address)];
    },
    async getChainId() {
      return chainId;
    },
    async getProvider() {
      return provider;
    },
    async isAuthorized() {
      return connected;
    },
    onAccountsChanged() {},
    onChainChanged() {},
    onDisconnect() {
      connected = false;
    },
  }));
}
