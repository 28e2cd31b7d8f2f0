// Where the miner's time per task goes: each step of a chat task's path through the node, run on its
// own with the real functions (the built @roost/miner, @roost/chain and @roost/protocol), a real
// MinerJournal on a temp file (WAL, synchronous NORMAL: only recordSigned's commit syncs the disk),
// task after task; the signature as the node makes it (createDigestSigner, libsecp256k1), and viem's
// for comparison. Each step: wall time per call (median, mean) and the process's CPU time per call
// over all the calls (user + system, process.cpuUsage()), which tells waiting on the disk apart from work.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDigestSigner } from "@roost/chain";
import { MinerJournal, signOnce } from "@roost/miner";
import {
  hashTaskResult,
  outputHash,
  roostDomain,
  roostTypes,
  signTaskResult,
  type TaskResult,
} from "@roost/protocol";
import { type Hex, hashTypedData, type TypedDataDefinition } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { percentile } from "../coordinator/load.js";
import { BENCH_DOMAIN, benchTask, instantOutput } from "./messages.js";

export interface StepCost {
  /** When in the task it happens: before or after the backend runs, or after the coordinator answered. */
  phase: "before the backend" | "after the backend" | "after the answer" | "for comparison";
  step: string;
  /** Wall µs per call: median and mean; CPU µs per call (mean). */
  median: number;
  mean: number;
  cpu: number;
}

export const STEPS = { warmup: 300, calls: 2_000 };

/** Median and mean wall µs per call, and CPU µs per call, of one step's timed calls. */
function summarize(
  phase: StepCost["phase"],
  step: string,
  walls: number[],
  cpu: NodeJS.CpuUsage,
  calls: number,
): StepCost {
  walls.sort((a, b) => a - b);
  return {
    phase,
    step,
    median: percentile(walls, 0.5),
    mean: walls.reduce((sum, v) => sum + v, 0) / walls.length,
    cpu: (cpu.user + cpu.system) / calls,
  };
}

/** Times a synchronous step (no await between calls, which would add a microtask to each). */
function time(
  phase: StepCost["phase"],
  step: string,
  run: (i: number) => unknown,
  warmup = STEPS.warmup,
  calls = STEPS.calls,
): StepCost {
  for (let i = 0; i < warmup; i++) run(i);
  const walls: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = warmup; i < warmup + calls; i++) {
    const start = performance.now();
    run(i);
    walls.push((performance.now() - start) * 1000);
  }
  return summarize(phase, step, walls, process.cpuUsage(cpuBefore), calls);
}

async function timeAsync(
  phase: StepCost["phase"],
  step: string,
  run: (i: number) => Promise<unknown>,
): Promise<StepCost> {
  for (let i = 0; i < STEPS.warmup; i++) await run(i);
  const walls: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = STEPS.warmup; i < STEPS.warmup + STEPS.calls; i++) {
    const start = performance.now();
    await run(i);
    walls.push((performance.now() - start) * 1000);
  }
  return summarize(phase, step, walls, process.cpuUsage(cpuBefore), STEPS.calls);
}

