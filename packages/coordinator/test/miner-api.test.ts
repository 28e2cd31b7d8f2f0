// The miner API over real HTTP: login and sessions, long-poll, progress, fail, and a whole serving miner.
// Result submissions and receipts are in miner-results.test.ts.
import { once } from "node:events";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChatTaskInput, ImageTaskInput } from "@roost/protocol";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import type { TaskEvent } from "../src/dispatch/task-events.js";
import { removeTempDirs, startTestCoordinator, type TestCoordinator } from "./fixtures/coordinator.js";
import { demoChatOutput, demoImageOutput, MinerApiError } from "./fixtures/miner-client.js";
import {
  CHAT_MODEL,
  chatInput,
  IMAGE_MODEL,
  imageInput,
  minerClient,
  queueTask,
} from "./fixtures/miner-tasks.js";
import { waitFor } from "./fixtures/store-helpers.js";

const alice = privateKeyToAccount(generatePrivateKey());
const bob = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const UNKNOWN_TASK = `0x${"ab".repeat(32)}`;

const running: TestCoordinator[] = [];
afterEach(async () => {
  for (const coordinator of running.splice(0)) {
    await coordinator.stop();
  }
  removeTempDirs();
});

async function start(options: Parameters<typeof startTestCoordinator>[0] = {}) {
  const coordinator = await startTestCoordinator({
    miners: { [alice.address]: 1, [bob.address]: 1 },
    ...options,
  });
  running.push(coordinator);
  return coordinator;
}

async function refusal(promise: Promise<unknown>): Promise<MinerApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MinerApiError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe("miner login and sessions", () => {
  it("opens a session for an eligible operator's signed login", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    const session = await client.login();
    expect(session.operator).toBe(alice.address);
    expect(session.token).toMatch(/^roost_ms_/);
    expect(session.expiresAt).toBeGreaterThan(Date.now());
    expect(coordinator.services.sessions.verify(session.token)).toBe(alice.address);
    expect(await client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 })).toEqual([]);
  });

  it("refuses a login signed by another key (401, signature) without burning the nonce", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    const forged = await client.loginBody({ nonce: 5n }, stranger);
    const error = await refusal(client.login(forged));
    expect(error).toMatchObject({ status: 401, code: "bad_signature", param: "signature" });
    expect(client.token).toBeUndefined();
    await expect(client.login(await client.loginBody({ nonce: 5n }))).resolves.toMatchObject({
      operator: alice.address,
    });
  });

  it("refuses a replayed login (401, nonce_reused)", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    const body = await client.loginBody({ nonce: 77n });
    await client.login(body);
    const error = await refusal(client.login(body));
    expect(error).toMatchObject({ status: 401, code: "nonce_reused", param: "login.nonce" });
  });

  it("refuses an operator that is not eligible (403), at login and at each poll", async () => {
    const coordinator = await start();
    const error = await refusal(minerClient(coordinator, stranger).login());
    expect(error).toMatchObject({ status: 403, code: "not_eligible", param: "login.operator" });

    const client = minerClient(coordinator, alice);
    await client.login();
    coordinator.chain.set(alice.address, 0); // jailed after logging in
    const pollError = await refusal(client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 }));
    expect(pollError).toMatchObject({ status: 403, code: "not_eligible" });
  });

  it("refuses a login for another coordinator or one that has expired (400 naming the field)", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    const other = privateKeyToAccount(generatePrivateKey()).address;
    const wrongCoordinator = await client.loginBody({ coordinator: other });
    expect(await refusal(client.login(wrongCoordinator))).toMatchObject({
      status: 400,
      param: "login.coordinator",
    });
    const expired = await client.loginBody({ expiresAt: BigInt(Math.floor(Date.now() / 1000) - 1) });
    expect(await refusal(client.login(expired))).toMatchObject({ status: 400, param: "login.expiresAt" });
    const missing = await refusal(client.login({ signature: `0x${"11".repeat(65)}` }));
    expect(missing).toMatchObject({ status: 400, param: "login" });
  });

  it("answers 401 to a request with no session, an unknown token or a malformed header", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    for (const token of [undefined, `roost_ms_${"A".repeat(43)}`, "not-a-token"]) {
      client.token = token;
      const error = await refusal(client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 }));
      expect(error).toMatchObject({ status: 401, code: "invalid_session" });
      expect(error.body).toMatchObject({ error: { type: "authentication_error" } });
    }
    const basic = await fetch(`${coordinator.url}/miner/v1/receipt`, {
      headers: { authorization: "Basic xyz" },
    });
    expect(basic.status).toBe(401);
  });
});

