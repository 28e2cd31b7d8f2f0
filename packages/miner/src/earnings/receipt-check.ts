import { recoverDigestSigner } from "@roost/chain";
import { hashReceipt, type RoostDomainParams } from "@roost/protocol";
import type { Address } from "viem";
import type { SignedReceipt } from "../coordinator/client.js";
import type { StoredReceipt } from "../journal/journal.js";

// A coordinator's receipt is kept only if PaymentEscrow would pay it: signed by that coordinator's
// operator, naming this miner, with a whole amount. The journal keeps the largest receipt per
// coordinator, so one forged or garbled receipt kept would shadow every valid one after it, and a
// redemption batch holding it would revert for all coordinators.

/** Why a receipt is not worth keeping, or undefined when it is. */
export function receiptProblem(
  receipt: SignedReceipt,
  expected: { coordinator: Address; miner: Address; domain: RoostDomainParams },
): string | undefined {
  if (receipt.coordinator?.toLowerCase() !== expected.coordinator.toLowerCase()) {
    return `it names coordinator ${String(receipt.coordinator)}`;
  }
  if (receipt.miner?.toLowerCase() !== expected.miner.toLowerCase())
    return `it names miner ${String(receipt.miner)}`;
  if (typeof receipt.cumulativeAmount !== "string" || !/^\d{1,78}$/.test(receipt.cumulativeAmount)) {
    return `its amount ${JSON.stringify(receipt.cumulativeAmount)} is not a whole number of base units`;
  }
  if (!Number.isSafeInteger(receipt.tasks) || receipt.tasks < 0)
    return `its task count ${receipt.tasks} is not a count`;
  const digest = hashReceipt(expected.domain, {
    coordinator: expected.coordinator,
    miner: expected.miner,
    cumulativeAmount: BigInt(receipt.cumulativeAmount),
  });
  const signer =
    typeof receipt.signature === "string" ? recoverDigestSigner(digest, receipt.signature) : undefined;
  if (signer?.toLowerCase() !== expected.coordinator.toLowerCase())
    return "its signature is not the coordinator's";
  return undefined;
}

/** The receipt as the journal keeps it. */
export function storedReceipt(coordinator: Address, receipt: SignedReceipt): StoredReceipt {
  return {
    coordinator,
    cumulativeAmount: BigInt(receipt.cumulativeAmount),
    signature: receipt.signature,
    tasks: receipt.tasks,
  };
}
