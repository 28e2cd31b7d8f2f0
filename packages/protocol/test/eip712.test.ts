import {
  type Address,
  concat,
  encodeAbiParameters,
  type Hex,
  keccak256,
  type TypedDataDefinition,
  toHex,
} from "viem";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  hashMinerLogin,
  hashReceipt,
  hashTaskResult,
  type MinerLogin,
  type Receipt,
  type RoostDomainParams,
  roostDomain,
  type roostTypes,
  type TaskResult,
} from "../src/index.js";

const domain: RoostDomainParams = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const coordinator: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const miner: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** hashReceipt(domain, { coordinator, miner, cumulativeAmount: 10n ** 18n }). */
const RECEIPT_DIGEST = "0x3eaaa119c0910fef0b596630cae6f02dc40d2260e1f92d74e4a8c0b49ccb7acb";

const keccakText = (text: string) => keccak256(toHex(text));

/** The EIP-712 digest computed by hand from the type strings, independently of viem's typed-data code. */
function digest(typeString: string, types: string[], values: unknown[]): Hex {
  const domainSeparator = keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint256" },
        { type: "address" },
      ],
      [
        keccakText("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
        keccakText("Roost"),
        keccakText("1"),
        BigInt(domain.chainId),
        domain.verifyingContract,
      ],
    ),
  );
  const structHash = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, ...types.map((type) => ({ type }))],
      [keccakText(typeString), ...values],
    ),
  );
  return keccak256(concat(["0x1901", domainSeparator, structHash]));
}

describe("roostDomain", () => {
  it("is named Roost, version 1, for the given chain and verifying contract", () => {
    expect(roostDomain(domain)).toEqual({ name: "Roost", version: "1", ...domain });
  });
});

describe("EIP-712 digests match the type strings", () => {
  it("Receipt", () => {
    const receipt: Receipt = { coordinator, miner, cumulativeAmount: 10n ** 18n };
    expect(hashReceipt(domain, receipt)).toBe(
      digest(
        "Receipt(address coordinator,address miner,uint256 cumulativeAmount)",
        ["address", "address", "uint256"],
        [coordinator, miner, 10n ** 18n],
      ),
    );
    // Pinned so that the Solidity tests can use the same vector.
    expect(hashReceipt(domain, receipt)).toBe(RECEIPT_DIGEST);
  });

  it("TaskResult (string modelId hashed)", () => {
    const result: TaskResult = {
      coordinator,
      taskId: keccakText("task"),
      inputHash: keccakText("input"),
      resultHash: keccakText("result"),
      modelId: "llama-3.1-8b-instruct",
      completedAt: 1_700_000_000n,
    };
    expect(hashTaskResult(domain, result)).toBe(
      digest(
        "TaskResult(address coordinator,bytes32 taskId,bytes32 inputHash,bytes32 resultHash,string modelId,uint64 completedAt)",
        ["address", "bytes32", "bytes32", "bytes32", "bytes32", "uint64"],
        [
          coordinator,
          result.taskId,
          result.inputHash,
          result.resultHash,
          keccakText(result.modelId),
          result.completedAt,
        ],
      ),
    );
  });

  it("MinerLogin", () => {
    const login: MinerLogin = { coordinator, operator: miner, nonce: 42n, expiresAt: 1_700_000_060n };
    expect(hashMinerLogin(domain, login)).toBe(
      digest(
        "MinerLogin(address coordinator,address operator,uint256 nonce,uint64 expiresAt)",
        ["address", "address", "uint256", "uint64"],
        [coordinator, miner, 42n, 1_700_000_060n],
      ),
    );
  });

  it("message types are exactly what viem infers from the type definitions", () => {
    type Message<P extends keyof typeof roostTypes> = TypedDataDefinition<typeof roostTypes, P>["message"];
    expectTypeOf<Receipt>().toEqualTypeOf<Message<"Receipt">>();
    expectTypeOf<TaskResult>().toEqualTypeOf<Message<"TaskResult">>();
    expectTypeOf<MinerLogin>().toEqualTypeOf<Message<"MinerLogin">>();
  });
});
