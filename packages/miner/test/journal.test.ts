import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDigestSigner } from "@roost/chain";
import {
  type ChatTaskInput,
  inputHash,
  type LeasedTask,
  recoverTaskResultSigner,
  type TaskOutput,
} from "@roost/protocol";
import { type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { MinerJournal } from "../src/journal/journal.js";
import { signOnce } from "../src/tasks/sign-once.js";

const COORDINATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
const DOMAIN = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };

function task(n: number): LeasedTask {
  const input: ChatTaskInput = {
    type: "chat",
    model: "roost-demo/tiny-random-llama",
    messages: [{ role: "user", content: `question ${n}` }],
    max_tokens: 8,
    temperature: 0,
    top_p: 1,
    seed: null,
    stop: [],
  };
  return {
    id: keccak256(toHex(`task ${n}`)),
    input,
    inputHash: inputHash(input),
    stream: false,
    leaseExpiresAt: 1,
  };
}

const output = (content: string): TaskOutput => ({
  type: "chat",
  content,
  finish_reason: "stop",
  usage: { prompt_tokens: 3, completion_tokens: 2 },
});

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function open(): MinerJournal {
  dir = mkdtempSync(join(tmpdir(), "roost-journal-"));
  return MinerJournal.open(join(dir, "journal.db"));
}

