import type { TaskInput } from "@roost/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { TaskEvent } from "../../dispatch/task-events.js";
import type { Task } from "../../store/task-record.js";
import { ApiError } from "../errors.js";
import { nativeInput } from "./normalize.js";
import { APP_SCHEMAS, type NativeTaskBody } from "./schemas.js";
import { SseStream } from "./sse.js";
import { type AppContext, isFinal, submitTask } from "./submit.js";

/** Comment lines on an idle event stream, so proxies keep it open while a task waits in the queue. */
const KEEPALIVE_MS = 15_000;

/** The native async API: submit a task, read it, follow its events. */
export function taskRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { services } = ctx;

  const ownTask = (request: FastifyRequest): Task => {
    const { id } = request.params as { id: string };
    const task = services.tasks.get(id);
    // Someone else's task is reported exactly like a missing one.
    if (task === undefined || task.apiKeyId !== request.apiKey?.id) {
      throw new ApiError(404, `no task ${id.toLowerCase()}`, { param: "id", code: "task_not_found" });
    }
    return task;
  };

  app.post("/v1/tasks", { schema: APP_SCHEMAS.task }, async (request, reply) => {
    const body = request.body as NativeTaskBody;
    const submission = { kind: "task", input: nativeInput(body), stream: body.stream === true } as const;
    const task = submitTask(ctx, request, submission);
    return reply.code(202).header("location", `/v1/tasks/${task.id}`).send(taskView(task));
  });

  app.get("/v1/tasks/:id", { schema: APP_SCHEMAS.taskById }, async (request) => taskView(ownTask(request)));

  app.get("/v1/tasks/:id/events", { schema: APP_SCHEMAS.taskById }, async (request, reply) => {
    const task = ownTask(request);
    const sse = new SseStream(reply, { "x-roost-task-id": task.id });
    if (isFinal(task)) {
      sse.send(JSON.stringify(taskView(task)), task.status);
      sse.end();
      return;
    }
    sse.send(JSON.stringify(statusOf(task)), "status");
    // Reading the task and subscribing happen in one synchronous step, so no event falls in between.
    const unsubscribe = services.events.subscribe(task.id, (event) => {
      const [name, data] = eventData(event);
      sse.send(JSON.stringify(data), name);
      if (name === "completed" || name === "failed") stop();
    });
    const keepalive = setInterval(() => sse.comment("keepalive"), KEEPALIVE_MS);
    const unregister = ctx.open.add(() => stop());
    const stop = () => {
      unsubscribe();
      clearInterval(keepalive);
      unregister();
      sse.end();
    };
    reply.raw.on("close", stop);
  });
}

function eventData(event: TaskEvent): [string, unknown] {
  switch (event.type) {
    case "progress":
      return ["progress", event.progress];
    case "leased":
      return ["status", statusOf(event.task)];
    case "requeued":
      // Deltas start over with the next miner.
      return ["status", { status: "requeued", reason: event.reason }];
    case "completed":
    case "failed":
      return [event.type, taskView(event.task)];
  }
}

function statusOf(task: Task) {
  return { status: task.status, attempts: task.attempts, miner: task.leasedTo };
}

const seconds = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : Math.floor(ms / 1000);

/** A task as the app sees it; the output, with the miner's signed commitment, once completed. */
export function taskView(task: Task) {
  const input = task.input as unknown as TaskInput;
  const result = task.result;
  return {
    id: task.id,
    object: "task",
    type: input.type,
    model: task.model,
    status: task.status,
    stream: task.stream,
    attempts: task.attempts,
    max_attempts: task.maxAttempts,
    miner: task.leasedTo,
    error: task.status === "completed" ? null : task.error,
    created_at: seconds(task.createdAt),
    updated_at: seconds(task.updatedAt),
    completed_at: seconds(result?.completedAt),
    input,
    input_hash: task.inputHash,
    output: result?.payload ?? null,
    result_hash: result?.resultHash ?? null,
    signature: result?.signature ?? null,
  };
}
