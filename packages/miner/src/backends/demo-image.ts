// A stand-in image backend: no model, no GPU, a procedural "plasma" picture drawn from a hash of the
// prompt and the seed. It lets a miner (and the tests) run the whole image path, and because the
// picture is a pure function of the input, verification that re-runs a task elsewhere gets the same
// bytes. Integer-only arithmetic on purpose: Math.sin and friends are not bit-exact across engines.
import type { ImageTaskInput, TaskInput, TaskOutput } from "@roost/protocol";
import { type Backend, BackendTaskError, type RunContext } from "./backend.js";
import { encodePng } from "./png.js";

/** The one model the demo backend serves; the name says it is a demo, not a diffusion model. */
export const DEMO_IMAGE_MODEL = "roost-demo/procedural-image";

/** Largest side the demo renders, so a hostile task cannot ask for gigabytes. */
export const DEMO_IMAGE_MAX_SIDE = 4096;

const KIND = "demo-image";

export interface DemoImageBackendOptions {
  /** Tasks run at once (default 1). */
  capacity?: number;
}

/**
 * A backend of kind "demo-image" serving {@link DEMO_IMAGE_MODEL}.
 * @param options capacity (default 1)
 * @returns a Backend whose check() always passes
 */
export function createDemoImageBackend(options: DemoImageBackendOptions = {}): Backend {
  return {
    kind: KIND,
    type: "image",
    models: [DEMO_IMAGE_MODEL],
    capacity: options.capacity ?? 1,
    check: async () => {},
    run: async (input: TaskInput, context: RunContext): Promise<TaskOutput> => {
      const image = checkedInput(input);
      context.signal.throwIfAborted();
      const { png, seed } = renderDemoImage(image, (done, total) => {
        // Lets a node that aborts from its progress handler stop the render between steps.
        context.signal.throwIfAborted();
        context.onProgress?.(done / total);
      });
      return { type: "image", b64: Buffer.from(png).toString("base64"), mime: "image/png", seed };
    },
    close: async () => {},
  };
}

function checkedInput(input: TaskInput): ImageTaskInput {
  if (input.type !== "image") throw new BackendTaskError(KIND, `cannot run ${input.type} tasks`);
  if (input.model !== DEMO_IMAGE_MODEL) {
    throw new BackendTaskError(KIND, `model ${input.model} is not served (only ${DEMO_IMAGE_MODEL})`);
  }
  for (const [name, side] of [
    ["width", input.width],
    ["height", input.height],
  ] as const) {
    if (!Number.isInteger(side) || side < 1 || side > DEMO_IMAGE_MAX_SIDE) {
      throw new BackendTaskError(KIND, `${name} must be an integer from 1 to ${DEMO_IMAGE_MAX_SIDE}`);
    }
  }
  if (!Number.isInteger(input.steps) || input.steps < 1) {
    throw new BackendTaskError(KIND, "steps must be a positive integer");
  }
  return input;
}

/**
 * The seed a task runs with: its own, or for -1 one derived from the prompt (never random, so a
 * re-run elsewhere chooses the same).
 */
export function demoImageSeed(input: Pick<ImageTaskInput, "seed" | "prompt">): number {
  return input.seed >= 0 ? input.seed : fnv1a(input.prompt) >>> 1;
}

/**
 * Renders the demo picture as a PNG file: a pure function of prompt, negative prompt, seed, width and
 * height. The rows are drawn in `steps` bands, calling `onStep` after each like a sampler would.
 * @param onStep called with (steps done, steps) after every band; may throw to stop the render
 * @returns the PNG bytes and the seed used
 */
export function renderDemoImage(
  input: Pick<ImageTaskInput, "prompt" | "negative_prompt" | "seed" | "width" | "height" | "steps">,
  onStep?: (done: number, total: number) => void,
): { png: Uint8Array; seed: number } {
  const { width, height } = input;
  const seed = demoImageSeed(input);
  const next = mulberry32(fnv1a(`${input.prompt}\u0000${input.negative_prompt}`) ^ seed);
  // The picture is a sum of four waves (along x, along y and the two diagonals) looked up in a palette
  // of cosine-like colour ramps, so each pixel costs four table reads instead of trigonometry.
  const columns = waveTable(width, width, next);
  const rows = waveTable(height, height, next);
  const diagonal = waveTable(width + height, width + height, next);
  const antiDiagonal = waveTable(width + height, width + height, next);
  const palette = paletteTable(next);
  const rgb = new Uint8Array(width * height * 3);
  const total = Math.max(1, input.steps);
  let y = 0;
  for (let step = 1; step <= total; step++) {
    const end = Math.floor((height * step) / total);
    for (; y < end; y++) {
      const row = rows[y] as number;
      let at = y * width * 3;
      for (let x = 0; x < width; x++) {
        const sum =
          (columns[x] as number) +
          row +
          (diagonal[x + y] as number) +
          (antiDiagonal[x - y + height] as number);
        const colour = ((sum + 1024) >> 3) * 3; // sum is in [-1024, 1024]: palette entries 0 to 256
        rgb[at++] = palette[colour] as number;
        rgb[at++] = palette[colour + 1] as number;
        rgb[at++] = palette[colour + 2] as number;
      }
    }
    onStep?.(step, total);
  }
  return { png: encodePng(width, height, rgb), seed };
}

/** `length` samples of a wave making 1 to 4 cycles over `span` pixels, at a random phase. */
function waveTable(length: number, span: number, next: () => number): Int16Array {
  const cycles = 1 + (next() % 4);
  const phase = next() % 1024;
  const table = new Int16Array(length + 1);
  for (let i = 0; i <= length; i++) table[i] = wave(Math.floor((i * cycles * 1024) / span) + phase);
  return table;
}

/** 257 RGB colours, each channel a wave of its own frequency and phase around mid-grey. */
function paletteTable(next: () => number): Uint8Array {
  const palette = new Uint8Array(257 * 3);
  for (let channel = 0; channel < 3; channel++) {
    const frequency = 2 + (next() % 6);
    const phase = next() % 1024;
    for (let i = 0; i <= 256; i++) {
      palette[i * 3 + channel] = Math.min(255, 128 + (wave(i * frequency + phase) >> 1));
    }
  }
  return palette;
}

/** A sine-like integer wave with period 1024 and range [-256, 256]: two parabolic arches. */
function wave(phase: number): number {
  const t = phase & 511;
  const arch = (t * (512 - t)) >> 8;
  return phase & 512 ? -arch : arch;
}

/** FNV-1a over the UTF-8 bytes of `text`, unsigned 32-bit. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** A small seeded PRNG with unsigned 32-bit outputs. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
