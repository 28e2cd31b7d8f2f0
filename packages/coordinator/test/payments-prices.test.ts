import { InvalidInputError } from "@roost/chain";
import { parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, PriceTable, parsePriceTable } from "../src/payments/prices.js";

const chat = (model: string) => ({ type: "chat" as const, model });
const image = (model: string) => ({ type: "image" as const, model });

describe("PriceTable", () => {
  it("without settings: 0.01 CAI a chat task, 0.05 CAI an image", () => {
    for (const table of [new PriceTable(), parsePriceTable(undefined), parsePriceTable({})]) {
      expect(table.priceOf(chat("any"))).toBe(parseEther("0.01"));
      expect(table.priceOf(image("any"))).toBe(parseEther("0.05"));
    }
    expect(DEFAULT_PRICES).toEqual({ chat: "0.01", image: "0.05" });
  });

  it("a listed model's price wins over its type's default; others take the default", () => {
    const table = parsePriceTable({
      default: { chat: "0.5" },
      models: { "llama-3-70b": "1,000", sdxl: "2k", tiny: "0" },
    });
    expect(table.priceOf(chat("llama-3-70b"))).toBe(parseEther("1000"));
    expect(table.priceOf(image("sdxl"))).toBe(parseEther("2000"));
    expect(table.priceOf(chat("tiny"))).toBe(0n);
    expect(table.priceOf(chat("other"))).toBe(parseEther("0.5"));
    expect(table.priceOf(image("other"))).toBe(parseEther("0.05")); // image default untouched
    expect(table.describe()).toEqual({
      default: { chat: "0.5 CAI", image: "0.05 CAI" },
      models: { "llama-3-70b": "1,000 CAI", sdxl: "2,000 CAI", tiny: "0 CAI" },
    });
  });

  it("takes plain JSON numbers as amounts too", () => {
    expect(parsePriceTable({ default: { image: 0.25 } }).priceOf(image("x"))).toBe(parseEther("0.25"));
  });

  it("keeps 18 decimals exactly", () => {
    const table = parsePriceTable({ models: { m: "0.000000000000000001" } });
    expect(table.priceOf(chat("m"))).toBe(1n);
  });

  it.each([
    [
      { models: { llama: "cheap" } },
      'prices.models["llama"]: not an amount: "cheap" is not an amount of CAI',
    ],
    [{ models: { llama: "-1" } }, 'prices.models["llama"]: not an amount'],
    [{ models: { llama: true } }, 'prices.models["llama"]: not an amount: write CAI as a string'],
    [{ models: { "": "1" } }, 'prices.models[""]: a model id must not be empty'],
    [{ default: { chat: "1e3" } }, "prices.default.chat: not an amount"],
    [{ default: { image: "0.0000000000000000001" } }, "prices.default.image: not an amount: "],
    [{ default: { audio: "1" } }, "prices.default.audio: unknown setting; known: chat, image"],
    [{ default: "1" }, "prices.default: must be an object"],
    [{ models: ["a"] }, "prices.models: must be an object"],
    [{ model: {} }, "prices.model: unknown setting; known: default, models"],
    ["1", "prices: must be an object"],
  ])("refuses %j, naming the field", (json, message) => {
    expect(() => parsePriceTable(json)).toThrow(InvalidInputError);
    expect(() => parsePriceTable(json)).toThrow(message);
  });

  it("the constructor checks the amounts of a typed config too", () => {
    expect(() => new PriceTable({ default: { chat: "x" } })).toThrow("prices.default.chat: not an amount");
  });
});
