// The Staking reads behind MinerRegistry, each pinned to one block so that what it returns is one
// consistent state of the contract: pages of miners, single nodes (multicall3 or plain parallel
// calls), the Staking events of a block range, and a small concurrency limiter.
import { type Deployment, Role, type RoostContracts, roostContracts, type Status } from "@roost/chain";
import { stakingAbi } from "@roost/protocol";
import type { Address, PublicClient } from "viem";

/** A node's status as Staking numbers it (`Status` of @roost/chain). */
export type NodeStatus = (typeof Status)[keyof typeof Status];

/** A miner as Staking's `getNode` returns it. Amounts in wei, times in chain seconds. */
export interface NodeRecord {
  readonly operator: Address;
  readonly owner: Address;
  readonly status: NodeStatus;
  /** The node's active stake, its owner's included: its vote. */
  readonly totalStake: bigint;
  /** The owner's own share of `totalStake`. */
  readonly selfStake: bigint;
  /** Stake leaving the node, still slashable. */
  readonly unbondingStake: bigint;
  readonly commissionBps: number;
  /** A scheduled commission raise and when it applies (0: none). */
  readonly pendingCommissionBps: number;
  readonly commissionEffectiveAt: number;
  readonly jailedUntil: number;
  readonly metadataURI: string;
  readonly endpoint: string;
}

/** What one block range of Staking events means for the registry. */
export interface RangeChanges {
  /** Operators named by an event: known miners, and miners registered in the range. */
  operators: Set<Address>;
  /** A MinSelfStakeSet for the miner role was seen. */
  minSelfStakeSet: boolean;
}

export class StakingReader {
  readonly #client: PublicClient;
  readonly #address: Address;
  readonly #staking: RoostContracts["staking"];
  readonly #concurrency: number;
  readonly #multicall: boolean;

  constructor(
    deployment: Deployment,
    client: PublicClient,
    options: { concurrency: number; multicall: boolean },
  ) {
    this.#client = client;
    this.#address = deployment.contracts.Staking;
    this.#staking = roostContracts(deployment, client).staking;
    this.#concurrency = options.concurrency;
    this.#multicall = options.multicall;
  }

  async minSelfStake(blockNumber: bigint): Promise<bigint> {
    return this.#staking.read.minSelfStake([Role.Miner], { blockNumber });
  }

  /** Every miner at `blockNumber`, `pageSize` per getNodes call (pages fetched in parallel). */
  async allMiners(blockNumber: bigint, pageSize: number): Promise<NodeRecord[]> {
    const count = Number(await this.#staking.read.nodeCount([Role.Miner], { blockNumber }));
    const offsets = Array.from({ length: Math.ceil(count / pageSize) }, (_, i) => BigInt(i * pageSize));
    const pages = await mapLimit(offsets, this.#concurrency, (offset) =>
      this.#staking.read.getNodes([Role.Miner, offset, BigInt(pageSize)], { blockNumber }),
    );
    return pages.flat().map(toRecord);
  }

  /** `getNode` of each operator at `blockNumber`: one multicall3 batch if the chain has it. */
  async nodes(operators: readonly Address[], blockNumber: bigint): Promise<NodeRecord[]> {
    if (operators.length === 0) return [];
    if (this.#multicall) {
      const results = await this.#client.multicall({
        contracts: operators.map(
          (operator) =>
            ({ address: this.#address, abi: stakingAbi, functionName: "getNode", args: [operator] }) as const,
        ),
        allowFailure: false,
        blockNumber,
      });
      return results.map(toRecord);
    }
    return mapLimit(operators, this.#concurrency, async (operator) =>
      toRecord(await this.#staking.read.getNode([operator], { blockNumber })),
    );
  }

  /** The Staking events of blocks [from, to] that touch `isMiner` operators or miners' minimum. */
  async changes(from: bigint, to: bigint, isMiner: (operator: Address) => boolean): Promise<RangeChanges> {
    const logs = await this.#client.getContractEvents({
      address: this.#address,
      abi: stakingAbi,
      fromBlock: from,
      toBlock: to,
    });
    const changes: RangeChanges = { operators: new Set(), minSelfStakeSet: false };
    for (const log of logs) {
      const args = log.args as { operator?: Address; role?: number };
      if (log.eventName === "MinSelfStakeSet") {
        if (args.role === Role.Miner) changes.minSelfStakeSet = true;
      } else if (args.operator !== undefined) {
        // A registration names its role; any later event of a miner's operator is a known miner's
        // (this range's registrations included), so a coordinator's events are never read.
        const miner =
          log.eventName === "NodeRegistered"
            ? args.role === Role.Miner
            : changes.operators.has(args.operator) || isMiner(args.operator);
        if (miner) changes.operators.add(args.operator);
      }
    }
    return changes;
  }

  async blockTime(blockNumber: bigint): Promise<bigint> {
    return (await this.#client.getBlock({ blockNumber })).timestamp;
  }
}

/** Only a node's NodeRecord fields (not a view's role or a MinerView's `eligible`). */
export function toRecord(node: Omit<NodeRecord, "status"> & { status: number }): NodeRecord {
  return {
    operator: node.operator,
    owner: node.owner,
    status: node.status as NodeStatus,
    totalStake: node.totalStake,
    selfStake: node.selfStake,
    unbondingStake: node.unbondingStake,
    commissionBps: node.commissionBps,
    pendingCommissionBps: node.pendingCommissionBps,
    commissionEffectiveAt: node.commissionEffectiveAt,
    jailedUntil: node.jailedUntil,
    metadataURI: node.metadataURI,
    endpoint: node.endpoint,
  };
}

/** `fn` over `items` with at most `limit` calls in flight; the first failure stops new calls. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
