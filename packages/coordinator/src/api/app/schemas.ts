// JSON Schemas of the app API. Fastify compiles each once at startup and validates every request
// before its handler runs; a failure names the field (errors.ts). The OpenAI and A1111 bodies allow
// unknown fields, since their clients send many; normalize.ts refuses only what cannot be honoured.
// Optional OpenAI fields also accept null, as OpenAI does. No union types (`type: [..]`): Ajv's strict
// mode warns about them, so `nullable` and anyOf instead.

const MODEL = { type: "string", minLength: 1, maxLength: 200 } as const;
const OPT_MODEL = { type: "string", nullable: true, minLength: 1, maxLength: 200 } as const;
const SEED = {
  type: "integer",
  nullable: true,
  minimum: -9_007_199_254_740_991,
  maximum: 9_007_199_254_740_991,
} as const;
const IMAGE_SEED = { type: "integer", nullable: true, minimum: -1, maximum: 9_007_199_254_740_991 } as const;
const MAX_TOKENS = { type: "integer", nullable: true, minimum: 1, maximum: 1_048_576 } as const;
const TEMPERATURE = { type: "number", nullable: true, minimum: 0, maximum: 2 } as const;
const TOP_P = { type: "number", nullable: true, minimum: 0, maximum: 1 } as const;
const STEPS = { type: "integer", nullable: true, minimum: 1, maximum: 150 } as const;
const CFG_SCALE = { type: "number", nullable: true, minimum: 0, maximum: 30 } as const;
const SIDE = { type: "integer", nullable: true, minimum: 64, maximum: 2048, multipleOf: 8 } as const;
const TEXT = { type: "string", nullable: true, maxLength: 100_000 } as const;
const SAMPLER = { type: "string", nullable: true, minLength: 1, maxLength: 100 } as const;
const PROMPT = { type: "string", maxLength: 100_000 } as const;
const STOP = {
  anyOf: [
    { type: "string", minLength: 1, maxLength: 1000 },
    { type: "array", maxItems: 4, items: { type: "string", minLength: 1, maxLength: 1000 } },
    { type: "null" },
  ],
} as const;

const CHAT_MESSAGE = {
  type: "object",
  required: ["role"],
  properties: {
    role: { enum: ["system", "developer", "user", "assistant", "tool"] },
    content: {
      anyOf: [
        { type: "string" },
        {
          type: "array",
          maxItems: 1000,
          items: {
            type: "object",
            required: ["type"],
            properties: { type: { type: "string" }, text: { type: "string" } },
          },
        },
        { type: "null" },
      ],
    },
    name: { type: "string", minLength: 1, maxLength: 256 },
  },
} as const;

const CHAT_BODY = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    model: MODEL,
    messages: { type: "array", minItems: 1, maxItems: 10_000, items: CHAT_MESSAGE },
    stream: { type: "boolean", nullable: true },
    stream_options: {
      type: "object",
      nullable: true,
      properties: { include_usage: { type: "boolean", nullable: true } },
    },
    max_tokens: MAX_TOKENS,
    max_completion_tokens: MAX_TOKENS,
    temperature: TEMPERATURE,
    top_p: TOP_P,
    seed: SEED,
    stop: STOP,
    n: { type: "integer", nullable: true, minimum: 1 },
    user: { type: "string", nullable: true },
  },
} as const;

const IMAGE_BODY = {
  type: "object",
  required: ["prompt"],
  properties: {
    model: OPT_MODEL,
    prompt: { type: "string", minLength: 1, maxLength: 100_000 },
    n: { type: "integer", nullable: true, minimum: 1 },
    size: { type: "string", nullable: true, maxLength: 20 },
    response_format: { enum: ["b64_json", "url", null] },
    // Extensions of the OpenAI body, in A1111 terms.
    negative_prompt: TEXT,
    steps: STEPS,
    cfg_scale: CFG_SCALE,
    sampler_name: SAMPLER,
    seed: IMAGE_SEED,
    user: { type: "string", nullable: true },
  },
} as const;

const A1111_BODY = {
  type: "object",
  properties: {
    prompt: TEXT,
    negative_prompt: TEXT,
    width: SIDE,
    height: SIDE,
    steps: STEPS,
    cfg_scale: CFG_SCALE,
    sampler_name: SAMPLER,
    sampler_index: SAMPLER,
    seed: IMAGE_SEED,
    batch_size: { type: "integer", nullable: true, minimum: 1 },
    n_iter: { type: "integer", nullable: true, minimum: 1 },
    enable_hr: { type: "boolean", nullable: true },
    model: OPT_MODEL,
    override_settings: {
      type: "object",
      nullable: true,
      properties: { sd_model_checkpoint: OPT_MODEL },
    },
  },
} as const;

