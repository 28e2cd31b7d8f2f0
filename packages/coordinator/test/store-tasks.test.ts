import { existsSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { StoreDatabase } from "../src/store/database.js";
import {
  AlreadyCompletedError,
  DuplicateTaskError,
  IdempotencyConflictError,
  LeaseExpiredError,
  NotLeaseHolderError,
  TaskNotFoundError,
} from "../src/store/errors.js";
import { TaskStore } from "../src/store/tasks.js";
import {
  apiKeyId,
  chatTask,
  collectLines,
  fakeInputHash,
  randomTaskId,
  spawnFixture,
  TempStores,
  waitFor,
} from "./fixtures/store-helpers.js";

const stores = new TempStores();
afterEach(() => stores.cleanup());

const MINER = "0x00000000000000000000000000000000000000a1";
const OTHER = "0x00000000000000000000000000000000000000b2";
const MODEL = "llama-3-8b";
const RESULT = { resultHash: `0x${"ab".repeat(32)}`, signature: `0x${"cd".repeat(65)}` };

function setup(): { db: StoreDatabase; tasks: TaskStore; keyId: string; path: string } {
  const path = stores.path();
  const db = stores.open(path);
  return { db, tasks: new TaskStore(db), keyId: apiKeyId(db), path };
}

function leaseOne(tasks: TaskStore, now: number, miner = MINER, leaseMs = 1_000) {
  const [task] = tasks.lease({ miner, models: [MODEL], limit: 1, leaseMs, now });
  if (task === undefined) throw new Error("nothing to lease");
  return task;
}

describe("enqueue", () => {
  it("stores a queued task and reads it back", () => {
    const { tasks, keyId } = setup();
    const spec = chatTask(keyId, { id: randomTaskId().toUpperCase().replace("0X", "0x"), stream: true });
    const task = tasks.enqueue(spec);
    expect(task).toEqual({
      id: spec.id.toLowerCase(),
      apiKeyId: keyId,
      kind: "chat",
      model: MODEL,
      input: spec.input,
      inputHash: spec.inputHash,
      stream: true,
      idempotencyKey: null,
      status: "queued",
      attempts: 0,
      maxAttempts: 3,
      leasedTo: null,
      leaseExpiresAt: null,
      firstTokenSent: false,
      result: null,
      error: null,
      createdAt: 1_000,
      updatedAt: 1_000,
      excludedOwners: null,
    });
    expect(tasks.get(spec.id)).toEqual(task);
    expect(tasks.get(randomTaskId())).toBeUndefined();
  });

  it("stores a task already leased to a waiting miner: its first attempt, with the lease running", () => {
    const { tasks, keyId } = setup();
    const miner = "0x00000000000000000000000000000000000000a1";
    const task = tasks.enqueue(chatTask(keyId, { now: 1_000, leaseTo: { miner, leaseMs: 30_000 } }));
    expect(task).toMatchObject({ status: "leased", attempts: 1, leasedTo: miner, leaseExpiresAt: 31_000 });
    expect(tasks.get(task.id)).toEqual(task);
    expect(tasks.countsByStatus()).toMatchObject({ queued: 0, leased: 1 });
    // It behaves as any lease: it lapses back to the queue, and its attempt counts.
    expect(tasks.requeueExpired(31_000).requeued).toEqual([task.id]);
    expect(tasks.get(task.id)).toMatchObject({ status: "queued", attempts: 1, leasedTo: null });
    expect(() => tasks.enqueue(chatTask(keyId, { leaseTo: { miner, leaseMs: 0 } }))).toThrow(TypeError);
  });

  it("validates its input and refuses a reused task id", () => {
    const { tasks, keyId } = setup();
    expect(() => tasks.enqueue(chatTask(keyId, { id: "0x1234" }))).toThrow(TypeError);
    // @ts-expect-error: not a kind
    expect(() => tasks.enqueue(chatTask(keyId, { kind: "audio" }))).toThrow(TypeError);
    expect(() => tasks.enqueue(chatTask(keyId, { maxAttempts: 0 }))).toThrow(TypeError);
    expect(() => tasks.enqueue(chatTask(keyId, { input: undefined, inputHash: fakeInputHash(1) }))).toThrow(
      TypeError,
    );
    const task = tasks.enqueue(chatTask(keyId));
    expect(() => tasks.enqueue(chatTask(keyId, { id: task.id }))).toThrow(DuplicateTaskError);
    expect(tasks.countsByStatus().queued).toBe(1);
  });
});

describe("idempotency", () => {
  it("returns the existing task for the same key and body", () => {
    const { tasks, keyId } = setup();
    const first = tasks.enqueue(chatTask(keyId, { idempotencyKey: "req-1" }));
    const again = tasks.enqueue(chatTask(keyId, { idempotencyKey: "req-1", now: 5_000 }));
    expect(again).toEqual(first);
    expect(tasks.countsByStatus().queued).toBe(1);
  });

  it("refuses the same key with a different body", () => {
    const { tasks, keyId } = setup();
    const first = tasks.enqueue(chatTask(keyId, { idempotencyKey: "req-1" }));
    const input = { messages: [{ role: "user", content: "something else" }] };
    for (const changed of [
      { input, inputHash: fakeInputHash(input) },
      { model: "other-model" },
      { stream: true },
      { kind: "task" as const },
    ]) {
      const attempt = () => tasks.enqueue(chatTask(keyId, { idempotencyKey: "req-1", ...changed }));
      expect(attempt).toThrow(IdempotencyConflictError);
      expect(attempt).toThrow(expect.objectContaining({ taskId: first.id, idempotencyKey: "req-1" }));
    }
    expect(tasks.countsByStatus().queued).toBe(1);
  });

  it("scopes keys to the API key and survives a restart", () => {
    const { db, tasks, keyId, path } = setup();
    const otherKey = apiKeyId(db, "other app");
    const mine = tasks.enqueue(chatTask(keyId, { idempotencyKey: "req-1" }));
    const theirs = tasks.enqueue(chatTask(otherKey, { idempotencyKey: "req-1" }));
    expect(theirs.id).not.toBe(mine.id);
    tasks.enqueue(chatTask(keyId));
    tasks.enqueue(chatTask(keyId));
    expect(tasks.countsByStatus().queued).toBe(4);
    db.close();
    const reopened = new TaskStore(stores.open(path));
    expect(reopened.enqueue(chatTask(keyId, { idempotencyKey: "req-1" })).id).toBe(mine.id);
  });
});

describe("lease", () => {
  it("hands out the oldest queued tasks of the miner's models, each once", () => {
    const { tasks, keyId } = setup();
    const a = tasks.enqueue(chatTask(keyId, { now: 10 }));
    const b = tasks.enqueue(chatTask(keyId, { now: 20, model: "sdxl", kind: "image" }));
    const c = tasks.enqueue(chatTask(keyId, { now: 30 }));
    const d = tasks.enqueue(chatTask(keyId, { now: 30 })); // same time as c: insertion order decides
    const early = tasks.enqueue(chatTask(keyId, { now: 5 })); // inserted last, created first
    expect(tasks.lease({ miner: MINER, models: [], limit: 5, leaseMs: 1_000, now: 100 })).toEqual([]);

    const first = tasks.lease({ miner: MINER, models: [MODEL], limit: 2, leaseMs: 1_000, now: 100 });
    expect(first.map((task) => task.id)).toEqual([early.id, a.id]);
    expect(first[0]).toMatchObject({ status: "leased", leasedTo: MINER, leaseExpiresAt: 1_100, attempts: 1 });

    const rest = tasks.lease({ miner: OTHER, models: ["sdxl", MODEL], limit: 10, leaseMs: 500, now: 200 });
    expect(rest.map((task) => task.id)).toEqual([b.id, c.id, d.id]);
    expect(tasks.lease({ miner: OTHER, models: [MODEL, "sdxl"], limit: 10, leaseMs: 500, now: 300 })).toEqual(
      [],
    );
    expect(tasks.countsByStatus()).toEqual({ queued: 0, leased: 5, completed: 0, failed: 0 });
  });

  it("never leases a task twice when two connections interleave", () => {
    const { tasks, keyId, path } = setup();
    const other = new TaskStore(stores.open(path));
    const ids = Array.from({ length: 60 }, (_, i) => tasks.enqueue(chatTask(keyId, { now: i })).id);
    const seen: string[] = [];
    for (let round = 0; seen.length < ids.length; round++) {
      const store = round % 2 === 0 ? tasks : other;
      const leased = store.lease({
        miner: `m${round % 2}`,
        models: [MODEL],
        limit: 1 + (round % 4),
        leaseMs: 1e4,
        now: 100,
      });
      expect(leased.length).toBeGreaterThan(0);
      seen.push(...leased.map((task) => task.id));
    }
    expect(seen).toEqual(ids); // FIFO across both connections, no duplicates, none skipped
    expect(other.lease({ miner: "m1", models: [MODEL], limit: 5, leaseMs: 1e4, now: 100 })).toEqual([]);
  });

  it("waits for another connection's write lock instead of reading around it", () => {
    const { db, tasks, keyId, path } = setup();
    const impatient = new TaskStore(stores.open(path, { busyTimeoutMs: 50 }));
    const task = tasks.enqueue(chatTask(keyId));
    db.connection.exec("BEGIN IMMEDIATE");
    expect(() => impatient.lease({ miner: OTHER, models: [MODEL], limit: 1, leaseMs: 1e4, now: 1 })).toThrow(
      /busy|locked/i,
    );
    db.connection.exec("ROLLBACK");
    expect(impatient.lease({ miner: OTHER, models: [MODEL], limit: 1, leaseMs: 1e4, now: 1 })[0]?.id).toBe(
      task.id,
    );
  });

  it("never leases a task twice across concurrent processes", async () => {
    const { tasks, keyId, path } = setup();
    const total = 1_500;
    for (let i = 0; i < total; i++) tasks.enqueue(chatTask(keyId, { now: i }));
    const workers = ["w1", "w2", "w3"].map((miner) => {
      const child = spawnFixture("store-lease-worker.ts", [path, miner]);
      return { miner, child, ...collectLines(child) };
    });
    await waitFor(() => workers.every((w) => w.lines.includes("ready")), 20_000, "workers ready");
    for (const w of workers) w.child.stdin?.end("go\n");
    await Promise.all(workers.map((w) => w.closed));

    const leasedBy = new Map<string, string>();
    for (const w of workers) {
      expect(w.lines.at(-1)).toBe("done");
      for (const line of w.lines.filter((l) => l.startsWith("L "))) {
        const id = line.slice(2);
        expect(leasedBy.get(id), `task ${id} leased twice`).toBeUndefined();
        leasedBy.set(id, w.miner);
      }
    }
    expect(leasedBy.size).toBe(total);
    for (const [id, miner] of leasedBy) expect(tasks.get(id)).toMatchObject({ leasedTo: miner, attempts: 1 });
    expect(new Set(leasedBy.values()).size).toBeGreaterThan(1); // the workers really competed
  }, 60_000);
});

describe("restricted tasks (spot-check runs)", () => {
  it("are never leased by the queue scan, and offered only to miners of owners they do not exclude", () => {
    const { tasks, keyId } = setup();
    const excluded = "0x00000000000000000000000000000000000000C1";
    const allowedOwner = "0x00000000000000000000000000000000000000c2";
    // Many older checks that exclude the first owner must not hide one its miners may run.
    for (let i = 0; i < 60; i++) {
      tasks.enqueue(chatTask(keyId, { now: 1_000 + i, excludedOwners: [excluded, allowedOwner] }));
    }
    const open = tasks.enqueue(chatTask(keyId, { now: 2_000, excludedOwners: [excluded] }));
    expect(open.excludedOwners).toEqual([excluded.toLowerCase()]);
    expect(tasks.lease({ miner: MINER, models: [MODEL], limit: 100, leaseMs: 1_000, now: 3_000 })).toEqual(
      [],
    );
    expect(tasks.restrictedQueued([MODEL], excluded, 10)).toEqual([]);
    // The owner of a miner that may run only the newest one gets it (addresses in any case).
    expect(tasks.restrictedQueued([MODEL], allowedOwner.toUpperCase().replace("0X", "0x"), 10)).toEqual([
      open,
    ]);
    const other = "0x00000000000000000000000000000000000000d3";
    expect(tasks.restrictedQueued([MODEL], other, 2)).toHaveLength(2);
    expect(tasks.restrictedQueued(["another-model"], other, 2)).toEqual([]);
    const found = tasks.restrictedQueued([MODEL], "0x00000000000000000000000000000000000000c9", 100);
    expect(found).toHaveLength(61);
    expect(found.at(-1)?.id).toBe(open.id);
  });

  it("can be cancelled while queued or leased, and a cancelled lease takes no result", () => {
    const { tasks, keyId } = setup();
    const queued = tasks.enqueue(chatTask(keyId, { now: 1_000 }));
    expect(tasks.cancel(queued.id, "no independent miner", 2_000)).toMatchObject({
      status: "failed",
      error: "no independent miner",
    });
    expect(tasks.cancel(queued.id, "again", 2_000)).toBeUndefined();
    tasks.enqueue(chatTask(keyId, { now: 1_500 }));
    const leased = leaseOne(tasks, 3_000);
    expect(tasks.state(leased.id)).toEqual({ status: "leased", leasedTo: MINER, createdAt: 1_500 });
    tasks.cancel(leased.id, "held too long", 3_100);
    expect(() => tasks.complete(leased.id, MINER, { ...RESULT, payload: {}, completedAt: 3_200 })).toThrow(
      NotLeaseHolderError,
    );
  });
});

describe("lease expiry", () => {
  it("releases a lease without spending an attempt, only for its holder", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId, { maxAttempts: 1 }));
    leaseOne(tasks, 1_000);
    expect(tasks.release(id, OTHER, 1_100)).toBe(false);
    expect(tasks.release(id, MINER, 1_100)).toBe(true);
    expect(tasks.get(id)).toMatchObject({ status: "queued", attempts: 0, leasedTo: null, updatedAt: 1_100 });
    expect(tasks.release(id, MINER, 1_200)).toBe(false);
    expect(leaseOne(tasks, 1_300)).toMatchObject({ id, attempts: 1 }); // its only attempt is still there
  });

  it("requeues expired leases and fails a task after maxAttempts", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId, { maxAttempts: 2 }));
    leaseOne(tasks, 1_000);
    expect(tasks.requeueExpired(1_999)).toEqual({ requeued: [], failed: [], holders: {} });
    expect(tasks.requeueExpired(2_000)).toEqual({ requeued: [id], failed: [], holders: { [id]: MINER } });
    expect(tasks.get(id)).toMatchObject({
      status: "queued",
      attempts: 1,
      leasedTo: null,
      leaseExpiresAt: null,
      error: "lease expired (attempt 1 of 2)",
    });

    expect(leaseOne(tasks, 3_000, OTHER)).toMatchObject({ id, attempts: 2, leasedTo: OTHER });
    expect(() => tasks.complete(id, MINER, { ...RESULT, payload: {}, completedAt: 3_001 })).toThrow(
      NotLeaseHolderError,
    );
    expect(tasks.requeueExpired(4_000)).toEqual({ requeued: [], failed: [id], holders: { [id]: OTHER } });
    expect(tasks.get(id)).toMatchObject({
      status: "failed",
      attempts: 2,
      error: "lease expired (attempt 2 of 2)",
    });
    expect(tasks.lease({ miner: MINER, models: [MODEL], limit: 1, leaseMs: 1_000, now: 5_000 })).toEqual([]);
    expect(tasks.countsByStatus()).toEqual({ queued: 0, leased: 0, completed: 0, failed: 1 });
  });

  it("lets only the holder extend an unexpired lease", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId));
    expect(tasks.extendLease(id, MINER, 1_000, 1_500)).toBe(false); // queued
    leaseOne(tasks, 1_000);
    expect(tasks.extendLease(id, OTHER, 5_000, 1_500)).toBe(false);
    expect(tasks.extendLease(randomTaskId(), MINER, 5_000, 1_500)).toBe(false);
    expect(tasks.extendLease(id, MINER, 5_000, 1_500)).toBe(true);
    expect(tasks.get(id)?.leaseExpiresAt).toBe(6_500);
    expect(tasks.requeueExpired(2_000)).toMatchObject({ requeued: [], failed: [] });
    expect(tasks.extendLease(id, MINER, 5_000, 6_500)).toBe(false); // already ran out
    expect(tasks.requeueExpired(6_500).requeued).toEqual([id]);
  });
});

