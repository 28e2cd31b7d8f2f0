import { disputesAbi } from "@roost/protocol";
import type { PublicClient } from "viem";
import { ROLE_NAMES, type RoostContracts } from "./contracts.js";

/** Staking's views are paginated; this many per call. */
const PAGE = 100n;

type Staking = RoostContracts["staking"];
type Address = `0x${string}`;

/** Every node of `role` (0 miner, 1 coordinator), in registration order. */
export async function allNodes(staking: Staking, role: 0 | 1) {
  const count = await staking.read.nodeCount([role]);
  const nodes = [];
  for (let offset = 0n; offset < count; offset += PAGE) {
    nodes.push(...(await staking.read.getNodes([role, offset, PAGE])));
  }
  return nodes;
}

/** Every unbonding lock of `staker`, withdrawn ones included. */
export async function allLocks(staking: Staking, staker: Address) {
  const count = await staking.read.lockCount([staker]);
  const locks = [];
  for (let offset = 0n; offset < count; offset += PAGE) {
    locks.push(...(await staking.read.locksOf([staker, offset, PAGE])));
  }
  return locks;
}

/** Every position of `staker` on miners and coordinators, with its role as a word. */
export async function allPositions(staking: Staking, staker: Address) {
  const positions = [];
  for (const role of [0, 1] as const) {
    // Pages go over nodes (positionsOf leaves out the nodes the staker has nothing on).
    const nodes = await staking.read.nodeCount([role]);
    for (let offset = 0n; offset < nodes; offset += PAGE) {
      const page = await staking.read.positionsOf([staker, role, offset, PAGE]);
      positions.push(...page.map((p) => ({ ...p, roleName: ROLE_NAMES[role] })));
    }
  }
  return positions;
}

type Disputes = RoostContracts["disputes"];

/** Every slash proposal, with its id, in the order made. */
export async function allProposals(disputes: Disputes) {
  const count = await disputes.read.proposalCount();
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i));
  const proposals = [];
  // One read per proposal (the contract has no paged view); in batches, so a long history stays quick.
  for (let at = 0; at < ids.length; at += Number(PAGE)) {
    const batch = ids.slice(at, at + Number(PAGE));
    const read = await Promise.all(batch.map((id) => disputes.read.getProposal([id])));
    proposals.push(...read.map((p, i) => ({ ...p, id: batch[i] as bigint })));
  }
  return proposals;
}

/** Blocks per eth_getLogs call when scanning for events (providers cap the range). */
const LOG_RANGE = 10_000n;

/**
 * Where each proposal's evidence bundle is served, by proposal id: the evidenceURI of its SlashProposed
 * event (the contract keeps only the hash), scanned from `fromBlock` (the deployment's first block).
 */
export async function evidenceURIs(
  publicClient: PublicClient,
  disputes: Address,
  fromBlock: bigint,
): Promise<Map<bigint, string>> {
  const uris = new Map<bigint, string>();
  const scan = async (from: bigint, to: bigint | "latest") => {
    const events = await publicClient.getContractEvents({
      address: disputes,
      abi: disputesAbi,
      eventName: "SlashProposed",
      fromBlock: from,
      toBlock: to,
    });
    for (const event of events) uris.set(event.args.id as bigint, event.args.evidenceURI as string);
  };
  try {
    await scan(fromBlock, "latest"); // one call where the provider allows the whole range (anvil, most nodes)
    return uris;
  } catch {
    // A provider capping eth_getLogs' range: in chunks.
  }
  const head = await publicClient.getBlockNumber();
  for (let from = fromBlock; from <= head; from += LOG_RANGE) {
    await scan(from, from + LOG_RANGE - 1n < head ? from + LOG_RANGE - 1n : head);
  }
  return uris;
}
