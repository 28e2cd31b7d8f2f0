import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

// A tiny llama GGUF with seeded random weights: a stand-in that loads in node-llama-cpp in milliseconds,
// so the llama backend and the whole chat path can be exercised without downloading a real model.
// It writes gibberish, but the same gibberish for the same input, which is what tests need.

/** The model id the tiny model is served as: the name says it is a random stand-in. */
export const TINY_MODEL_ID = "roost-demo/tiny-random-llama";

const N_EMBD = 64;
const N_LAYER = 2;
const N_HEAD = 4;
const N_FF = 128;
const N_CTX = 512;
const ALIGNMENT = 32;
const SEED = 0x5eed;

// GGUF metadata value types and the f32 tensor type.
const UINT32 = 4;
const INT32 = 5;
const FLOAT32 = 6;
const BOOL = 7;
const STRING = 8;
const ARRAY = 9;
const GGML_F32 = 0;

type Value =
  | { type: typeof UINT32 | typeof INT32 | typeof FLOAT32; value: number }
  | { type: typeof BOOL; value: boolean }
  | { type: typeof STRING; value: string }
  | { type: typeof ARRAY; items: typeof STRING; value: string[] }
  | { type: typeof ARRAY; items: typeof INT32 | typeof FLOAT32; value: number[] };

/** Writes the tiny model to `path` unless a file is already there; returns `path`. */
export function ensureTinyModel(path: string): string {
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  // Written aside and renamed so a concurrent or crashed writer never leaves a half file at `path`.
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, tinyModelBytes());
  renameSync(temporary, path);
  return path;
}

