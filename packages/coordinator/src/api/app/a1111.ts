import type { ImageTaskInput, ImageTaskOutput } from "@roost/protocol";
import type { FastifyInstance } from "fastify";
import type { Task } from "../../store/task-record.js";
import { a1111Model, txt2imgInput } from "./normalize.js";
import { type A1111Body, APP_SCHEMAS } from "./schemas.js";
import {
  type AppContext,
  awaitResult,
  defaultImageModel,
  outputOf,
  requireModel,
  taskHeaders,
} from "./submit.js";

/** AUTOMATIC1111's txt2img API, so existing A1111 clients work against a coordinator. */
export function a1111Routes(app: FastifyInstance, ctx: AppContext): void {
  const { services } = ctx;

  app.post("/sdapi/v1/txt2img", { schema: APP_SCHEMAS.txt2img }, async (request, reply) => {
    const body = request.body as A1111Body;
    const named = a1111Model(body);
    const input = txt2imgInput(body, named?.model ?? "");
    if (named === undefined) input.model = defaultImageModel(services, "model");
    else requireModel(services, named.model, named.param);
    const task = await awaitResult(ctx, request, reply, { kind: "txt2img", input, stream: false });
    if (task === undefined) return reply.hijack();
    const output = outputOf(task, "image");
    return reply.headers(taskHeaders(task)).send(txt2imgResponse(body, input, output, task));
  });
}

/**
 * A1111's answer: the images, the request's parameters with defaults filled in (the seed as asked,
 * -1 for random), and `info`, a JSON *string* with the seed actually used and the infotext.
 */
export function txt2imgResponse(body: A1111Body, input: ImageTaskInput, output: ImageTaskOutput, task: Task) {
  const { prompt, negative_prompt, width, height, steps, cfg_scale, sampler_name } = input;
  const parameters = {
    ...body,
    prompt,
    negative_prompt,
    width,
    height,
    steps,
    cfg_scale,
    sampler_name,
    seed: input.seed,
    batch_size: 1,
    n_iter: 1,
  };
  const seed = output.seed;
  const infotext = [
    prompt,
    ...(negative_prompt === "" ? [] : [`Negative prompt: ${negative_prompt}`]),
    `Steps: ${steps}, Sampler: ${sampler_name}, CFG scale: ${cfg_scale}, Seed: ${seed}, Size: ${width}x${height}, Model: ${input.model}`,
  ].join("\n");
  const info = {
    prompt,
    all_prompts: [prompt],
    negative_prompt,
    all_negative_prompts: [negative_prompt],
    seed,
    all_seeds: [seed],
    subseed: -1,
    all_subseeds: [-1],
    subseed_strength: 0,
    width,
    height,
    sampler_name,
    cfg_scale,
    steps,
    batch_size: 1,
    restore_faces: false,
    face_restoration_model: null,
    sd_model_name: input.model,
    sd_model_hash: null,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: -1,
    seed_resize_from_h: -1,
    denoising_strength: null,
    extra_generation_params: {},
    index_of_first_image: 0,
    infotexts: [infotext],
    styles: [],
    job_timestamp: jobTimestamp(task.createdAt),
    clip_skip: 1,
    is_using_inpainting_conditioning: false,
    version: "roost",
  };
  return { images: [output.b64], parameters, info: JSON.stringify(info) };
}

/** A1111's job timestamp, YYYYMMDDhhmmss (UTC here). */
function jobTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
