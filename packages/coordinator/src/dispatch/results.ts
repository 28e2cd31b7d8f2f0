import { recoverDigestSigner } from "@roost/chain";
import {
  hashTaskResult,
  outputHash,
  type TaskInput,
  type TaskOutput,
  type TaskResult,
} from "@roost/protocol";
import { type Address, type Hex, isAddressEqual } from "viem";
import { ApiError } from "../api/errors.js";
import type { CoordinatorServices } from "../services.js";
import { AlreadyCompletedError } from "../store/errors.js";
import type { Task } from "../store/task-record.js";
import { acceptedTaskResult } from "../verification/equivocation.js";
import { pngHeaderProblem } from "../verification/png-decode.js";

/** A miner's result submission, as the miner API receives it (validated by the route's schema). */
export interface ResultSubmission {
  result: {
    coordinator: string;
    taskId: string;
    inputHash: string;
    resultHash: string;
    modelId: string;
    /** Unix seconds, as a number or decimal string. */
    completedAt: number | string;
  };
  signature: string;
  output: TaskOutput;
}

/** How far a result's completedAt may lie in the future (clock skew), in seconds. */
const MAX_CLOCK_SKEW_S = 300;
/** Largest image a miner may return, in bytes of the decoded file. */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;
/** The largest seed AUTOMATIC1111 takes (an unsigned 32-bit integer). */
const MAX_SEED = 2 ** 32 - 1;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks a miner's signed result against the task it holds and records it, crediting the miner in the
 * same transaction. The TaskResult is the miner's on-chain commitment, so every field must describe
 * this task exactly: this coordinator, this task id and input hash, the task's model, the hash of the
 * output actually delivered, signed by the operator holding the lease.
 * @throws ApiError (4xx) naming what is wrong
 */
export function acceptResult(
  services: CoordinatorServices,
  miner: Address,
  taskId: string,
  submission: ResultSubmission,
  now: number = Date.now(),
): { task: Task; replay: boolean } {
  const task = services.tasks.get(taskId);
  if (task === undefined) throw new ApiError(404, `no task ${taskId}`, { code: "task_not_found" });
  if (task.leasedTo?.toLowerCase() !== miner.toLowerCase()) {
    throw new ApiError(409, `task ${task.id} is not leased to you`, { code: "not_lease_holder" });
  }
  const { result, output } = submission;
  const input = task.input as unknown as TaskInput;
  const field = (name: string, message: string) =>
    new ApiError(400, message, { param: `result.${name}`, code: "result_mismatch" });

  if (!sameAddress(result.coordinator, services.operator)) {
    throw field("coordinator", `result.coordinator must be this coordinator, ${services.operator}`);
  }
  if (result.taskId.toLowerCase() !== task.id) throw field("taskId", "result.taskId is not this task's id");
  if (result.inputHash.toLowerCase() !== task.inputHash) {
    throw field("inputHash", `result.inputHash does not match the task's input hash ${task.inputHash}`);
  }
  if (result.modelId !== task.model) throw field("modelId", `result.modelId must be ${task.model}`);
  checkOutput(input, output);
  const computed = outputHash(output);
  if (result.resultHash.toLowerCase() !== computed) {
    throw field("resultHash", `result.resultHash is not the hash of the output (${computed})`);
  }
  const completedAt = BigInt(result.completedAt);
  const earliest = BigInt(Math.floor(task.createdAt / 1000) - MAX_CLOCK_SKEW_S);
  if (completedAt > BigInt(Math.floor(now / 1000) + MAX_CLOCK_SKEW_S) || completedAt < earliest) {
    throw field("completedAt", "result.completedAt must be the time the task completed (Unix seconds)");
  }
  const message: TaskResult = {
    coordinator: services.operator,
    taskId: task.id,
    inputHash: task.inputHash,
    resultHash: computed,
    modelId: task.model,
    completedAt,
  };
  const signer = recoverDigestSigner(
    hashTaskResult(services.disputesDomain, message),
    submission.signature as Hex,
  );
  if (signer === undefined || !isAddressEqual(signer, miner)) {
    throw new ApiError(
      403,
      "signature: the TaskResult must be signed by your operator key (65 bytes, low s)",
      {
        param: "signature",
        code: "invalid_signature",
      },
    );
  }

  // A resubmission of the same signed result (the miner's retry after a lost response) is answered
  // as a success; anything else on a finished task is refused.
  if (task.status === "completed" && task.leasedTo === miner && task.result?.resultHash === computed) {
    return { task, replay: true };
  }
  if (task.status === "completed" && task.leasedTo?.toLowerCase() === miner.toLowerCase()) {
    // The lease holder signed a different result for a task it completed: two signatures, one task.
    const first = acceptedTaskResult(services.disputesDomain, services.operator, task, miner);
    if (first !== undefined) {
      services.equivocations.record(miner, first, {
        result: message,
        signature: submission.signature as Hex,
      });
    }
    throw new ApiError(
      409,
      "you signed a different result for this task before: the two signatures prove an equivocation, which this coordinator sends to Disputes",
      { code: "equivocation" },
    );
  }
  try {
    const done = services.tasks.complete(
      task.id,
      miner,
      { resultHash: computed, signature: submission.signature, payload: output, completedAt: now },
      (completed) => {
        // A result drawn for a spot check is paid once the check passes (verification/spot-checker.ts).
        if (!services.spotChecks.hold(completed, miner)) services.earnings.credit(miner, completed);
      },
    );
    return { task: done, replay: false };
  } catch (error) {
    if (error instanceof AlreadyCompletedError) {
      throw new ApiError(409, "the task already has a result", { code: "already_completed" });
    }
    if (error instanceof Error && "code" in error && typeof error.code === "string") {
      throw new ApiError(409, error.message, { code: error.code });
    }
    throw error;
  }
}

function checkOutput(input: TaskInput, output: TaskOutput): void {
  if (output.type !== input.type) {
    throw new ApiError(400, `output.type must be ${input.type} for this task`, {
      param: "output.type",
      code: "result_mismatch",
    });
  }
  if (output.type === "image" && input.type === "image") {
    if (!BASE64.test(output.b64) || (output.b64.length / 4) * 3 > MAX_IMAGE_BYTES + 3) {
      throw new ApiError(400, `output.b64 must be standard base64 of at most ${MAX_IMAGE_BYTES} bytes`, {
        param: "output.b64",
        code: "invalid_value",
      });
    }
    // Spot checks compare pictures: only PNGs they can decode are taken (what A1111 sends by default).
    const problem = pngHeaderProblem(Buffer.from(output.b64.slice(0, 44), "base64"));
    if (problem !== undefined || output.mime !== "image/png") {
      throw new ApiError(
        400,
        `output.b64 must be an image/png file: ${problem ?? `mime is ${output.mime}`}`,
        {
          param: "output.b64",
          code: "invalid_value",
        },
      );
    }
    // The seed makes the image reproducible: the app's, or the one the miner chose for a seed of -1.
    const seedOk = input.seed >= 0 ? output.seed === input.seed : output.seed >= 0 && output.seed <= MAX_SEED;
    if (!seedOk) {
      throw new ApiError(
        400,
        input.seed >= 0
          ? `output.seed must be the task's seed, ${input.seed}`
          : `output.seed must be the seed used, from 0 to ${MAX_SEED}`,
        { param: "output.seed", code: "invalid_value" },
      );
    }
  }
}

function sameAddress(a: string, b: Address): boolean {
  return /^0x[0-9a-fA-F]{40}$/.test(a) && a.toLowerCase() === b.toLowerCase();
}
