// The AUTOMATIC1111 backend against a fake A1111 web API on 127.0.0.1 (test/fixtures/a1111-server.ts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ImageTaskInput } from "@roost/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createA1111Backend, errorDetail } from "../src/backends/a1111.js";
import { BackendTaskError, BackendUnavailableError } from "../src/backends/backend.js";
import { renderDemoImage } from "../src/backends/demo-image.js";
import { a1111Error, type FakeA1111, startFakeA1111 } from "./fixtures/a1111-server.js";

const TITLE = "v1-5-pruned-emaonly.safetensors [6ce0161689]";
const SDXL = "sd_xl_base_1.0.safetensors [31e35c80fc]";

function imageInput(overrides: Partial<ImageTaskInput> = {}): ImageTaskInput {
  return {
    type: "image",
    model: TITLE,
    prompt: "a lighthouse at dusk",
    negative_prompt: "blurry",
    width: 64,
    height: 48,
    steps: 12,
    cfg_scale: 6.5,
    sampler_name: "DPM++ 2M Karras",
    seed: 42,
    ...overrides,
  };
}

/** A URL nothing listens on: a port just freed. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

let fake: FakeA1111;
beforeEach(async () => {
  fake = await startFakeA1111({ models: [TITLE, SDXL] });
});
afterEach(async () => {
  await fake.close();
});

const backendFor = (models: string[] = [TITLE], progressIntervalMs = 250) =>
  createA1111Backend({ url: `${fake.url}/`, models, progressIntervalMs });
const signal = () => new AbortController().signal;

describe("a1111 backend check", () => {
  it("passes when every model is listed, by title or model_name", async () => {
    const backend = createA1111Backend({ url: fake.url, models: [TITLE, "sd_xl_base_1.0"], capacity: 2 });
    expect([backend.kind, backend.type, backend.models, backend.capacity]).toEqual([
      "a1111",
      "image",
      [TITLE, "sd_xl_base_1.0"],
      2,
    ]);
    await expect(backend.check()).resolves.toBeUndefined();
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "GET /sdapi/v1/sd-models",
    ]);
  });

  it("says which model is missing and lists what is available", async () => {
    const check = backendFor([TITLE, "dreamshaper_8"]).check();
    await expect(check).rejects.toThrow(BackendUnavailableError);
    await expect(backendFor(["dreamshaper_8"]).check()).rejects.toThrow(
      `a1111 backend: model dreamshaper_8 not found at ${fake.url} (available: ${TITLE}, ${SDXL})`,
    );
  });

  it("says how to start A1111 when nothing answers", async () => {
    const url = await deadUrl();
    const check = createA1111Backend({ url, models: [TITLE] }).check();
    await expect(check).rejects.toThrow(BackendUnavailableError);
    await expect(createA1111Backend({ url, models: [TITLE] }).check()).rejects.toThrow(
      new RegExp(`cannot reach AUTOMATIC1111 at ${url}: .*ECONNREFUSED.* — start it with --api`),
    );
  });

  it("is unavailable when the server answers sd-models with an error", async () => {
    const fetch404 = vi.fn(
      async () => new Response(JSON.stringify({ detail: "Not Found" }), { status: 404 }),
    );
    const backend = createA1111Backend({ url: fake.url, models: [TITLE], fetch: fetch404 });
    await expect(backend.check()).rejects.toThrow(/sd-models: HTTP 404: Not Found/);
    expect(fetch404).toHaveBeenCalledWith(`${fake.url}/sdapi/v1/sd-models`, {
      signal: expect.any(AbortSignal),
    });
    const html = async () => new Response("<html>Gradio</html>", { status: 200 });
    await expect(createA1111Backend({ url: fake.url, models: [TITLE], fetch: html }).check()).rejects.toThrow(
      "is not the AUTOMATIC1111 API",
    );
  });
});

describe("a1111 backend run", () => {
  it("posts the documented txt2img body and returns the image and the seed from info", async () => {
    const output = await backendFor().run(imageInput(), { signal: signal() });
    const posts = fake.requests.filter((request) => request.method === "POST");
    expect(posts).toEqual([
      {
        method: "POST",
        path: "/sdapi/v1/txt2img",
        body: {
          prompt: "a lighthouse at dusk",
          negative_prompt: "blurry",
          width: 64,
          height: 48,
          steps: 12,
          cfg_scale: 6.5,
          sampler_name: "DPM++ 2M Karras",
          seed: 42,
          batch_size: 1,
          n_iter: 1,
          override_settings: { sd_model_checkpoint: TITLE },
        },
      },
    ]);
    const expected = renderDemoImage(imageInput()).png;
    expect(output).toEqual({
      type: "image",
      b64: Buffer.from(expected).toString("base64"),
      mime: "image/png",
      seed: 42,
    });
    const png = Buffer.from(output.type === "image" ? output.b64 : "", "base64");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([64, 48]); // IHDR width and height
  });

  it("passes seed -1 through and reports the seed A1111 chose", async () => {
    fake.options.randomSeed = 987_654_321;
    const output = await backendFor().run(imageInput({ seed: -1 }), { signal: signal() });
    expect(fake.requests.at(-1)?.body).toMatchObject({ seed: -1 });
    expect(output).toMatchObject({ seed: 987_654_321 });
  });

  it("polls progress while sampling and reports rising fractions", async () => {
    fake.options.stepMs = 15;
    const fractions: number[] = [];
    await backendFor([TITLE], 20).run(imageInput({ steps: 10 }), {
      signal: signal(),
      onProgress: (fraction) => fractions.push(fraction),
    });
    const polls = fake.requests.filter((request) => request.path.startsWith("/sdapi/v1/progress"));
    expect(polls.length).toBeGreaterThan(2);
    expect(polls[0]?.path).toBe("/sdapi/v1/progress?skip_current_image=true");
    expect(fractions.length).toBeGreaterThan(1);
    expect(
      fractions.every((fraction, i) => fraction > 0 && fraction <= 1 && fraction > (fractions[i - 1] ?? 0)),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30)); // let a poll already in flight land
    const count = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake.requests.length).toBe(count); // polling stopped with the task
  });

  it("turns A1111's error JSON into a BackendTaskError with the status and detail", async () => {
    fake.options.fail = { status: 500, body: a1111Error("CUDA out of memory. Tried to allocate 2.00 GiB") };
    const run = backendFor().run(imageInput(), { signal: signal() });
    await expect(run).rejects.toThrow(BackendTaskError);
    await expect(backendFor().run(imageInput(), { signal: signal() })).rejects.toThrow(
      "a1111 backend: /sdapi/v1/txt2img: HTTP 500: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
    );
  });

  it("fails the task, saying what to change, when the server saves JPEG instead of PNG", async () => {
    fake.options.format = "jpg";
    await expect(backendFor().run(imageInput(), { signal: signal() })).rejects.toThrow(
      "a1111 backend: txt2img returned an image that is not a PNG: set the server's image format to PNG",
    );
  });

  it("reads FastAPI validation errors and plain-text bodies", () => {
    const validation = {
      detail: [{ loc: ["body", "width"], msg: "value is not a valid integer", type: "x" }],
    };
    expect(errorDetail(JSON.stringify(validation))).toBe(": body.width: value is not a valid integer");
    expect(errorDetail("Internal Server Error")).toBe(": Internal Server Error");
    expect(errorDetail("")).toBe("");
  });

  it("fails the task when A1111 goes away", async () => {
    const backend = backendFor();
    await fake.close();
    await expect(backend.run(imageInput(), { signal: signal() })).rejects.toThrow(
      /a1111 backend: cannot reach AUTOMATIC1111 at .*start it with --api/,
    );
    fake = await startFakeA1111(); // for afterEach
  });

  it("stops on abort and interrupts A1111's sampler", async () => {
    fake.options.stepMs = 20;
    const controller = new AbortController();
    const run = backendFor([TITLE], 10).run(imageInput({ steps: 50 }), {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error("lease lost")),
    });
    await expect(run).rejects.toThrow("lease lost");
    await vi.waitFor(() => expect(fake.interrupts()).toBe(1));
    const before = new AbortController();
    before.abort(new Error("already gone"));
    await expect(backendFor().run(imageInput(), { signal: before.signal })).rejects.toThrow("already gone");
  });

  it("rejects a model it does not serve without calling A1111", async () => {
    await expect(backendFor().run(imageInput({ model: SDXL }), { signal: signal() })).rejects.toThrow(
      `a1111 backend: model ${SDXL} is not served here`,
    );
    expect(fake.requests).toEqual([]);
  });
});