describe("miner long-poll, progress and fail", () => {
  it("hands a task queued while the miner waits, with its input and inputHash", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    await client.login();
    const polling = client.poll({ slots: 2, models: [CHAT_MODEL], waitMs: 10_000 });
    await waitFor(() => coordinator.services.dispatcher.waiting === 1, 5_000, "the poll to wait");
    const task = queueTask(coordinator, chatInput("hello"));
    const [leased, ...rest] = await polling;
    expect(rest).toEqual([]);
    expect(leased).toMatchObject({ id: task.id, inputHash: task.inputHash, stream: false });
    expect(leased?.input).toEqual(chatInput("hello"));
    expect(leased?.leaseExpiresAt).toBeGreaterThan(Date.now());
    expect(coordinator.services.tasks.get(task.id)).toMatchObject({
      status: "leased",
      leasedTo: alice.address,
    });
  });

  it("ends an empty long-poll after waitMs, capped by the coordinator's limit", async () => {
    const coordinator = await start({ config: { limits: { pollWaitMs: 300 } } });
    const client = minerClient(coordinator, alice);
    await client.login();
    let started = Date.now();
    expect(await client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 100 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    started = Date.now();
    expect(await client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 60_000 })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3_000);
    const badSlots = await refusal(client.poll({ slots: 65, models: [CHAT_MODEL] }));
    expect(badSlots).toMatchObject({ status: 400, param: "slots" });
  });

  it("extends the lease on progress and relays deltas to the task's listeners", async () => {
    const coordinator = await start({ config: { leaseMs: 1_000 } });
    const { services } = coordinator;
    const client = minerClient(coordinator, alice);
    await client.login();
    const task = queueTask(coordinator, chatInput("stream me"), { stream: true });
    const events: TaskEvent[] = [];
    services.events.subscribe(task.id, (event) => events.push(event));
    const [leased] = await client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    if (leased === undefined) throw new Error("no task");
    const firstExpiry = leased.leaseExpiresAt;
    // Keep the lease alive well past its first expiry (the sweep runs every 200 ms).
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const { leaseExpiresAt } = await client.progress(task.id, { delta: `part ${i} ` });
      expect(leaseExpiresAt).toBeGreaterThan(Date.now() + 500);
    }
    expect(Date.now()).toBeGreaterThan(firstExpiry + 300);
    expect(services.tasks.get(task.id)).toMatchObject({ status: "leased", attempts: 1 });
    expect(services.tasks.get(task.id)?.leaseExpiresAt).toBeGreaterThan(firstExpiry);
    const deltas = events.flatMap((event) => (event.type === "progress" ? [event.progress.delta] : []));
    expect(deltas).toEqual(["part 0 ", "part 1 ", "part 2 ", "part 3 "]);
    await client.result(leased, demoChatOutput(leased.input as ChatTaskInput));
    expect(services.tasks.get(task.id)?.status).toBe("completed");

    // Without progress the lease lapses: progress then answers 409.
    const lapsing = queueTask(coordinator, chatInput("forgotten"));
    await client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    await waitFor(() => services.tasks.get(lapsing.id)?.status === "queued", 5_000, "the lease to lapse");
    const error = await refusal(client.progress(lapsing.id, { fraction: 0.5 }));
    expect(error).toMatchObject({ status: 409, code: "not_lease_holder" });
  }, 15_000);

  it("refuses progress from a miner that does not hold the lease, and bad progress bodies", async () => {
    const coordinator = await start();
    const holder = minerClient(coordinator, alice);
    const other = minerClient(coordinator, bob);
    await holder.login();
    await other.login();
    const task = queueTask(coordinator, chatInput("mine"));
    await holder.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    const before = coordinator.services.tasks.get(task.id);
    expect(await refusal(other.progress(task.id, { delta: "x" }))).toMatchObject({
      status: 409,
      code: "not_lease_holder",
    });
    expect(await refusal(holder.progress(task.id, { fraction: 2 }))).toMatchObject({
      status: 400,
      param: "fraction",
    });
    expect(await refusal(holder.progress("0x1234", {}))).toMatchObject({ status: 400, param: "id" });
    expect(coordinator.services.tasks.get(task.id)).toEqual(before);
  });

  it("requeues a failed task to another miner and cools the failing one down", async () => {
    const coordinator = await start();
    const { services } = coordinator;
    const first = minerClient(coordinator, alice);
    const second = minerClient(coordinator, bob);
    await first.login();
    await second.login();
    const task = queueTask(coordinator, chatInput("hard question"));
    const [leased] = await first.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    expect(leased?.id).toBe(task.id);
    const waiting = second.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 10_000 });
    await waitFor(() => services.dispatcher.waiting === 1, 5_000, "the second miner to wait");

    expect(await first.fail(task.id, "CUDA out of memory")).toEqual({ taskId: task.id, status: "queued" });
    const [retried] = await waiting;
    expect(retried?.id).toBe(task.id);
    expect(services.tasks.get(task.id)).toMatchObject({
      status: "leased",
      leasedTo: bob.address,
      attempts: 2,
      error: "CUDA out of memory",
    });
    // The failing miner is cooling down: nothing for it even with work queued.
    queueTask(coordinator, chatInput("another"));
    expect(await first.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 })).toEqual([]);
    // It no longer holds the task.
    expect(await refusal(first.fail(task.id, "again"))).toMatchObject({
      status: 409,
      code: "not_lease_holder",
    });
    if (retried === undefined) throw new Error("no task");
    await second.result(retried, demoChatOutput(retried.input as ChatTaskInput));
    expect(services.tasks.get(task.id)?.status).toBe("completed");
  });

  it("fails a task for good when its last attempt is given back", async () => {
    const coordinator = await start();
    const client = minerClient(coordinator, alice);
    await client.login();
    const task = queueTask(coordinator, chatInput("one shot"), { maxAttempts: 1 });
    await client.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
    expect(await client.fail(task.id, "model crashed")).toEqual({ taskId: task.id, status: "failed" });
    expect(coordinator.services.tasks.get(task.id)).toMatchObject({
      status: "failed",
      error: "model crashed",
    });
    expect(await refusal(client.fail(UNKNOWN_TASK, "nope"))).toMatchObject({ status: 404 });
  });
});

