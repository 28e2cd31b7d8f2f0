import type { ChatTaskOutput } from "@roost/protocol";
import type { FastifyInstance } from "fastify";
import type { Task } from "../../store/task-record.js";
import { ApiError } from "../errors.js";
import { streamChat } from "./chat-stream.js";
import { chatInput, imageInput } from "./normalize.js";
import { APP_SCHEMAS, type ChatBody, type ImageBody } from "./schemas.js";
import {
  type AppContext,
  awaitResult,
  defaultImageModel,
  onlineModels,
  outputOf,
  type Submission,
  taskHeaders,
} from "./submit.js";

/** The OpenAI-compatible routes: chat completions (plain and SSE), image generations, models. */
export function openAiRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { services } = ctx;
  // OpenAI reports when a model was created; a model here is as old as this coordinator knows it.
  const created = Math.floor(Date.now() / 1000);
  const modelObject = (id: string) => ({ id, object: "model", created, owned_by: "roost" });

  app.post("/v1/chat/completions", { schema: APP_SCHEMAS.chat }, async (request, reply) => {
    const body = request.body as ChatBody;
    const stream = body.stream === true;
    const submission: Submission = { kind: "chat", input: chatInput(body), stream };
    if (stream) {
      return streamChat(ctx, request, reply, submission, body.stream_options?.include_usage === true);
    }
    const task = await awaitResult(ctx, request, reply, submission);
    if (task === undefined) return reply.hijack(); // the client left; the task goes on
    return reply.headers(taskHeaders(task)).send(chatCompletion(task, outputOf(task, "chat")));
  });

  app.post("/v1/images/generations", { schema: APP_SCHEMAS.image }, async (request, reply) => {
    const body = request.body as ImageBody;
    const input = imageInput(body, body.model ?? "");
    if (input.model === "") input.model = defaultImageModel(services, "model");
    const task = await awaitResult(ctx, request, reply, { kind: "image", input, stream: false });
    if (task === undefined) return reply.hijack();
    const output = outputOf(task, "image");
    return reply
      .headers(taskHeaders(task))
      .send({ created: Math.floor(task.createdAt / 1000), data: [{ b64_json: output.b64 }] });
  });

  app.get("/v1/models", async () => ({ object: "list", data: onlineModels(services).map(modelObject) }));

  // A wildcard, since model ids often contain slashes ("org/name").
  app.get("/v1/models/*", async (request) => {
    const id = (request.params as { "*": string })["*"];
    if (!onlineModels(services).includes(id)) {
      throw new ApiError(404, `The model '${id}' does not exist or no online miner serves it`, {
        param: "model",
        code: "model_not_found",
      });
    }
    return modelObject(id);
  });
}

function chatCompletion(task: Task, output: ChatTaskOutput) {
  const { prompt_tokens, completion_tokens } = output.usage;
  return {
    id: `chatcmpl-${task.id.slice(2)}`,
    object: "chat.completion",
    created: Math.floor(task.createdAt / 1000),
    model: task.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: output.content, refusal: null },
        logprobs: null,
        finish_reason: output.finish_reason,
      },
    ],
    usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
  };
}
