import { randomBytes } from "node:crypto";
import { type Address, bytesToBigInt, getAddress, type Hex, hashTypedData, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  type MinerLogin,
  type Receipt,
  type RoostDomainParams,
  type RoostMessages,
  type RoostPrimaryType,
  roostDomain,
  roostTypes,
  type TaskResult,
} from "../src/eip712.js";
import { roostDigest } from "../src/typed-data-hash.js";

const hex = (bytes: number): Hex => toHex(randomBytes(bytes));
const address = (): Address => getAddress(hex(20));
const uint = (bits: number): bigint => bytesToBigInt(randomBytes(bits / 8));
const randomDomain = (): RoostDomainParams => ({
  chainId: Number(uint(32)),
  verifyingContract: address(),
});
// Model ids with multi-byte UTF-8, empty and long strings: the string field is hashed as UTF-8.
const MODEL_IDS = ["", "sdxl-turbo", "llama-3.1-8b-instruct:q4_k_m", "模型/ü🙂", "x".repeat(300)];

const random: { [P in RoostPrimaryType]: () => RoostMessages[P] } = {
  MinerLogin: (): MinerLogin => ({
    coordinator: address(),
    operator: address(),
    nonce: uint(256),
    expiresAt: uint(64),
  }),
  TaskResult: (): TaskResult => ({
    coordinator: address(),
    taskId: hex(32),
    inputHash: hex(32),
    resultHash: hex(32),
    modelId: MODEL_IDS[(randomBytes(1)[0] as number) % MODEL_IDS.length] as string,
    completedAt: uint(64),
  }),
  Receipt: (): Receipt => ({ coordinator: address(), miner: address(), cumulativeAmount: uint(256) }),
};

function viemDigest<P extends RoostPrimaryType>(
  primaryType: P,
  domain: RoostDomainParams,
  message: RoostMessages[P],
) {
  return hashTypedData({ domain: roostDomain(domain), types: roostTypes, primaryType, message } as never);
}

describe("roostDigest", () => {
  for (const primaryType of Object.keys(random) as RoostPrimaryType[]) {
    it(`equals viem's hashTypedData for 300 random ${primaryType} messages and domains`, () => {
      for (let i = 0; i < 300; i++) {
        const domain = randomDomain();
        const message = random[primaryType]();
        expect(roostDigest(primaryType, domain, message)).toBe(viemDigest(primaryType, domain, message));
      }
    });
  }

  it("equals viem at the edges of the integer types and for lowercase addresses", () => {
    const domain = { chainId: 0, verifyingContract: address().toLowerCase() as Address };
    for (const [nonce, expiresAt] of [
      [0n, 0n],
      [2n ** 256n - 1n, 2n ** 64n - 1n],
    ] as const) {
      const message: MinerLogin = {
        coordinator: address().toLowerCase() as Address,
        operator: address(),
        nonce,
        expiresAt,
      };
      expect(roostDigest("MinerLogin", domain, message)).toBe(viemDigest("MinerLogin", domain, message));
    }
  });

  it("keeps one domain separator per chain and contract: the same message differs across domains", () => {
    const message = random.Receipt();
    const a = randomDomain();
    const b = { ...a, chainId: a.chainId + 1 };
    const c = { ...a, verifyingContract: address() };
    const digests = new Set([a, b, c, a].map((domain) => roostDigest("Receipt", domain, message)));
    expect(digests.size).toBe(3);
  });

  it("refuses values that do not fit their type, naming the field", () => {
    const domain = randomDomain();
    const result = random.TaskResult();
    expect(() => roostDigest("TaskResult", domain, { ...result, taskId: "0x12" })).toThrow(
      /TaskResult\.taskId must be 32 bytes/,
    );
    expect(() => roostDigest("TaskResult", domain, { ...result, completedAt: 2n ** 64n })).toThrow(
      /TaskResult\.completedAt is out of range/,
    );
    expect(() => roostDigest("TaskResult", domain, { ...result, completedAt: -1n })).toThrow(/out of range/);
    expect(() =>
      roostDigest("TaskResult", domain, { ...result, coordinator: "0xnot-an-address" as Address }),
    ).toThrow(/TaskResult\.coordinator must be a 20-byte 0x address/);
    expect(() => roostDigest("TaskResult", domain, { ...result, modelId: 7 as unknown as string })).toThrow(
      /TaskResult\.modelId must be a string/,
    );
    expect(() =>
      roostDigest("Receipt", domain, { ...random.Receipt(), cumulativeAmount: 5 as never }),
    ).toThrow(/Receipt\.cumulativeAmount must be a bigint/);
    expect(() => roostDigest("Receipt", { ...domain, chainId: -1 }, random.Receipt())).toThrow(/chainId/);
  });
});
