import type { Address } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { Dispatcher, type StakeView } from "../src/dispatch/dispatcher.js";
import { type TaskEvent, TaskEvents } from "../src/dispatch/task-events.js";
import type { Task } from "../src/store/task-record.js";
import { TaskStore } from "../src/store/tasks.js";
import { apiKeyId, chatTask, TempStores } from "./fixtures/store-helpers.js";

const stores = new TempStores();
const dispatchers: Dispatcher[] = [];
afterEach(() => {
  for (const dispatcher of dispatchers.splice(0)) dispatcher.close();
  stores.cleanup();
});

const A = "0x00000000000000000000000000000000000000a1" as Address;
const B = "0x00000000000000000000000000000000000000b2" as Address;
const C = "0x00000000000000000000000000000000000000c3" as Address;
const MODEL = "llama-3-8b";
const LONG = 60_000; // a poll that only ends by a task, close() or abort
const LEASE_MS = 30_000;
const COOLDOWN_MS = 10_000;

/** A seeded uniform [0, 1) source (mulberry32), so stake-weighted draws are reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface SetupOptions {
  maxAttempts?: number;
  cooldownMs?: number;
  /** Date.now instead of the test's clock, for timings that involve real timers. */
  realClock?: boolean;
}

function setup(weights: Record<Address, number>, options: SetupOptions = {}) {
  const { maxAttempts = 3, cooldownMs = COOLDOWN_MS, realClock = false } = options;
  const db = stores.open(stores.path());
  const tasks = new TaskStore(db);
  const keyId = apiKeyId(db);
  const events = new TaskEvents();
  const clock = { now: 1_000_000 };
  const stakes: StakeView = {
    eligible: (miner) => miner in weights,
    weight: (miner) => weights[miner] ?? 0,
    owner: (miner) => (miner in weights ? miner : undefined),
  };
  const dispatcher = new Dispatcher({
    tasks,
    events,
    stakes,
    leaseMs: LEASE_MS,
    cooldownMs,
    random: seeded(42),
    now: realClock ? Date.now : () => clock.now,
  });
  dispatchers.push(dispatcher);
  const enqueue = (model = MODEL) =>
    tasks.enqueue(chatTask(keyId, { model, maxAttempts, now: realClock ? Date.now() : clock.now }));
  const poll = (miner: Address, models = [MODEL], slots = 1, waitMs = LONG) =>
    dispatcher.poll(miner, { slots, models }, waitMs);
  const enqueueLeased = (leaseTo: { miner: Address; leaseMs: number }) =>
    tasks.enqueue(chatTask(keyId, { model: MODEL, maxAttempts, now: clock.now, leaseTo }));
  return { tasks, events, dispatcher, clock, enqueue, enqueueLeased, poll };
}

/** Whether a promise has settled, after letting pending callbacks run. */
async function settled<T>(promise: Promise<T>): Promise<boolean> {
  const marker = Symbol();
  const value = await Promise.race([promise, new Promise((resolve) => setImmediate(() => resolve(marker)))]);
  return value !== marker;
}

function recorder(events: TaskEvents, taskId: string): TaskEvent[] {
  const seen: TaskEvent[] = [];
  events.subscribe(taskId, (event) => seen.push(event));
  return seen;
}