// The native API is ours: strict, no nulls, no unknown fields.
const NATIVE_CHAT_INPUT = {
  type: "object",
  additionalProperties: false,
  required: ["messages"],
  properties: {
    messages: {
      type: "array",
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["role", "content"],
        properties: {
          role: { enum: ["system", "user", "assistant", "tool"] },
          content: { type: "string" },
          name: { type: "string", minLength: 1, maxLength: 256 },
        },
      },
    },
    max_tokens: { type: "integer", minimum: 1, maximum: 1_048_576 },
    temperature: { type: "number", minimum: 0, maximum: 2 },
    top_p: { type: "number", minimum: 0, maximum: 1 },
    seed: {
      type: "integer",
      nullable: true,
      minimum: -9_007_199_254_740_991,
      maximum: 9_007_199_254_740_991,
    },
    stop: { type: "array", maxItems: 4, items: { type: "string", minLength: 1, maxLength: 1000 } },
  },
} as const;

const NATIVE_IMAGE_INPUT = {
  type: "object",
  additionalProperties: false,
  required: ["prompt"],
  properties: {
    prompt: PROMPT,
    negative_prompt: { type: "string", maxLength: 100_000 },
    width: { type: "integer", minimum: 64, maximum: 2048, multipleOf: 8 },
    height: { type: "integer", minimum: 64, maximum: 2048, multipleOf: 8 },
    steps: { type: "integer", minimum: 1, maximum: 150 },
    cfg_scale: { type: "number", minimum: 0, maximum: 30 },
    sampler_name: { type: "string", minLength: 1, maxLength: 100 },
    seed: { type: "integer", minimum: -1, maximum: 9_007_199_254_740_991 },
  },
} as const;

const NATIVE_TASK_BODY = {
  type: "object",
  additionalProperties: false,
  required: ["type", "model", "input"],
  properties: {
    type: { enum: ["chat", "image"] },
    model: MODEL,
    // Ask the miner to stream chat tokens as progress events (GET /v1/tasks/:id/events).
    stream: { type: "boolean" },
    input: { type: "object" },
  },
  // The first failing field inside `input` is reported, e.g. input.messages[0].role. An unknown or
  // missing type matches neither branch and is reported by `properties` and `required`.
  allOf: [
    {
      if: { required: ["type"], properties: { type: { const: "chat" } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: { properties: { input: NATIVE_CHAT_INPUT } },
    },
    {
      if: { required: ["type"], properties: { type: { const: "image" } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: { properties: { input: NATIVE_IMAGE_INPUT } },
    },
  ],
} as const;

const TASK_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } },
} as const;

export const APP_SCHEMAS = {
  chat: { body: CHAT_BODY },
  image: { body: IMAGE_BODY },
  txt2img: { body: A1111_BODY },
  task: { body: NATIVE_TASK_BODY },
  taskById: { params: TASK_PARAMS },
  modelById: {
    params: { type: "object", required: ["model"], properties: { model: MODEL } },
  },
} as const;

// The validated bodies as the handlers see them.

type Nullable<T> = T | null | undefined;

export interface ChatBody {
  model: string;
  messages: {
    role: "system" | "developer" | "user" | "assistant" | "tool";
    content?: string | { type: string; text?: string }[] | null;
    name?: string;
  }[];
  stream?: Nullable<boolean>;
  stream_options?: Nullable<{ include_usage?: Nullable<boolean> }>;
  max_tokens?: Nullable<number>;
  max_completion_tokens?: Nullable<number>;
  temperature?: Nullable<number>;
  top_p?: Nullable<number>;
  seed?: Nullable<number>;
  stop?: Nullable<string | string[]>;
  n?: Nullable<number>;
}

export interface ImageBody {
  model?: Nullable<string>;
  prompt: string;
  n?: Nullable<number>;
  size?: Nullable<string>;
  response_format?: Nullable<"b64_json" | "url">;
  negative_prompt?: Nullable<string>;
  steps?: Nullable<number>;
  cfg_scale?: Nullable<number>;
  sampler_name?: Nullable<string>;
  seed?: Nullable<number>;
}

export interface A1111Body {
  prompt?: Nullable<string>;
  negative_prompt?: Nullable<string>;
  width?: Nullable<number>;
  height?: Nullable<number>;
  steps?: Nullable<number>;
  cfg_scale?: Nullable<number>;
  sampler_name?: Nullable<string>;
  sampler_index?: Nullable<string>;
  seed?: Nullable<number>;
  batch_size?: Nullable<number>;
  n_iter?: Nullable<number>;
  enable_hr?: Nullable<boolean>;
  model?: Nullable<string>;
  override_settings?: Nullable<{ sd_model_checkpoint?: Nullable<string> }>;
}

export interface NativeChatInput {
  messages: { role: "system" | "user" | "assistant" | "tool"; content: string; name?: string }[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number | null;
  stop?: string[];
}

export interface NativeImageInput {
  prompt: string;
  negative_prompt?: string;
  width?: number;
  height?: number;
  steps?: number;
  cfg_scale?: number;
  sampler_name?: string;
  seed?: number;
}

export interface NativeTaskBody {
  type: "chat" | "image";
  model: string;
  stream?: boolean;
  input: NativeChatInput | NativeImageInput;
}