describe("complete", () => {
  it("accepts the holder's result exactly once", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId));
    const payload = { choices: [{ message: { role: "assistant", content: "hello" } }] };
    expect(() => tasks.complete(id, MINER, { ...RESULT, payload, completedAt: 1_100 })).toThrow(
      NotLeaseHolderError,
    );
    leaseOne(tasks, 1_000);
    expect(() => tasks.complete(id, OTHER, { ...RESULT, payload, completedAt: 1_100 })).toThrow(
      NotLeaseHolderError,
    );
    const done = tasks.complete(id, MINER, { ...RESULT, payload, completedAt: 1_100 });
    expect(done).toMatchObject({ status: "completed", leasedTo: MINER, updatedAt: 1_100 });
    expect(done.result).toEqual({ ...RESULT, payload, completedAt: 1_100 });
    expect(tasks.get(id)).toEqual(done);

    expect(() => tasks.complete(id, MINER, { ...RESULT, payload, completedAt: 1_200 })).toThrow(
      AlreadyCompletedError,
    );
    expect(() => tasks.fail(id, MINER, "late", 1_200)).toThrow(AlreadyCompletedError);
    expect(tasks.extendLease(id, MINER, 1_000, 1_200)).toBe(false);
    expect(tasks.requeueExpired(10_000)).toMatchObject({ requeued: [], failed: [] });
    expect(() => tasks.complete(randomTaskId(), MINER, { ...RESULT, payload, completedAt: 1 })).toThrow(
      TaskNotFoundError,
    );
  });

  it("refuses a result after the lease ran out", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId));
    leaseOne(tasks, 1_000);
    const late = () => tasks.complete(id, MINER, { ...RESULT, payload: [], completedAt: 2_000 });
    expect(late).toThrow(LeaseExpiredError);
    expect(late).toThrow(expect.objectContaining({ expiredAt: 2_000 }));
    expect(tasks.get(id)?.status).toBe("leased");
  });

  it("stores byte payloads as bytes", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId, { kind: "image" }));
    leaseOne(tasks, 1_000);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    tasks.complete(id, MINER, { ...RESULT, payload: png, completedAt: 1_500 });
    expect(tasks.get(id)?.result?.payload).toEqual(png);
    expect(tasks.get(id)?.result?.payload).toBeInstanceOf(Uint8Array);
  });
});

