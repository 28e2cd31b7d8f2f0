// JSON Schemas of the miner API's bodies: Fastify validates each request against them before the
// handler runs, and a failure names the field (see errors.ts).

const TASK_ID = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } as const;
const BYTES32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } as const;
const ADDRESS = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" } as const;
const UINT = {
  anyOf: [
    { type: "integer", minimum: 0 },
    { type: "string", pattern: "^(0|[1-9][0-9]{0,77}|0x[0-9a-fA-F]{1,64})$" },
  ],
} as const;
const TASK_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: TASK_ID },
} as const;

const CHAT_OUTPUT = {
  type: "object",
  additionalProperties: false,
  required: ["type", "content", "finish_reason", "usage"],
  properties: {
    type: { const: "chat" },
    content: { type: "string", maxLength: 1_000_000 },
    finish_reason: { enum: ["stop", "length"] },
    usage: {
      type: "object",
      additionalProperties: false,
      required: ["prompt_tokens", "completion_tokens"],
      properties: {
        prompt_tokens: { type: "integer", minimum: 0 },
        completion_tokens: { type: "integer", minimum: 0 },
      },
    },
  },
} as const;

const IMAGE_OUTPUT = {
  type: "object",
  additionalProperties: false,
  required: ["type", "b64", "mime", "seed"],
  properties: {
    type: { const: "image" },
    b64: { type: "string", minLength: 4 },
    // Any image type passes the schema, so that results.ts can refuse all but PNG with a clear reason
    // (a mismatch here would be reported against the chat branch of the output's union).
    mime: { enum: ["image/png", "image/jpeg", "image/webp"] },
    seed: { type: "integer" },
  },
} as const;

export const MINER_SCHEMAS = {
  login: {
    body: {
      type: "object",
      required: ["login", "signature"],
      properties: {
        login: {
          type: "object",
          required: ["coordinator", "operator", "nonce", "expiresAt"],
          properties: { coordinator: ADDRESS, operator: ADDRESS, nonce: UINT, expiresAt: UINT },
        },
        signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" },
      },
    },
  },
  poll: {
    body: {
      type: "object",
      additionalProperties: false,
      required: ["slots", "models"],
      properties: {
        slots: { type: "integer", minimum: 0, maximum: 64 },
        models: { type: "array", maxItems: 64, items: { type: "string", minLength: 1, maxLength: 200 } },
        hardware: { type: "object", maxProperties: 32 },
        waitMs: { type: "integer", minimum: 0, maximum: 120_000 },
      },
    },
  },
  progress: {
    params: TASK_PARAMS,
    body: {
      type: "object",
      additionalProperties: false,
      properties: {
        delta: { type: "string", maxLength: 1_000_000 },
        fraction: { type: "number", minimum: 0, maximum: 1 },
      },
    },
  },
  result: {
    params: TASK_PARAMS,
    body: {
      type: "object",
      additionalProperties: false,
      required: ["result", "signature", "output"],
      properties: {
        result: {
          type: "object",
          additionalProperties: false,
          required: ["coordinator", "taskId", "inputHash", "resultHash", "modelId", "completedAt"],
          properties: {
            coordinator: ADDRESS,
            taskId: BYTES32,
            inputHash: BYTES32,
            resultHash: BYTES32,
            modelId: { type: "string", minLength: 1, maxLength: 200 },
            completedAt: UINT,
          },
        },
        signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" },
        output: { oneOf: [CHAT_OUTPUT, IMAGE_OUTPUT] },
      },
    },
  },
  fail: {
    params: TASK_PARAMS,
    body: {
      type: "object",
      additionalProperties: false,
      required: ["reason"],
      properties: { reason: { type: "string", minLength: 1, maxLength: 1000 } },
    },
  },
} as const;
