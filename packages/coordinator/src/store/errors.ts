import type { TaskStatus } from "./task-record.js";

/** Base class of the task store's refusals; `code` is stable for HTTP mapping and logs. */
export abstract class TaskStoreError extends Error {
  abstract readonly code: string;
  readonly taskId: string;

  constructor(taskId: string, message: string) {
    super(message);
    this.taskId = taskId;
  }
}

/** No task has this id. */
export class TaskNotFoundError extends TaskStoreError {
  override readonly name = "TaskNotFoundError";
  readonly code = "task_not_found";

  constructor(taskId: string) {
    super(taskId, `task ${taskId} does not exist`);
  }
}

/** A task with this id already exists (task ids must be fresh random values). */
export class DuplicateTaskError extends TaskStoreError {
  override readonly name = "DuplicateTaskError";
  readonly code = "duplicate_task";

  constructor(taskId: string) {
    super(taskId, `task ${taskId} already exists`);
  }
}

/** The Idempotency-Key was used before, by the same API key, for a different request. */
export class IdempotencyConflictError extends TaskStoreError {
  override readonly name = "IdempotencyConflictError";
  readonly code = "idempotency_conflict";
  readonly idempotencyKey: string;

  /** `taskId` is the task the key is bound to. */
  constructor(taskId: string, idempotencyKey: string) {
    super(taskId, `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used for a different request`);
    this.idempotencyKey = idempotencyKey;
  }
}

/** The caller does not hold the task's lease (never leased to it, or since requeued or re-leased). */
export class NotLeaseHolderError extends TaskStoreError {
  override readonly name = "NotLeaseHolderError";
  readonly code = "not_lease_holder";
  readonly status: TaskStatus;

  constructor(taskId: string, miner: string, status: TaskStatus) {
    super(taskId, `miner ${miner} does not hold the lease on task ${taskId} (status ${status})`);
    this.status = status;
  }
}

/** The caller held the lease, but it ran out before the call. */
export class LeaseExpiredError extends TaskStoreError {
  override readonly name = "LeaseExpiredError";
  readonly code = "lease_expired";
  readonly expiredAt: number;

  constructor(taskId: string, expiredAt: number) {
    super(taskId, `the lease on task ${taskId} expired at ${new Date(expiredAt).toISOString()}`);
    this.expiredAt = expiredAt;
  }
}

/** The task already has a result; results are accepted exactly once. */
export class AlreadyCompletedError extends TaskStoreError {
  override readonly name = "AlreadyCompletedError";
  readonly code = "already_completed";

  constructor(taskId: string) {
    super(taskId, `task ${taskId} is already completed`);
  }
}
