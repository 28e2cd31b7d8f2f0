import type { ChatTaskOutput, TaskInput, TaskOutput } from "@roost/protocol";
import { type Backend, BackendTaskError, BackendUnavailableError, type RunContext } from "./backend.js";

// A chat backend for any OpenAI-compatible server (vLLM, Ollama, llama.cpp server): tasks are streamed
// through /chat/completions so the node can forward deltas while the answer is still being written.

/** Where the OpenAI-compatible server is and what it serves. */
export interface OpenAIBackendOptions {
  /** The API base, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  /** The model ids to serve; each must be listed by the server's /models. */
  models: readonly string[];
  /** Sent as a bearer token; never put into error messages. */
  apiKey?: string;
  /** Tasks run at once (default 1). */
  capacity?: number;
}

const KIND = "openai";

/** One streamed chunk of a chat.completion.chunk, the fields read here. */
interface StreamChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** Creates a Backend that runs chat tasks on an OpenAI-compatible server. */
export function createOpenAIBackend(options: OpenAIBackendOptions): Backend {
  const base = options.url.replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  // Anything shown to the coordinator or a log must not leak the key, even if a server echoes it.
  const redact = (text: string): string =>
    options.apiKey ? text.split(options.apiKey).join("[redacted]") : text;

  return {
    kind: KIND,
    type: "chat",
    models: [...options.models],
    capacity: options.capacity ?? 1,

    async check() {
      let response: Response;
      try {
        response = await fetch(`${base}/models`, { headers, signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        throw new BackendUnavailableError(
          KIND,
          `cannot reach ${base}/models (${describe(error)}); is the server running at that URL?`,
          { cause: error },
        );
      }
      if (!response.ok) {
        const message = redact(await errorMessage(response));
        throw new BackendUnavailableError(KIND, `GET ${base}/models answered ${response.status}: ${message}`);
      }
      const body = (await response.json().catch(() => undefined)) as
        | { data?: { id?: unknown }[] }
        | undefined;
      if (!Array.isArray(body?.data)) {
        throw new BackendUnavailableError(KIND, `GET ${base}/models did not return an OpenAI model list`);
      }
      const available = body.data.map((model) => String(model.id));
      const missing = options.models.filter((model) => !available.includes(model));
      if (missing.length > 0) {
        throw new BackendUnavailableError(
          KIND,
          `${base} does not serve ${missing.join(", ")}; it serves: ${available.join(", ") || "(none)"}`,
        );
      }
    },

    async run(input: TaskInput, context: RunContext): Promise<TaskOutput> {
      if (input.type !== "chat") throw new BackendTaskError(KIND, `cannot run ${input.type} tasks`);
      const request = {
        model: input.model,
        messages: input.messages,
        max_tokens: input.max_tokens,
        temperature: input.temperature,
        top_p: input.top_p,
        ...(input.seed === null ? {} : { seed: input.seed }),
        stop: input.stop,
        stream: true,
        stream_options: { include_usage: true },
      };
      let response: Response;
      try {
        response = await fetch(`${base}/chat/completions`, {
          method: "POST",
          headers,
          body: JSON.stringify(request),
          signal: context.signal,
        });
      } catch (error) {
        if (context.signal.aborted) throw context.signal.reason ?? error;
        throw new BackendTaskError(KIND, `cannot reach ${base}: ${describe(error)}`, { cause: error });
      }
      if (!response.ok || response.body === null) {
        const message = redact(await errorMessage(response));
        throw new BackendTaskError(KIND, `chat completion failed with HTTP ${response.status}: ${message}`);
      }
      try {
        return await readStream(response.body, context);
      } catch (error) {
        if (context.signal.aborted) throw context.signal.reason ?? error;
        if (error instanceof BackendTaskError) throw error;
        throw new BackendTaskError(KIND, `reading the stream failed: ${redact(describe(error))}`, {
          cause: error,
        });
      }
    },

    async close() {
      // fetch keeps no per-backend connections worth closing.
    },
  };
}

/** Reads an SSE chat stream to its end, forwarding each content piece. */
async function readStream(body: ReadableStream<Uint8Array>, context: RunContext): Promise<ChatTaskOutput> {
  let content = "";
  let finish: string | null = null;
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  let done = false;

  const handle = (line: string): void => {
    // SSE comments (":") and other fields (event:, id:) carry nothing for chat.
    if (!line.startsWith("data:")) return;
    const data = line.slice(5).trim();
    if (data === "[DONE]") {
      done = true;
      return;
    }
    let chunk: StreamChunk;
    try {
      chunk = JSON.parse(data) as StreamChunk;
    } catch {
      throw new BackendTaskError(KIND, `server sent a stream chunk that is not JSON: ${data.slice(0, 200)}`);
    }
    const choice = chunk.choices?.[0];
    const piece = choice?.delta?.content;
    if (typeof piece === "string" && piece.length > 0) {
      content += piece;
      context.onDelta?.(piece);
    }
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) {
      usage = {
        prompt_tokens: chunk.usage.prompt_tokens ?? 0,
        completion_tokens: chunk.usage.completion_tokens ?? 0,
      };
    }
  };

  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      handle(buffer.slice(0, newline).replace(/\r$/, ""));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
    }
    if (done) break;
  }
  if (!done) handle(buffer + decoder.decode());
  if (finish === null) throw new BackendTaskError(KIND, "stream ended without a finish_reason");
  if (usage === undefined) throw new BackendTaskError(KIND, "stream ended without usage (stream_options)");
  return { type: "chat", content, finish_reason: mapFinishReason(finish), usage };
}

/** OpenAI's "length" means cut by max_tokens; everything else (stop, eos, stop string) is a stop. */
function mapFinishReason(reason: string): ChatTaskOutput["finish_reason"] {
  return reason === "length" ? "length" : "stop";
}

/** The server's `error.message` when it sent one, else a piece of the body. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === "string") return body.error;
    if (typeof body.error?.message === "string") return body.error.message;
    if (typeof body.message === "string") return body.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 500) || response.statusText || "no error message";
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
