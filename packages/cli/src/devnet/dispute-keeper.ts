import {
  allProposals,
  createRoostClients,
  DEVNET_CHAIN_ID,
  type Deployment,
  roostContracts,
} from "@roost/chain";
import { demoAccount } from "./demo-nodes.js";

// Anyone may execute an undisputed slash proposal once its challenge window has closed; on a real
// network keepers (or the coordinator that proposed it) do. The devnet runs one, as account 0, so a
// caught cheater is slashed and jailed without anyone typing `roost disputes execute`.

const PROPOSED = 1;

export interface DisputeKeeper {
  /** Proposals this keeper executed. */
  readonly executed: bigint[];
  stop(): Promise<void>;
}

export function startDisputeKeeper(
  deployment: Deployment & { rpcUrl: string },
  options: {
    intervalMs: number;
    onExecuted?: (id: bigint, miner: string) => void;
    onError?: (error: unknown) => void;
  },
): DisputeKeeper {
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [deployment.rpcUrl],
    account: demoAccount(0),
  });
  const { disputes } = roostContracts(deployment, publicClient, walletClient);
  const executed: bigint[] = [];
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    const now = (await publicClient.getBlock()).timestamp;
    for (const proposal of await allProposals(disputes)) {
      if (proposal.status !== PROPOSED || now < BigInt(proposal.deadline) || now >= BigInt(proposal.end))
        continue;
      try {
        const hash = await disputes.write.execute([proposal.id]);
        const receipt = await publicClient.waitForTransactionReceipt({ hash });
        if (receipt.status === "success") {
          executed.push(proposal.id);
          options.onExecuted?.(proposal.id, proposal.miner);
        }
      } catch (error) {
        options.onError?.(error); // this one only: the next due proposal is still executed
      }
    }
  };
  const timer = setInterval(() => {
    running = running.then(sweep).catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs);
  timer.unref();
  return {
    executed,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
