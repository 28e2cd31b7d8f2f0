// The nodes table's hand-written NodeView[] decoder gives exactly what viem's general decoder gives.
import { stakingAbi } from "@roost/protocol/abis";
import { decodeFunctionResult, encodeFunctionResult, getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { decodeNodeViews } from "../src/chain/node-views";

const hexAddress = (n: number, salt: number) =>
  getAddress(`0x${((n * 2654435761 + salt) >>> 0).toString(16).padStart(40, "a")}`);

function node(i: number) {
  return {
    operator: hexAddress(i, 1),
    owner: hexAddress(i, 2),
    role: i % 2,
    status: i % 4,
    totalStake: BigInt(i) * 10n ** 24n + 123n, // beyond 2^53
    selfStake: 2n ** 255n + BigInt(i),
    unbondingStake: BigInt(i % 3),
    commissionBps: (i * 37) % 10_001,
    pendingCommissionBps: 65_535 - (i % 7),
    commissionEffectiveAt: 2 ** 40 - 1 - i,
    jailedUntil: i * 1_000,
    // Empty, ASCII, multi-byte UTF-8 (CJK, Persian, emoji) and longer than one word.
    metadataURI: ["", "ipfs://bafy", "日本語の紹介", "سلام", "🐔 roost", "x".repeat(100)][i % 6] as string,
    endpoint: i % 5 === 0 ? "" : `https://node-${i}.example.org/${"p".repeat(i % 70)}`,
  };
}

describe("decodeNodeViews", () => {
  it("decodes getNodes' return data exactly as viem does", () => {
    for (const count of [0, 1, 2, 37, 500]) {
      const nodes = Array.from({ length: count }, (_, i) => node(i));
      const data = encodeFunctionResult({ abi: stakingAbi, functionName: "getNodes", result: nodes });
      const expected = decodeFunctionResult({ abi: stakingAbi, functionName: "getNodes", data });
      expect(decodeNodeViews(data), `${count} nodes`).toEqual(
        expected.map((n) => ({ ...n, operator: n.operator.toLowerCase(), owner: n.owner.toLowerCase() })),
      );
    }
  });
});