describe("Dispatcher", () => {
  it("offers each task to a waiting miner with probability proportional to stake", async () => {
    const { tasks, dispatcher, enqueue, poll } = setup({ [A]: 1, [B]: 3, [C]: 0 });
    const polls = new Map<Address, Promise<Task[]>>([A, B, C].map((miner) => [miner, poll(miner)]));
    const wins = new Map<Address, number>([
      [A, 0],
      [B, 0],
      [C, 0],
    ]);
    const offers = 4_000;
    for (let i = 0; i < offers; i++) {
      const task = enqueue();
      dispatcher.offer(task);
      const winner = tasks.get(task.id)?.leasedTo as Address;
      expect(tasks.get(task.id)?.status).toBe("leased");
      wins.set(winner, (wins.get(winner) ?? 0) + 1);
      // The winner's poll answered with exactly this task; it polls again for the next one.
      expect((await polls.get(winner))?.map((t) => t.id)).toEqual([task.id]);
      polls.set(winner, poll(winner));
    }
    expect(wins.get(C)).toBe(0); // weight 0: never chosen
    // B's share is binomial(4000, 3/4): mean 3000, sd 27.4; allow 4 sd.
    const sd = Math.sqrt(offers * 0.75 * 0.25);
    expect(Math.abs((wins.get(B) ?? 0) - offers * 0.75)).toBeLessThan(4 * sd);
    expect(dispatcher.waiting).toBe(3);
  }, 30_000);

  it("answers a poll with the tasks of one event-loop turn, up to its slots, each drawn by stake", async () => {
    const { tasks, dispatcher, enqueue, poll } = setup({ [A]: 1, [B]: 1 });
    const pollA = poll(A, [MODEL], 3);
    const pollB = poll(B, [MODEL], 3);
    // A burst of five tasks in one turn: each goes to one of the miners still waiting with room.
    const burst = Array.from({ length: 5 }, () => {
      const task = enqueue();
      dispatcher.offer(task);
      return task;
    });
    const [a, b] = await Promise.all([pollA, pollB]);
    const handed = [...(a as Task[]), ...(b as Task[])];
    expect(handed.map((t) => t.id).sort()).toEqual(burst.map((t) => t.id).sort());
    expect(a?.length).toBeLessThanOrEqual(3);
    expect(b?.length).toBeLessThanOrEqual(3);
    for (const task of a as Task[]) expect(tasks.get(task.id)?.leasedTo).toBe(A);
    for (const task of b as Task[]) expect(tasks.get(task.id)?.leasedTo).toBe(B);

    // A full poll leaves the draw at once: with A full, B gets the rest.
    const fullA = poll(A, [MODEL], 1);
    const restB = poll(B, [MODEL], 5);
    const more = Array.from({ length: 4 }, () => {
      const task = enqueue();
      dispatcher.offer(task);
      return task;
    });
    expect((await fullA).length).toBe(1);
    expect((await restB).length).toBe(3);
    expect(more.every((t) => tasks.get(t.id)?.status === "leased")).toBe(true);
  });

  it("answers a replaced or closed poll with the tasks it was already handed", async () => {
    const { dispatcher, enqueue, poll } = setup({ [A]: 1 });
    const first = poll(A, [MODEL], 4);
    const task = enqueue();
    dispatcher.offer(task);
    const second = poll(A, [MODEL], 4); // in the same turn, before the first poll was answered
    expect((await first).map((t) => t.id)).toEqual([task.id]);
    const other = enqueue();
    dispatcher.offer(other);
    dispatcher.close();
    expect((await second).map((t) => t.id)).toEqual([other.id]);
  });

  it("with group commit, answers a waiting poll before the turn's commit, which the poll need not await", async () => {
    const db = stores.open(stores.path(), { groupCommit: true });
    const tasks = new TaskStore(db);
    const keyId = apiKeyId(db);
    await db.committed();
    const dispatcher = new Dispatcher({
      tasks,
      events: new TaskEvents(),
      stakes: { eligible: () => true, weight: () => 1, owner: (miner) => miner },
    });
    dispatchers.push(dispatcher);
    const order: string[] = [];
    const poll = dispatcher.poll(A, { slots: 2, models: [MODEL] }, LONG).then((leased) => {
      order.push(`poll answered with ${leased.length}`);
    });
    const task = tasks.enqueue(chatTask(keyId, { model: MODEL }));
    dispatcher.offer(task);
    const committed = db.committed()?.then(() => order.push("committed"));
    await Promise.all([poll, committed]);
    expect(order).toEqual(["poll answered with 1", "committed"]);
    expect(tasks.get(task.id)?.leasedTo).toBe(A);
  });

  it("picks a waiting miner for a task about to be stored, and hands the task stored leased to its poll", async () => {
    const { tasks, dispatcher, poll, enqueueLeased } = setup({ [A]: 1, [B]: 1 });
    expect(dispatcher.pick(MODEL)).toBeUndefined(); // nobody waits
    const pollA = poll(A, [MODEL], 1);
    expect(dispatcher.pick("other-model")).toBeUndefined();
    const choice = dispatcher.pick(MODEL);
    expect(choice).toEqual({ miner: A, leaseMs: LEASE_MS });
    const task = enqueueLeased(choice as NonNullable<typeof choice>);
    dispatcher.handOver(task);
    expect((await pollA).map((t) => t.id)).toEqual([task.id]);

    // Stored leased to a miner that is not waiting (its poll ended): back to the queue, to the next miner.
    const orphan = enqueueLeased({ miner: B, leaseMs: LEASE_MS });
    dispatcher.handOver(orphan);
    expect(tasks.get(orphan.id)).toMatchObject({ status: "queued", attempts: 0 });
    expect((await poll(B, [MODEL], 1)).map((t) => t.id)).toEqual([orphan.id]);
  });

  it("offers a task only to miners serving its model", async () => {
    const { tasks, dispatcher, enqueue, poll } = setup({ [A]: 1, [B]: 1_000, [C]: 1 });
    const pollA = poll(A, ["small-model", MODEL]);
    const pollB = poll(B, ["other-model"]);
    const task = enqueue(MODEL);
    dispatcher.offer(task);
    expect((await pollA).map((t) => t.id)).toEqual([task.id]);
    expect(await settled(pollB)).toBe(false);

    // Nobody serves this one: it stays queued until a miner serving it polls.
    const orphan = enqueue("rare-model");
    dispatcher.offer(orphan);
    expect(tasks.get(orphan.id)?.status).toBe("queued");
    expect(await settled(pollB)).toBe(false);
    expect((await poll(C, ["rare-model"])).map((t) => t.id)).toEqual([orphan.id]);
  });

  it("gives a polling miner the oldest queued tasks of its models at once", async () => {
    const { events, clock, enqueue, poll } = setup({ [A]: 1 });
    const first = enqueue();
    clock.now += 1;
    enqueue("other-model");
    clock.now += 1;
    const second = enqueue();
    clock.now += 1;
    const third = enqueue();
    const seen = recorder(events, first.id);
    const started = Date.now();
    const leased = await poll(A, [MODEL], 2, LONG);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(leased.map((t) => t.id)).toEqual([first.id, second.id]);
    expect(leased.every((t) => t.status === "leased" && t.leasedTo === A)).toBe(true);
    expect(leased[0]?.leaseExpiresAt).toBe(clock.now + LEASE_MS);
    expect(seen.map((event) => event.type)).toEqual(["leased"]);
    expect((await poll(A, [MODEL], 5, LONG)).map((t) => t.id)).toEqual([third.id]);
  });

  it("gives a miner in cooldown no work until cooldownMs has passed", async () => {
    const { tasks, dispatcher, clock, enqueue, poll } = setup({ [A]: 1 });
    const task = enqueue();
    expect(await poll(A)).toHaveLength(1);
    // What POST /fail does: give the task back, then cool the miner down.
    tasks.fail(task.id, A, "out of memory", clock.now);
    dispatcher.cooldown(A, task.id);

    // The queued task is not handed out at once, and an offer skips the cooling miner.
    const cooling = poll(A);
    expect(await settled(cooling)).toBe(false);
    dispatcher.offer(tasks.get(task.id) as Task);
    expect(await settled(cooling)).toBe(false);
    expect(tasks.get(task.id)?.status).toBe("queued");
    clock.now += COOLDOWN_MS - 1;
    dispatcher.offer(tasks.get(task.id) as Task);
    expect(await settled(cooling)).toBe(false);

    // Recovered: the next offer reaches it (no other miner waits, so the one that failed it is fine).
    clock.now += 1;
    dispatcher.offer(tasks.get(task.id) as Task);
    expect((await cooling).map((t) => t.id)).toEqual([task.id]);

    // And a fresh poll after cooldown takes queued work at once.
    tasks.fail(task.id, A, "again", clock.now);
    dispatcher.cooldown(A);
    expect(await poll(A, [MODEL], 1, 0)).toEqual([]);
    clock.now += COOLDOWN_MS;
    expect((await poll(A, [MODEL], 1, 0)).map((t) => t.id)).toEqual([task.id]);
  });

  it("requeues a lapsed lease to a waiting miner, then fails the task after maxAttempts", async () => {
    const { tasks, events, dispatcher, clock, enqueue, poll } = setup({ [A]: 1, [B]: 1 }, { maxAttempts: 2 });
    const task = enqueue();
    const seen = recorder(events, task.id);
    expect((await poll(A)).map((t) => t.id)).toEqual([task.id]);

    clock.now += LEASE_MS - 1;
    expect(dispatcher.sweep()).toEqual({ requeued: 0, failed: 0 });
    const pollB = poll(B);
    clock.now += 1;
    expect(dispatcher.sweep()).toEqual({ requeued: 1, failed: 0 });
    const retried = await pollB;
    expect(retried.map((t) => [t.id, t.attempts, t.leasedTo])).toEqual([[task.id, 2, B]]);

    clock.now += LEASE_MS;
    expect(dispatcher.sweep()).toEqual({ requeued: 0, failed: 1 });
    expect(tasks.get(task.id)).toMatchObject({ status: "failed", attempts: 2, leasedTo: B });
    expect(seen.map((event) => event.type)).toEqual(["leased", "requeued", "leased", "failed"]);
    expect(seen[1]).toMatchObject({ type: "requeued", reason: "lease expired" });
    expect(seen[3]).toMatchObject({ type: "failed", task: { id: task.id, status: "failed" } });

    // The miner that let the last lease lapse is cooled down.
    enqueue();
    expect(await poll(B, [MODEL], 1, 0)).toEqual([]);
  });

  it("cools down a miner that let a lease lapse and retries the task on another miner", async () => {
    // A holds most of the stake, so only the retry preference keeps the task from going back to it.
    const { tasks, dispatcher, clock, enqueue, poll } = setup({ [A]: 1_000, [B]: 1 });
    const task = enqueue();
    expect((await poll(A)).map((t) => t.id)).toEqual([task.id]);
    const pollA = poll(A);
    const pollB = poll(B);
    clock.now += LEASE_MS;
    expect(dispatcher.sweep()).toEqual({ requeued: 1, failed: 0 });
    expect(tasks.get(task.id)?.leasedTo).toBe(B);
    expect((await pollB).map((t) => t.id)).toEqual([task.id]);
    expect(await settled(pollA)).toBe(false);
    // A sits out its cooldown: queued work is not handed to it.
    enqueue();
    expect(await poll(A, [MODEL], 1, 0)).toEqual([]);
  });

  it("hands queued work to a miner waiting through its cooldown when the cooldown ends", async () => {
    const cooldownMs = 100;
    const { tasks, dispatcher, enqueue, poll } = setup({ [A]: 1 }, { cooldownMs, realClock: true });
    const task = enqueue();
    expect(await poll(A)).toHaveLength(1);
    tasks.fail(task.id, A, "transient error");
    dispatcher.cooldown(A, task.id);
    // The only miner keeps polling (as miners do); the requeued task should reach it soon after its
    // cooldown, not only when a poll that began during the cooldown times out.
    const started = Date.now();
    let leased: Task[] = [];
    while (leased.length === 0 && Date.now() - started < 3_000) {
      leased = await poll(A, [MODEL], 1, 3_000 - (Date.now() - started));
    }
    expect(leased.map((t) => t.id)).toEqual([task.id]);
    expect(Date.now() - started).toBeLessThan(cooldownMs + 1_000);
  });

  it("prefers, for a retried task, a miner that did not fail it", async () => {
    // No cooldown, so only the retry preference keeps A (most of the stake) from getting the task back.
    const { tasks, dispatcher, clock, enqueue, poll } = setup({ [A]: 1_000, [B]: 1 }, { cooldownMs: 0 });
    for (let round = 0; round < 20; round++) {
      const task = enqueue();
      expect((await poll(A)).map((t) => t.id)).toEqual([task.id]);
      const pollA = poll(A); // A has another free slot
      const pollB = poll(B);
      // What POST /fail does: give the task back, cool the miner down, offer the task again.
      tasks.fail(task.id, A, "bad GPU", clock.now);
      dispatcher.cooldown(A, task.id);
      dispatcher.offer(tasks.get(task.id) as Task);
      expect((await pollB).map((t) => t.id)).toEqual([task.id]);
      expect(await settled(pollA)).toBe(false);
      dispatcher.settled(task.id); // as when B completes it
    }
    // With only the miner that failed it waiting, the task still goes to it rather than waiting.
    const task = enqueue();
    await poll(A);
    const pollA = poll(A);
    tasks.fail(task.id, A, "flaky", clock.now);
    dispatcher.cooldown(A, task.id);
    dispatcher.offer(tasks.get(task.id) as Task);
    expect((await pollA).map((t) => t.id)).toEqual([task.id]);
  });

  it("answers waiting polls with [] on close() and takes no more work", async () => {
    const { tasks, dispatcher, enqueue, poll } = setup({ [A]: 1, [B]: 2 });
    const polls = [poll(A), poll(B)];
    expect(await settled(Promise.race(polls))).toBe(false);
    expect(dispatcher.waiting).toBe(2);
    dispatcher.close();
    expect(await Promise.all(polls)).toEqual([[], []]);
    expect(dispatcher.waiting).toBe(0);
    const task = enqueue();
    expect(await poll(A, [MODEL], 1, LONG)).toEqual([]);
    dispatcher.offer(task);
    expect(tasks.get(task.id)?.status).toBe("queued");
  });

  it("ends a poll with [] on abort, on timeout, on a newer poll and when the miner loses eligibility", async () => {
    const weights: Record<Address, number> = { [A]: 1, [B]: 1 };
    const { dispatcher, poll } = setup(weights);
    const abort = new AbortController();
    const aborted = dispatcher.poll(A, { slots: 1, models: [MODEL] }, LONG, abort.signal);
    abort.abort();
    expect(await aborted).toEqual([]);
    expect(await poll(A, [MODEL], 1, 20)).toEqual([]);
    const older = poll(A);
    const newer = poll(A);
    expect(await older).toEqual([]);
    expect(await settled(newer)).toBe(false);
    delete weights[A];
    dispatcher.reweigh(A);
    expect(await newer).toEqual([]);
    expect(dispatcher.waiting).toBe(0);
    expect(await poll(A, [MODEL], 1, LONG)).toEqual([]); // ineligible: no wait at all
  });
});