/** The tiny model's GGUF v3 bytes; the same on every call. */
export function tinyModelBytes(): Uint8Array {
  // A SentencePiece vocab of printable ASCII characters, "▁" (its space) and a newline byte: every token
  // is valid text, so random output still streams as clean UTF-8; other characters read as <unk>.
  const tokens = ["<unk>", "<s>", "</s>", "\u2581", "<0x0A>"];
  for (let code = 0x21; code < 0x7f; code++) tokens.push(String.fromCharCode(code));
  const types = tokens.map((_, id) => [2, 3, 3, 1, 6][id] ?? 1); // unknown, control, control, normal, byte
  const nVocab = tokens.length;

  const metadata: [string, Value][] = [
    ["general.architecture", { type: STRING, value: "llama" }],
    ["general.name", { type: STRING, value: TINY_MODEL_ID }],
    ["general.alignment", { type: UINT32, value: ALIGNMENT }],
    ["llama.context_length", { type: UINT32, value: N_CTX }],
    ["llama.embedding_length", { type: UINT32, value: N_EMBD }],
    ["llama.block_count", { type: UINT32, value: N_LAYER }],
    ["llama.feed_forward_length", { type: UINT32, value: N_FF }],
    ["llama.attention.head_count", { type: UINT32, value: N_HEAD }],
    ["llama.attention.head_count_kv", { type: UINT32, value: N_HEAD }],
    ["llama.attention.layer_norm_rms_epsilon", { type: FLOAT32, value: 1e-5 }],
    ["llama.rope.dimension_count", { type: UINT32, value: N_EMBD / N_HEAD }],
    ["llama.vocab_size", { type: UINT32, value: nVocab }],
    ["tokenizer.ggml.model", { type: STRING, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: ARRAY, items: STRING, value: tokens }],
    ["tokenizer.ggml.scores", { type: ARRAY, items: FLOAT32, value: tokens.map(() => 0) }],
    ["tokenizer.ggml.token_type", { type: ARRAY, items: INT32, value: types }],
    ["tokenizer.ggml.unknown_token_id", { type: UINT32, value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: UINT32, value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: UINT32, value: 2 }],
    ["tokenizer.ggml.add_bos_token", { type: BOOL, value: true }],
    ["tokenizer.ggml.add_eos_token", { type: BOOL, value: false }],
    ["tokenizer.ggml.add_space_prefix", { type: BOOL, value: false }],
  ];

  const random = mulberry32(SEED);
  const tensors: [string, number[], Float32Array][] = [];
  // ggml dims are innermost first: a [n_embd, n_vocab] matrix is n_vocab rows of n_embd floats.
  const add = (name: string, dims: number[], scale: number | "ones") => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = scale === "ones" ? 1 : (random() * 2 - 1) * scale;
    tensors.push([name, dims, data]);
  };
  add("token_embd.weight", [N_EMBD, nVocab], 1);
  for (let layer = 0; layer < N_LAYER; layer++) {
    const blk = `blk.${layer}`;
    add(`${blk}.attn_norm.weight`, [N_EMBD], "ones");
    add(`${blk}.attn_q.weight`, [N_EMBD, N_EMBD], 0.2);
    add(`${blk}.attn_k.weight`, [N_EMBD, N_EMBD], 0.2);
    add(`${blk}.attn_v.weight`, [N_EMBD, N_EMBD], 0.2);
    add(`${blk}.attn_output.weight`, [N_EMBD, N_EMBD], 0.2);
    add(`${blk}.ffn_norm.weight`, [N_EMBD], "ones");
    add(`${blk}.ffn_gate.weight`, [N_EMBD, N_FF], 0.2);
    add(`${blk}.ffn_up.weight`, [N_EMBD, N_FF], 0.2);
    add(`${blk}.ffn_down.weight`, [N_FF, N_EMBD], 0.2);
  }
  add("output_norm.weight", [N_EMBD], "ones");
  add("output.weight", [N_EMBD, nVocab], 0.5);
  // Zero logits for <unk>, <s> and </s>: greedy decoding then never ends early, so max_tokens is reached.
  tensors.at(-1)?.[2].fill(0, 0, 3 * N_EMBD);

  const out = new ByteWriter();
  out.bytes(new TextEncoder().encode("GGUF"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    out.value(value);
  }
  let offset = 0;
  for (const [name, dims, data] of tensors) {
    out.string(name);
    out.u32(dims.length);
    for (const dim of dims) out.u64(dim);
    out.u32(GGML_F32);
    out.u64(offset);
    offset = align(offset + data.byteLength);
  }
  out.pad();
  for (const [, , data] of tensors) {
    out.bytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    out.pad();
  }
  return out.finish();
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

/** A small seeded PRNG (mulberry32), uniform in [0, 1): the weights must not depend on Math.random. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Little-endian GGUF serialisation into growing chunks. */
class ByteWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  bytes(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
  }

  private scalar(size: number, write: (view: DataView) => void): void {
    const view = new DataView(new ArrayBuffer(size));
    write(view);
    this.bytes(new Uint8Array(view.buffer));
  }

  u32(n: number): void {
    this.scalar(4, (v) => v.setUint32(0, n, true));
  }

  u64(n: number): void {
    this.scalar(8, (v) => v.setBigUint64(0, BigInt(n), true));
  }

  string(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.u64(bytes.length);
    this.bytes(bytes);
  }

  value(value: Value): void {
    this.u32(value.type);
    if (value.type === ARRAY) {
      this.u32(value.items);
      this.u64(value.value.length);
      for (const item of value.value) {
        if (typeof item === "string") this.string(item);
        else this.number(value.items as typeof INT32 | typeof FLOAT32, item);
      }
    } else if (value.type === STRING) this.string(value.value);
    else if (value.type === BOOL) this.bytes(Uint8Array.of(value.value ? 1 : 0));
    else this.number(value.type, value.value);
  }

  private number(type: typeof UINT32 | typeof INT32 | typeof FLOAT32, n: number): void {
    if (type === UINT32) this.u32(n);
    else if (type === INT32) this.scalar(4, (v) => v.setInt32(0, n, true));
    else this.scalar(4, (v) => v.setFloat32(0, n, true));
  }

  /** Zero bytes up to the next alignment boundary. */
  pad(): void {
    const padding = align(this.length) - this.length;
    if (padding > 0) this.bytes(new Uint8Array(padding));
  }

  finish(): Uint8Array {
    const result = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      result.set(chunk, at);
      at += chunk.length;
    }
    return result;
  }
}
