import { caiTokenAbi, disputesAbi, faucetAbi, stakingAbi } from "@roost/protocol/abis";
import { useQuery } from "@tanstack/react-query";
import { type Address, encodeFunctionData, type PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { usePortalConfig } from "../app/portal-config";
import { decodeNodeViews } from "./node-views";

// What the pages read from the chain, through TanStack Query: cached, refetched every few seconds
// (a new block on the devnet comes with each transaction), and refreshed after every transaction.

const REFRESH_MS = 4_000;
/** Staking's views are paginated; this many nodes per call (a page of 500 is ~300 KB of ABI). */
const PAGE = 500n;

export type NodeRow = Awaited<ReturnType<typeof readNodes>>[number];

/** Every registered node of both roles, with its role: all pages at once (one batched HTTP request). */
export async function readNodes(client: PublicClient, staking: Address) {
  const roles = [0, 1] as const;
  const counts = await Promise.all(
    roles.map((role) =>
      client.readContract({ address: staking, abi: stakingAbi, functionName: "nodeCount", args: [role] }),
    ),
  );
  const pages = roles.flatMap((role) => {
    const offsets: bigint[] = [];
    for (let offset = 0n; offset < (counts[role] ?? 0n); offset += PAGE) offsets.push(offset);
    return offsets.map(async (offset) => {
      const data = encodeFunctionData({
        abi: stakingAbi,
        functionName: "getNodes",
        args: [role, offset, PAGE],
      });
      const { data: result } = await client.call({ to: staking, data });
      if (result === undefined) throw new Error("Staking.getNodes returned nothing");
      return decodeNodeViews(result).map((node) => ({ ...node, role }));
    });
  });
  return (await Promise.all(pages)).flat();
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

/** The rewards `account` claimed, newest first (RewardsClaimed events since the deployment). */
export function useClaims(account: Address | undefined) {
  const client = useClient();
  const { contracts, block } = usePortalConfig();
  return useQuery({
    queryKey: ["claims", account],
    enabled: account !== undefined,
    queryFn: async () => {
      const events = await client.getContractEvents({
        address: contracts.Staking,
        abi: stakingAbi,
        eventName: "RewardsClaimed",
        args: { staker: account as Address },
        fromBlock: BigInt(block),
      });
      const times = new Map<bigint, bigint>();
      for (const event of events) {
        if (!times.has(event.blockNumber)) {
          times.set(event.blockNumber, (await client.getBlock({ blockNumber: event.blockNumber })).timestamp);
        }
      }
      return events
        .map((event) => ({
          block: event.blockNumber,
          time: times.get(event.blockNumber) ?? 0n,
          operator: event.args.operator as Address,
          amount: event.args.amount as bigint,
          transaction: event.transactionHash,
        }))
        .reverse();
    },
    refetchInterval: REFRESH_MS,
  });
}

/** The minimum self-stake of each role (wei) and whether `operator` consented to `owner`. */
export function useRegistration(operator: Address | undefined, owner: Address | undefined) {
  const client = useClient();
  const { contracts } = usePortalConfig();
  return useQuery({
    queryKey: ["registration", operator, owner],
    queryFn: async () => {
      const staking = { address: contracts.Staking, abi: stakingAbi } as const;
      const [minMiner, minCoordinator] = await Promise.all([
        client.readContract({ ...staking, functionName: "minSelfStake", args: [0] }),
        client.readContract({ ...staking, functionName: "minSelfStake", args: [1] }),
      ]);
      const approved =
        operator === undefined
          ? undefined
          : await client.readContract({ ...staking, functionName: "approvedOwner", args: [operator] });
      const state =
        operator === undefined
          ? undefined
          : await client.readContract({ ...staking, functionName: "nodeState", args: [operator] });
      return {
        minSelfStake: [minMiner, minCoordinator] as const,
        consented:
          operator !== undefined &&
          owner !== undefined &&
          (operator === owner || approved?.toLowerCase() === owner.toLowerCase()),
        registered: state !== undefined && state[1] !== 0,
      };
    },
    refetchInterval: REFRESH_MS,
  });
}

/** Every slash proposal with its evidence URL, newest first. */
export function useProposals() {
  const client = useClient();
  const { contracts, block } = usePortalConfig();
  return useQuery({
    queryKey: ["proposals"],
    queryFn: async () => {
      const disputes = { address: contracts.Disputes, abi: disputesAbi } as const;
      const count = await client.readContract({ ...disputes, functionName: "proposalCount" });
      const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i));
      const proposals = await Promise.all(
        ids.map((id) => client.readContract({ ...disputes, functionName: "getProposal", args: [id] })),
      );
      const events = await client.getContractEvents({
        ...disputes,
        eventName: "SlashProposed",
        fromBlock: BigInt(block),
      });
      const uris = new Map(
        events.map((event) => [event.args.id as bigint, event.args.evidenceURI as string]),
      );
      const now = (await client.getBlock()).timestamp;
      return {
        now,
        proposals: proposals
          .map((p, i) => ({ ...p, id: BigInt(i), evidenceURI: uris.get(BigInt(i)) ?? "" }))
          .reverse(),
      };
    },
    refetchInterval: REFRESH_MS,
  });
}

