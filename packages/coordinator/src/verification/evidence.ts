import { canonicalJson, type RoostDomainParams, type TaskOutput } from "@roost/protocol";
import { type Address, type Hex, keccak256 } from "viem";
import type { Task } from "../store/task-record.js";
import type { OutputComparison } from "./compare-outputs.js";
import { acceptedTaskResult } from "./equivocation.js";

// The evidence bundle behind a slash proposal: everything an arbiter (or anyone) needs to re-check
// the verdict without trusting the coordinator. Each result comes with the TaskResult its miner
// signed, so the miners' own signatures prove what they answered; the inputs let anyone re-run the
// task. The bundle is canonical JSON (RFC 8785); the proposal commits to its keccak256.

export const EVIDENCE_FORMAT = "roost/spot-check-evidence/1";

/** One result in the bundle: the task as run, the miner's output and its signed commitment to it. */
export interface EvidenceResult {
  role: "original" | "check";
  taskId: Hex;
  miner: Address;
  input: unknown;
  inputHash: Hex;
  modelId: string;
  output: TaskOutput;
  /** The TaskResult the miner signed (completedAt as a decimal string), and its signature. */
  taskResult: Record<string, string> | null;
  signature: Hex | null;
}

export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  chainId: number;
  /** The verifying contract of the signed TaskResults. */
  disputes: Address;
  coordinator: Address;
  accused: { miner: Address; taskId: Hex };
  results: EvidenceResult[];
  comparisons: (OutputComparison & { a: Hex; b: Hex })[];
  verdict: string;
}

export interface EvidenceInput {
  domain: RoostDomainParams;
  coordinator: Address;
  accused: Task;
  /** The original task first, then the check runs with a result. */
  tasks: Task[];
  comparisons: (OutputComparison & { a: Hex; b: Hex })[];
  verdict: string;
}

/** Builds the bundle, its canonical bytes and their keccak256 (the proposal's evidenceHash). */
export function buildEvidence(input: EvidenceInput): {
  bundle: EvidenceBundle;
  bytes: Uint8Array;
  hash: Hex;
} {
  const [original] = input.tasks;
  const results = input.tasks.map((task): EvidenceResult => {
    const miner = task.leasedTo as Address;
    const signed = acceptedTaskResult(input.domain, input.coordinator, task, miner);
    return {
      role: task === original ? "original" : "check",
      taskId: task.id,
      miner,
      input: task.input,
      inputHash: task.inputHash,
      modelId: task.model,
      output: task.result?.payload as unknown as TaskOutput,
      taskResult:
        signed === undefined ? null : { ...signed.result, completedAt: signed.result.completedAt.toString() },
      signature: signed?.signature ?? null,
    };
  });
  const bundle: EvidenceBundle = {
    format: EVIDENCE_FORMAT,
    chainId: input.domain.chainId,
    disputes: input.domain.verifyingContract,
    coordinator: input.coordinator,
    accused: { miner: input.accused.leasedTo as Address, taskId: input.accused.id },
    results,
    comparisons: input.comparisons,
    verdict: input.verdict,
  };
  const bytes = new TextEncoder().encode(canonicalJson(bundle));
  return { bundle, bytes, hash: keccak256(bytes) };
}