describe("miner journal", () => {
  it("signs a task once: a second output for the same task gets the first signed result back", async () => {
    const journal = open();
    const account = privateKeyToAccount(generatePrivateKey());
    const base = { journal, account, domain: DOMAIN, coordinator: COORDINATOR, task: task(1) };
    const first = await signOnce({ ...base, output: output("first") });
    const second = await signOnce({ ...base, output: output("different") });
    expect(second.body).toEqual(first.body);
    expect(second.body.output).toEqual(output("first"));
    expect(journal.signedCount()).toBe(1);
    const signer = await recoverTaskResultSigner(
      DOMAIN,
      {
        ...first.body.result,
        completedAt: BigInt(first.body.result.completedAt),
      },
      first.body.signature,
    );
    expect(signer).toBe(account.address);
    journal.close();
  });

  it("signs through libsecp256k1 exactly as through the account, when given the same key", async () => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const signed = async (withSigner: boolean) => {
      const journal = open();
      const result = await signOnce({
        journal,
        account,
        ...(withSigner ? { signer: createDigestSigner(key) } : {}),
        domain: DOMAIN,
        coordinator: COORDINATOR,
        task: task(7),
        output: output("same"),
        now: () => 1_800_000_000,
      });
      journal.close();
      rmSync(dir, { recursive: true, force: true });
      return result.body;
    };
    const [viaAccount, viaSigner] = [await signed(false), await signed(true)];
    expect(viaSigner.signature).toBe(viaAccount.signature); // RFC 6979: one signature per message and key
    expect(viaSigner).toEqual(viaAccount);
  });

  it("tracks leases through signing and submission, keyed case-insensitively", async () => {
    const journal = open();
    const account = privateKeyToAccount(generatePrivateKey());
    const [a, b] = [task(1), task(2)];
    journal.recordLease(COORDINATOR, a, 10);
    journal.recordLease(COORDINATOR.toLowerCase() as Hex, b, 20);
    journal.recordLease(COORDINATOR, a, 30); // a repeat keeps the first
    expect(journal.unsignedLeases().map((l) => [l.task.id, l.acceptedAt])).toEqual([
      [a.id, 10],
      [b.id, 20],
    ]);

    await signOnce({
      journal,
      account,
      domain: DOMAIN,
      coordinator: COORDINATOR,
      task: a,
      output: output("a"),
    });
    expect(journal.unsignedLeases().map((l) => l.task.id)).toEqual([b.id]);
    expect(journal.unsubmitted().map((r) => r.taskId)).toEqual([a.id]);

    expect(journal.isSubmitted(COORDINATOR, a.id)).toBe(false);
    journal.markSubmitted(COORDINATOR, a.id, 1234);
    expect(journal.isSubmitted(COORDINATOR.toLowerCase() as Hex, a.id)).toBe(true);
    expect(journal.unsubmitted()).toEqual([]);
    expect(journal.signedResult(COORDINATOR, a.id)?.submittedAt).toBe(1234);
    journal.dropLease(COORDINATOR, b.id);
    expect(journal.unsignedLeases()).toEqual([]);
    expect(journal.signedCount()).toBe(1); // submitted results stay: they are the miner's records
    journal.close();
  });

  it("keeps the receipt paying the most per coordinator, whatever order receipts arrive in", () => {
    const journal = open();
    const receipt = (amount: bigint, tasks: number) => ({
      coordinator: COORDINATOR,
      cumulativeAmount: amount,
      signature: `0x${tasks.toString(16).padStart(130, "0")}` as Hex,
      tasks,
    });
    journal.recordReceipt(receipt(9n, 1));
    journal.recordReceipt(receipt(100n, 3));
    journal.recordReceipt(receipt(99n, 2)); // a late, older receipt: ignored
    expect(journal.receipts()).toEqual([{ ...receipt(100n, 3), coordinator: COORDINATOR.toLowerCase() }]);
    journal.recordReceipt(receipt(10n ** 24n, 4));
    expect(journal.receipts()[0]?.cumulativeAmount).toBe(10n ** 24n);
    journal.close();
  });

  it("drops the outputs of results accepted before a time, keeping their signed TaskResults", async () => {
    const journal = open();
    const account = privateKeyToAccount(generatePrivateKey());
    const sign = (n: number) =>
      signOnce({
        journal,
        account,
        domain: DOMAIN,
        coordinator: COORDINATOR,
        task: task(n),
        output: output(`${n}`),
      });
    const [old, recent, unsent] = [await sign(1), await sign(2), await sign(3)];
    journal.markSubmitted(COORDINATOR, old.taskId, 1_000);
    journal.markSubmitted(COORDINATOR, recent.taskId, 5_000);
    expect(journal.pruneOutputs(2_000)).toBe(1);
    expect(journal.pruneOutputs(2_000)).toBe(0);
    const pruned = journal.signedResult(COORDINATOR, old.taskId)?.body;
    expect(pruned).toEqual({ result: old.body.result, signature: old.body.signature });
    expect(journal.signedResult(COORDINATOR, recent.taskId)?.body).toEqual(recent.body);
    expect(journal.signedResult(COORDINATOR, unsent.taskId)?.body).toEqual(unsent.body); // still to be sent
    expect(journal.pruneOutputs(Number.MAX_SAFE_INTEGER)).toBe(1); // never the unsent one
    journal.close();
  });

  it("keeps a signed result through kill -9, and a restarted node resubmits it without signing again", async () => {
    dir = mkdtempSync(join(tmpdir(), "roost-journal-"));
    const path = join(dir, "journal.db");
    const key = generatePrivateKey();
    const t = task(7);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "fixtures/journal-crash-signer.ts"),
        path,
        key,
        COORDINATOR,
        DOMAIN.verifyingContract,
        JSON.stringify(t),
        JSON.stringify(output("from the first life")),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("signed") && resolve());
      child.on("exit", (code) => reject(new Error(`signer exited early (${code})`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));

    const journal = MinerJournal.open(path);
    const [pending] = journal.unsubmitted();
    expect(pending?.taskId).toBe(t.id);
    expect(pending?.body.output).toEqual(output("from the first life"));
    const again = await signOnce({
      journal,
      account: privateKeyToAccount(key),
      domain: DOMAIN,
      coordinator: COORDINATOR,
      task: t,
      output: output("from the second life"),
    });
    expect(again.body.signature).toBe(pending?.body.signature);
    expect(journal.signedCount()).toBe(1);
    journal.close();
  }, 30_000);
});
