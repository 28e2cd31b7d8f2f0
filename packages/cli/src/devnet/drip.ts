import {
  createRoostClients,
  DEVNET_CHAIN_ID,
  type Deployment,
  explainError,
  roostContracts,
} from "@roost/chain";
import type { Address, Hash } from "viem";
import { chainTime } from "../context.js";
import { demoAccount } from "./demo-nodes.js";

// The devnet's gasless faucet: a new user has CAI to claim but no ETH to pay for the claim, so a
// service holding DRIPPER_ROLE (the devnet's account 0) calls Faucet.drip(to) for them. Same rules as
// claim(): the drip amount, once per cooldown per address.

export interface DripResult {
  transactionHash: Hash;
  amount: bigint;
  /** Unix seconds (chain time) when `to` may be dripped to again. */
  nextClaimAt: bigint;
}

/** Why a drip was refused, with the HTTP status to answer. */
export class DripRefusedError extends Error {
  override name = "DripRefusedError";
  constructor(
    message: string,
    readonly status: 429 | 503,
  ) {
    super(message);
  }
}

export interface Dripper {
  drip(to: Address): Promise<DripResult>;
}

export function createDripper(deployment: Deployment & { rpcUrl: string }): Dripper {
  const { publicClient, walletClient } = createRoostClients({
    chainId: DEVNET_CHAIN_ID,
    rpcUrls: [deployment.rpcUrl],
    account: demoAccount(0),
  });
  const { faucet } = roostContracts(deployment, publicClient, walletClient);
  // One transaction at a time: concurrent sends from one key would race for the same nonce.
  let queue: Promise<unknown> = Promise.resolve();
  const dripNow = async (to: Address): Promise<DripResult> => {
    let hash: Hash;
    try {
      hash = await faucet.write.drip([to]);
    } catch (error) {
      const now = await chainTime(publicClient).catch(() => undefined);
      const explained = explainError(error, now === undefined ? {} : { now: Number(now) });
      if (explained.errorName === "ClaimTooSoon") throw new DripRefusedError(explained.message, 429);
      if (explained.errorName === "FaucetEmpty") throw new DripRefusedError(explained.message, 503);
      throw explained;
    }
    await publicClient.waitForTransactionReceipt({ hash });
    const [amount, nextClaimAt] = await Promise.all([
      faucet.read.dripAmount(),
      faucet.read.nextClaimAt([to]),
    ]);
    return { transactionHash: hash, amount, nextClaimAt };
  };
  return {
    drip(to) {
      const result = queue.then(() => dripNow(to));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