describe("fail and streams", () => {
  it("requeues a failed attempt and fails the task on its last attempt", () => {
    const { tasks, keyId } = setup();
    const { id } = tasks.enqueue(chatTask(keyId, { maxAttempts: 2 }));
    expect(() => tasks.fail(id, MINER, "not leased", 900)).toThrow(NotLeaseHolderError);
    leaseOne(tasks, 1_000);
    expect(() => tasks.fail(id, OTHER, "not mine", 1_001)).toThrow(NotLeaseHolderError);
    expect(tasks.fail(id, MINER, "CUDA out of memory", 1_100)).toMatchObject({
      status: "queued",
      leasedTo: null,
      error: "CUDA out of memory",
    });
    leaseOne(tasks, 1_200, OTHER);
    expect(tasks.fail(id, OTHER, "model crashed", 1_300)).toMatchObject({
      status: "failed",
      leasedTo: OTHER,
      attempts: 2,
      error: "model crashed",
    });
    expect(() => tasks.fail(randomTaskId(), MINER, "x")).toThrow(TaskNotFoundError);
  });

  it("never retries a stream once its first token was sent", () => {
    const { tasks, keyId } = setup();
    const started = tasks.enqueue(chatTask(keyId, { stream: true, now: 1 }));
    const expiring = tasks.enqueue(chatTask(keyId, { stream: true, now: 2 }));
    const fresh = tasks.enqueue(chatTask(keyId, { stream: true, now: 3 }));
    expect(tasks.firstTokenSent(started.id)).toBe(false); // not leased yet
    tasks.lease({ miner: MINER, models: [MODEL], limit: 3, leaseMs: 1_000, now: 1_000 });
    expect(tasks.firstTokenSent(started.id)).toBe(true);
    expect(tasks.firstTokenSent(started.id)).toBe(false); // already marked
    expect(tasks.firstTokenSent(expiring.id)).toBe(true);
    expect(tasks.get(started.id)?.firstTokenSent).toBe(true);

    expect(tasks.fail(started.id, MINER, "connection reset", 1_500)).toMatchObject({ status: "failed" });
    expect(tasks.requeueExpired(2_000)).toMatchObject({ requeued: [fresh.id], failed: [expiring.id] });
    expect(tasks.get(expiring.id)?.error).toBe("lease expired after streaming began");
  });
});

