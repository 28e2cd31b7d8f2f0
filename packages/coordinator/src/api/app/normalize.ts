import type { ChatMessage, ChatTaskInput, ImageTaskInput, TaskInput } from "@roost/protocol";
import { ApiError } from "../errors.js";
import type {
  A1111Body,
  ChatBody,
  ImageBody,
  NativeChatInput,
  NativeImageInput,
  NativeTaskBody,
} from "./schemas.js";

// Request bodies (already checked by the route schemas) → the TaskInput a miner runs and signs over.
// Every default is written into the input, so the input hash pins exactly what was asked for.

/** Used when a chat request names no max_tokens (OpenAI's default is "up to the context length"). */
export const DEFAULT_MAX_TOKENS = 4096;

/** Defaults of the OpenAI images route. */
export const IMAGE_DEFAULTS = {
  width: 1024,
  height: 1024,
  steps: 30,
  cfg_scale: 7,
  sampler_name: "Euler a",
  seed: -1,
} as const;

/** Defaults of AUTOMATIC1111's /sdapi/v1/txt2img API, so A1111 clients get what they would there. */
export const A1111_DEFAULTS = {
  width: 512,
  height: 512,
  steps: 50,
  cfg_scale: 7,
  sampler_name: "Euler",
  seed: -1,
} as const;

const MIN_SIDE = 256;
const MAX_SIDE = 2048;

export function invalid(param: string, message: string, code = "invalid_value"): ApiError {
  return new ApiError(400, message, { param, code });
}

function unsupported(param: string, message: string): ApiError {
  return invalid(param, message, "unsupported_value");
}

/** An OpenAI chat.completions body → chat input. */
export function chatInput(body: ChatBody): ChatTaskInput {
  refuseUnhonourableChatFields(body);
  const stop = body.stop ?? [];
  return {
    type: "chat",
    model: body.model,
    messages: body.messages.map(chatMessage),
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    temperature: body.temperature ?? 1,
    top_p: body.top_p ?? 1,
    seed: body.seed ?? null,
    stop: typeof stop === "string" ? [stop] : stop,
  };
}

function chatMessage(message: ChatBody["messages"][number], i: number): ChatMessage {
  // "developer" is OpenAI's newer name for the system role.
  const role = message.role === "developer" ? "system" : message.role;
  let content: string;
  const raw = message.content;
  if (raw === undefined || raw === null) {
    // An assistant turn that only called tools has no content; every other turn needs some.
    if (role !== "assistant") throw invalid(`messages[${i}].content`, `messages[${i}].content is required`);
    content = "";
  } else if (typeof raw === "string") {
    content = raw;
  } else {
    const texts: string[] = [];
    raw.forEach((part, j) => {
      if (part.type !== "text") {
        throw unsupported(
          `messages[${i}].content[${j}].type`,
          `messages[${i}].content[${j}]: only text content parts are supported, not '${part.type}'`,
        );
      }
      if (typeof part.text !== "string") {
        throw invalid(`messages[${i}].content[${j}].text`, `messages[${i}].content[${j}].text is required`);
      }
      texts.push(part.text);
    });
    content = texts.join("\n");
  }
  return message.name === undefined ? { role, content } : { role, content, name: message.name };
}

/**
 * OpenAI fields that change the answer in ways no miner here can honour. Anything else unknown is
 * ignored, so clients that send harmless extras (user, store, metadata, service_tier...) keep working.
 */
function refuseUnhonourableChatFields(body: ChatBody): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw unsupported("n", "only n=1 is supported: send one request per completion");
  }
  const fields = body as unknown as Record<string, unknown>;
  const nonEmpty = (value: unknown) =>
    value !== undefined &&
    value !== null &&
    !(Array.isArray(value) && value.length === 0) &&
    !(typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
  for (const name of ["tools", "functions", "logit_bias", "audio", "prediction"]) {
    if (nonEmpty(fields[name])) throw unsupported(name, `${name} is not supported`);
  }
  for (const name of ["tool_choice", "function_call"]) {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== "none" && value !== "auto") {
      throw unsupported(name, `${name} is not supported (no tools)`);
    }
  }
  if (fields.logprobs === true || nonEmpty(fields.top_logprobs)) {
    throw unsupported(fields.logprobs === true ? "logprobs" : "top_logprobs", "logprobs are not supported");
  }
  for (const name of ["frequency_penalty", "presence_penalty"]) {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== 0) {
      throw unsupported(name, `${name} is not supported; leave it out or send 0`);
    }
  }
  const format = fields.response_format as { type?: unknown } | null | undefined;
  if (format !== undefined && format !== null && format.type !== "text") {
    throw unsupported("response_format.type", "only response_format {type: 'text'} is supported");
  }
  const modalities = fields.modalities;
  if (Array.isArray(modalities) && modalities.some((m) => m !== "text")) {
    throw unsupported("modalities", "only the text modality is supported");
  }
}

