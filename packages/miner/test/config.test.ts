// The miner's settings file: defaults, every field checked, and errors that name the field.
import { parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { DEFAULT_MINER_CONFIG, MinerConfigError, parseMinerConfig } from "../src/config.js";

const fails = (json: unknown, field: string, message: RegExp) => {
  try {
    parseMinerConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(MinerConfigError);
    expect((error as MinerConfigError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error(`accepted ${JSON.stringify(json)}`);
};

describe("miner settings", () => {
  it("defaults to the built-in backends, stake-shared capacity and automatic redemption", () => {
    expect(parseMinerConfig({})).toEqual(DEFAULT_MINER_CONFIG);
    expect(DEFAULT_MINER_CONFIG.backends).toEqual([{ kind: "demo-image" }, { kind: "llama" }]);
    expect(DEFAULT_MINER_CONFIG.autoRedeem).toBe(true);
    expect(DEFAULT_MINER_CONFIG.redeemThreshold).toBe(parseEther("10"));
  });

  it("reads every backend kind with its fields", () => {
    const config = parseMinerConfig({
      backends: [
        { kind: "a1111", url: "http://127.0.0.1:7860", models: ["sd_xl_base_1.0"], capacity: 2 },
        { kind: "openai", url: "https://gpu.example/v1", models: ["llama3.1:8b"], apiKeyEnv: "KEY" },
        { kind: "llama", model: "/models/q4.gguf", threads: 8, gpu: true },
        { kind: "demo-image", capacity: 4 },
      ],
      allow: ["0x00000000000000000000000000000000000000aa"],
      sharePolicy: "equal",
      redeemThreshold: "2.5",
      redeemIntervalMs: 0,
      autoRedeem: false,
    });
    expect(config.backends).toEqual([
      { kind: "a1111", url: "http://127.0.0.1:7860", models: ["sd_xl_base_1.0"], capacity: 2 },
      { kind: "openai", url: "https://gpu.example/v1", models: ["llama3.1:8b"], apiKeyEnv: "KEY" },
      { kind: "llama", model: "/models/q4.gguf", threads: 8, gpu: true },
      { kind: "demo-image", capacity: 4 },
    ]);
    expect(config.allow).toEqual(["0x00000000000000000000000000000000000000aa"]);
    expect(config.sharePolicy).toBe("equal");
    expect(config.redeemThreshold).toBe(parseEther("2.5"));
    expect(config.redeemIntervalMs).toBe(0);
    expect(config.autoRedeem).toBe(false);
    expect(parseMinerConfig({ redeemThreshold: 3 }).redeemThreshold).toBe(parseEther("3"));
  });

  it("names the wrong field and says what it must be", () => {
    fails([], "(settings)", /JSON object/);
    fails({ backend: [] }, "backend", /not a miner setting/);
    fails({ backends: [] }, "backends", /non-empty list/);
    fails({ backends: [{ kind: "cuda" }] }, "backends[0].kind", /one of demo-image, llama, openai, a1111/);
    fails({ backends: [{ kind: "a1111", models: ["m"] }] }, "backends[0].url", /non-empty string/);
    fails(
      { backends: [{ kind: "openai", url: "127.0.0.1:8000", models: ["m"] }] },
      "backends[0].url",
      /http/,
    );
    fails({ backends: [{ kind: "openai", url: "http://h", models: [] }] }, "backends[0].models", /model ids/);
    fails(
      { backends: [{ kind: "a1111", url: "http://h", models: ["x".repeat(201)] }] },
      "backends[0].models[0]",
      /200/,
    );
    fails({ backends: [{ kind: "demo-image", capacity: 0 }] }, "backends[0].capacity", /1 to 64/);
    fails({ deny: ["0x12"] }, "deny[0]", /40 hex digits/);
    fails({ sharePolicy: "random" }, "sharePolicy", /"stake" or "equal"/);
    fails({ pollWaitMs: 50 }, "pollWaitMs", /100 to 60000/);
    fails({ redeemThreshold: "-1" }, "redeemThreshold", /amount of CAI/);
    fails({ redeemThreshold: "ten" }, "redeemThreshold", /amount of CAI/);
    fails({ autoRedeem: "yes" }, "autoRedeem", /true or false/);
    fails({ redeemIntervalMs: -5 }, "redeemIntervalMs", /whole number/);
  });
});
