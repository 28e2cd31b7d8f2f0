import {
  createRoostClients,
  DEVNET_CHAIN_ID,
  DEVNET_MNEMONIC,
  type Deployment,
  Role,
  type RoostContracts,
  roostContracts,
  Status,
} from "@roost/chain";
import { bytesToHex, createTestClient, type Hash, type Hex, http, parseEther } from "viem";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";

// The devnet's nodes, registered on chain as a newcomer would register them (design section 8): one
// coordinator with 2,000,000 CAI of self-stake and two miners with 20,000 CAI each, every operator key
// distinct from its owner's. With --with-cheater, a third miner whose node fakes its results.

export interface DemoNode {
  name: string;
  role: "coordinator" | "miner";
  owner: number;
  operator: number;
  stake: string;
  /** A cheater's node fakes this share of its tasks. */
  fakeShare?: number;
  /** A coordinator's PaymentEscrow deposit at registration, in CAI. */
  escrow?: string;
}

export const DEMO_COORDINATOR: DemoNode = {
  name: "coordinator",
  role: "coordinator",
  owner: 1,
  operator: 2,
  stake: "2000000",
  escrow: "100000", // the rest of the owner's 2,100,000 CAI
};
export const DEMO_MINERS: readonly DemoNode[] = [
  { name: "miner 1", role: "miner", owner: 3, operator: 4, stake: "20000" },
  { name: "miner 2", role: "miner", owner: 5, operator: 6, stake: "20000" },
];
/** Accounts 9 and 10 of the devnet mnemonic: not among the demo accounts, funded when it joins. */
export const DEMO_CHEATER: DemoNode = {
  name: "cheater",
  role: "miner",
  owner: 9,
  operator: 10,
  stake: "20000",
  fakeShare: 0.5,
};

export const demoAccount = (index: number): HDAccount =>
  mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index });
export const demoKey = (index: number): Hex =>
  bytesToHex(demoAccount(index).getHdKey().privateKey as Uint8Array);

/** Gas limit for the registration calls: their estimates miss the emission accrual's first writes. */
const GAS = { gas: 1_000_000n };

/**
 * Registers each node not yet registered (approving its operator key, then staking its owner's CAI),
 * and points the coordinator's endpoint at `coordinatorUrl` (the port may differ from the last run).
 * Idempotent: a resumed devnet only gets what is missing. The cheater's accounts are given ETH and CAI
 * (from the deployer's) first.
 */
export async function registerDemoNodes(
  deployment: Deployment & { rpcUrl: string },
  nodes: readonly DemoNode[],
  coordinatorUrl: string,
  progress: (step: string) => void,
): Promise<void> {
  const send = async (index: number, write: (c: RoostContracts) => Promise<Hash>) => {
    const { publicClient, walletClient } = createRoostClients({
      chainId: DEVNET_CHAIN_ID,
      rpcUrls: [deployment.rpcUrl],
      account: demoAccount(index),
    });
    const hash = await write(roostContracts(deployment, publicClient, walletClient));
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`devnet set-up: transaction ${hash} reverted`);
  };
  const reader = roostContracts(
    deployment,
    createRoostClients({ chainId: DEVNET_CHAIN_ID, rpcUrls: [deployment.rpcUrl] }).publicClient,
  );
  for (const node of nodes) {
    const operator = demoAccount(node.operator).address;
    const owner = demoAccount(node.owner).address;
    const endpoint = node.role === "coordinator" ? coordinatorUrl : "";
    const [, status] = await reader.staking.read.nodeState([operator]);
    if (status !== Status.None) {
      if (
        node.role === "coordinator" &&
        (await reader.staking.read.getNode([operator])).endpoint !== endpoint
      ) {
        progress(`pointing the coordinator's endpoint at ${endpoint}`);
        await send(node.owner, (c) =>
          c.staking.write.updateNode([operator, 1_000, "ipfs://roost-devnet", endpoint], GAS),
        );
      }
      continue;
    }
    progress(
      `registering the ${node.name} (${formatStake(node.stake)} CAI self-stake, operator ${operator})`,
    );
    const stake = parseEther(node.stake);
    if (node.fakeShare !== undefined) await fund(deployment, node, stake);
    await send(node.operator, (c) => c.staking.write.approveOwner([owner], GAS));
    await send(node.owner, (c) => c.token.write.approve([deployment.contracts.Staking, stake]));
    await send(node.owner, (c) =>
      c.staking.write.register(
        [
          node.role === "coordinator" ? Role.Coordinator : Role.Miner,
          operator,
          stake,
          1_000,
          "ipfs://roost-devnet",
          endpoint,
        ],
        GAS,
      ),
    );
    if (node.escrow !== undefined) {
      // Receipts the deposit cannot pay are taken from the owner's stake and jail the coordinator.
      const deposit = parseEther(node.escrow);
      progress(`depositing ${formatStake(node.escrow)} CAI in PaymentEscrow for the ${node.name}'s receipts`);
      await send(node.owner, (c) => c.token.write.approve([deployment.contracts.PaymentEscrow, deposit]));
      await send(node.owner, (c) => c.escrow.write.deposit([operator, deposit], GAS));
    }
  }
}

/** Gives an extra demo node's accounts gas (anvil) and its owner the stake (from the deployer). */
async function fund(
  deployment: Deployment & { rpcUrl: string },
  node: DemoNode,
  stake: bigint,
): Promise<void> {
  const test = createTestClient({ mode: "anvil", transport: http(deployment.rpcUrl) });
  for (const index of [node.owner, node.operator]) {
    await test.setBalance({ address: demoAccount(index).address, value: parseEther("100") });
  }
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [deployment.rpcUrl],
    account: demoAccount(0),
  });
  const token = roostContracts(deployment, publicClient, walletClient).token;
  const owner = demoAccount(node.owner).address;
  const missing = stake - (await token.read.balanceOf([owner]));
  if (missing <= 0n) return;
  const hash = await token.write.transfer([owner, missing]);
  await publicClient.waitForTransactionReceipt({ hash });
}

const formatStake = (cai: string) => Number(cai).toLocaleString("en-US");
