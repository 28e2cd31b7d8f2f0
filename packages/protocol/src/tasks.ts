import { type Hex, stringToBytes } from "viem";
import { canonicalJson } from "./canonical.js";
import { keccak256Hex } from "./keccak.js";

// The task wire format between coordinators and miners (design section 5). A task's `input` is what the
// miner runs and what its TaskResult commits to through `inputHash`; its `output` is what the miner
// returns, committed to through `resultHash` (see `outputBytes`).

/** An OpenAI chat message (text content only). */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  name?: string;
}

/** A chat completion, with the sampling settings that make it reproducible when pinned. */
export interface ChatTaskInput {
  type: "chat";
  model: string;
  messages: ChatMessage[];
  max_tokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  top_p: number;
  seed: number | null;
  stop: string[];
}

/** A text-to-image generation, in AUTOMATIC1111 txt2img terms. */
export interface ImageTaskInput {
  type: "image";
  model: string;
  prompt: string;
  negative_prompt: string;
  width: number;
  height: number;
  steps: number;
  cfg_scale: number;
  sampler_name: string;
  /** -1 lets the miner choose; the chosen seed comes back in the output. */
  seed: number;
}

export type TaskInput = ChatTaskInput | ImageTaskInput;
export type TaskType = TaskInput["type"];

export interface ChatTaskOutput {
  type: "chat";
  content: string;
  finish_reason: "stop" | "length";
  usage: { prompt_tokens: number; completion_tokens: number };
}

export interface ImageTaskOutput {
  type: "image";
  /** The image file, base64 (PNG unless `mime` says otherwise). */
  b64: string;
  mime: string;
  /** The seed actually used. */
  seed: number;
}

export type TaskOutput = ChatTaskOutput | ImageTaskOutput;

/** A task as a miner receives it from a poll. */
export interface LeasedTask {
  id: Hex;
  input: TaskInput;
  inputHash: Hex;
  /** Stream chat tokens through progress calls. */
  stream: boolean;
  /** Unix milliseconds; extend it with a progress call. */
  leaseExpiresAt: number;
}

/** A streamed piece of a chat answer, or how far an image has come. */
export interface TaskProgress {
  /** Text appended to the answer, in order. */
  delta?: string;
  /** 0 to 1. */
  fraction?: number;
}

/**
 * The bytes a TaskResult's resultHash commits to: the image file itself for images, and the canonical
 * (RFC 8785) JSON of the output for chat, so the same answer always hashes the same.
 */
export function outputBytes(output: TaskOutput): Uint8Array {
  if (output.type === "image") return decodeBase64(output.b64);
  return stringToBytes(canonicalJson(output));
}

/** Standard base64 to bytes; Node's Buffer when there is one (much faster on megabyte images). */
export function decodeBase64(b64: string): Uint8Array {
  const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
  if (NodeBuffer !== undefined) return Uint8Array.from(NodeBuffer.from(b64, "base64"));
  return Uint8Array.from(atob(b64), (char) => char.charCodeAt(0));
}

/** keccak256 of {@link outputBytes}. */
export function outputHash(output: TaskOutput): Hex {
  return keccak256Hex(outputBytes(output));
}
