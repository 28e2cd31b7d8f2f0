import { type Address, type Hex, keccak256, recoverAddress, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  hashMinerLogin,
  hashReceipt,
  hashTaskResult,
  inputHash,
  isCanonicalSignature,
  type MinerLogin,
  type Receipt,
  type RoostDomainParams,
  recoverMinerLoginSigner,
  recoverReceiptSigner,
  recoverTaskResultSigner,
  resultHash,
  signMinerLogin,
  signReceipt,
  signTaskResult,
  type TaskResult,
  type TypedDataSigner,
  verifyMinerLogin,
  verifyReceipt,
  verifyTaskResult,
} from "../src/index.js";

// anvil's well-known accounts #0 and #1
const coordinatorAccount = privateKeyToAccount(
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
);
const minerAccount = privateKeyToAccount(
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
);
const stranger = privateKeyToAccount(generatePrivateKey());

const domain: RoostDomainParams = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const otherContract: Address = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

interface Helpers<M> {
  sign: (account: TypedDataSigner, domain: RoostDomainParams, message: M) => Promise<Hex>;
  hash: (domain: RoostDomainParams, message: M) => Hex;
  recover: (domain: RoostDomainParams, message: M, signature: Hex) => Promise<Address>;
  verify: (domain: RoostDomainParams, message: M, signature: Hex, signer: Address) => Promise<boolean>;
}

function signingSuite<M>(
  name: string,
  { sign, hash, recover, verify }: Helpers<M>,
  signer: typeof coordinatorAccount,
  message: M,
  tamperedMessages: Record<string, M>,
) {
  describe(name, () => {
    it("round-trips: the signature recovers and verifies as the signer", async () => {
      const signature = await sign(signer, domain, message);
      expect(await recover(domain, message, signature)).toBe(signer.address);
      expect(await recoverAddress({ hash: hash(domain, message), signature })).toBe(signer.address);
      expect(await verify(domain, message, signature, signer.address)).toBe(true);
      expect(await verify(domain, message, signature, signer.address.toLowerCase() as Address)).toBe(true);
    });

    it.each(Object.entries(tamperedMessages))("refuses a tampered %s", async (_field, tampered) => {
      const signature = await sign(signer, domain, message);
      expect(await verify(domain, tampered, signature, signer.address)).toBe(false);
    });

    it("refuses another chainId or verifying contract", async () => {
      const signature = await sign(signer, domain, message);
      expect(await verify({ ...domain, chainId: 1 }, message, signature, signer.address)).toBe(false);
      expect(
        await verify({ ...domain, verifyingContract: otherContract }, message, signature, signer.address),
      ).toBe(false);
    });

    it("refuses a signature by the wrong signer", async () => {
      const signature = await sign(stranger, domain, message);
      expect(await recover(domain, message, signature)).toBe(stranger.address);
      expect(await verify(domain, message, signature, signer.address)).toBe(false);
    });

    it("refuses a malformed signature without throwing", async () => {
      const signature = await sign(signer, domain, message);
      await expect(verify(domain, message, "0x1234", signer.address)).resolves.toBe(false);
      await expect(verify(domain, message, signature.slice(0, -2) as Hex, signer.address)).resolves.toBe(
        false,
      );
      await expect(recover(domain, message, "0x1234")).rejects.toThrow();
    });

    it("refuses the malleable high-s twin of a valid signature, which the contracts reject", async () => {
      const signature = await sign(signer, domain, message);
      expect(isCanonicalSignature(signature)).toBe(true);
      const s = BigInt(`0x${signature.slice(66, 130)}`);
      const v = Number.parseInt(signature.slice(130), 16);
      const twin =
        `${signature.slice(0, 66)}${toHex(SECP256K1_N - s, { size: 32 }).slice(2)}${v === 27 ? "1c" : "1b"}` as Hex;
      expect(await recover(domain, message, twin)).toBe(signer.address);
      expect(isCanonicalSignature(twin)).toBe(false);
      expect(await verify(domain, message, twin, signer.address)).toBe(false);
    });
  });
}

const receipt: Receipt = {
  coordinator: coordinatorAccount.address,
  miner: minerAccount.address,
  cumulativeAmount: 1_500_000_000_000_000_000n,
};
signingSuite(
  "Receipt",
  { sign: signReceipt, hash: hashReceipt, recover: recoverReceiptSigner, verify: verifyReceipt },
  coordinatorAccount,
  receipt,
  {
    cumulativeAmount: { ...receipt, cumulativeAmount: receipt.cumulativeAmount + 1n },
    miner: { ...receipt, miner: stranger.address },
    coordinator: { ...receipt, coordinator: stranger.address },
  },
);

const taskResult: TaskResult = {
  coordinator: coordinatorAccount.address,
  taskId: keccak256(toHex("task-1")),
  inputHash: inputHash({ model: "llama-3.1-8b-instruct", prompt: "Hello" }),
  resultHash: resultHash("Hi there!"),
  modelId: "llama-3.1-8b-instruct",
  completedAt: 1_700_000_000n,
};
signingSuite(
  "TaskResult",
  { sign: signTaskResult, hash: hashTaskResult, recover: recoverTaskResultSigner, verify: verifyTaskResult },
  minerAccount,
  taskResult,
  {
    resultHash: { ...taskResult, resultHash: resultHash("Hi there?") },
    inputHash: { ...taskResult, inputHash: inputHash({ model: "llama-3.1-8b-instruct", prompt: "Hello!" }) },
    taskId: { ...taskResult, taskId: keccak256(toHex("task-2")) },
    modelId: { ...taskResult, modelId: "llama-3.1-70b-instruct" },
    completedAt: { ...taskResult, completedAt: taskResult.completedAt + 1n },
  },
);

const minerLogin: MinerLogin = {
  coordinator: coordinatorAccount.address,
  operator: minerAccount.address,
  nonce: 7n,
  expiresAt: 1_700_000_060n,
};
signingSuite(
  "MinerLogin",
  { sign: signMinerLogin, hash: hashMinerLogin, recover: recoverMinerLoginSigner, verify: verifyMinerLogin },
  minerAccount,
  minerLogin,
  {
    nonce: { ...minerLogin, nonce: 8n },
    expiresAt: { ...minerLogin, expiresAt: minerLogin.expiresAt + 3600n },
    coordinator: { ...minerLogin, coordinator: stranger.address },
  },
);

describe("anvil test keys", () => {
  it("are the well-known accounts #0 and #1", () => {
    expect(coordinatorAccount.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect(minerAccount.address).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  });
});
