// A JSON-RPC endpoint answering the reads the portal's Stake page makes, for a network of `nodes`
// registered nodes: enough to measure the portal's own work on a table of 10,000 (registering 10,000
// nodes on anvil would measure anvil). Everything else it refuses, as a node refuses an unknown call.

import type { Deployment } from "@roost/chain";
import { caiTokenAbi, faucetAbi, stakingAbi } from "@roost/protocol/abis";
import {
  type Abi,
  type Address,
  decodeFunctionData,
  encodeFunctionResult,
  type Hex,
  numberToHex,
} from "viem";

export interface StubChain {
  chainId: number;
  contracts: Deployment["contracts"];
  answer(request: { id: number; method: string; params?: unknown[] }): unknown;
}

const address = (n: number, prefix: string) =>
  `0x${prefix}${n.toString(16).padStart(40 - prefix.length, "0")}` as Address;

export function stubChain(nodes: number): StubChain {
  const contracts = {
    CAIToken: address(1, "c"),
    Staking: address(2, "c"),
    Faucet: address(3, "c"),
    PaymentEscrow: address(4, "c"),
    Disputes: address(5, "c"),
  };
  const miners = Math.floor(nodes * 0.9);
  const node = (role: 0 | 1, i: number) => ({
    operator: address(role * 1_000_000 + i + 1, "a"),
    owner: address(role * 1_000_000 + i + 1, "b"),
    role,
    status: i % 97 === 0 ? 2 : 1,
    totalStake: BigInt(20_000 + ((i * 7919) % 90_000)) * 10n ** 18n,
    selfStake: 20_000n * 10n ** 18n,
    unbondingStake: 0n,
    commissionBps: (i * 37) % 2_000,
    pendingCommissionBps: 0,
    commissionEffectiveAt: 0,
    jailedUntil: 0,
    metadataURI: `ipfs://node-${i}`,
    endpoint: role === 1 ? `https://coordinator-${i}.example` : "",
  });
  const counts = [BigInt(miners), BigInt(nodes - miners)] as const;
  // Encoding 500 nodes takes the stub longer than the portal takes to decode them: answers are cached,
  // and the bench warms the cache, so the figures are the portal's.
  const cache = new Map<string, Hex>();
  const call = (to: Address, data: Hex): Hex => {
    const key = `${to}${data}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const answer = encode(to, data);
    cache.set(key, answer);
    return answer;
  };
  const encode = (to: Address, data: Hex): Hex => {
    const abi = (
      to === contracts.Staking ? stakingAbi : to === contracts.Faucet ? faucetAbi : caiTokenAbi
    ) as Abi;
    const { functionName, args = [] } = decodeFunctionData({ abi, data });
    const result = (() => {
      switch (functionName) {
        case "nodeCount":
          return counts[Number(args[0]) as 0 | 1];
        case "getNodes": {
          const [role, offset, limit] = args as [number, bigint, bigint];
          const end = Math.min(Number(counts[role as 0 | 1]), Number(offset + limit));
          return Array.from({ length: Math.max(0, end - Number(offset)) }, (_, k) =>
            node(role as 0 | 1, Number(offset) + k),
          );
        }
        case "balanceOf":
          return 0n;
        case "unbondingPeriod":
          return 300n;
        default:
          throw new Error(`the bench's stub chain does not answer ${functionName}`);
      }
    })();
    return encodeFunctionResult({ abi, functionName, result } as never);
  };
  return {
    chainId: 31_337,
    contracts,
    answer({ method, params = [] }) {
      switch (method) {
        case "eth_chainId":
          return numberToHex(31_337);
        case "eth_blockNumber":
          return numberToHex(100);
        case "eth_getBlockByNumber":
          return {
            number: numberToHex(100),
            timestamp: numberToHex(Math.floor(Date.now() / 1000)),
            hash: `0x${"11".repeat(32)}`,
            transactions: [],
          };
        case "eth_getLogs":
          return [];
        case "eth_call": {
          const [tx] = params as [{ to: Address; data: Hex }];
          return call(tx.to, tx.data);
        }
        default:
          throw new Error(`the bench's stub chain does not answer ${method}`);
      }
    },
  };
}
