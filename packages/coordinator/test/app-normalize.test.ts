// Request bodies → TaskInput (app API normalization), and the per-key token bucket.
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../src/api/app/auth.js";
import {
  A1111_DEFAULTS,
  a1111Model,
  chatInput,
  DEFAULT_MAX_TOKENS,
  IMAGE_DEFAULTS,
  imageInput,
  nativeInput,
  parseSize,
  txt2imgInput,
} from "../src/api/app/normalize.js";
import type { ChatBody } from "../src/api/app/schemas.js";
import { ApiError } from "../src/api/errors.js";

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an ApiError");
}

const chat = (extra: Record<string, unknown> = {}): ChatBody =>
  ({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra }) as ChatBody;

describe("chat bodies", () => {
  it("fills every default into the input, so the hash pins what was asked", () => {
    expect(chatInput(chat())).toEqual({
      type: "chat",
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: DEFAULT_MAX_TOKENS,
      temperature: 1,
      top_p: 1,
      seed: null,
      stop: [],
    });
    const nulls = chatInput(chat({ temperature: null, seed: null, stop: null, max_tokens: null, n: null }));
    expect(nulls).toMatchObject({ temperature: 1, seed: null, stop: [], max_tokens: DEFAULT_MAX_TOKENS });
  });

  it("keeps the sampling settings, prefers max_completion_tokens and wraps a single stop string", () => {
    const input = chatInput(
      chat({ temperature: 0, top_p: 0.5, seed: 42, stop: "END", max_tokens: 10, max_completion_tokens: 20 }),
    );
    expect(input).toMatchObject({ temperature: 0, top_p: 0.5, seed: 42, stop: ["END"], max_tokens: 20 });
    expect(chatInput(chat({ stop: ["a", "b"] })).stop).toEqual(["a", "b"]);
  });

  it("joins text parts, maps the developer role to system and keeps names", () => {
    const input = chatInput(
      chat({
        messages: [
          { role: "developer", content: "be brief" },
          {
            role: "user",
            name: "ann",
            content: [
              { type: "text", text: "one" },
              { type: "text", text: "two" },
            ],
          },
          { role: "assistant", content: null },
        ],
      }),
    );
    expect(input.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "one\ntwo", name: "ann" },
      { role: "assistant", content: "" },
    ]);
  });

  it("refuses content it cannot pass on, naming the part", () => {
    const image = refusal(() =>
      chatInput(chat({ messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] })),
    );
    expect(image).toMatchObject({ statusCode: 400, param: "messages[0].content[0].type" });
    const noText = refusal(() =>
      chatInput(chat({ messages: [{ role: "user", content: [{ type: "text" }] }] })),
    );
    expect(noText.param).toBe("messages[0].content[0].text");
    const missing = refusal(() => chatInput(chat({ messages: [{ role: "user" }] })));
    expect(missing.param).toBe("messages[0].content");
  });

  it("refuses n > 1 and fields that would change the answer, ignoring harmless extras", () => {
    expect(refusal(() => chatInput(chat({ n: 2 })))).toMatchObject({ param: "n", code: "unsupported_value" });
    const cases: [Record<string, unknown>, string][] = [
      [{ tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
      [{ tool_choice: "required" }, "tool_choice"],
      [{ logprobs: true }, "logprobs"],
      [{ frequency_penalty: 0.5 }, "frequency_penalty"],
      [{ response_format: { type: "json_object" } }, "response_format.type"],
      [{ logit_bias: { "50256": -100 } }, "logit_bias"],
      [{ modalities: ["text", "audio"] }, "modalities"],
    ];
    for (const [extra, param] of cases) expect(refusal(() => chatInput(chat(extra))).param).toBe(param);
    const harmless = {
      n: 1,
      user: "u",
      store: false,
      metadata: {},
      tools: [],
      tool_choice: "none",
      logprobs: false,
      presence_penalty: 0,
      response_format: { type: "text" },
      service_tier: "auto",
      stream_options: { include_usage: true },
    };
    expect(chatInput(chat(harmless))).toEqual(chatInput(chat()));
  });
});

