import { type RoostContracts, recoverDigestSigner } from "@roost/chain";
import { hashTaskResult, type RoostDomainParams, type TaskResult } from "@roost/protocol";
import type { Address } from "viem";
import type { EquivocationStore, SignedTaskResult } from "../store/equivocations.js";
import type { Task } from "../store/task-record.js";
import type { OutboxSource } from "./disputes-outbox.js";

// A miner that submits a second, different signed result for a task it already completed has signed
// two results for one task: Disputes slashes that on sight (proveEquivocation). The coordinator keeps
// the proof and sends it; the finder's fee comes back to its operator.

/** How far acceptResult lets a result's completedAt stray from the coordinator's clock, in seconds. */
const CLOCK_SKEW_S = 300;

/**
 * The TaskResult the coordinator accepted for `task`, rebuilt from its records. Every field but the
 * miner's completedAt is the task's; that second is the one, within the window acceptResult allowed,
 * whose digest the stored signature recovers to the miner (a few hundred libsecp256k1 recoveries,
 * ~60 us each, on an equivocation only: no result write pays for storing it).
 */
export function acceptedTaskResult(
  domain: RoostDomainParams,
  coordinator: Address,
  task: Task,
  miner: Address,
): SignedTaskResult | undefined {
  if (task.result === null) return undefined;
  const { resultHash, signature, completedAt: acceptedAtMs } = task.result;
  const latest = Math.floor(acceptedAtMs / 1000) + CLOCK_SKEW_S;
  const earliest = Math.floor(task.createdAt / 1000) - CLOCK_SKEW_S;
  const base = { coordinator, taskId: task.id, inputHash: task.inputHash, resultHash, modelId: task.model };
  // Most likely just before the coordinator accepted it: search from there outwards.
  const accepted = Math.floor(acceptedAtMs / 1000);
  for (let offset = 0; accepted - offset >= earliest || accepted + offset <= latest; offset++) {
    for (const second of offset === 0 ? [accepted] : [accepted - offset, accepted + offset]) {
      if (second < earliest || second > latest) continue;
      const result: TaskResult = { ...base, completedAt: BigInt(second) };
      const signer = recoverDigestSigner(hashTaskResult(domain, result), signature);
      if (signer !== undefined && signer.toLowerCase() === miner.toLowerCase()) return { result, signature };
    }
  }
  return undefined;
}

/** The pending proofs of `store`, as items of the node's DisputesOutbox. */
export function equivocationProofs(store: EquivocationStore, contracts: RoostContracts): OutboxSource {
  return {
    what: "equivocation proof",
    pending: () =>
      store.pending().map((proof) => ({
        fields: { miner: proof.miner, taskId: proof.taskId },
        send: () =>
          contracts.disputes.write.proveEquivocation([
            proof.a.result,
            proof.a.signature,
            proof.b.result,
            proof.b.signature,
          ]),
        done: (receipt) =>
          store.settle(proof.taskId, { proven: true, transactionHash: receipt.transactionHash }),
        refused: (error) => store.settle(proof.taskId, { proven: false, error }),
        landed: {
          errorName: "AlreadyProven",
          done: () => store.settle(proof.taskId, { proven: true, transactionHash: null }),
        },
      })),
  };
}
