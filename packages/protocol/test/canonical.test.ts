import { keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { canonicalJson, inputHash, resultHash } from "../src/index.js";

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("canonicalJson (RFC 8785)", () => {
  it("serializes the primitives example of section 3.2.2", () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`);
    expect(canonicalJson(input)).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it("sorts keys by UTF-16 code units, as in section 3.2.3", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // The emoji (surrogates 0xD83D...) sorts before U+FB33 although its code point is higher.
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("sorts integer-like keys as strings, not in JS property order", () => {
    expect(canonicalJson({ a: 0, 9: 0, 10: 0, B: 0 })).toBe('{"10":0,"9":0,"B":0,"a":0}');
  });

  it.each([
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ])("serializes the IEEE 754 value %s as %s (appendix B)", (bits, expected) => {
    expect(canonicalJson(fromBits(bits))).toBe(expected);
  });

  it("serializes nested objects and arrays without whitespace", () => {
    const value = { b: [1, { d: true, c: null }, [], "x"], a: {}, "": -0, nested: { z: { y: [[0.5]] } } };
    expect(canonicalJson(value)).toBe(
      '{"":0,"a":{},"b":[1,{"c":null,"d":true},[],"x"],"nested":{"z":{"y":[[0.5]]}}}',
    );
  });

  it("escapes strings as JSON.stringify does", () => {
    expect(canonicalJson('\b\t\n\f\r\u0000\u001f"\\/\u007f\u2028é😀')).toBe(
      '"\\b\\t\\n\\f\\r\\u0000\\u001f\\"\\\\/\u007f\u2028é😀"',
    );
  });

  it("accepts null-prototype objects and shared (non-circular) references", () => {
    const shared = { k: 1 };
    const bare = Object.assign(Object.create(null), { b: 2, a: 1 });
    expect(canonicalJson({ p: shared, q: [shared], bare })).toBe(
      '{"bare":{"a":1,"b":2},"p":{"k":1},"q":[{"k":1}]}',
    );
  });

  it.each([
    ["NaN", Number.NaN, /\$ is NaN/],
    ["Infinity", { a: [1, Number.POSITIVE_INFINITY] }, /\$\.a\[1\] is Infinity/],
    ["-Infinity", [Number.NEGATIVE_INFINITY], /\$\[0\] is -Infinity/],
    ["undefined", undefined, /\$ is undefined/],
    ["an undefined property", { a: { "b c": undefined } }, /\$\.a\["b c"\] is undefined/],
    ["an array hole", new Array(2), /\$\[0\] is undefined/],
    ["a function", { f: () => 1 }, /\$\.f is function/],
    ["a bigint", { n: 1n }, /\$\.n is bigint/],
    ["a symbol", [Symbol("s")], /\$\[0\] is symbol/],
    ["a Date", { d: new Date(0) }, /\$\.d is a Date object/],
    ["a Map", new Map(), /\$ is a Map object/],
    ["a lone surrogate", { s: "a\ud800b" }, /\$\.s has a lone surrogate/],
    ["a lone surrogate key", { "\udc00": 1 }, /lone surrogate/],
  ])("rejects %s with a TypeError naming the path", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it("rejects circular references", () => {
    const cycle: Record<string, unknown> = { a: [] };
    (cycle.a as unknown[]).push(cycle);
    expect(() => canonicalJson(cycle)).toThrow(/\$\.a\[0\] is a circular reference/);
  });
});

describe("inputHash", () => {
  it("is keccak256 of the UTF-8 canonical JSON", () => {
    const input = { prompt: "héllo €", max_tokens: 16 };
    expect(inputHash(input)).toBe(keccak256(stringToBytes('{"max_tokens":16,"prompt":"héllo €"}')));
  });

  it("is stable under key reordering and sensitive to content", () => {
    const a = {
      model: "llama",
      params: { temperature: 0.5, top_p: 1 },
      messages: [{ role: "user", content: "hi" }],
    };
    const b = {
      messages: [{ content: "hi", role: "user" }],
      params: { top_p: 1.0, temperature: 0.5 },
      model: "llama",
    };
    expect(inputHash(b)).toBe(inputHash(a));
    expect(inputHash({ ...a, model: "llama2" })).not.toBe(inputHash(a));
    expect(inputHash({ ...a, messages: [...a.messages, ...a.messages] })).not.toBe(inputHash(a));
  });
});

describe("resultHash", () => {
  it("hashes raw bytes, and strings as their UTF-8 bytes", () => {
    expect(resultHash("")).toBe("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect(resultHash("héllo")).toBe(resultHash(new TextEncoder().encode("héllo")));
    expect(resultHash(new Uint8Array([0xff, 0x00]))).toBe(keccak256("0xff00"));
  });
});
