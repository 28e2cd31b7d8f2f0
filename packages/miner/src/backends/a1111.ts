// A backend for the AUTOMATIC1111 / Forge web API (started with --api): checkpoints from
// /sdapi/v1/sd-models, images from /sdapi/v1/txt2img with the task's model as a per-request
// sd_model_checkpoint override, progress from polling /sdapi/v1/progress. A1111 progress is global to
// the server, so with capacity above 1 the fractions reported are the server's, not one task's.
//
// img2img (/sdapi/v1/img2img with init_images) is left out on purpose: ImageTaskInput has no init
// image yet; add it here when the protocol grows one.
import type { ImageTaskInput, TaskInput, TaskOutput } from "@roost/protocol";
import { type Backend, BackendTaskError, BackendUnavailableError, type RunContext } from "./backend.js";

const KIND = "a1111";

export interface A1111BackendOptions {
  /** The web UI's base URL, e.g. http://127.0.0.1:7860. */
  url: string;
  /** Checkpoints served, as tasks name them: an A1111 title ("name.safetensors [hash]") or model_name. */
  models: readonly string[];
  /** Tasks run at once (default 1: A1111 renders one job at a time anyway). */
  capacity?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** Milliseconds between progress polls (default 250). */
  progressIntervalMs?: number;
}

/** One entry of GET /sdapi/v1/sd-models. */
interface SdModel {
  title: string;
  model_name: string;
  hash?: string | null;
  sha256?: string | null;
  filename?: string;
}

/**
 * A backend of kind "a1111" talking to an AUTOMATIC1111 or Forge server.
 * @param options the server's URL and the checkpoints to serve
 * @returns a Backend; call check() before leasing tasks for it
 */
