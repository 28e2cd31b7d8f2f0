// kill -9 of the coordinator under load: every task it accepted (HTTP 202) is completed after a restart,
// each exactly once, and the miners are paid exactly once per task. The coordinator runs as the real
// `roost coordinator start` process (the built CLI) against a devnet.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatTaskInput, RoostDomainParams } from "@roost/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { openDatabase } from "../src/store/database.js";
import { TaskStore } from "../src/store/tasks.js";
import { NO_SPOT_CHECKS } from "./fixtures/coordinator.js";
import { demoChatOutput, MinerClient } from "./fixtures/miner-client.js";
import type { MinerServeLoop } from "./fixtures/miner-serve.js";
import {
  account,
  COORDINATOR,
  MINERS,
  privateKeyOf,
  startNetwork,
  type TestNetwork,
} from "./fixtures/network.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../cli/dist/main.js");
const MODEL = "roost-demo-chat";
const TASKS = 150;
const PRICE_WEI = 10n ** 16n; // the default chat price, 0.01 CAI

let network: TestNetwork;
let dir: string;
let db: string;
let port: number;
let coordinator: ChildProcess | undefined;
const loops: MinerServeLoop[] = [];

/** The command line and environment of the built `roost` (nothing inherited but PATH). */
function roost(args: string[], env: Record<string, string> = {}) {
  return {
    args: [CLI, "--deployment", network.devnet.path, ...args],
    env: { PATH: process.env.PATH ?? "", ...env },
  };
}

/** Starts `roost coordinator start` and resolves once it serves. */
async function startCoordinatorProcess(): Promise<ChildProcess> {
  // Short leases: tasks in answers that the kill cut off move on to a miner within seconds.
  const config = join(dir, "coordinator.json");
  // Spot checks off: the test counts the tasks it submitted (the node suites test checks across restarts).
  writeFileSync(config, JSON.stringify({ leaseMs: 3_000, verification: NO_SPOT_CHECKS }));
  const { args, env } = roost(
    ["coordinator", "start", "--config", config, "--port", String(port), "--db", db, "--log-level", "warn"],
    { ROOST_PRIVATE_KEY: privateKeyOf(COORDINATOR.operator) },
  );
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coordinator did not start: ${stderr}`)), 30_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("serving")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`coordinator exited with ${code}: ${stderr}`)));
  });
  return child;
}

/** Submits task `n`; its Idempotency-Key makes a retry after a lost answer return the same task. */
async function submit(apiKey: string, n: number): Promise<{ id: string; status: number }> {
  const body = {
    type: "chat",
    model: MODEL,
    input: { messages: [{ role: "user", content: `task ${n}` }], max_tokens: 8, temperature: 0 },
  };
  const response = await fetch(`http://127.0.0.1:${port}/v1/tasks`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      "idempotency-key": `task-${n}`,
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { id: string };
  return { id: json.id, status: response.status };
}

beforeAll(async () => {
  network = await startNetwork();
  dir = mkdtempSync(join(tmpdir(), "roost-crash-"));
  db = join(dir, "coordinator.db");
  port = await freePort();
}, 60_000);

afterAll(async () => {
  await Promise.all(loops.map((loop) => loop.stop({ abandon: true })));
  coordinator?.kill("SIGKILL");
  await network?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("kill -9 of the coordinator under load", { timeout: 120_000 }, () => {
  it("loses no accepted task and answers none twice", async () => {
    const { args, env } = roost([
      "--json",
      "coordinator",
      "keys",
      "create",
      "load",
      "--db",
      db,
      "--rate-limit",
      "100000",
    ]);
    const created = spawnSync(process.execPath, args, { env, encoding: "utf8" });
    expect(created.status).toBe(0);
    const apiKey = (JSON.parse(created.stdout) as { key: string }).key;

    coordinator = await startCoordinatorProcess();
    const domain: RoostDomainParams = {
      chainId: network.devnet.file.chainId,
      verifyingContract: network.devnet.file.contracts.Disputes,
    };
    const miners = MINERS.map(
      (m) =>
        new MinerClient({
          baseUrl: `http://127.0.0.1:${port}`,
          account: account(m.operator),
          coordinator: account(COORDINATOR.operator).address,
          disputesDomain: domain,
        }),
    );
    for (const miner of miners) {
      await miner.login();
      loops.push(
        miner.serve({
          models: [MODEL],
          slots: 4,
          delayMs: 15,
          waitMs: 1_000,
          answer: (task) => demoChatOutput(task.input as ChatTaskInput),
        }),
      );
    }
    // Let the miners' first polls arrive, so the model is online when the app submits.
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Submit with 8 in flight, each task until accepted (as an app retries); kill -9 once a third is
    // accepted, restart, go on. A request cut off by the kill may or may not have been stored: its
    // retry with the same Idempotency-Key gets the same task either way.
    const accepted = new Map<number, string>();
    let failures = 0;
    let next = 0;
    let killed = false;
    let atKill: Record<string, number> = {};
    const worker = async () => {
      while (next < TASKS) {
        const n = next++;
        for (;;) {
          const answer = await submit(apiKey, n).catch(() => undefined);
          if (answer?.status === 202) {
            accepted.set(n, answer.id);
            break;
          }
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (!killed && accepted.size >= TASKS / 3) {
          killed = true;
          coordinator?.kill("SIGKILL");
          await new Promise((resolve) => coordinator?.once("exit", resolve));
          const dead = openDatabase(db);
          atKill = new TaskStore(dead).countsByStatus();
          dead.close();
          coordinator = await startCoordinatorProcess();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(killed).toBe(true);
    expect((atKill.queued ?? 0) + (atKill.leased ?? 0)).toBeGreaterThan(0); // killed with work in flight
    expect(failures).toBeGreaterThan(0); // some requests did hit the dead coordinator
    expect(new Set(accepted.values()).size).toBe(TASKS);

    // Every accepted task completes: leases held by the killed process run out and move on.
    const deadline = Date.now() + 60_000;
    const store = new TaskStore(openDatabase(db));
    const unfinished = () => [...accepted.values()].filter((id) => store.get(id)?.status !== "completed");
    while (unfinished().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(unfinished()).toEqual([]);
    expect(store.countsByStatus()).toEqual({ queued: 0, leased: 0, completed: TASKS, failed: 0 });

    // Paid once per task: the receipts add up to exactly one price per accepted task.
    let paid = 0n;
    for (const miner of miners) {
      const receipt = await miner.receipt().catch(() => undefined); // 404: this miner got no task
      paid += BigInt(receipt?.cumulativeAmount ?? 0);
    }
    expect(paid).toBe(PRICE_WEI * BigInt(TASKS));
    const completedByLoops = loops.flatMap((loop) => loop.completed);
    expect(new Set(completedByLoops).size).toBe(completedByLoops.length);
  });
});
