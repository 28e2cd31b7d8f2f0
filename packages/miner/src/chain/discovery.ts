import { allNodes, Role, type RoostContracts, Status } from "@roost/chain";
import type { Address } from "viem";
import type { CoordinatorTarget } from "../node/miner-node.js";

export interface DiscoveryFilter {
  /** Only these coordinator operators, when given. */
  allow?: readonly Address[];
  /** Never these. */
  deny?: readonly Address[];
}

/**
 * The coordinators a miner works for: every active coordinator on chain with an endpoint, minus the
 * deny list and, with an allow list, only those on it.
 */
export async function discoverCoordinators(
  contracts: RoostContracts,
  filter: DiscoveryFilter = {},
): Promise<CoordinatorTarget[]> {
  const lower = (list?: readonly Address[]) =>
    list === undefined ? undefined : new Set(list.map((a) => a.toLowerCase()));
  const allow = lower(filter.allow);
  const deny = lower(filter.deny) ?? new Set<string>();
  const nodes = await allNodes(contracts.staking, Role.Coordinator);
  return nodes
    .filter((node) => node.status === Status.Active && node.endpoint !== "")
    .filter((node) => !deny.has(node.operator.toLowerCase()))
    .filter((node) => allow === undefined || allow.has(node.operator.toLowerCase()))
    .map((node) => ({ address: node.operator, endpoint: node.endpoint, stake: node.totalStake }));
}