export function createA1111Backend(options: A1111BackendOptions): Backend {
  const base = options.url.replace(/\/+$/, "");
  const fetchFn = options.fetch ?? globalThis.fetch;
  const intervalMs = options.progressIntervalMs ?? 250;

  async function check(): Promise<void> {
    let response: Response;
    try {
      // A server that accepts connections but never answers must not hang the miner's start.
      response = await fetchFn(`${base}/sdapi/v1/sd-models`, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new BackendUnavailableError(KIND, unreachable(base, error), { cause: error });
    }
    if (!response.ok) {
      const detail = errorDetail(await response.text());
      throw new BackendUnavailableError(
        KIND,
        `GET ${base}/sdapi/v1/sd-models: HTTP ${response.status}${detail}`,
      );
    }
    const available = await response.json().catch(() => undefined);
    if (!Array.isArray(available)) {
      throw new BackendUnavailableError(KIND, `${base}/sdapi/v1/sd-models is not the AUTOMATIC1111 API`);
    }
    const missing = options.models.filter(
      (model) => !available.some((entry: SdModel) => matches(entry, model)),
    );
    if (missing.length > 0) {
      const titles = available.map((entry: SdModel) => entry.title).join(", ") || "none";
      throw new BackendUnavailableError(
        KIND,
        `model ${missing.join(", ")} not found at ${base} (available: ${titles}); put the checkpoint in models/Stable-diffusion and refresh`,
      );
    }
  }

  async function run(input: TaskInput, context: RunContext): Promise<TaskOutput> {
    if (input.type !== "image") throw new BackendTaskError(KIND, `cannot run ${input.type} tasks`);
    if (!options.models.includes(input.model)) {
      throw new BackendTaskError(KIND, `model ${input.model} is not served here`);
    }
    context.signal.throwIfAborted();
    const stopPolling = context.onProgress ? pollProgress(context.onProgress) : () => {};
    try {
      const result = await post("/sdapi/v1/txt2img", txt2imgBody(input), context.signal);
      return imageOutput(result);
    } catch (error) {
      if (context.signal.aborted) {
        // The HTTP request going away does not stop A1111's sampler; interrupting does.
        void fetchFn(`${base}/sdapi/v1/interrupt`, { method: "POST" }).catch(() => {});
        throw context.signal.reason;
      }
      throw error;
    } finally {
      stopPolling();
    }
  }

  /** POSTs JSON, mapping network and HTTP failures to BackendTaskError. */
  async function post(path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    let response: Response;
    try {
      response = await fetchFn(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new BackendTaskError(KIND, unreachable(base, error), { cause: error });
    }
    const text = await response.text();
    if (!response.ok)
      throw new BackendTaskError(KIND, `${path}: HTTP ${response.status}${errorDetail(text)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new BackendTaskError(KIND, `${path}: the response is not JSON`, { cause: error });
    }
  }

  /** Polls /sdapi/v1/progress until the returned stop is called; never overlaps two polls. */
  function pollProgress(onProgress: (fraction: number) => void): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let best = 0; // A1111 drops back to 0 between jobs; the task's progress only goes up
    const poll = async (): Promise<void> => {
      try {
        const response = await fetchFn(`${base}/sdapi/v1/progress?skip_current_image=true`);
        const body = (await response.json()) as { progress?: unknown };
        const fraction = typeof body.progress === "number" ? Math.min(1, body.progress) : 0;
        if (!stopped && fraction > best) {
          best = fraction;
          onProgress(fraction);
        }
      } catch {
        // Progress is a nicety: a failed poll must not fail the task.
      }
      if (!stopped) timer = setTimeout(poll, intervalMs);
    };
    timer = setTimeout(poll, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  return {
    kind: KIND,
    type: "image",
    models: [...options.models],
    capacity: options.capacity ?? 1,
    check,
    run,
    close: async () => {},
  };
}

/** The documented txt2img request for one image of the task, on the task's checkpoint. */
export function txt2imgBody(input: ImageTaskInput): Record<string, unknown> {
  return {
    prompt: input.prompt,
    negative_prompt: input.negative_prompt,
    width: input.width,
    height: input.height,
    steps: input.steps,
    cfg_scale: input.cfg_scale,
    sampler_name: input.sampler_name,
    seed: input.seed,
    batch_size: 1,
    n_iter: 1,
    override_settings: { sd_model_checkpoint: input.model },
  };
}

/** Base64 of the PNG signature's first 6 bytes (89 50 4E 47 0D 0A): every PNG file starts so. */
const PNG_BASE64 = "iVBORw0K";

/** The task output from a txt2img response: its first image, and the seed `info` says was used. */
function imageOutput(result: unknown): TaskOutput {
  const { images, info } = (result ?? {}) as { images?: unknown; info?: unknown };
  const b64 = Array.isArray(images) ? images[0] : undefined;
  if (typeof b64 !== "string" || b64 === "") throw new BackendTaskError(KIND, "txt2img returned no image");
  let seed: unknown;
  try {
    seed = (JSON.parse(String(info)) as { seed?: unknown }).seed;
  } catch (error) {
    throw new BackendTaskError(KIND, "txt2img info is not JSON", { cause: error });
  }
  if (typeof seed !== "number") throw new BackendTaskError(KIND, "txt2img info has no seed");
  // Coordinators take PNG only (spot checks compare pictures): a server saving JPEG or WebP is told so.
  if (!b64.startsWith(PNG_BASE64)) {
    throw new BackendTaskError(
      KIND,
      "txt2img returned an image that is not a PNG: set the server's image format to PNG",
    );
  }
  return { type: "image", b64, mime: "image/png", seed };
}

function matches(entry: SdModel, model: string): boolean {
  return entry.title === model || entry.model_name === model || (entry.hash != null && entry.hash === model);
}

function unreachable(base: string, error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
  return `cannot reach AUTOMATIC1111 at ${base}: ${cause || String(error)} — start it with --api`;
}

/**
 * ": <what A1111 said>" from an error body: its JSON {error, detail, body, errors}, FastAPI's
 * validation {detail: [{loc, msg}]}, or the text itself (cut short); "" when there is nothing.
 */
export function errorDetail(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const trimmed = text.trim().slice(0, 300);
    return trimmed === "" ? "" : `: ${trimmed}`;
  }
  const { error, detail, errors } = (parsed ?? {}) as Record<string, unknown>;
  const parts = [error, detail, errors].flatMap((part) => {
    if (typeof part === "string") return part === "" ? [] : [part];
    if (Array.isArray(part)) return part.map(validationMessage);
    return part === undefined || part === null ? [] : [JSON.stringify(part)];
  });
  return parts.length === 0 ? "" : `: ${parts.join(": ")}`;
}

function validationMessage(item: unknown): string {
  const { loc, msg } = (item ?? {}) as { loc?: unknown; msg?: unknown };
  if (typeof msg !== "string") return JSON.stringify(item);
  return Array.isArray(loc) ? `${loc.join(".")}: ${msg}` : msg;
}