describe("coordinator shutdown", () => {
  it("stops promptly while a client holds a connection on which it sent no request", async () => {
    // Node's fetch leaves such a connection behind after a miner aborts its long-poll.
    const coordinator = await start();
    const { port } = coordinator.server.server.address() as { port: number };
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    try {
      const stopped = await Promise.race([
        coordinator.stop().then(() => true),
        sleep(3_000).then(() => false),
      ]);
      expect(stopped).toBe(true);
    } finally {
      socket.destroy();
    }
  });
});

describe("MinerClient.serve", () => {
  it("serves chat (streamed as deltas) and image tasks until stopped", async () => {
    const coordinator = await start();
    const { services } = coordinator;
    const client = minerClient(coordinator, alice);
    const loop = client.serve({
      models: [CHAT_MODEL, IMAGE_MODEL],
      slots: 2,
      waitMs: 5_000,
      answer: (task) =>
        task.input.type === "chat"
          ? demoChatOutput(task.input)
          : demoImageOutput(task.input as ImageTaskInput),
    });
    try {
      const streamed = queueTask(coordinator, chatInput("tell me a story about hens"), { stream: true });
      const events: TaskEvent[] = [];
      services.events.subscribe(streamed.id, (event) => events.push(event));
      const image = queueTask(coordinator, imageInput("a red hen"));
      const plain = queueTask(coordinator, chatInput("plain"));
      const ids = [streamed.id, image.id, plain.id];
      // The loop records a task once the coordinator's answer is back, after the store has it.
      await waitFor(() => loop.completed.length === ids.length, 10_000, "the tasks to complete");
      expect(ids.map((id) => services.tasks.get(id)?.status)).toEqual([
        "completed",
        "completed",
        "completed",
      ]);
      const answer = demoChatOutput(chatInput("tell me a story about hens"));
      const deltas = events.flatMap((event) =>
        event.type === "progress" ? [event.progress.delta ?? ""] : [],
      );
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join("")).toBe(answer.content);
      expect(events.at(-1)?.type).toBe("completed");
      expect(services.tasks.get(streamed.id)?.result?.payload).toEqual(answer);
      const png = services.tasks.get(image.id)?.result?.payload as { b64: string };
      expect(png.b64).toBe(demoImageOutput(imageInput("a red hen")).b64);
      expect(loop.errors).toEqual([]);
      expect([...loop.completed].sort()).toEqual([...ids].sort());
      expect(BigInt(loop.receipt?.cumulativeAmount ?? 0)).toBeGreaterThan(0n);
    } finally {
      await loop.stop();
    }
    // stop() hung up the waiting poll: the coordinator drops the waiter.
    await waitFor(() => services.dispatcher.waiting === 0, 5_000, "the poll to be dropped");
  });

  it("hands a task a miner fails on to a miner that answers", async () => {
    const coordinator = await start();
    const { services } = coordinator;
    const failing = minerClient(coordinator, alice).serve({
      models: [CHAT_MODEL],
      slots: 1,
      answer: () => {
        throw new Error("unreachable: this miner fails every task");
      },
      failWith: () => "no GPU",
    });
    await waitFor(() => services.dispatcher.waiting === 1, 5_000, "the failing miner to wait");
    const task = queueTask(coordinator, chatInput("who answers?"));
    await waitFor(() => failing.failed.length === 1, 5_000, "the first miner to give up");
    const answering = minerClient(coordinator, bob).serve({
      models: [CHAT_MODEL],
      slots: 1,
      answer: (leased) => demoChatOutput(leased.input as ChatTaskInput),
    });
    try {
      await waitFor(() => services.tasks.get(task.id)?.status === "completed", 10_000, "the retry");
      expect(services.tasks.get(task.id)).toMatchObject({ leasedTo: bob.address, attempts: 2 });
      expect(answering.errors).toEqual([]);
    } finally {
      await failing.stop();
      await answering.stop();
    }
  });
});
