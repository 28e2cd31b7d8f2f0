import { Role, type RoostContracts, Status } from "@roost/chain";
import { type Address, formatEther } from "viem";

// Before polling anyone, the node checks on chain that it may work at all, and says exactly what is
// missing: coordinators would refuse its logins, and "403" teaches a new miner nothing.

/** The miner cannot work yet; the message says what to do. */
export class MinerNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MinerNotReadyError";
  }
}

/**
 * Checks `operator` is a registered, active miner with at least the minimum self-stake.
 * @throws MinerNotReadyError naming what is missing and the command that fixes it
 */
export async function preflight(contracts: RoostContracts, operator: Address, now = Date.now()) {
  const [[, status], minimum] = await Promise.all([
    contracts.staking.read.nodeState([operator]),
    contracts.staking.read.minSelfStake([Role.Miner]),
  ]);
  if (status === Status.None) {
    throw new MinerNotReadyError(
      `operator ${operator} is not registered: run roost register miner --operator ${operator} --self-stake ${formatEther(minimum)} --commission 10 --intro "..." with the owner key (after roost approve-owner <owner> with this operator key)`,
    );
  }
  const node = await contracts.staking.read.getNode([operator]);
  if (node.role !== Role.Miner)
    throw new MinerNotReadyError(`operator ${operator} is registered as a coordinator, not a miner`);
  if (node.status === Status.Deregistered) {
    throw new MinerNotReadyError(`operator ${operator} was deregistered: register a new operator key`);
  }
  if (node.status === Status.Jailed) {
    const until = new Date(Number(node.jailedUntil) * 1000);
    throw new MinerNotReadyError(
      until.getTime() > now
        ? `operator ${operator} is jailed until ${until.toISOString()}: then run roost unjail ${operator} with the owner key`
        : `operator ${operator} is jailed; its jail period is over: run roost unjail ${operator} with the owner key`,
    );
  }
  if (node.selfStake < minimum) {
    throw new MinerNotReadyError(
      `operator ${operator}: self-stake ${formatEther(node.selfStake)} CAI is below the minimum of ${formatEther(minimum)} CAI: the owner must add ${formatEther(minimum - node.selfStake)} CAI with roost stake ${operator} <amount>`,
    );
  }
  return node;
}
