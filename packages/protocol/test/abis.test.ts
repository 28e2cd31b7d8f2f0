import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { abiConstName, CONTRACTS, renderAbis } from "../scripts/render-abis.js";
import * as protocol from "../src/index.js";
import { caiTokenAbi } from "../src/index.js";

const artifactsDir = fileURLToPath(new URL("../../../contracts/out", import.meta.url));
const generatedFile = fileURLToPath(new URL("../src/generated/abis.ts", import.meta.url));

function functionNames(abi: readonly { type: string; name?: string }[]): string[] {
  return abi.filter((item) => item.type === "function").map((item) => item.name ?? "");
}

describe("generated ABIs", () => {
  it("match the current forge artifacts", () => {
    const fresh = renderAbis(artifactsDir);
    const committed = readFileSync(generatedFile, "utf8");
    expect(committed === fresh, "ABIs are stale: run npm run build").toBe(true);
  });

  it("export a non-empty ABI for every contract", () => {
    const abis = Object.entries(protocol).filter(([key]) => key.endsWith("Abi"));
    expect(abis.map(([key]) => key).sort()).toEqual(CONTRACTS.map(abiConstName).sort());
    for (const [key, abi] of abis) expect(abi, key).not.toHaveLength(0);
  });

  it("include the CAIToken ERC-20 and permit functions", () => {
    expect(functionNames(caiTokenAbi)).toEqual(
      expect.arrayContaining(["transfer", "approve", "balanceOf", "permit", "nonces", "DOMAIN_SEPARATOR"]),
    );
  });
});
