// A stand-in coordinator for the miner benchmark: the miner API's routes (login, poll, progress,
// result) with the real coordinator's JSON shapes (packages/coordinator/src/api/miner-api.ts), on
// node:http, doing no work of its own, so what it times is the miner's. It hands out one task per poll,
// `delayMs` after the poll arrived (the miner is then idle in its long poll, as when a task comes in),
// and notes on CLOCK_MONOTONIC (process.hrtime.bigint(), which the miner's process shares) when that
// answer was handed to node:http and when the task's result had wholly arrived. The results are checked at the
// end (fields, output hash, signature recovered to the miner), off the timed path. Driven over IPC by
// bench/miner/overhead.ts (StandInCommand / StandInEvent).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  type ChatTaskOutput,
  hashReceipt,
  hashTaskResult,
  type LeasedTask,
  outputHash,
} from "@roost/protocol";
import type { Address, Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { createDigestSigner, recoverDigestSigner } from "../../packages/chain/src/fast-ecdsa.js";
import {
  BENCH_DOMAIN,
  benchTask,
  type StandInCommand,
  type StandInEvent,
  type TaskTimes,
} from "./messages.js";

const operatorSigner = createDigestSigner(generatePrivateKey());
const operator = operatorSigner.address;
const send = (event: StandInEvent) => process.send?.(event);

let plan: { count: number; delayMs: number; miner: Address } | undefined;
let handedOut = 0;
let polls = 0;
const tasks = new Map<string, { task: LeasedTask; i: number }>();
const times = new Map<number, Partial<TaskTimes>>();
const bodies = new Map<number, string>();
/** The task whose answer is out and whose next poll has not come yet. */
let awaitingPoll: number | undefined;
/** A poll held open with nothing to hand out, and its timer. */
let held: { res: ServerResponse; timer: NodeJS.Timeout } | undefined;

/**
 * Answers with `value` as JSON; `stamp` runs just before the answer goes to the socket. (Not after: the
 * write wakes the miner, which may run on this core before this process does again.)
 */
function json(res: ServerResponse, status: number, value: unknown, stamp?: () => void): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  stamp?.();
  res.end(text);
}

function readBody(req: IncomingMessage, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => done(Buffer.concat(chunks).toString("utf8")));
}

function poll(res: ServerResponse, waitMs: number): void {
  polls++;
  if (awaitingPoll !== undefined) {
    (times.get(awaitingPoll) as Partial<TaskTimes>).nextPoll = String(process.hrtime.bigint());
    awaitingPoll = undefined;
  }
  if (plan !== undefined && handedOut < plan.count) {
    const i = handedOut++;
    const task = benchTask(i);
    tasks.set(task.id, { task, i });
    setTimeout(() => {
      json(res, 200, { tasks: [task] }, () => times.set(i, { i, written: String(process.hrtime.bigint()) }));
    }, plan.delayMs);
    return;
  }
  const timer = setTimeout(() => {
    held = undefined;
    json(res, 200, { tasks: [] });
  }, waitMs);
  held = { res, timer };
  res.on("close", () => {
    clearTimeout(timer);
    if (held?.res === res) held = undefined;
  });
}

function result(res: ServerResponse, id: string, text: string): void {
  const arrived = String(process.hrtime.bigint());
  const known = tasks.get(id);
  if (known === undefined) {
    json(res, 404, { error: { code: "task_not_found", message: `no task ${id}` } });
    return;
  }
  const record = times.get(known.i) as Partial<TaskTimes>;
  record.arrived = arrived;
  bodies.set(known.i, text);
  const n = bodies.size;
  awaitingPoll = known.i;
  // A receipt as the coordinator sends one, signed as the coordinator signs it (the miner checks it).
  const cumulativeAmount = BigInt(n) * 1_000_000_000_000n;
  const miner = plan?.miner as Address;
  const receipt = {
    coordinator: operator,
    miner,
    cumulativeAmount: cumulativeAmount.toString(),
    signature: operatorSigner.sign(
      hashReceipt(BENCH_DOMAIN, { coordinator: operator, miner, cumulativeAmount }),
    ),
    tasks: n,
  };
  json(res, 200, { accepted: true, taskId: id, receipt }, () => {
    record.answered = String(process.hrtime.bigint());
  });
  if (plan !== undefined && n === plan.count) send({ event: "done" });
}

const server = createServer((req, res) => {
  const url = req.url ?? "";
  readBody(req, (text) => {
    if (url === "/miner/v1/login") {
      json(res, 200, { token: "bench-session", expiresAt: Date.now() + 3_600_000 });
    } else if (url === "/miner/v1/poll") {
      poll(res, Math.min((JSON.parse(text) as { waitMs?: number }).waitMs ?? 25_000, 25_000));
    } else if (url.endsWith("/progress")) {
      json(res, 200, { leaseExpiresAt: Date.now() + 30_000 });
    } else if (url.endsWith("/result")) {
      result(res, url.split("/")[4] ?? "", text);
    } else {
      json(res, 404, { error: { code: "not_found", message: url } });
    }
  });
});
server.keepAliveTimeout = 120_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

/** Every result checked as the coordinator checks it, with libsecp256k1 as the coordinator recovers. */
function verify(): { verified: number; invalid: string[] } {
  let verified = 0;
  const invalid: string[] = [];
  for (const [i, text] of bodies) {
    const task = benchTask(i);
    const body = JSON.parse(text) as {
      result: { coordinator: Address; taskId: Hex; inputHash: Hex; resultHash: Hex; modelId: string };
      signature: Hex;
      output: ChatTaskOutput;
    } & { result: { completedAt: string } };
    const r = body.result;
    const message = { ...r, completedAt: BigInt(r.completedAt) };
    const signer = recoverDigestSigner(hashTaskResult(BENCH_DOMAIN, message), body.signature);
    const ok =
      r.taskId === task.id &&
      r.coordinator.toLowerCase() === operator.toLowerCase() &&
      r.inputHash === task.inputHash &&
      r.modelId === task.input.model &&
      r.resultHash === outputHash(body.output) &&
      signer?.toLowerCase() === plan?.miner.toLowerCase();
    if (ok) verified++;
    else if (invalid.length < 5) invalid.push(`task ${i}: ${text.slice(0, 300)}`);
  }
  return { verified, invalid };
}

process.on("disconnect", () => process.exit(1)); // orphaned: do not linger
process.on("message", (message: StandInCommand) => {
  if (message.cmd === "tasks") {
    plan = { count: message.count, delayMs: message.delayMs, miner: message.miner };
    handedOut = 0;
  } else if (message.cmd === "report") {
    const complete = [...times.values()].filter(
      (t): t is TaskTimes => t.arrived !== undefined && t.nextPoll !== undefined,
    );
    send({ event: "report", times: complete, polls, ...verify() });
  } else if (message.cmd === "exit") {
    if (held !== undefined) clearTimeout(held.timer);
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
send({ event: "ready", url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, operator });
