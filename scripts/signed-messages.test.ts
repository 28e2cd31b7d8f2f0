import type { DevnetFile } from "@roost/chain";
import {
  caiTokenAbi,
  disputesAbi,
  hashReceipt,
  hashTaskResult,
  inputHash,
  paymentEscrowAbi,
  type Receipt,
  type RoostDomainParams,
  resultHash,
  signReceipt,
  signTaskResult,
  stakingAbi,
  type TaskResult,
} from "@roost/protocol";
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PrivateKeyAccount,
  parseEther,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevnetProcess, startDevnet } from "./testing/devnet-process.js";

/** anvil's default accounts. */
const MNEMONIC = "test test test test test test test test test test test junk";
const account = (addressIndex: number) =>
  mnemonicToAccount(MNEMONIC, { addressIndex }) as unknown as PrivateKeyAccount;
const deployer = account(0);
const coordOwner = account(1);
const coordinator = account(2);
const minerOwner = account(3);
const miner = account(4);
const finder = account(9); // not among the devnet's funded demo accounts

let devnet: DevnetProcess;
let file: DevnetFile;
const publicClient = () => createPublicClient({ chain: foundry, transport: http(file.rpcUrl) });

/** Sends a contract call from `from` and waits for it; throws if it reverted. */
async function send(
  from: PrivateKeyAccount,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
) {
  const wallet = createWalletClient({ account: from, chain: foundry, transport: http(file.rpcUrl) });
  const { request } = await publicClient().simulateContract({
    account: from,
    address,
    abi,
    functionName,
    args,
  });
  const hash = await wallet.writeContract(request);
  const receipt = await publicClient().waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
  return receipt;
}

/** The custom error a call reverts with (its name and arguments), as the chain reports it. */
async function revertOf(
  from: PrivateKeyAccount,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
) {
  try {
    await publicClient().simulateContract({ account: from, address, abi, functionName, args });
  } catch (error) {
    const reverted =
      error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) return reverted.data;
    throw error;
  }
  throw new Error(`${functionName} did not revert`);
}