/** An OpenAI images.generate body → image input. */
export function imageInput(body: ImageBody, model: string): ImageTaskInput {
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw unsupported("n", "only n=1 is supported: send one request per image");
  }
  if (body.response_format === "url") {
    throw unsupported("response_format", "only response_format 'b64_json' is supported (no hosted files)");
  }
  const [width, height] = parseSize(body.size);
  return {
    type: "image",
    model,
    prompt: body.prompt,
    negative_prompt: body.negative_prompt ?? "",
    width,
    height,
    steps: body.steps ?? IMAGE_DEFAULTS.steps,
    cfg_scale: body.cfg_scale ?? IMAGE_DEFAULTS.cfg_scale,
    sampler_name: body.sampler_name ?? IMAGE_DEFAULTS.sampler_name,
    seed: body.seed ?? IMAGE_DEFAULTS.seed,
  };
}

/** "WxH" → [W, H]; "auto" or nothing → the default size. */
export function parseSize(size: string | null | undefined): [number, number] {
  if (size === undefined || size === null || size === "auto") {
    return [IMAGE_DEFAULTS.width, IMAGE_DEFAULTS.height];
  }
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  const ok = (side: number) => side >= MIN_SIDE && side <= MAX_SIDE && side % 8 === 0;
  if (match === null || !ok(width) || !ok(height)) {
    throw invalid(
      "size",
      `size must be 'WIDTHxHEIGHT' with each side a multiple of 8 from ${MIN_SIDE} to ${MAX_SIDE}, e.g. '1024x1024'`,
    );
  }
  return [width, height];
}

/** An AUTOMATIC1111 txt2img body → image input. */
export function txt2imgInput(body: A1111Body, model: string): ImageTaskInput {
  for (const name of ["batch_size", "n_iter"] as const) {
    const value = body[name];
    if (value !== undefined && value !== null && value !== 1) {
      throw unsupported(name, `only ${name}=1 is supported: send one request per image`);
    }
  }
  if (body.enable_hr === true) throw unsupported("enable_hr", "hires fix (enable_hr) is not supported");
  return {
    type: "image",
    model,
    prompt: body.prompt ?? "",
    negative_prompt: body.negative_prompt ?? "",
    width: body.width ?? A1111_DEFAULTS.width,
    height: body.height ?? A1111_DEFAULTS.height,
    steps: body.steps ?? A1111_DEFAULTS.steps,
    cfg_scale: body.cfg_scale ?? A1111_DEFAULTS.cfg_scale,
    sampler_name: body.sampler_name ?? body.sampler_index ?? A1111_DEFAULTS.sampler_name,
    seed: body.seed ?? A1111_DEFAULTS.seed,
  };
}

/** The model an A1111 request names: `model`, else override_settings.sd_model_checkpoint. */
export function a1111Model(body: A1111Body): { model: string; param: string } | undefined {
  if (body.model !== undefined && body.model !== null) return { model: body.model, param: "model" };
  const checkpoint = body.override_settings?.sd_model_checkpoint;
  if (checkpoint === undefined || checkpoint === null) return undefined;
  // A1111 titles carry a hash suffix, "name.safetensors [6ce0161689]"; the model id is the name.
  return {
    model: checkpoint.replace(/ \[[0-9a-fA-F]+\]$/, ""),
    param: "override_settings.sd_model_checkpoint",
  };
}

/** A native /v1/tasks body → input, defaults filled in as on the OpenAI routes. */
export function nativeInput(body: NativeTaskBody): TaskInput {
  if (body.type === "chat") {
    const input = body.input as NativeChatInput;
    return {
      type: "chat",
      model: body.model,
      messages: input.messages,
      max_tokens: input.max_tokens ?? DEFAULT_MAX_TOKENS,
      temperature: input.temperature ?? 1,
      top_p: input.top_p ?? 1,
      seed: input.seed ?? null,
      stop: input.stop ?? [],
    };
  }
  const input = body.input as NativeImageInput;
  return {
    type: "image",
    model: body.model,
    prompt: input.prompt,
    negative_prompt: input.negative_prompt ?? "",
    width: input.width ?? IMAGE_DEFAULTS.width,
    height: input.height ?? IMAGE_DEFAULTS.height,
    steps: input.steps ?? IMAGE_DEFAULTS.steps,
    cfg_scale: input.cfg_scale ?? IMAGE_DEFAULTS.cfg_scale,
    sampler_name: input.sampler_name ?? IMAGE_DEFAULTS.sampler_name,
    seed: input.seed ?? IMAGE_DEFAULTS.seed,
  };
}
