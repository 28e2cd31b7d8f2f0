import { caiTokenAbi, faucetAbi, stakingAbi } from "@roost/protocol/abis";
import { useQuery } from "@tanstack/react-query";
import type { Address, PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { usePortalConfig } from "../app/portal-config";

// What the pages read from the chain, through TanStack Query: cached, refetched every few seconds
// (a new block on the devnet comes with each transaction), and refreshed after every transaction.

const REFRESH_MS = 4_000;
/** Staking's views are paginated; this many nodes per call. */
const PAGE = 200n;

export type NodeRow = Awaited<ReturnType<typeof readNodes>>[number];

/** Every registered node of both roles, with its role. */
export async function readNodes(client: PublicClient, staking: Address) {
  const rows = [];
  for (const role of [0, 1] as const) {
    const count = await client.readContract({
      address: staking,
      abi: stakingAbi,
      functionName: "nodeCount",
      args: [role],
    });
    for (let offset = 0n; offset < count; offset += PAGE) {
      const page = await client.readContract({
        address: staking,
        abi: stakingAbi,
        functionName: "getNodes",
        args: [role, offset, PAGE],
      });
      rows.push(...page.map((node) => ({ ...node, role })));
    }
  }
  return rows;
}

function useClient(): PublicClient {
  const client = usePublicClient();
  if (client === undefined) throw new Error("no public client: the wagmi config has no chain");
  return client as PublicClient;
}

export function useNodes() {
  const client = useClient();
  const { contracts } = usePortalConfig();
  return useQuery({
    queryKey: ["nodes"],
    queryFn: () => readNodes(client, contracts.Staking),
    refetchInterval: REFRESH_MS,
  });
}

export function useCaiBalance(account: Address | undefined) {
  const client = useClient();
  const { contracts } = usePortalConfig();
  return useQuery({
    queryKey: ["balance", account],
    enabled: account !== undefined,
    queryFn: () =>
      client.readContract({
        address: contracts.CAIToken,
        abi: caiTokenAbi,
        functionName: "balanceOf",
        args: [account as Address],
      }),
    refetchInterval: REFRESH_MS,
  });
}

/** The faucet's drip, cooldown and when `account` may claim next (chain time). */
export function useFaucet(account: Address | undefined) {
  const client = useClient();
  const { contracts } = usePortalConfig();
  return useQuery({
    queryKey: ["faucet", account],
    queryFn: async () => {
      const faucet = { address: contracts.Faucet, abi: faucetAbi } as const;
      const [amount, cooldown, block] = await Promise.all([
        client.readContract({ ...faucet, functionName: "dripAmount" }),
        client.readContract({ ...faucet, functionName: "cooldown" }),
        client.getBlock(),
      ]);
      const nextClaimAt =
        account === undefined
          ? 0n
          : await client.readContract({ ...faucet, functionName: "nextClaimAt", args: [account] });
      return { amount, cooldown, nextClaimAt, now: block.timestamp };
    },
    refetchInterval: REFRESH_MS,
  });
}

/** `account`'s stake (and pending rewards) on each node, and its unbonding locks. */
export function useStakerPosition(account: Address | undefined) {
  const client = useClient();
  const { contracts } = usePortalConfig();
  return useQuery({
    queryKey: ["position", account],
    enabled: account !== undefined,
    queryFn: async () => {
      const staker = account as Address;
      const staking = { address: contracts.Staking, abi: stakingAbi } as const;
      const positions = [];
      for (const role of [0, 1] as const) {
        positions.push(
          ...(await client.readContract({
            ...staking,
            functionName: "positionsOf",
            args: [staker, role, 0n, PAGE],
          })),
        );
      }
      const lockCount = await client.readContract({ ...staking, functionName: "lockCount", args: [staker] });
      const locks =
        lockCount === 0n
          ? []
          : await client.readContract({ ...staking, functionName: "locksOf", args: [staker, 0n, lockCount] });
      const block = await client.getBlock();
      return { positions, locks, now: block.timestamp };
    },
    refetchInterval: REFRESH_MS,
  });
}

export function useBlockNumber() {
  const client = useClient();
  return useQuery({
    queryKey: ["block"],
    queryFn: () => client.getBlockNumber(),
    refetchInterval: REFRESH_MS,
  });
}