/** Runs every step; each uses fresh task ids (offset by a step number), so every write inserts. */
export async function measureSteps(): Promise<StepCost[]> {
  const dir = mkdtempSync(join(tmpdir(), "roost-bench-miner-steps-"));
  const journal = MinerJournal.open(join(dir, "journal.db"));
  try {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const signer = createDigestSigner(key); // as `roost miner start` passes it to the node
    const coordinator = privateKeyToAccount(generatePrivateKey()).address;
    const n = STEPS.warmup + STEPS.calls;
    const tasks = (offset: number) => Array.from({ length: n }, (_, i) => benchTask(offset * n + i));
    const output = instantOutput("task 1");
    const message = (task: ReturnType<typeof benchTask>): TaskResult => ({
      coordinator,
      taskId: task.id,
      inputHash: task.inputHash,
      resultHash: outputHash(output),
      modelId: task.input.model,
      completedAt: BigInt(Math.floor(Date.now() / 1000)),
    });
    const steps: StepCost[] = [];

    const polled = tasks(0);
    const answers = polled.map((task) => Buffer.from(JSON.stringify({ tasks: [task] })));
    steps.push(
      time("before the backend", "read the poll answer (Buffer → string, JSON.parse)", (i) =>
        JSON.parse((answers[i] as Buffer).toString()),
      ),
    );
    steps.push(
      time("before the backend", "journal the lease (recordLease: INSERT, commit, no fsync)", (i) =>
        journal.recordLease(coordinator, polled[i] as ReturnType<typeof benchTask>),
      ),
    );

    steps.push(
      time("after the backend", "output hash (canonical JSON, keccak256)", () => outputHash(output)),
    );
    const signing = tasks(1).map(message);
    const digests = signing.map((m) => hashTaskResult(BENCH_DOMAIN, m));
    steps.push(
      time("after the backend", "TaskResult signature, as the node signs it (digest + libsecp256k1)", (i) =>
        signer.sign(hashTaskResult(BENCH_DOMAIN, signing[i] as TaskResult)),
      ),
    );
    steps.push(
      time("after the backend", "… of which the EIP-712 digest (hashTaskResult)", (i) =>
        hashTaskResult(BENCH_DOMAIN, signing[i] as TaskResult),
      ),
    );
    steps.push(
      time("after the backend", "… of which libsecp256k1's signature (createDigestSigner)", (i) =>
        signer.sign(digests[i] as Hex),
      ),
    );
    const recorded = tasks(2);
    steps.push(
      time("after the backend", "journal the signed result (recordSigned: INSERT, commit + fsync)", (i) => {
        const task = recorded[i] as ReturnType<typeof benchTask>;
        const m = message(task);
        journal.recordSigned(coordinator, task.id, {
          result: { ...m, completedAt: m.completedAt.toString(10) },
          signature: `0x${"11".repeat(65)}`,
          output,
        });
      }),
    );
    const once = tasks(3);
    const signOnceWith = (list: ReturnType<typeof benchTask>[], withSigner: boolean) => (i: number) =>
      signOnce({
        journal,
        account,
        ...(withSigner ? { signer } : {}),
        domain: BENCH_DOMAIN,
        coordinator,
        task: list[i] as ReturnType<typeof benchTask>,
        output,
      });
    steps.push(
      await timeAsync(
        "after the backend",
        "signOnce as a whole, with the signer (SELECT, hash, sign, INSERT + fsync)",
        signOnceWith(once, true),
      ),
    );
    const bodies = once.map((task) => journal.signedResult(coordinator, task.id)?.body);
    steps.push(
      time("after the backend", "the result request's body (JSON.stringify)", (i) =>
        JSON.stringify(bodies[i]),
      ),
    );

    steps.push(
      time("after the answer", "mark it submitted (markSubmitted: UPDATE, DELETE, commit, no fsync)", (i) =>
        journal.markSubmitted(coordinator, (once[i] as ReturnType<typeof benchTask>).id),
      ),
    );
    steps.push(
      time("after the answer", "keep the receipt (recordReceipt: UPSERT, commit, no fsync)", (i) =>
        journal.recordReceipt({
          coordinator,
          cumulativeAmount: BigInt(i + 1) * 1_000_000_000_000n,
          signature: `0x${"ab".repeat(64)}1b`,
          tasks: i + 1,
        }),
      ),
    );

    steps.push(
      await timeAsync("for comparison", "TaskResult signature in viem (signTaskResult: signTypedData)", (i) =>
        signTaskResult(account, BENCH_DOMAIN, signing[i] as TaskResult),
      ),
    );
    // What signTaskResult hands viem (@roost/protocol's signing.ts).
    const typedData = (m: TaskResult) =>
      ({
        domain: roostDomain(BENCH_DOMAIN),
        types: roostTypes,
        primaryType: "TaskResult",
        message: m,
      }) as unknown as TypedDataDefinition;
    steps.push(
      time("for comparison", "… of which viem's EIP-712 digest (hashTypedData)", (i) =>
        hashTypedData(typedData(signing[i] as TaskResult)),
      ),
    );
    steps.push(
      await timeAsync("for comparison", "… of which viem's secp256k1 signature of the digest", (i) =>
        account.sign({ hash: digests[i] as Hex }),
      ),
    );
    steps.push(
      await timeAsync(
        "for comparison",
        "signOnce as a whole, viem only (no signer: the account signs)",
        signOnceWith(tasks(4), false),
      ),
    );
    const file = openSync(join(dir, "fsync-probe"), "w");
    const page = Buffer.alloc(4096, 1);
    steps.push(
      time(
        "for comparison",
        "the disk alone: write 4 KiB + fsync (node:fs)",
        (i) => {
          writeSync(file, page, 0, page.length, (i % 256) * page.length);
          fsyncSync(file);
        },
        50,
        500,
      ),
    );
    closeSync(file);
    return steps;
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
