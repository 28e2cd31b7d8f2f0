import type { DigestSigner } from "@roost/chain";
import {
  hashTaskResult,
  type LeasedTask,
  outputHash,
  type RoostDomainParams,
  signTaskResult,
  type TaskOutput,
} from "@roost/protocol";
import type { Address, LocalAccount } from "viem";
import type { JournalResult, MinerJournal } from "../journal/journal.js";

export interface SignOnceParams {
  journal: MinerJournal;
  account: LocalAccount;
  /** The same key through libsecp256k1 (~10x faster than the account's pure-JS signature), if given. */
  signer?: DigestSigner;
  /** The TaskResult domain: chain id and the Disputes contract. */
  domain: RoostDomainParams;
  /** The coordinator's operator address, which the result names. */
  coordinator: Address;
  task: LeasedTask;
  output: TaskOutput;
  /** Unix seconds the result says it was completed at. */
  now?: () => number;
}

/**
 * The one place a miner signs a TaskResult. A result already journaled for the task is returned as it
 * is, without signing again; a new one is committed to the journal before the caller can send it.
 */
export async function signOnce(params: SignOnceParams): Promise<JournalResult> {
  const { journal, coordinator, task } = params;
  const existing = journal.signedResult(coordinator, task.id);
  if (existing !== undefined) return existing;
  const result = {
    coordinator,
    taskId: task.id,
    inputHash: task.inputHash,
    resultHash: outputHash(params.output),
    modelId: task.input.model,
    completedAt: BigInt(params.now?.() ?? Math.floor(Date.now() / 1000)),
  };
  const signature =
    params.signer === undefined
      ? await signTaskResult(params.account, params.domain, result)
      : params.signer.sign(hashTaskResult(params.domain, result));
  return journal.recordSigned(coordinator, task.id, {
    result: { ...result, completedAt: result.completedAt.toString(10) },
    signature,
    output: params.output,
  });
}
