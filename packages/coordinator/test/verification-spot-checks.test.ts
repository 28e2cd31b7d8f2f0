// Spot checks over the real miner API: a result drawn for checking runs again on a miner of another
// owner, its pay waits for the verdict, and the odd one out of three loses its pay and trust and is
// proposed for slashing with evidence anyone can fetch and verify.

import { recoverDigestSigner } from "@roost/chain";
import {
  hashTaskResult,
  type ImageTaskInput,
  type ImageTaskOutput,
  type LeasedTask,
  outputHash,
  type TaskOutput,
} from "@roost/protocol";
import { type Hex, keccak256, type LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/config.js";
import type { EvidenceBundle } from "../src/verification/evidence.js";
import {
  DISPUTES_DOMAIN,
  removeTempDirs,
  startTestCoordinator,
  type TestCoordinator,
} from "./fixtures/coordinator.js";
import { demoChatOutput, encodePng } from "./fixtures/demo-outputs.js";
import {
  CHAT_MODEL,
  chatInput,
  IMAGE_MODEL,
  imageInput,
  minerClient,
  queueTask,
} from "./fixtures/miner-tasks.js";
import { picture, withNoise } from "./fixtures/png-encode.js";
import { waitFor } from "./fixtures/store-helpers.js";

const [alice, bob, carol] = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey())) as [
  LocalAccount,
  LocalAccount,
  LocalAccount,
];
const SIDE = 64;

const running: TestCoordinator[] = [];
afterEach(async () => {
  for (const coordinator of running.splice(0)) await coordinator.stop();
  removeTempDirs();
});

/** A coordinator where every miner is new (on probation: each checkable result is checked). */
async function checkingCoordinator(verification: Partial<typeof DEFAULT_CONFIG.verification> = {}) {
  const coordinator = await startTestCoordinator({
    miners: { [alice.address]: 1, [bob.address]: 1, [carol.address]: 1 },
    config: { verification: { ...DEFAULT_CONFIG.verification, spotCheckRate: 0, ...verification } },
  });
  running.push(coordinator);
  const miners = Object.fromEntries(
    [alice, bob, carol].map((account) => [account.address, minerClient(coordinator, account)]),
  );
  await Promise.all(Object.values(miners).map((miner) => miner.login()));
  // Online (a check is drawn only when an independent miner serving the model is online).
  await Promise.all(Object.values(miners).map((miner) => take(miner)));
  return {
    coordinator,
    miner: (account: LocalAccount) => miners[account.address] as ReturnType<typeof minerClient>,
  };
}

type Miner = ReturnType<typeof minerClient>;

/** Polls once, without waiting; the tasks handed out. */
const take = (miner: Miner) => miner.poll({ slots: 4, models: [CHAT_MODEL, IMAGE_MODEL], waitMs: 0 });

/**
 * An honest render: the picture of the task's seed (or of `seed`, where the miner chose it), optionally
 * with a GPU's pixel noise.
 */
function render(task: LeasedTask, noise = 0, seed = (task.input as ImageTaskInput).seed): ImageTaskOutput {
  const rgb = picture(SIDE, SIDE, seed);
  const png = encodePng(SIDE, SIDE, noise > 0 ? withNoise(rgb, noise, 99) : rgb);
  return { type: "image", b64: Buffer.from(png).toString("base64"), mime: "image/png", seed };
}

/** A cheap fake: a flat grey image of the right size. */
function fake(task: LeasedTask): TaskOutput {
  const input = task.input as ImageTaskInput;
  const png = encodePng(SIDE, SIDE, new Uint8Array(SIDE * SIDE * 3).fill(128));
  return { type: "image", b64: Buffer.from(png).toString("base64"), mime: "image/png", seed: input.seed };
}

const paid = (coordinator: TestCoordinator, account: LocalAccount) =>
  BigInt(coordinator.services.earnings.receipt(account.address)?.cumulativeAmount ?? "0");

