import { randomBytes } from "node:crypto";
import { bytesToHex, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { keccak256Bytes, keccak256Hex, keccakReady } from "../src/keccak.js";

describe("keccak256 (WebAssembly)", () => {
  it("equals viem's keccak256 for every length across the 136-byte block boundaries", async () => {
    await keccakReady;
    for (let length = 0; length <= 600; length++) {
      const data = randomBytes(length);
      expect(keccak256Hex(data)).toBe(keccak256(data));
      expect(bytesToHex(keccak256Bytes(data))).toBe(keccak256(data));
    }
  });

  it("gives the known digest of the empty string and of 'abc'", async () => {
    await keccakReady;
    expect(keccak256Hex(new Uint8Array())).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(keccak256Hex(new TextEncoder().encode("abc"))).toBe(
      "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
  });

  it("keeps no state between calls: a digest does not depend on the previous input", async () => {
    await keccakReady;
    const data = randomBytes(200);
    const first = keccak256Hex(data);
    keccak256Hex(randomBytes(1000));
    expect(keccak256Hex(data)).toBe(first);
  });
});
