// What one task costs the coordinator, step by step: the store, hashing and signature work on a chat
// task's path (app request → stored → leased → result checked, recorded, credited → receipt), run
// on the real services in this process, task after task, each step timed on its own. The database is
// opened as the node opens it (group commit, WAL checkpoints in a thread), and each commit is timed as
// a step of its own: here every task pays whole commits, under load one commit serves every task of an
// event-loop turn.
// HTTP and scheduling stay out; their share is what the throughput run's CPU per task leaves over.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ChatTaskInput,
  type ChatTaskOutput,
  hashTaskResult,
  inputHash,
  outputHash,
  type TaskResult,
} from "@roost/protocol";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { createDigestSigner, recoverDigestSigner } from "../../packages/chain/src/fast-ecdsa.js";
import { DEFAULT_CONFIG } from "../../packages/coordinator/src/config.js";
import { createServices } from "../../packages/coordinator/src/node/create-services.js";
import { startCheckpointer } from "../../packages/coordinator/src/store/checkpointer.js";
import { openDatabase } from "../../packages/coordinator/src/store/database.js";
import { StaticChain } from "../../packages/coordinator/test/fixtures/coordinator.js";
import { BENCH_CHAIN_ID, BENCH_CONTRACTS, BENCH_MODEL, minerKey } from "./ipc.js";

export interface StepCost {
  step: string;
  /** The request of the task's three (app, poll, result) that pays for it. */
  request: "app" | "poll" | "result";
  /** Median and mean microseconds per task. */
  median: number;
  mean: number;
}

export const STEP_WARMUP = 1_000;
export const STEP_TASKS = 5_000;

/** Runs STEP_WARMUP + STEP_TASKS chat tasks through the steps; the per-step times of the last STEP_TASKS. */
export async function measureSteps(): Promise<StepCost[]> {
  const dir = mkdtempSync(join(tmpdir(), "roost-bench-steps-"));
  const db = openDatabase(join(dir, "coordinator.db"), {
    synchronous: DEFAULT_CONFIG.synchronous,
    groupCommit: true,
  });
  const checkpointer = startCheckpointer(db);
  try {
    const miner = privateKeyToAddress(minerKey(0));
    const services = createServices({
      config: DEFAULT_CONFIG,
      db,
      chain: new StaticChain({ [miner]: 1000 }),
      operatorKey: generatePrivateKey(),
      chainId: BENCH_CHAIN_ID,
      contracts: BENCH_CONTRACTS,
    });
    const apiKey = services.apiKeys.create("bench", { rateLimitPerMinute: 1_000_000_000 });
    const session = services.sessions.create(miner, 3_600_000);
    await db.committed();
    const minerSigner = createDigestSigner(minerKey(0));
    const times = new Map<string, { request: StepCost["request"]; us: number[] }>();
    let counted = false;
    const step = <T>(name: string, request: StepCost["request"], run: () => T): T => {
      const start = process.hrtime.bigint();
      const result = run();
      const us = Number(process.hrtime.bigint() - start) / 1000;
      if (!counted) return result;
      const entry = times.get(name) ?? { request, us: [] };
      entry.us.push(us);
      times.set(name, entry);
      return result;
    };
    // The commit runs at the end of the event-loop turn: timed from the turn's end to the commit.
    const commit = async (name: string, request: StepCost["request"]) => {
      const start = process.hrtime.bigint();
      await db.committed();
      const us = Number(process.hrtime.bigint() - start) / 1000;
      if (!counted) return;
      const entry = times.get(name) ?? { request, us: [] };
      entry.us.push(us);
      times.set(name, entry);
    };

    for (let i = 0; i < STEP_WARMUP + STEP_TASKS; i++) {
      counted = i >= STEP_WARMUP;
      const input: ChatTaskInput = {
        type: "chat",
        model: BENCH_MODEL,
        messages: [{ role: "user", content: `ping ${i}` }],
        max_tokens: 16,
        temperature: 1,
        top_p: 1,
        seed: null,
        stop: [],
      };
      const output: ChatTaskOutput = {
        type: "chat",
        content: `echo: ping ${i}`,
        finish_reason: "stop",
        usage: { prompt_tokens: 2, completion_tokens: 3 },
      };
      step("API key check (SHA-256, SELECT)", "app", () => services.apiKeys.verify(apiKey.plaintext));
      const hash = step("input hash (canonical JSON, keccak256)", "app", () => inputHash(input));
      // As when a miner waits: the task is stored already leased to the drawn miner.
      const queued = step("store, leased to the drawn miner (BEGIN IMMEDIATE, INSERT)", "app", () =>
        services.tasks.enqueue({
          id: `0x${randomBytes(32).toString("hex")}`,
          apiKeyId: apiKey.key.id,
          kind: "chat",
          model: BENCH_MODEL,
          input,
          inputHash: hash,
          stream: false,
          maxAttempts: 3,
          leaseTo: { miner, leaseMs: 30_000 },
        }),
      );
      await commit("commit of the request's writes (COMMIT)", "app");
      step("miner session check of the poll (SHA-256, SELECT)", "poll", () =>
        services.sessions.verify(session),
      );
      step("miner session check of the result (SHA-256, SELECT)", "result", () =>
        services.sessions.verify(session),
      );
      const task = step("read the task (SELECT)", "result", () => services.tasks.get(queued.id));
      if (task === undefined) throw new Error(`task ${queued.id} vanished`);
      const resultHash = step("output hash (canonical JSON, keccak256)", "result", () => outputHash(output));
      const message: TaskResult = {
        coordinator: services.operator,
        taskId: task.id as Hex,
        inputHash: task.inputHash as Hex,
        resultHash,
        modelId: task.model,
        completedAt: BigInt(Math.floor(Date.now() / 1000)),
      };
      const digest = step("TaskResult EIP-712 digest (precomputed type hashes, keccak256)", "result", () =>
        hashTaskResult(services.disputesDomain, message),
      );
      const signature = minerSigner.sign(digest);
      const signer = step("TaskResult signer recovery (libsecp256k1, address)", "result", () =>
        recoverDigestSigner(digest, signature),
      );
      if (signer !== miner) throw new Error("recovered the wrong signer");
      step(
        "complete + credit (BEGIN IMMEDIATE, SAVEPOINT, UPDATE … RETURNING, SELECT, UPSERT, RELEASE)",
        "result",
        () =>
          services.tasks.complete(
            task.id,
            miner,
            { resultHash, signature, payload: output, completedAt: Date.now() },
            (done) => {
              services.earnings.credit(miner, done);
            },
          ),
      );
      await commit("commit of the result's writes (COMMIT)", "result");
      step("receipt, after the app's answer (SELECT, Receipt digest, libsecp256k1 sign)", "result", () =>
        services.earnings.receipt(miner),
      );
    }
    return [...times.entries()].map(([step, { request, us }]) => {
      const sorted = [...us].sort((a, b) => a - b);
      return {
        step,
        request,
        median: sorted[Math.floor(sorted.length / 2)] as number,
        mean: us.reduce((sum, v) => sum + v, 0) / us.length,
      };
    });
  } finally {
    await checkpointer.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
