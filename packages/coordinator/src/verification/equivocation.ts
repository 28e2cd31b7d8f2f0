import { ERROR_MESSAGES, explainError, type RoostContracts, recoverDigestSigner } from "@roost/chain";
import { hashTaskResult, type RoostDomainParams, type TaskResult } from "@roost/protocol";
import type { Address, PublicClient } from "viem";
import type { EquivocationStore, SignedTaskResult } from "../store/equivocations.js";
import type { Task } from "../store/task-record.js";

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

export interface EquivocationProverOptions {
  store: EquivocationStore;
  /** Disputes with the coordinator operator's wallet. */
  contracts: RoostContracts;
  publicClient: PublicClient;
  intervalMs: number;
  log: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
}

/** Sends every pending proof to Disputes, now and every `intervalMs`; a refusal is kept with its reason. */
export class EquivocationProver {
  readonly #options: EquivocationProverOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(options: EquivocationProverOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.proveAll(), this.#options.intervalMs);
    this.#timer.unref();
    void this.proveAll();
  }

  /** Sends the pending proofs, one at a time (one runs at once; a call meanwhile waits for it). */
  proveAll(): Promise<void> {
    this.#running = this.#running.then(() => this.#sendPending());
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async #sendPending(): Promise<void> {
    const { store, contracts, publicClient, log } = this.#options;
    for (const proof of store.pending()) {
      try {
        const hash = await contracts.disputes.write.proveEquivocation([
          proof.a.result,
          proof.a.signature,
          proof.b.result,
          proof.b.signature,
        ]);
        const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
        if (receipt.status === "success") {
          store.settle(proof.taskId, { proven: true, transactionHash: hash });
          log.info(
            { miner: proof.miner, taskId: proof.taskId, transaction: hash },
            "equivocation proven on chain",
          );
        } else store.settle(proof.taskId, { proven: false, error: `transaction ${hash} reverted` });
      } catch (error) {
        const explained = explainError(error);
        const refused =
          explained.errorName !== undefined && Object.hasOwn(ERROR_MESSAGES, explained.errorName);
        if (refused) store.settle(proof.taskId, { proven: false, error: explained.message });
        log.warn(
          { miner: proof.miner, taskId: proof.taskId, error: explained.message },
          refused ? "Disputes refused the equivocation proof" : "equivocation proof not sent; retrying",
        );
      }
    }
  }
}
