import { allNodes, Role, type RoostContracts, Status } from "@roost/chain";
import type { Address } from "viem";
import type { MinerLogger } from "../node/logger.js";
import type { CoordinatorTarget } from "../node/miner-node.js";
import { MinerNotReadyError, preflight } from "./preflight.js";

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

/**
 * The node's view of the chain, read again on every call: the coordinators to work for and, on the
 * side, the miner's own standing. A miner jailed or deregistered while it runs is told so once, in
 * words (coordinators stop giving it work), and told again when it is back in good standing.
 */
export function chainCoordinators(
  contracts: RoostContracts,
  operator: Address,
  filter: DiscoveryFilter,
  logger: MinerLogger,
): () => Promise<CoordinatorTarget[]> {
  let standing = "ready";
  return async () => {
    const [targets, problem] = await Promise.all([
      discoverCoordinators(contracts, filter),
      preflight(contracts, operator).then(
        () => "ready",
        (error: unknown) => {
          if (error instanceof MinerNotReadyError) return error.message;
          throw error;
        },
      ),
    ]);
    if (problem !== standing) {
      if (problem === "ready") logger.info(`operator ${operator} is an active miner again`);
      else logger.warn(`${problem} (coordinators give this miner no work meanwhile)`);
      standing = problem;
    }
    return targets;
  };
}
