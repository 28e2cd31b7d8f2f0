import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { MinerPresence } from "../src/dispatch/presence.js";

const A = "0x00000000000000000000000000000000000000aa" as Address;
const B = "0x00000000000000000000000000000000000000bb" as Address;

function presence() {
  const clock = { now: 1_000 };
  return { clock, presence: new MinerPresence(60_000, () => clock.now) };
}

describe("MinerPresence", () => {
  it("serves a model while a miner that named it in its latest poll is online and accepted", () => {
    const { clock, presence: p } = presence();
    expect(p.serves("llama")).toBe(false);
    p.seen(A, { slots: 1, models: ["llama", "sdxl"] });
    expect(p.serves("llama")).toBe(true);
    expect(p.serves("sdxl")).toBe(true);
    expect(p.serves("llama", (miner) => miner !== A)).toBe(false);
    clock.now += 60_001;
    expect(p.serves("llama")).toBe(false);
    expect(p.online()).toEqual([]);
  });

  it("forgets the models a miner no longer names", () => {
    const { presence: p } = presence();
    p.seen(A, { slots: 1, models: ["llama", "sdxl"] });
    p.seen(B, { slots: 1, models: ["sdxl"] });
    p.seen(A, { slots: 1, models: ["qwen"] });
    expect(p.serves("llama")).toBe(false);
    expect(p.serves("qwen")).toBe(true);
    expect(p.serves("sdxl", (miner) => miner === A)).toBe(false);
    expect(p.serves("sdxl")).toBe(true);
    expect(p.models()).toEqual(["qwen", "sdxl"]);
  });

  it("lists miners newest first with what they reported", () => {
    const { clock, presence: p } = presence();
    p.seen(A, { slots: 1, models: ["llama"], hardware: { gpus: 1 } });
    clock.now += 10;
    p.seen(B, { slots: 2, models: ["sdxl"] });
    expect(p.list().map((m) => [m.operator, m.models, m.hardware, m.online])).toEqual([
      [B, ["sdxl"], undefined, true],
      [A, ["llama"], { gpus: 1 }, true],
    ]);
  });
});
