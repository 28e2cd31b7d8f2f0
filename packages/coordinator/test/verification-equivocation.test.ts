// The coordinator's record of an equivocation: the TaskResult it accepted rebuilt from the task row
// (the miner's signed second found by recovery), and the proofs kept until Disputes has them.
import { signTaskResult, type TaskResult } from "@roost/protocol";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { EquivocationStore } from "../src/store/equivocations.js";
import type { Task } from "../src/store/task-record.js";
import { acceptedTaskResult } from "../src/verification/equivocation.js";
import { randomTaskId, TempStores } from "./fixtures/store-helpers.js";

const domain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" } as const;
const coordinator = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;
const miner = privateKeyToAccount(generatePrivateKey());
const stores = new TempStores();
afterEach(() => stores.cleanup());

/** A completed task whose result the miner signed with completedAt `signedAt` (seconds). */
async function completed(signedAt: number, acceptedAtMs: number) {
  const id = randomTaskId();
  const result: TaskResult = {
    coordinator,
    taskId: id,
    inputHash: `0x${"11".repeat(32)}`,
    resultHash: `0x${"22".repeat(32)}`,
    modelId: "m",
    completedAt: BigInt(signedAt),
  };
  const signature = await signTaskResult(miner, domain, result);
  const task = {
    id,
    model: "m",
    inputHash: result.inputHash,
    createdAt: acceptedAtMs - 20_000,
    result: { resultHash: result.resultHash, signature, payload: null, completedAt: acceptedAtMs },
  } as unknown as Task;
  return { task, result, signature };
}

describe("the accepted TaskResult, rebuilt", () => {
  it("finds the second the miner signed, before or after the coordinator's clock", async () => {
    const now = 1_800_000_000_000;
    for (const skew of [0, -3, -250, 120, 299]) {
      const { task, result, signature } = await completed(now / 1000 + skew, now);
      expect(acceptedTaskResult(domain, coordinator, task, miner.address), `skew ${skew}`).toEqual({
        result,
        signature,
      });
    }
  });

  it("finds nothing for another signer, or outside the window acceptResult allows", async () => {
    const now = 1_800_000_000_000;
    const { task } = await completed(now / 1000, now);
    expect(
      acceptedTaskResult(domain, coordinator, task, privateKeyToAccount(generatePrivateKey()).address),
    ).toBeUndefined();
    const late = await completed(now / 1000 + 301, now);
    expect(acceptedTaskResult(domain, coordinator, late.task, miner.address)).toBeUndefined();
  });
});

describe("equivocation store", () => {
  it("keeps the first proof per task until it is settled, and calls back on each record", async () => {
    const store = new EquivocationStore(stores.open(stores.path()));
    let recorded = 0;
    store.onRecord = () => recorded++;
    const a = await completed(1_800_000_000, 1_800_000_000_000);
    const b = {
      result: { ...a.result, resultHash: `0x${"33".repeat(32)}` as Hex },
      signature: "0x01" as Hex,
    };
    store.record(miner.address, { result: a.result, signature: a.signature }, b);
    store.record(miner.address, { result: a.result, signature: a.signature }, { ...b, signature: "0x02" });
    expect(recorded).toBe(2);
    const [pending] = store.pending();
    expect(store.pending()).toHaveLength(1);
    expect(pending).toMatchObject({
      miner: miner.address.toLowerCase(),
      status: "pending",
      b: { signature: "0x01" },
    });
    expect(pending?.a.result).toEqual(a.result);
    store.settle(a.task.id, { proven: false, error: "the miner's key was already marked" });
    expect(store.pending()).toEqual([]);
    expect(store.get(a.task.id)).toMatchObject({
      status: "refused",
      error: "the miner's key was already marked",
    });
  });
});
