import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  fallback,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { padGasEstimate } from "./gas-margin.js";

/** How the clients ride out a flaky RPC: failover across URLs, then retries with backoff. */
export interface RpcOptions {
  /** Retries of a request that every URL failed (timeout, 429, 5xx, connection refused). Default 3. */
  retryCount?: number;
  /** First backoff in ms; viem doubles it each retry (150, 300, 600...). Default 150. */
  retryDelay?: number;
  /** Per-request timeout in ms. Default 10,000. */
  timeout?: number;
}

/**
 * A transport over several RPC URLs. Each attempt tries the URLs in order and takes the first
 * answer; a failed attempt (every URL down, timed out or answering 5xx/429) is retried with
 * exponential backoff. With one URL, that URL alone is retried.
 */
export function roostTransport(rpcUrls: readonly string[], options: RpcOptions = {}): Transport {
  if (rpcUrls.length === 0) {
    throw new Error("no RPC URL given: pass at least one (e.g. --rpc http://127.0.0.1:8545)");
  }
  const { retryCount = 3, retryDelay = 150, timeout = 10_000 } = options;
  if (rpcUrls.length === 1) return http(rpcUrls[0], { retryCount, retryDelay, timeout });
  // viem's `http` retries by itself unless told not to, which would make every request wait out
  // a dead first URL's backoff before failing over: the retries belong to the fallback.
  const transports = rpcUrls.map((url) => http(url, { retryCount: 0, timeout }));
  return fallback(transports, { retryCount, retryDelay });
}

/** A viem chain for a Roost deployment (the devnet or any EVM chain by id). */
export function roostChain(chainId: number, rpcUrls: readonly string[]): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? "Roost devnet" : `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [...rpcUrls] } },
  });
}

export interface RoostClients {
  chain: Chain;
  publicClient: PublicClient;
  /** Present when an account was given. */
  walletClient?: WalletClient<Transport, Chain, Account>;
}

/**
 * Adds a margin to every gas estimate (see padGasEstimate), and gives a transaction sent without a
 * limit (an account the node signs for: an impersonated or unlocked one, which viem does not estimate
 * for) a padded estimate of its own, instead of the node's bare one.
 */
export function withGasMargin(transport: Transport, margin = 1.3, extra = 50_000n): Transport {
  const pad = (estimate: unknown) =>
    `0x${padGasEstimate(BigInt(estimate as string), margin, extra).toString(16)}`;
  return (params) => {
    const inner = transport(params);
    const request = inner.request as (
      a: { method: string; params?: unknown },
      o?: unknown,
    ) => Promise<unknown>;
    return {
      ...inner,
      request: (async (args: { method: string; params?: unknown }, options?: unknown) => {
        if (args.method === "eth_sendTransaction" && Array.isArray(args.params)) {
          const [tx, ...rest] = args.params as [Record<string, unknown>, ...unknown[]];
          if (tx !== undefined && tx.gas === undefined) {
            const estimate = await request({ method: "eth_estimateGas", params: [tx] }, options);
            return request({ ...args, params: [{ ...tx, gas: pad(estimate) }, ...rest] }, options);
          }
        }
        const result = await request(args, options);
        if (args.method !== "eth_estimateGas" || typeof result !== "string") return result;
        return pad(result);
      }) as typeof inner.request,
    };
  };
}

/** Public (and, with an account, wallet) clients over `rpcUrls` with failover and retries. */
export function createRoostClients(options: {
  chainId: number;
  rpcUrls: readonly string[];
  account?: Account;
  rpc?: RpcOptions;
}): RoostClients {
  const chain = roostChain(options.chainId, options.rpcUrls);
  const transport = withGasMargin(roostTransport(options.rpcUrls, options.rpc));
  // Anvil mines on demand: poll receipts fast there, at a normal pace elsewhere.
  const pollingInterval = options.chainId === 31337 ? 50 : 1_000;
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient;
  if (!options.account) return { chain, publicClient };
  const walletClient = createWalletClient({ chain, transport, account: options.account, pollingInterval });
  return { chain, publicClient, walletClient };
}