async function verdict(coordinator: TestCoordinator, taskId: string, status: string) {
  await waitFor(
    () => coordinator.services.spotChecks.get(taskId)?.status === status,
    5_000,
    `check of ${taskId} to be ${status}`,
  );
  return coordinator.services.spotChecks.get(taskId);
}

/** One image task: `first` runs it, then the re-runs go to whoever of `next` may take them, in order. */
async function imageCheck(
  { coordinator, miner }: Awaited<ReturnType<typeof checkingCoordinator>>,
  first: [LocalAccount, (task: LeasedTask) => TaskOutput],
) {
  const task = queueTask(coordinator, imageInput("a lighthouse at dusk", 1234));
  const [leased] = await take(miner(first[0]));
  expect(leased?.id).toBe(task.id);
  await miner(first[0]).result(leased as LeasedTask, first[1](leased as LeasedTask));
  return task;
}

/**
 * Bob runs the first re-run of `taskId` with `answer`, which differs from the original: resolves with
 * that run once the check has queued its third run.
 */
async function disagree(
  { coordinator, miner }: Awaited<ReturnType<typeof checkingCoordinator>>,
  taskId: string,
  answer: (task: LeasedTask) => TaskOutput,
): Promise<LeasedTask> {
  const [second] = await take(miner(bob));
  await miner(bob).result(second as LeasedTask, answer(second as LeasedTask));
  await waitFor(
    () => (coordinator.services.spotChecks.get(taskId)?.runs.length ?? 0) === 2,
    5_000,
    "third run",
  );
  return second as LeasedTask;
}