describe("countsByStatus", () => {
  it("counts every status, zeros included", () => {
    const { tasks, keyId } = setup();
    expect(tasks.countsByStatus()).toEqual({ queued: 0, leased: 0, completed: 0, failed: 0 });
    for (let i = 0; i < 5; i++) tasks.enqueue(chatTask(keyId, { maxAttempts: 1, now: i }));
    const [a, b, c] = tasks.lease({ miner: MINER, models: [MODEL], limit: 3, leaseMs: 1_000, now: 10 });
    if (a === undefined || b === undefined || c === undefined) throw new Error("expected three leases");
    tasks.complete(a.id, MINER, { ...RESULT, payload: "ok", completedAt: 20 });
    tasks.fail(b.id, MINER, "bad input", 20);
    expect(tasks.countsByStatus()).toEqual({ queued: 2, leased: 1, completed: 1, failed: 1 });
  });
});

describe("crash safety", () => {
  it("keeps every acknowledged task through kill -9 and resumes them", async () => {
    const path = stores.path();
    const child = spawnFixture("store-crash-writer.ts", [path, MINER]);
    const { lines, closed } = collectLines(child);
    await waitFor(() => lines.length >= 600, 30_000, "600 acknowledged writes");
    child.kill("SIGKILL");
    await closed;
    expect(child.signalCode).toBe("SIGKILL");
    // Nothing closed the database, so nothing checkpointed: the tasks live in the WAL.
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);

    const enqueued = lines.filter((l) => l.startsWith("E ")).map((l) => l.slice(2));
    const leased = new Set(lines.filter((l) => l.startsWith("L ")).map((l) => l.slice(2)));
    expect(new Set(enqueued).size).toBe(enqueued.length);

    const db = stores.open(path);
    const tasks = new TaskStore(db);
    const rows = db.connection.prepare("SELECT id, status FROM tasks ORDER BY seq").all() as { id: string }[];
    const stored = rows.map((row) => row.id);
    expect(new Set(stored).size).toBe(stored.length); // nothing duplicated
    // Every acknowledged task is stored, in order; at most the one in flight at the kill is extra.
    expect(stored.slice(0, enqueued.length)).toEqual(enqueued);
    expect(stored.length - enqueued.length).toBeLessThanOrEqual(1);

    // Acknowledged leases are leased; at most the lease in flight at the kill is unacknowledged.
    const counts = tasks.countsByStatus();
    for (const id of leased)
      expect(tasks.get(id)).toMatchObject({ status: "leased", leasedTo: MINER, attempts: 1 });
    expect(counts.leased - leased.size).toBeGreaterThanOrEqual(0);
    expect(counts.leased - leased.size).toBeLessThanOrEqual(1);
    expect(counts.queued + counts.leased).toBe(stored.length);

    // The restarted coordinator resumes: expired leases return to the queue and every task is leasable.
    const later = Date.now() + 3_600_000;
    expect(tasks.requeueExpired(later).requeued).toHaveLength(counts.leased);
    const resumed: string[] = [];
    for (let batch = lease(); batch.length > 0; batch = lease())
      resumed.push(...batch.map((task) => task.id));
    expect(resumed).toEqual(stored); // FIFO: created_at, then insertion order
    function lease() {
      return tasks.lease({ miner: OTHER, models: [MODEL], limit: 1000, leaseMs: 1_000, now: later });
    }
  }, 60_000);
});
