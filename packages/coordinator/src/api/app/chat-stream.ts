import type { ChatTaskOutput } from "@roost/protocol";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Task } from "../../store/task-record.js";
import type { ApiError } from "../errors.js";
import { SseStream } from "./sse.js";
import {
  type AppContext,
  endError,
  isFinal,
  minerFailed,
  outputOf,
  type Submission,
  TaskWatch,
} from "./submit.js";

/**
 * A streamed chat completion in OpenAI's SSE format. Nothing is written until the first token (or the
 * whole answer) arrives, so a task that fails or times out before then gets a plain JSON error, and
 * the task may move to another miner until that moment. The first relayed token is recorded with
 * `firstTokenSent`; from then on the store never retries the task, since a client cannot take back
 * tokens it has seen. Tokens arrive as the miner's progress deltas; whatever the final result holds
 * beyond them (a miner that did not stream) is sent as one last delta.
 */
export function streamChat(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  submission: Submission,
  includeUsage: boolean,
): Promise<void> {
  const { tasks } = ctx.services;
  return new Promise<void>((resolve, reject) => {
    let out: { sse: SseStream; format: ChunkFormat } | undefined;
    let streamed = "";
    let miner: string | null = null;

    const begin = (task: Task, servedBy: string | null) => {
      if (out !== undefined) return out;
      const sse = new SseStream(reply, { "x-roost-task-id": task.id, "x-roost-miner": servedBy ?? "" });
      out = { sse, format: new ChunkFormat(task) };
      sse.send(out.format.delta('{"role":"assistant","content":""}', null));
      return out;
    };
    const finish = (task: Task) => {
      const output = outputOf(task, "chat");
      const { sse, format } = begin(task, task.leasedTo);
      const rest = output.content.startsWith(streamed) ? output.content.slice(streamed.length) : "";
      if (rest !== "") sse.send(format.delta(content(rest), null));
      sse.send(format.delta("{}", output.finish_reason));
      if (includeUsage) sse.send(format.usage(output));
      sse.send("[DONE]");
      sse.end();
    };
    const fail = (error: ApiError) => {
      if (out === undefined) return reject(error);
      out.sse.error(error);
      out.sse.end();
      resolve();
    };

    const watch = new TaskWatch(ctx, request, reply, submission, {
      event: (event, watch) => {
        switch (event.type) {
          case "leased":
            miner = event.task.leasedTo;
            return;
          case "progress": {
            const delta = event.progress.delta;
            // A replay joining a running stream missed its first tokens: it gets the whole answer at the end.
            if (!watch.fresh || delta === undefined || delta === "") return;
            if (out === undefined) tasks.firstTokenSent(watch.task.id);
            const { sse, format } = begin(watch.task, miner ?? tasks.get(watch.task.id)?.leasedTo ?? null);
            sse.send(format.delta(content(delta), null));
            streamed += delta;
            return;
          }
          case "completed":
            try {
              finish(event.task);
              return resolve();
            } catch (error) {
              return fail(error as ApiError);
            }
          case "failed":
            return fail(minerFailed(event.task));
        }
      },
      ended: (reason, watch) => {
        if (reason !== "gone")
          return fail(endError(reason, watch.task, ctx.services.limits.requestTimeoutMs));
        if (out === undefined) reply.hijack();
        resolve();
      },
    });
    if (isFinal(watch.task)) {
      if (watch.task.status === "failed") return reject(minerFailed(watch.task));
      finish(watch.task);
      resolve();
    }
  });
}

function content(text: string): string {
  return `{"content":${JSON.stringify(text)}}`;
}

/** chat.completion.chunk JSON, with the parts that never change serialized once per stream. */
class ChunkFormat {
  readonly #head: string;

  constructor(task: Task) {
    const id = JSON.stringify(`chatcmpl-${task.id.slice(2)}`);
    const created = Math.floor(task.createdAt / 1000);
    this.#head = `{"id":${id},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(task.model)},"choices":`;
  }

  delta(delta: string, finishReason: string | null): string {
    const finish = finishReason === null ? "null" : JSON.stringify(finishReason);
    return `${this.#head}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}`;
  }

  /** The extra last chunk of stream_options.include_usage: no choices, the usage. */
  usage(output: ChatTaskOutput): string {
    const { prompt_tokens, completion_tokens } = output.usage;
    const usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
    return `${this.#head}[],"usage":${JSON.stringify(usage)}}`;
  }
}