describe("spot checks", () => {
  it("re-runs a new miner's result on another owner's miner and pays both once they agree", async () => {
    const setup = await checkingCoordinator();
    const { coordinator, miner } = setup;
    const task = queueTask(coordinator, chatInput("what is 2 + 2?"));
    const [leased] = await take(miner(alice));
    await miner(alice).result(leased as LeasedTask, demoChatOutput(chatInput("what is 2 + 2?")));

    // Held: no pay yet, and a re-run waits for a miner of another owner; alice never gets it.
    expect(paid(coordinator, alice)).toBe(0n);
    const check = coordinator.services.spotChecks.get(task.id);
    expect(check).toMatchObject({ status: "running", miner: alice.address.toLowerCase() });
    expect(await take(miner(alice))).toEqual([]);
    const [rerun] = await take(miner(bob));
    expect(rerun?.id).toBe(check?.runs[0]);
    expect(rerun?.input).toEqual(task.input);
    await miner(bob).result(rerun as LeasedTask, demoChatOutput(chatInput("what is 2 + 2?")));

    expect(await verdict(coordinator, task.id, "passed")).toMatchObject({ verdict: "the results match" });
    expect(paid(coordinator, alice)).toBe(10n ** 16n);
    expect(paid(coordinator, bob)).toBe(10n ** 16n);
    const trust = coordinator.services.spotChecks.trust;
    expect(trust.trust(alice.address)).toMatchObject({ streak: 1, passed: 1, failed: 0 });
    expect(trust.trust(bob.address)).toMatchObject({ streak: 1, passed: 1, failed: 0 });
    // The app's task was never touched: it completed with alice's answer when she answered.
    expect(coordinator.services.tasks.get(task.id)?.leasedTo).toBe(alice.address);
  });

  it("pins an image to the seed the miner used, and never gives the re-run to a miner of the same owner", async () => {
    const setup = await checkingCoordinator();
    const { coordinator, miner } = setup;
    coordinator.chain.setOwner(bob.address, alice.address); // bob is another key of alice's
    const task = queueTask(coordinator, imageInput("a fox", -1));
    const [leased] = await take(miner(alice));
    await miner(alice).result(leased as LeasedTask, render(leased as LeasedTask, 0, 77)); // it chose 77

    expect(await take(miner(bob))).toEqual([]);
    const [rerun] = await take(miner(carol));
    expect(rerun?.input).toMatchObject({ seed: 77 });
    expect(coordinator.services.tasks.get(rerun?.id as string)?.excludedOwners).toEqual([
      alice.address.toLowerCase(),
    ]);
    await miner(carol).result(rerun as LeasedTask, render(rerun as LeasedTask, 2)); // another GPU's noise
    await verdict(coordinator, task.id, "passed");
  });

  it("does not check what cannot be reproduced (sampled chat) and pays it at once", async () => {
    const { coordinator, miner } = await checkingCoordinator();
    const input = { ...chatInput("tell me a story"), temperature: 0.8 };
    const task = queueTask(coordinator, input);
    const [leased] = await take(miner(alice));
    await miner(alice).result(leased as LeasedTask, demoChatOutput(input));
    expect(coordinator.services.spotChecks.get(task.id)).toBeUndefined();
    expect(paid(coordinator, alice)).toBe(10n ** 16n);
  });

  it("fails the odd one out of three: no pay, lost trust, and a slash proposal with verifiable evidence", async () => {
    const setup = await checkingCoordinator();
    const { coordinator, miner } = setup;
    const task = await imageCheck(setup, [alice, fake]);
    const [second] = await take(miner(bob));
    await miner(bob).result(second as LeasedTask, render(second as LeasedTask));
    // They differ: a third run, excluding both owners, goes to carol (whose GPU adds noise).
    await waitFor(
      () => (coordinator.services.spotChecks.get(task.id)?.runs.length ?? 0) === 2,
      5_000,
      "third run",
    );
    expect(await take(miner(bob))).toEqual([]);
    const [third] = await take(miner(carol));
    expect(coordinator.services.tasks.get(third?.id as string)?.excludedOwners?.sort()).toEqual(
      [alice.address.toLowerCase(), bob.address.toLowerCase()].sort(),
    );
    await miner(carol).result(third as LeasedTask, render(third as LeasedTask, 3));

    const check = await verdict(coordinator, task.id, "failed");
    expect(check?.verdict).toMatch(
      new RegExp(`^${alice.address} is the odd one out of three runs of task ${task.id}: different pictures`),
    );
    const price = 5n * 10n ** 16n;
    expect([paid(coordinator, alice), paid(coordinator, bob), paid(coordinator, carol)]).toEqual([
      0n,
      price,
      price,
    ]);
    const trust = coordinator.services.spotChecks.trust;
    expect(trust.trust(alice.address)).toMatchObject({ streak: 0, failed: 1 });
    expect(trust.trust(carol.address)).toMatchObject({ streak: 1, passed: 1 });

    const proposal = coordinator.services.slashProposals.get(task.id);
    expect(proposal).toMatchObject({ miner: alice.address.toLowerCase(), bps: 1_000, status: "pending" });
    const response = await fetch(`${coordinator.url}/api/evidence/${proposal?.evidenceHash}`);
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(keccak256(bytes)).toBe(proposal?.evidenceHash);
    const bundle = JSON.parse(new TextDecoder().decode(bytes)) as EvidenceBundle;
    expect(bundle.accused).toEqual({ miner: alice.address, taskId: task.id });
    expect(bundle.results.map((r) => [r.role, r.miner])).toEqual([
      ["original", alice.address],
      ["check", bob.address],
      ["check", carol.address],
    ]);
    // Each result is proven by its miner's own signature over its output's hash.
    for (const result of bundle.results) {
      const signed = result.taskResult as Record<string, string>;
      expect(signed.resultHash).toBe(outputHash(result.output));
      const signer = recoverDigestSigner(
        hashTaskResult(DISPUTES_DOMAIN, {
          ...signed,
          completedAt: BigInt(signed.completedAt as string),
        } as never),
        result.signature as Hex,
      );
      expect(signer).toBe(result.miner);
    }
    expect(bundle.comparisons.map((c) => c.match)).toEqual([false, false, true]);
  });

  it("accuses a miner once for a burst of fakes, while each failed check still costs it the pay", async () => {
    const setup = await checkingCoordinator();
    const { coordinator, miner } = setup;
    const tasks = [];
    for (let i = 0; i < 2; i++) {
      const task = await imageCheck(setup, [alice, fake]);
      await disagree(setup, task.id, render);
      const [third] = await take(miner(carol));
      await miner(carol).result(third as LeasedTask, render(third as LeasedTask));
      await verdict(coordinator, task.id, "failed");
      tasks.push(task);
    }
    expect(coordinator.services.slashProposals.pending().map((p) => p.taskId)).toEqual([tasks[0]?.id]);
    expect(paid(coordinator, alice)).toBe(0n);
    expect(coordinator.services.spotChecks.trust.trust(alice.address).failed).toBe(2);
  });

  it("fails a checker that lies, not the miner it checked", async () => {
    const setup = await checkingCoordinator();
    const { coordinator, miner } = setup;
    const task = await imageCheck(setup, [alice, (t) => render(t)]);
    const second = await disagree(setup, task.id, fake);
    const [third] = await take(miner(carol));
    await miner(carol).result(third as LeasedTask, render(third as LeasedTask, 2));

    await verdict(coordinator, task.id, "failed");
    const proposal = coordinator.services.slashProposals.get(second?.id as string);
    expect(proposal?.miner).toBe(bob.address.toLowerCase());
    expect(paid(coordinator, alice)).toBe(5n * 10n ** 16n);
    expect(paid(coordinator, bob)).toBe(0n);
  });

  it("slashes nobody when three answers all differ, and pays all three", async () => {
    const setup = await checkingCoordinator();
    const { coordinator, miner } = setup;
    const task = await imageCheck(setup, [alice, (t) => render(t)]);
    await disagree(setup, task.id, fake);
    const [third] = await take(miner(carol));
    await miner(carol).result(third as LeasedTask, { ...render(third as LeasedTask, 0, 5), seed: 1234 }); // a third picture

    expect((await verdict(coordinator, task.id, "inconclusive"))?.verdict).toBe("three results, no majority");
    expect(coordinator.services.slashProposals.pending()).toEqual([]);
    expect(paid(coordinator, bob)).toBe(5n * 10n ** 16n);
    expect(coordinator.services.spotChecks.trust.trust(alice.address).failed).toBe(0);
  });

  it("pays neither of two different answers when no third miner answers in time", async () => {
    const setup = await checkingCoordinator({ checkTimeoutMs: 1_000 });
    const { coordinator } = setup;
    const task = await imageCheck(setup, [alice, fake]);
    await disagree(setup, task.id, render);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    coordinator.services.spotChecks.sweep();
    expect(coordinator.services.spotChecks.get(task.id)).toMatchObject({
      status: "inconclusive",
      verdict: "two different results and no third in time: neither is paid",
    });
    expect([paid(coordinator, alice), paid(coordinator, bob)]).toEqual([0n, 0n]);
    expect(coordinator.services.slashProposals.pending()).toEqual([]);
  });

  it("gives up a re-run its miner holds too long and runs it on another owner's miner", async () => {
    const setup = await checkingCoordinator({ checkTimeoutMs: 3_000 });
    const { coordinator, miner } = setup;
    const task = await imageCheck(setup, [alice, (t) => render(t)]);
    const [stalled] = await take(miner(bob)); // bob takes the re-run and keeps its lease alive
    coordinator.services.spotChecks.sweep(); // first seen leased now
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await miner(bob).progress(stalled?.id as string);
    coordinator.services.spotChecks.sweep();
    expect(coordinator.services.tasks.get(stalled?.id as string)).toMatchObject({
      status: "failed",
      error: "spot-check run not finished in time",
    });
    await expect(miner(bob).result(stalled as LeasedTask, render(stalled as LeasedTask))).rejects.toThrow();
    const runs = coordinator.services.spotChecks.get(task.id)?.runs ?? [];
    expect(runs).toHaveLength(2);
    expect(coordinator.services.tasks.get(runs[1] as string)?.excludedOwners?.sort()).toEqual(
      [alice.address.toLowerCase(), bob.address.toLowerCase()].sort(),
    );
    const [rerun] = await take(miner(carol));
    expect(rerun?.id).toBe(runs[1]);
    await miner(carol).result(rerun as LeasedTask, render(rerun as LeasedTask));
    await verdict(coordinator, task.id, "passed");
  });

  it("draws no check while no miner of another owner is online to run it", async () => {
    const coordinator = await startTestCoordinator({
      miners: { [alice.address]: 1, [bob.address]: 1 },
      config: { verification: DEFAULT_CONFIG.verification },
    });
    running.push(coordinator);
    coordinator.chain.setOwner(bob.address, alice.address);
    const [a, b] = [minerClient(coordinator, alice), minerClient(coordinator, bob)];
    await Promise.all([a.login(), b.login()]);
    await take(b);
    const task = queueTask(coordinator, imageInput("alone", 3));
    const [leased] = await take(a);
    await a.result(leased as LeasedTask, render(leased as LeasedTask));
    expect(coordinator.services.spotChecks.get(task.id)).toBeUndefined();
    expect(paid(coordinator, alice)).toBe(5n * 10n ** 16n);
  });

  it("pays a result unchecked when no independent miner takes the re-run in time", async () => {
    const setup = await checkingCoordinator({ checkTimeoutMs: 1_000 });
    const { coordinator } = setup;
    const task = await imageCheck(setup, [alice, (t) => render(t)]);
    const run = coordinator.services.spotChecks.get(task.id)?.runs[0] as string;
    coordinator.services.spotChecks.sweep();
    expect(coordinator.services.spotChecks.get(task.id)?.status).toBe("running");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    coordinator.services.spotChecks.sweep();
    expect(coordinator.services.spotChecks.get(task.id)).toMatchObject({ status: "unchecked" });
    expect(coordinator.services.tasks.get(run)).toMatchObject({
      status: "failed",
      error: "spot check timed out",
    });
    expect(paid(coordinator, alice)).toBe(5n * 10n ** 16n);
  });

  it("hands the re-run at once to an independent miner waiting in a long poll", async () => {
    const { coordinator, miner } = await checkingCoordinator();
    const task = queueTask(coordinator, chatInput("hello"));
    const [leased] = await take(miner(alice));
    const waiting = miner(bob).poll({ slots: 1, models: [CHAT_MODEL], waitMs: 5_000 });
    await waitFor(() => coordinator.services.dispatcher.waiting === 1, 5_000, "bob to wait");
    await miner(alice).result(leased as LeasedTask, demoChatOutput(chatInput("hello")));
    const [rerun] = await waiting;
    expect(rerun?.id).toBe(coordinator.services.spotChecks.get(task.id)?.runs[0]);
  });

  it("keeps trust and running checks across a restart", async () => {
    const setup = await checkingCoordinator();
    const { coordinator } = setup;
    const task = await imageCheck(setup, [alice, fake]);
    await disagree(setup, task.id, render);
    await coordinator.stop();

    const again = await startTestCoordinator({
      miners: { [alice.address]: 1, [bob.address]: 1, [carol.address]: 1 },
      config: { verification: DEFAULT_CONFIG.verification },
      database: coordinator.database,
      operatorKey: coordinator.operatorKey,
    });
    running.push(again);
    const carolAgain = minerClient(again, carol);
    await carolAgain.login();
    const [third] = await take(carolAgain);
    expect(third?.id).toBe(again.services.spotChecks.get(task.id)?.runs[1]);
    await carolAgain.result(third as LeasedTask, render(third as LeasedTask, 1));
    await verdict(again, task.id, "failed");
    expect(again.services.spotChecks.trust.trust(bob.address)).toMatchObject({ passed: 1 });

    await again.stop();
    const restarted = await startTestCoordinator({
      miners: { [alice.address]: 1 },
      config: { verification: DEFAULT_CONFIG.verification },
      database: coordinator.database,
      operatorKey: coordinator.operatorKey,
    });
    running.push(restarted);
    expect(restarted.services.spotChecks.trust.trust(alice.address)).toEqual({
      streak: 0,
      passed: 0,
      failed: 1,
      trusted: false,
    });
  });
});
