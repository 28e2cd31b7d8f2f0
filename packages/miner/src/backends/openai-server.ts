import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatMessage, ChatTaskInput } from "@roost/protocol";
import type { Backend } from "./backend.js";

// A minimal OpenAI-compatible HTTP server around any chat Backend: lets a local model be used by OpenAI
// clients, and lets the openai backend be tested against a real server without network access.

/** Where to listen; port 0 picks a free one. */
export interface ServeOpenAIOptions {
  host?: string;
  port?: number;
}

/** A running server: `url` is the API base (ending in /v1). */
export interface OpenAIServer {
  url: string;
  close(): Promise<void>;
}

const ROLES = new Set(["system", "user", "assistant", "tool"]);
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A request the server refuses, with the field at fault. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/** Serves `backend` (a chat backend) as GET /v1/models and POST /v1/chat/completions. */
export async function serveOpenAI(backend: Backend, options: ServeOpenAIOptions = {}): Promise<OpenAIServer> {
  if (backend.type !== "chat") throw new Error(`serveOpenAI needs a chat backend, not ${backend.type}`);
  const server = createServer((request, response) => {
    handle(backend, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, describe(error), "server_error", null);
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function handle(backend: Backend, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? "/").split("?")[0];
  if (request.method === "GET" && path === "/v1/models") {
    const data = backend.models.map((id) => ({ id, object: "model", created: 0, owned_by: backend.kind }));
    sendJson(response, 200, { object: "list", data });
    return;
  }
  if (path !== "/v1/chat/completions") {
    sendError(response, 404, `no route ${request.method} ${path}`, "invalid_request_error", null);
    return;
  }
  if (request.method !== "POST") {
    sendError(response, 405, `use POST for ${path}`, "invalid_request_error", null);
    return;
  }
  let parsed: { input: ChatTaskInput; stream: boolean; includeUsage: boolean };
  try {
    parsed = parseRequest(await readJson(request), backend.models);
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    sendError(response, error.status, error.message, "invalid_request_error", error.param);
    return;
  }
  await complete(backend, parsed, response);
}

/** Runs one completion, streamed as SSE or answered as one JSON body. */
async function complete(
  backend: Backend,
  { input, stream, includeUsage }: { input: ChatTaskInput; stream: boolean; includeUsage: boolean },
  response: ServerResponse,
): Promise<void> {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, created, model: input.model };
  // A client that hangs up stops the generation instead of letting it run to max_tokens.
  const abort = new AbortController();
  response.on("close", () => {
    if (!response.writableFinished) abort.abort(new Error("client disconnected"));
  });
  const chunk = (choices: unknown[], extra: object = {}): void => {
    response.write(
      `data: ${JSON.stringify({ ...head, object: "chat.completion.chunk", choices, ...extra })}\n\n`,
    );
  };

  if (stream) {
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
  }
  let output: Awaited<ReturnType<Backend["run"]>>;
  try {
    output = await backend.run(input, {
      signal: abort.signal,
      ...(stream
        ? { onDelta: (text: string) => chunk([{ index: 0, delta: { content: text }, finish_reason: null }]) }
        : {}),
    });
  } catch (error) {
    if (abort.signal.aborted) return;
    if (!stream) return sendError(response, 500, describe(error), "server_error", null);
    // Headers are out: report the failure in-band, as OpenAI does for mid-stream errors.
    response.end(
      `data: ${JSON.stringify({ error: { message: describe(error), type: "server_error" } })}\n\n`,
    );
    return;
  }
  if (output.type !== "chat") throw new Error(`backend returned a ${output.type} output for a chat task`);
  const usage = {
    ...output.usage,
    total_tokens: output.usage.prompt_tokens + output.usage.completion_tokens,
  };
  if (stream) {
    chunk([{ index: 0, delta: {}, finish_reason: output.finish_reason }]);
    if (includeUsage) chunk([], { usage });
    response.end("data: [DONE]\n\n");
    return;
  }
  sendJson(response, 200, {
    ...head,
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: output.content },
        finish_reason: output.finish_reason,
      },
    ],
    usage,
  });
}

/** Validates an OpenAI chat request into a task input, naming the first bad field. */
function parseRequest(
  body: unknown,
  models: readonly string[],
): { input: ChatTaskInput; stream: boolean; includeUsage: boolean } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new RequestError(400, "the request body must be a JSON object", null);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string") throw new RequestError(400, "'model' must be a string", "model");
  if (!models.includes(b.model)) {
    throw new RequestError(
      404,
      `the model '${b.model}' does not exist; served: ${models.join(", ")}`,
      "model",
    );
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    throw new RequestError(400, "'messages' must be a non-empty array", "messages");
  }
  const messages = b.messages.map((message: unknown, i): ChatMessage => {
    const m = (typeof message === "object" && message !== null ? message : {}) as Record<string, unknown>;
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      throw new RequestError(
        400,
        `'messages[${i}].role' must be one of ${[...ROLES].join(", ")}`,
        `messages[${i}].role`,
      );
    }
    if (typeof m.content !== "string") {
      throw new RequestError(400, `'messages[${i}].content' must be a string`, `messages[${i}].content`);
    }
    return { role: m.role as ChatMessage["role"], content: m.content };
  });
  const maxTokens = b.max_tokens ?? b.max_completion_tokens ?? 256;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) {
    throw new RequestError(400, "'max_tokens' must be a positive integer", "max_tokens");
  }
  const temperature = b.temperature ?? 1;
  if (typeof temperature !== "number" || temperature < 0 || temperature > 2) {
    throw new RequestError(400, "'temperature' must be a number from 0 to 2", "temperature");
  }
  const topP = b.top_p ?? 1;
  if (typeof topP !== "number" || topP <= 0 || topP > 1) {
    throw new RequestError(400, "'top_p' must be a number above 0, at most 1", "top_p");
  }
  const seed = b.seed ?? null;
  if (seed !== null && !Number.isSafeInteger(seed)) {
    throw new RequestError(400, "'seed' must be an integer or null", "seed");
  }
  const rawStop = b.stop ?? [];
  const stop = typeof rawStop === "string" ? [rawStop] : rawStop;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string")) {
    throw new RequestError(400, "'stop' must be a string or an array of strings", "stop");
  }
  const stream = b.stream ?? false;
  if (typeof stream !== "boolean") throw new RequestError(400, "'stream' must be a boolean", "stream");
  const streamOptions = b.stream_options as { include_usage?: unknown } | undefined;
  return {
    input: {
      type: "chat",
      model: b.model,
      messages,
      max_tokens: maxTokens as number,
      temperature,
      top_p: topP,
      seed: seed as number | null,
      stop: stop as string[],
    },
    stream,
    includeUsage: streamOptions?.include_usage === true,
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const piece of request as AsyncIterable<Buffer>) {
    size += piece.length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, "the request body is too large", null);
    chunks.push(piece);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new RequestError(400, "the request body is not valid JSON", null);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  type: string,
  param: string | null,
): void {
  sendJson(response, status, { error: { message, type, param, code: null } });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
