import type { LeasedTask, TaskInput } from "@roost/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Address } from "viem";
import { loginMiner, MinerLoginError } from "../auth/miner-login.js";
import { acceptResult, MAX_IMAGE_BYTES, type ResultSubmission } from "../dispatch/results.js";
import type { CoordinatorServices } from "../services.js";
import { NotLeaseHolderError, TaskStoreError } from "../store/errors.js";
import type { Task } from "../store/task-record.js";
import { ApiError } from "./errors.js";
import { MINER_SCHEMAS } from "./miner-schemas.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The miner operator of the request's session (miner API routes only). */
    miner?: Address;
  }
}

const LOGIN_STATUS: Record<string, number> = {
  malformed: 400,
  wrong_coordinator: 400,
  expired: 400,
  expiry_too_far: 400,
  bad_signature: 401,
  nonce_reused: 401,
  not_eligible: 403,
};

/** The miner API (design section 5): login, long-poll, progress, result, fail, receipt. */
export async function minerApi(app: FastifyInstance, { services }: { services: CoordinatorServices }) {
  const { dispatcher, tasks, events, sessions } = services;

  app.post("/miner/v1/login", { schema: MINER_SCHEMAS.login }, async (request) => {
    try {
      const session = await loginMiner(request.body as never, {
        coordinator: services.operator,
        domain: services.disputesDomain,
        registry: services.chain,
        sessions,
      });
      return session;
    } catch (error) {
      if (error instanceof MinerLoginError) {
        const options =
          error.field === undefined ? { code: error.code } : { code: error.code, param: error.field };
        throw new ApiError(LOGIN_STATUS[error.code] ?? 400, error.message, options);
      }
      throw error;
    }
  });

  // Every other miner route needs a session.
  app.register(async (authed) => {
    authed.addHook("onRequest", async (request) => {
      request.miner = minerOf(services, request);
    });

    // A lease handed out here and lost in a crash before its commit only makes the task go out again,
    // and the result for it is then refused: the answer need not wait for the commit.
    const poll = { schema: MINER_SCHEMAS.poll, config: { acknowledgesWrites: false } };
    authed.post("/miner/v1/poll", poll, async (request, reply) => {
      const body = request.body as {
        slots: number;
        models: string[];
        hardware?: Record<string, unknown>;
        waitMs?: number;
      };
      const miner = request.miner as Address;
      if (!services.chain.eligible(miner)) {
        throw new ApiError(
          403,
          `${miner} is not an eligible miner now (jailed, deregistered or below the minimum stake)`,
          {
            code: "not_eligible",
          },
        );
      }
      const abort = new AbortController();
      reply.raw.on("close", () => abort.abort());
      const waitMs = Math.min(body.waitMs ?? services.limits.pollWaitMs, services.limits.pollWaitMs);
      const request_ = {
        slots: body.slots,
        models: body.models,
        ...(body.hardware ? { hardware: body.hardware } : {}),
      };
      const leased = await dispatcher.poll(miner, request_, waitMs, abort.signal);
      if (abort.signal.aborted && leased.length > 0) {
        // The miner hung up as the task was handed to it: back to the queue, no attempt spent.
        for (const task of leased) {
          dispatcher.returnUnseen(task.id, miner, "the miner disconnected before receiving it");
        }
        return { tasks: [] };
      }
      return { tasks: leased.map(toLeasedTask) };
    });

    authed.post("/miner/v1/tasks/:id/progress", { schema: MINER_SCHEMAS.progress }, async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { delta?: string; fraction?: number };
      const miner = request.miner as Address;
      const now = Date.now();
      if (!tasks.extendLease(id, miner, dispatcher.leaseMs, now)) {
        throw new ApiError(409, `you hold no running lease on task ${id}`, { code: "not_lease_holder" });
      }
      if (body.delta !== undefined || body.fraction !== undefined) {
        events.emit({ type: "progress", taskId: id, progress: body });
      }
      return { leaseExpiresAt: now + dispatcher.leaseMs };
    });

    // An image result carries the file as base64: allow it past the app-sized default body limit.
    const resultBodyLimit = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 1_048_576;
    authed.post(
      "/miner/v1/tasks/:id/result",
      { schema: MINER_SCHEMAS.result, bodyLimit: resultBodyLimit },
      async (request) => {
        const { id } = request.params as { id: string };
        const miner = request.miner as Address;
        let accepted: ReturnType<typeof acceptResult>;
        try {
          accepted = acceptResult(services, miner, id, request.body as ResultSubmission);
        } catch (error) {
          services.metrics.result(false, error instanceof ApiError ? (error.code ?? "invalid") : "error");
          throw error;
        }
        const { task, replay } = accepted;
        // Apps hear of a result only once it is on disk: a streamed answer ends without waiting on
        // the reply path, so the wait is here.
        await services.db.committed();
        if (!replay) {
          services.metrics.result(true, (Date.now() - task.createdAt) / 1000);
          dispatcher.settled(task.id);
          events.emit({ type: "completed", task });
        }
        // Signed after the app has its answer, in a later callback (the app's answer is written from the
        // microtasks the event queued): the signature is off the app's path. The credited total is
        // committed; a receipt lost in a crash is signed again when next asked for.
        await new Promise((resolve) => setImmediate(resolve));
        return { accepted: true, taskId: task.id, receipt: services.earnings.receipt(miner) ?? null };
      },
    );

    authed.post("/miner/v1/tasks/:id/fail", { schema: MINER_SCHEMAS.fail }, async (request) => {
      const { id } = request.params as { id: string };
      const { reason } = request.body as { reason: string };
      const task = giveBack(services, request.miner as Address, id, reason);
      return { taskId: task.id, status: task.status };
    });

    authed.get("/miner/v1/receipt", async (request) => {
      const receipt = services.earnings.receipt(request.miner as Address);
      if (receipt === undefined) {
        throw new ApiError(404, "no receipt yet: you have no accepted result here", { code: "no_receipt" });
      }
      return receipt;
    });
  });
}

function minerOf(services: CoordinatorServices, request: FastifyRequest): Address {
  const header = request.headers.authorization;
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  const miner = token === undefined ? undefined : services.sessions.verify(token);
  if (miner === undefined) {
    throw new ApiError(401, "send Authorization: Bearer <session token> from POST /miner/v1/login", {
      code: "invalid_session",
    });
  }
  return miner;
}

/** The lease holder gives a task back: to the queue (another miner) or failed when out of attempts. */
function giveBack(services: CoordinatorServices, miner: Address, id: string, reason: string): Task {
  let task: Task;
  try {
    task = services.tasks.fail(id, miner, reason);
  } catch (error) {
    if (error instanceof NotLeaseHolderError) {
      throw new ApiError(409, `task ${id} is not leased to you`, { code: error.code });
    }
    if (error instanceof TaskStoreError)
      throw new ApiError(error.code === "task_not_found" ? 404 : 409, error.message, { code: error.code });
    throw error;
  }
  services.dispatcher.cooldown(miner, task.id);
  if (task.status === "failed") {
    services.dispatcher.settled(task.id);
    services.events.emit({ type: "failed", task });
  } else {
    services.events.emit({ type: "requeued", taskId: task.id, reason });
    services.dispatcher.offer(task);
  }
  return task;
}

export function toLeasedTask(task: Task): LeasedTask {
  return {
    id: task.id,
    input: task.input as unknown as TaskInput,
    inputHash: task.inputHash,
    stream: task.stream,
    leaseExpiresAt: task.leaseExpiresAt ?? 0,
  };
}