describe("messages signed in TypeScript, checked by the contracts", () => {
  let escrowDomain: RoostDomainParams;
  let disputesDomain: RoostDomainParams;

  beforeAll(async () => {
    devnet = await startDevnet();
    file = devnet.readDevnetFile();
    const { CAIToken, Staking, PaymentEscrow, Disputes } = file.contracts;
    escrowDomain = { chainId: file.chainId, verifyingContract: PaymentEscrow };
    disputesDomain = { chainId: file.chainId, verifyingContract: Disputes };

    // A coordinator (2,000,000 CAI) and a miner (20,000 CAI), each with an operator key of its own.
    await send(deployer, CAIToken, caiTokenAbi, "transfer", [coordOwner.address, parseEther("2100000")]);
    await send(deployer, CAIToken, caiTokenAbi, "transfer", [minerOwner.address, parseEther("20000")]);
    await send(coordinator, Staking, stakingAbi, "approveOwner", [coordOwner.address]);
    await send(miner, Staking, stakingAbi, "approveOwner", [minerOwner.address]);
    await send(coordOwner, CAIToken, caiTokenAbi, "approve", [Staking, parseEther("2000000")]);
    await send(minerOwner, CAIToken, caiTokenAbi, "approve", [Staking, parseEther("20000")]);
    await send(coordOwner, Staking, stakingAbi, "register", [
      1,
      coordinator.address,
      parseEther("2000000"),
      500,
      "ipfs://coordinator",
      "http://127.0.0.1:9/",
    ]);
    await send(minerOwner, Staking, stakingAbi, "register", [
      0,
      miner.address,
      parseEther("20000"),
      1_000,
      "ipfs://miner",
      "",
    ]);
    await send(coordOwner, CAIToken, caiTokenAbi, "approve", [PaymentEscrow, parseEther("100000")]);
    await send(coordOwner, PaymentEscrow, paymentEscrowAbi, "deposit", [
      coordinator.address,
      parseEther("100000"),
    ]);
  }, 120_000);

  afterAll(() => devnet?.kill());

  describe("Receipt (PaymentEscrow)", () => {
    const receipt = (): Receipt => ({
      coordinator: coordinator.address,
      miner: miner.address,
      cumulativeAmount: parseEther("12.5"),
    });

    it("hashes to the digest the contract computes", async () => {
      const onChain = await publicClient().readContract({
        address: file.contracts.PaymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "hashReceipt",
        args: [receipt()],
      });
      expect(onChain).toBe(hashReceipt(escrowDomain, receipt()));
    });

    it("refuses a tampered receipt and one signed by another key", async () => {
      const signature = await signReceipt(coordinator, escrowDomain, receipt());
      const tampered = { ...receipt(), cumulativeAmount: parseEther("125") };
      const refused = await revertOf(finder, file.contracts.PaymentEscrow, paymentEscrowAbi, "redeem", [
        tampered,
        signature,
      ]);
      expect(refused?.errorName).toBe("InvalidSigner");
      expect(refused?.args?.[1]).toBe(coordinator.address);

      const byMiner = await signReceipt(miner, escrowDomain, receipt());
      const wrongKey = await revertOf(finder, file.contracts.PaymentEscrow, paymentEscrowAbi, "redeem", [
        receipt(),
        byMiner,
      ]);
      expect(wrongKey?.errorName).toBe("InvalidSigner");
      expect(wrongKey?.args).toEqual([miner.address, coordinator.address]);

      // Signed for another verifying contract (the Disputes address): a different digest.
      const otherDomain = await signReceipt(coordinator, disputesDomain, receipt());
      const elsewhere = await revertOf(finder, file.contracts.PaymentEscrow, paymentEscrowAbi, "redeem", [
        receipt(),
        otherDomain,
      ]);
      expect(elsewhere?.errorName).toBe("InvalidSigner");
    });

    it("pays a signed receipt once, into the miner's fees", async () => {
      const signature = await signReceipt(coordinator, escrowDomain, receipt());
      const { PaymentEscrow, Staking } = file.contracts;
      await send(finder, PaymentEscrow, paymentEscrowAbi, "redeem", [receipt(), signature]);
      const redeemed = await publicClient().readContract({
        address: PaymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "redeemed",
        args: [coordinator.address, miner.address],
      });
      expect(redeemed).toBe(parseEther("12.5"));
      // The owner is the only staker: its commission (10%) and its stakers' share are all its own.
      const pending = await publicClient().readContract({
        address: Staking,
        abi: stakingAbi,
        functionName: "pendingRewards",
        args: [miner.address, minerOwner.address],
      });
      expect(pending).toBeGreaterThanOrEqual(parseEther("12.5") - 10n);

      // Replaying it pays nothing.
      const { result } = await publicClient().simulateContract({
        account: finder,
        address: PaymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "redeem",
        args: [receipt(), signature],
      });
      expect(result).toBe(0n);
    });
  });

  describe("TaskResult (Disputes)", () => {
    const taskId: Hex = `0x${"ab".repeat(32)}`;
    const result = (output: string): TaskResult => ({
      coordinator: coordinator.address,
      taskId,
      inputHash: inputHash({ model: "demo-image-v1", prompt: "a roost at dawn", seed: 42, steps: 20 }),
      resultHash: resultHash(output),
      modelId: "demo-image-v1",
      completedAt: 1_790_000_000n,
    });

    it("hashes to the digest the contract computes", async () => {
      const onChain = await publicClient().readContract({
        address: file.contracts.Disputes,
        abi: disputesAbi,
        functionName: "hashTaskResult",
        args: [result("image A")],
      });
      expect(onChain).toBe(hashTaskResult(disputesDomain, result("image A")));
    });

    it("proves an equivocation signed in TypeScript, and refuses a tampered one", async () => {
      const { Disputes, CAIToken } = file.contracts;
      const a = result("image A");
      const b = result("image B");
      const sigA = await signTaskResult(miner, disputesDomain, a);
      const sigB = await signTaskResult(miner, disputesDomain, b);

      const tampered = await revertOf(finder, Disputes, disputesAbi, "proveEquivocation", [
        a,
        sigA,
        { ...b, completedAt: b.completedAt + 1n },
        sigB,
      ]);
      expect(tampered?.errorName).toBe("DifferentSigners");

      await send(finder, Disputes, disputesAbi, "proveEquivocation", [a, sigA, b, sigB]);
      // 30% of the miner's 20,000 CAI, 5% of that to the finder.
      const fee = await publicClient().readContract({
        address: CAIToken,
        abi: caiTokenAbi,
        functionName: "balanceOf",
        args: [finder.address],
      });
      expect(fee).toBe(parseEther("300"));
      const again = await revertOf(finder, Disputes, disputesAbi, "proveEquivocation", [a, sigA, b, sigB]);
      expect(again?.errorName).toBe("AlreadyProven");
    });
  });
});
