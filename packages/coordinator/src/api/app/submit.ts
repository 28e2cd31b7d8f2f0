import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { inputHash, type TaskInput, type TaskOutput } from "@roost/protocol";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { TaskEvent } from "../../dispatch/task-events.js";
import type { CoordinatorServices } from "../../services.js";
import { IdempotencyConflictError } from "../../store/errors.js";
import type { Task, TaskKind } from "../../store/task-record.js";
import { ApiError } from "../errors.js";
import { invalid } from "./normalize.js";

/** What the app API's routes share: the services, and the requests still waiting on tasks. */
export interface AppContext {
  services: CoordinatorServices;
  open: OpenRequests;
}

/** Requests waiting on a task; ended when the server shuts down, so closing never waits on them. */
export class OpenRequests {
  readonly #closers = new Set<() => void>();

  add(close: () => void): () => void {
    this.#closers.add(close);
    return () => this.#closers.delete(close);
  }

  closeAll(): void {
    for (const close of [...this.#closers]) close();
    this.#closers.clear();
  }
}

export interface Submission {
  kind: TaskKind;
  input: TaskInput;
  stream: boolean;
}

export type WatchEnd = "timeout" | "shutdown" | "gone";

export interface WatchHandlers {
  /** Each event of the task while watched; a completed or failed event has already closed the watch. */
  event(event: TaskEvent, watch: TaskWatch): void;
  /** The watch ended without a final event: request timeout, server shutdown, or the client left. */
  ended(reason: WatchEnd, watch: TaskWatch): void;
}

/**
 * Submits a task and watches it for one request: checks the model, stores the task (or finds the one
 * an Idempotency-Key already names), subscribes to its events and only then offers it to the miners,
 * since a dispatch can complete quickly. The watch ends at the first final event, at the request
 * timeout, at shutdown or when the client hangs up; the task itself goes on in every case.
 */
export class TaskWatch {
  /** The task as stored at submission; final already when an idempotent replay found it finished. */
  readonly task: Task;
  /** False when the Idempotency-Key named an earlier task. */
  readonly fresh: boolean;
  readonly #ctx: AppContext;
  readonly #kind: TaskKind;
  readonly #startedAt = performance.now();
  #closed = false;
  #unsubscribe: (() => void) | undefined;
  #unregister: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onClose: (() => void) | undefined;
  #reply: FastifyReply | undefined;

  constructor(
    ctx: AppContext,
    request: FastifyRequest,
    reply: FastifyReply,
    submission: Submission,
    handlers: WatchHandlers,
  ) {
    const { services } = ctx;
    this.#ctx = ctx;
    this.#kind = submission.kind;
    const { task, fresh } = store(services, request, submission);
    this.task = task;
    this.fresh = fresh;
    if (isFinal(task)) {
      this.#closed = true;
      this.#record(task.status === "completed" ? "completed" : "failed");
      return;
    }
    this.#unsubscribe = services.events.subscribe(task.id, (event) => {
      if (this.#closed) return;
      if (event.type === "completed" || event.type === "failed") this.#close(event.type);
      handlers.event(event, this);
    });
    const end = (reason: WatchEnd) => {
      if (this.#close(reason === "timeout" ? "timeout" : undefined)) handlers.ended(reason, this);
    };
    this.#timer = setTimeout(() => end("timeout"), services.limits.requestTimeoutMs);
    this.#reply = reply;
    this.#onClose = () => {
      if (!reply.raw.writableFinished) end("gone");
    };
    reply.raw.on("close", this.#onClose);
    this.#unregister = ctx.open.add(() => end("shutdown"));
    dispatch(services, task, fresh);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops watching (idempotent); false if already closed. */
  close(): boolean {
    return this.#close(undefined);
  }

  #close(outcome: "completed" | "failed" | "timeout" | undefined): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    this.#unregister?.();
    if (this.#onClose !== undefined) this.#reply?.raw.off("close", this.#onClose);
    if (outcome !== undefined) this.#record(outcome);
    return true;
  }

  #record(outcome: "completed" | "failed" | "timeout"): void {
    this.#ctx.services.metrics.request(this.#kind, outcome, (performance.now() - this.#startedAt) / 1000);
  }
}

/** Waits for the task's final state: the task, or undefined if the client left. */
export function awaitResult(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  submission: Submission,
): Promise<Task | undefined> {
  return new Promise((resolve, reject) => {
    const watch = new TaskWatch(ctx, request, reply, submission, {
      event: (event) => {
        if (event.type === "completed" || event.type === "failed") resolve(event.task);
      },
      ended: (reason, watch) => {
        if (reason === "gone") resolve(undefined);
        else reject(endError(reason, watch.task, ctx.services.limits.requestTimeoutMs));
      },
    });
    if (isFinal(watch.task)) resolve(watch.task);
  });
}

/** Stores the task, or returns the earlier task of the same Idempotency-Key. */
function store(
  services: CoordinatorServices,
  request: FastifyRequest,
  { kind, input, stream }: Submission,
): { task: Task; fresh: boolean } {
  requireModel(services, input.model, "model");
  const id = `0x${randomBytes(32).toString("hex")}`;
  const key = idempotencyKey(request);
  // A miner waiting for this model gets the task at once: it is stored already leased to it.
  const leaseTo = services.dispatcher.pick(input.model);
  try {
    const task = services.tasks.enqueue({
      id,
      apiKeyId: (request.apiKey as NonNullable<typeof request.apiKey>).id,
      kind,
      model: input.model,
      input,
      inputHash: inputHash(input),
      stream,
      ...(key === undefined ? {} : { idempotencyKey: key }),
      ...(leaseTo === undefined ? {} : { leaseTo }),
      maxAttempts: services.limits.maxAttempts,
    });
    return { task, fresh: task.id === id };
  } catch (error) {
    if (error instanceof IdempotencyConflictError) {
      throw new ApiError(409, `${error.message}; use a new key for a new request`, {
        param: "Idempotency-Key",
        code: error.code,
      });
    }
    throw error;
  }
}

/** Submits without waiting (native async API): the stored task. */
export function submitTask(ctx: AppContext, request: FastifyRequest, submission: Submission): Task {
  const { task, fresh } = store(ctx.services, request, submission);
  dispatch(ctx.services, task, fresh);
  return task;
}

/** Gets a stored task to a miner: a new one stored leased goes to its miner's poll, a queued one is offered. */
function dispatch(services: CoordinatorServices, task: Task, fresh: boolean): void {
  if (fresh && task.status === "leased") services.dispatcher.handOver(task);
  else if (task.status === "queued") services.dispatcher.offer(task);
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers["idempotency-key"];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 255) {
    throw invalid("Idempotency-Key", "the Idempotency-Key header must be 1 to 255 characters");
  }
  return value;
}

/** Online models that eligible miners serve now. */
export function onlineModels(services: CoordinatorServices): string[] {
  return services.dispatcher.presence.models((miner) => services.chain.eligible(miner));
}

/** 404 unless an online, eligible miner serves `model` (checked at submission only). */
export function requireModel(services: CoordinatorServices, model: string, param: string): void {
  if (services.dispatcher.presence.serves(model, (miner) => services.chain.eligible(miner))) return;
  throw new ApiError(404, `The model '${model}' does not exist or no online miner serves it`, {
    param,
    code: "model_not_found",
  });
}

/**
 * The model of an image request that names none. Miners announce model ids without their type, so
 * this is the one model online; with several, the client must choose.
 */
export function defaultImageModel(services: CoordinatorServices, param: string): string {
  const models = onlineModels(services);
  if (models.length === 1 && models[0] !== undefined) return models[0];
  throw invalid(
    param,
    models.length === 0
      ? "no model is online"
      : `name the model: several are online (${models.slice(0, 20).join(", ")})`,
    models.length === 0 ? "model_not_found" : "invalid_value",
  );
}

export function isFinal(task: Task): boolean {
  return task.status === "completed" || task.status === "failed";
}

/** The completed task's output; a failed task becomes a 502 with its error. */
export function outputOf<T extends TaskOutput["type"]>(
  task: Task,
  type: T,
): Extract<TaskOutput, { type: T }> {
  if (task.status !== "completed") throw minerFailed(task);
  const output = task.result?.payload as TaskOutput | undefined;
  if (output?.type !== type) throw new ApiError(502, `task ${task.id} has no ${type} output`);
  return output as Extract<TaskOutput, { type: T }>;
}

export function minerFailed(task: Task): ApiError {
  return new ApiError(
    502,
    `the task failed on the miners: ${task.error ?? "unknown error"} (task ${task.id})`,
    {
      code: "miner_failed",
      headers: { "x-roost-task-id": task.id },
    },
  );
}

export function endError(reason: "timeout" | "shutdown", task: Task, timeoutMs: number): ApiError {
  const later = `goes on: fetch its result with GET /v1/tasks/${task.id}`;
  const headers = { "x-roost-task-id": task.id };
  return reason === "timeout"
    ? new ApiError(504, `task ${task.id} did not finish within ${timeoutMs / 1000} s; it ${later}`, {
        code: "timeout",
        headers,
      })
    : new ApiError(503, `the coordinator is shutting down; task ${task.id} ${later}`, {
        code: "shutting_down",
        headers,
      });
}

/** Headers of a synchronous answer: which task, served by which miner. */
export function taskHeaders(task: Task): Record<string, string> {
  return { "x-roost-task-id": task.id, "x-roost-miner": task.leasedTo ?? "" };
}
