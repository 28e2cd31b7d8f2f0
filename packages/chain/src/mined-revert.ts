import type { PublicClient, TransactionReceipt } from "viem";
import { explainError } from "./errors.js";

/**
 * Why a mined transaction reverted, in words: out of gas when it used its whole limit, else the
 * contract's reason, found by replaying it on the state before its block (exact for a transaction
 * mined alone, as anvil mines them; elsewhere an earlier transaction of its block may differ).
 */
export async function whyReverted(publicClient: PublicClient, receipt: TransactionReceipt): Promise<string> {
  const tx = await publicClient.getTransaction({ hash: receipt.transactionHash });
  if (receipt.gasUsed >= tx.gas) return `it ran out of gas (limit ${tx.gas.toLocaleString("en-US")})`;
  try {
    await publicClient.call({
      account: tx.from,
      ...(tx.to === null ? {} : { to: tx.to }),
      data: tx.input,
      value: tx.value,
      gas: tx.gas,
      blockNumber: receipt.blockNumber - 1n,
    });
  } catch (error) {
    return explainError(error).message;
  }
  return "the contract reverted, and replaying it before its block succeeds: it depended on its block";
}
