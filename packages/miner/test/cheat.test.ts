// The devnet's cheating backend: the models of the backend it wraps, a share of its tasks faked with a
// cheap output of the right shape, and fakes that the coordinator's comparison tells from real work.
import type { ChatTaskInput, ImageTaskInput } from "@roost/protocol";
import { describe, expect, it } from "vitest";
import { compareOutputs } from "../../coordinator/src/verification/compare-outputs.js";
import { createCheatBackend } from "../src/backends/cheat.js";
import { createDemoImageBackend, DEMO_IMAGE_MODEL } from "../src/backends/demo-image.js";
import { parseMinerConfig } from "../src/config.js";
import { SCRIPTED_MODEL, scriptedChat } from "./fixtures/scripted-chat.js";

const image: ImageTaskInput = {
  type: "image",
  model: DEMO_IMAGE_MODEL,
  prompt: "a hen on a roost",
  negative_prompt: "",
  width: 128,
  height: 96,
  steps: 8,
  cfg_scale: 7,
  sampler_name: "Euler a",
  seed: 7,
};
const chat: ChatTaskInput = {
  type: "chat",
  model: SCRIPTED_MODEL,
  messages: [{ role: "user", content: "hello there" }],
  max_tokens: 5,
  temperature: 0,
  top_p: 1,
  seed: null,
  stop: [],
};
const context = () => ({ signal: new AbortController().signal });

describe("cheat backend", () => {
  it("serves the wrapped backend's models and says what it is in its kind", () => {
    const honest = createDemoImageBackend({ capacity: 3 });
    const cheat = createCheatBackend(honest, { fakeShare: 0.5 });
    expect(cheat).toMatchObject({
      kind: "cheat(demo-image)",
      type: "image",
      models: honest.models,
      capacity: 3,
    });
  });

  it("fakes the configured share of its tasks and runs the rest", async () => {
    const draws = [0.1, 0.6, 0.29, 0.3];
    const honest = scriptedChat();
    const cheat = createCheatBackend(honest, { fakeShare: 0.3, random: () => draws.shift() ?? 1 });
    const outputs = [];
    for (let i = 0; i < 4; i++) outputs.push(await cheat.run(chat, context()));
    expect(honest.runs).toBe(2); // the draws 0.6 and 0.3 ran it
    expect(outputs.map((o) => (o.type === "chat" ? o.content.startsWith("lorem") : null))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it("fakes an image of the right size and a chat answer of the right length, streamed", async () => {
    const cheat = createCheatBackend(createDemoImageBackend(), { fakeShare: 1 });
    const fakeImage = await cheat.run(image, context());
    expect(fakeImage.type).toBe("image");
    const png = Buffer.from(fakeImage.type === "image" ? fakeImage.b64 : "", "base64");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([128, 96]);

    const deltas: string[] = [];
    const fakeChat = await createCheatBackend(scriptedChat(), { fakeShare: 1 }).run(chat, {
      ...context(),
      onDelta: (d) => deltas.push(d),
    });
    expect(fakeChat).toEqual({
      type: "chat",
      content: "lorem ipsum ipsum ipsum ipsum",
      finish_reason: "length",
      usage: { prompt_tokens: 1, completion_tokens: 5 },
    });
    expect(deltas.join("")).toBe("lorem ipsum ipsum ipsum ipsum");
  });

  it("is caught by the coordinator's comparison, and matches when it ran the task", async () => {
    const honest = createDemoImageBackend();
    const real = await honest.run(image, context());
    const faked = await createCheatBackend(honest, { fakeShare: 1 }).run(image, context());
    const ranIt = await createCheatBackend(honest, { fakeShare: 0 }).run(image, context());
    expect(compareOutputs(real, faked).match).toBe(false);
    expect(compareOutputs(real, ranIt)).toMatchObject({ match: true, by: "identical" });
    const fakedChat = await createCheatBackend(scriptedChat(), { fakeShare: 1 }).run(chat, context());
    expect(compareOutputs(await scriptedChat().run(chat, context()), fakedChat).match).toBe(false);
  });

  it("is configured around a backend that runs tasks, with the share it fakes", () => {
    expect(
      parseMinerConfig({ backends: [{ kind: "cheat", fakeShare: 0.25, backend: { kind: "demo-image" } }] })
        .backends,
    ).toEqual([{ kind: "cheat", fakeShare: 0.25, backend: { kind: "demo-image" } }]);
    expect(() =>
      parseMinerConfig({ backends: [{ kind: "cheat", fakeShare: 2, backend: { kind: "llama" } }] }),
    ).toThrow("backends[0].fakeShare: must be a number from 0 to 1");
    expect(() =>
      parseMinerConfig({
        backends: [
          {
            kind: "cheat",
            fakeShare: 1,
            backend: { kind: "cheat", fakeShare: 1, backend: { kind: "llama" } },
          },
        ],
      }),
    ).toThrow("backends[0].backend.kind: must be a backend that runs tasks");
    expect(() => createCheatBackend(createDemoImageBackend(), { fakeShare: -0.1 })).toThrow(RangeError);
  });
});