/** Stake and nodes over time, one point per Staked/Unstaked/Slashed block (the network chart). */
export function useStakeHistory() {
  const client = useClient();
  const { contracts, block } = usePortalConfig();
  return useQuery({
    queryKey: ["stake-history"],
    queryFn: async () => {
      const staking = { address: contracts.Staking, abi: stakingAbi, fromBlock: BigInt(block) } as const;
      const [staked, unstaked, slashed, registered] = await Promise.all([
        client.getContractEvents({ ...staking, eventName: "Staked" }),
        client.getContractEvents({ ...staking, eventName: "Unstaked" }),
        client.getContractEvents({ ...staking, eventName: "Slashed" }),
        client.getContractEvents({ ...staking, eventName: "NodeRegistered" }),
      ]);
      const changes = [
        ...staked.map((e) => ({
          block: e.blockNumber,
          stake: e.args.amount as bigint,
          nodes: 0,
          slashes: 0,
        })),
        ...unstaked.map((e) => ({
          block: e.blockNumber,
          stake: -(e.args.amount as bigint),
          nodes: 0,
          slashes: 0,
        })),
        ...slashed.map((e) => ({
          block: e.blockNumber,
          stake: -(e.args.activeAmount as bigint),
          nodes: 0,
          slashes: 1,
        })),
        ...registered.map((e) => ({
          block: e.blockNumber,
          stake: e.args.selfStake as bigint,
          nodes: 1,
          slashes: 0,
        })),
      ].sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
      let stake = 0n;
      let nodes = 0;
      let slashes = 0;
      return changes.map((change) => {
        stake += change.stake;
        nodes += change.nodes;
        slashes += change.slashes;
        return { block: change.block, stake, nodes, slashes };
      });
    },
    refetchInterval: REFRESH_MS,
  });
}

/** The coordinator's public view (miners online, tasks paid per miner), when the portal knows one. */
export function useCoordinatorNetwork() {
  const { coordinatorUrl } = usePortalConfig();
  return useQuery({
    queryKey: ["coordinator-network", coordinatorUrl],
    enabled: coordinatorUrl !== undefined,
    queryFn: async () => {
      const response = await fetch(`${coordinatorUrl}/api/network`);
      if (!response.ok) throw new Error(`${coordinatorUrl}/api/network answered HTTP ${response.status}`);
      return (await response.json()) as {
        tasks: { completed: number };
        miners: { operator: string; online: boolean; lastSeen: string; tasksServed: number }[];
      };
    },
    refetchInterval: 5_000,
  });
}

/** Slashes per node operator (lower case), from Staking's Slashed events. */
export function useSlashCounts() {
  const client = useClient();
  const { contracts, block } = usePortalConfig();
  return useQuery({
    queryKey: ["slash-counts"],
    queryFn: async () => {
      const events = await client.getContractEvents({
        address: contracts.Staking,
        abi: stakingAbi,
        eventName: "Slashed",
        fromBlock: BigInt(block),
      });
      const counts = new Map<string, number>();
      for (const event of events) {
        const operator = (event.args.operator as string).toLowerCase();
        counts.set(operator, (counts.get(operator) ?? 0) + 1);
      }
      return counts;
    },
    refetchInterval: REFRESH_MS,
  });
}

/** Staking's unbonding period, in seconds. */
export function useUnbondingPeriod() {
  const client = useClient();
  const { contracts } = usePortalConfig();
  return useQuery({
    queryKey: ["unbonding-period"],
    queryFn: () =>
      client.readContract({ address: contracts.Staking, abi: stakingAbi, functionName: "unbondingPeriod" }),
    staleTime: 60_000,
  });
}
