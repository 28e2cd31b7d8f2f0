import type { ChatMessage, ChatTaskOutput, TaskInput, TaskOutput } from "@roost/protocol";
import type {
  ChatHistoryItem,
  ChatWrapper,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
} from "node-llama-cpp";
import { type Backend, BackendTaskError, BackendUnavailableError, type RunContext } from "./backend.js";

// A chat backend running a GGUF model in-process with node-llama-cpp. The model is loaded on the first
// check() (not at construction) so configuring a miner stays cheap; one context holds a sequence per
// concurrent task, and every task starts from an empty sequence so its output depends on its input only.

/** The GGUF file to run and how. */
export interface LlamaBackendOptions {
  /** Path of the .gguf file. */
  modelPath: string;
  /** The model id tasks name it by. */
  modelId: string;
  /** Tasks run at once, each in its own context sequence (default 1). */
  capacity?: number;
  /** Use a GPU when there is one (default "auto"); false forces the CPU. */
  gpu?: boolean;
  /** CPU threads per evaluation (default: node-llama-cpp's choice). */
  threads?: number;
  /** Context size in tokens, shared by the sequences (default: what fits the model and memory). */
  contextSize?: number;
}

const KIND = "llama";

interface Loaded {
  /** node-llama-cpp's completion class (the library is imported on first use: ~25 MB not spent otherwise). */
  Completion: typeof LlamaCompletion;
  model: LlamaModel;
  /** Formats messages with the model's own chat template (or a general one when it has none). */
  chatWrapper: ChatWrapper;
  context: LlamaContext;
  free: LlamaContextSequence[];
  waiting: ((sequence: LlamaContextSequence) => void)[];
}

/** Creates a Backend that runs chat tasks on a local GGUF model. */
export function createLlamaBackend(options: LlamaBackendOptions): Backend {
  const capacity = options.capacity ?? 1;
  let loading: Promise<Loaded> | undefined;

  const load = async (): Promise<Loaded> => {
    const { getLlama, LlamaCompletion, resolveChatWrapper } = await import("node-llama-cpp");
    const llama = await getLlama({ gpu: options.gpu === false ? false : "auto" });
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const context = await model.createContext({
      sequences: capacity,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
    });
    const free = Array.from({ length: capacity }, () => context.getSequence());
    return {
      Completion: LlamaCompletion,
      model,
      chatWrapper: resolveChatWrapper(model),
      context,
      free,
      waiting: [],
    };
  };

  const loaded = (): Promise<Loaded> => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined; // let a later check() retry, e.g. after the file was fixed
      throw error;
    });
    return loading;
  };

  return {
    kind: KIND,
    type: "chat",
    models: [options.modelId],
    capacity,

    async check() {
      try {
        await loaded();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new BackendUnavailableError(KIND, `cannot load ${options.modelPath}: ${reason}`, {
          cause: error,
        });
      }
    },

    async run(input: TaskInput, context: RunContext): Promise<TaskOutput> {
      if (input.type !== "chat") throw new BackendTaskError(KIND, `cannot run ${input.type} tasks`);
      if (input.model !== options.modelId) {
        throw new BackendTaskError(KIND, `serves ${options.modelId}, not ${input.model}`);
      }
      let state: Loaded;
      try {
        state = await loaded();
      } catch (error) {
        throw new BackendTaskError(KIND, `model not loaded: ${String(error)}`, { cause: error });
      }
      const sequence = await acquire(state, context.signal);
      try {
        return await generate(state, sequence, input, context);
      } finally {
        release(state, sequence);
      }
    },

    async close() {
      const current = loading;
      loading = undefined;
      if (current === undefined) return;
      const state = await current.catch(() => undefined);
      // Disposing the model disposes its contexts and sequences too.
      await state?.model.dispose();
    },
  };
}

async function generate(
  { Completion, model, chatWrapper }: Loaded,
  sequence: LlamaContextSequence,
  input: Extract<TaskInput, { type: "chat" }>,
  { signal, onDelta }: RunContext,
): Promise<ChatTaskOutput> {
  // A fresh sequence: reusing another task's cached prefix could, in principle, change the numerics.
  await sequence.clearHistory();
  const { contextText, stopGenerationTriggers } = chatWrapper.generateContextState({
    chatHistory: [...input.messages.map(historyItem), { type: "model", response: [] }],
  });
  let tokens = contextText.tokenize(model.tokenizer);
  // LlamaCompletion prepends BOS itself; the chat template usually starts with one as well.
  const bos = model.tokens.bos;
  if (bos !== null && tokens[0] === bos) tokens = tokens.slice(1);

  let completionTokens = 0;
  const completion = new Completion({ contextSequence: sequence });
  try {
    const { response, metadata } = await completion.generateCompletionWithMeta(tokens, {
      maxTokens: input.max_tokens,
      temperature: input.temperature,
      topP: input.top_p,
      ...(input.seed === null ? {} : { seed: input.seed }),
      // OpenAI semantics: no repetition penalty unless asked for (node-llama-cpp applies one by default).
      repeatPenalty: false,
      customStopTriggers: [...input.stop, ...stopGenerationTriggers],
      signal,
      onToken: (generated) => {
        completionTokens += generated.length;
      },
      ...(onDelta === undefined ? {} : { onTextChunk: onDelta }),
    });
    return {
      type: "chat",
      content: response,
      finish_reason: metadata.stopReason === "maxTokens" ? "length" : "stop",
      usage: { prompt_tokens: tokens.length + (bos === null ? 0 : 1), completion_tokens: completionTokens },
    };
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    throw new BackendTaskError(KIND, `generation failed: ${String(error)}`, { cause: error });
  } finally {
    completion.dispose();
  }
}

/** A task message as node-llama-cpp chat history; tool results are shown to the model as user text. */
function historyItem(message: ChatMessage): ChatHistoryItem {
  if (message.role === "system") return { type: "system", text: message.content };
  if (message.role === "assistant") return { type: "model", response: [message.content] };
  return { type: "user", text: message.content };
}

/** Takes a free sequence, waiting for one when all `capacity` are busy (until the task is aborted). */
function acquire(state: Loaded, signal: AbortSignal): Promise<LlamaContextSequence> {
  signal.throwIfAborted();
  const sequence = state.free.pop();
  if (sequence !== undefined) return Promise.resolve(sequence);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      state.waiting.splice(state.waiting.indexOf(waiter), 1);
      reject(signal.reason);
    };
    const waiter = (next: LlamaContextSequence) => {
      signal.removeEventListener("abort", onAbort);
      resolve(next);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    state.waiting.push(waiter);
  });
}

function release(state: Loaded, sequence: LlamaContextSequence): void {
  const next = state.waiting.shift();
  if (next) next(sequence);
  else state.free.push(sequence);
}