describe("image bodies", () => {
  it("parses sizes and refuses the ones miners cannot render, naming size", () => {
    expect(parseSize("512x768")).toEqual([512, 768]);
    expect(parseSize(undefined)).toEqual([IMAGE_DEFAULTS.width, IMAGE_DEFAULTS.height]);
    expect(parseSize("auto")).toEqual([1024, 1024]);
    for (const size of ["100x100", "4096x4096", "513x512", "512", "512x512x1", "ax b"]) {
      expect(refusal(() => parseSize(size)).param).toBe("size");
    }
  });

  it("fills the OpenAI images defaults and refuses n > 1 and url responses", () => {
    expect(imageInput({ prompt: "a cat", size: "256x256", seed: 3 }, "img")).toEqual({
      type: "image",
      model: "img",
      prompt: "a cat",
      negative_prompt: "",
      width: 256,
      height: 256,
      steps: IMAGE_DEFAULTS.steps,
      cfg_scale: IMAGE_DEFAULTS.cfg_scale,
      sampler_name: IMAGE_DEFAULTS.sampler_name,
      seed: 3,
    });
    expect(refusal(() => imageInput({ prompt: "x", n: 2 }, "img")).param).toBe("n");
    expect(refusal(() => imageInput({ prompt: "x", response_format: "url" }, "img")).param).toBe(
      "response_format",
    );
  });

  it("takes A1111 txt2img bodies with A1111's defaults, sampler_index as an alias", () => {
    expect(txt2imgInput({ prompt: "p" }, "sd")).toEqual({
      type: "image",
      model: "sd",
      prompt: "p",
      negative_prompt: "",
      ...A1111_DEFAULTS,
    });
    expect(txt2imgInput({ sampler_index: "DDIM", steps: 5, seed: 9 }, "sd")).toMatchObject({
      prompt: "",
      sampler_name: "DDIM",
      steps: 5,
      seed: 9,
    });
    expect(refusal(() => txt2imgInput({ batch_size: 2 }, "sd")).param).toBe("batch_size");
    expect(refusal(() => txt2imgInput({ n_iter: 3 }, "sd")).param).toBe("n_iter");
    expect(refusal(() => txt2imgInput({ enable_hr: true }, "sd")).param).toBe("enable_hr");
  });

  it("finds the A1111 model in `model` or the checkpoint title, without its hash suffix", () => {
    expect(a1111Model({ model: "a" })).toEqual({ model: "a", param: "model" });
    expect(
      a1111Model({ override_settings: { sd_model_checkpoint: "v1-5.safetensors [6ce0161689]" } }),
    ).toEqual({
      model: "v1-5.safetensors",
      param: "override_settings.sd_model_checkpoint",
    });
    expect(a1111Model({ prompt: "x", override_settings: {} })).toBeUndefined();
  });
});

describe("native task bodies", () => {
  it("fills the same defaults as the OpenAI routes", () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    expect(nativeInput({ type: "chat", model: "m", input: { messages } })).toEqual(
      chatInput(chat({ messages })),
    );
    expect(nativeInput({ type: "image", model: "i", input: { prompt: "cat" } })).toEqual(
      imageInput({ prompt: "cat" }, "i"),
    );
  });
});

describe("rate limiter", () => {
  it("lets a key burst its per-minute budget, then refills it continuously", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(limiter.take("k", 3)).toEqual({ allowed: true, remaining: 2 - i });
    expect(limiter.take("k", 3)).toEqual({ allowed: false, waitMs: 20_000 });
    // Another key has its own bucket.
    expect(limiter.take("other", 3).allowed).toBe(true);
    now += 5_000;
    expect(limiter.take("k", 3)).toEqual({ allowed: false, waitMs: 15_000 });
    now += 15_000;
    expect(limiter.take("k", 3)).toEqual({ allowed: true, remaining: 0 });
    // A lowered budget applies at once; a full minute refills the whole budget.
    now += 60_000;
    expect(limiter.take("k", 1)).toEqual({ allowed: true, remaining: 0 });
    expect(limiter.take("k", 1).allowed).toBe(false);
  });
});
