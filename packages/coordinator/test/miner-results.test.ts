// Result submissions over real HTTP: every refusal leaves the queue as it was and the rightful miner can
// still complete the task; a retried submission is answered again but paid once; receipts verify.
import { type ChatTaskInput, type LeasedTask, type TaskOutput, verifyReceipt } from "@roost/protocol";
import { type Address, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import {
  ESCROW_DOMAIN,
  removeTempDirs,
  startTestCoordinator,
  type TestCoordinator,
} from "./fixtures/coordinator.js";
import { demoChatOutput, demoImageOutput, MinerApiError, type MinerClient } from "./fixtures/miner-client.js";
import {
  CHAT_MODEL,
  chatInput,
  IMAGE_MODEL,
  imageInput,
  minerClient,
  queueTask,
} from "./fixtures/miner-tasks.js";

const alice = privateKeyToAccount(generatePrivateKey());
const bob = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const CHAT_PRICE = parseEther("0.01"); // the default price of a chat task
const PRICEY_MODEL = "roost-pricey";

const running: TestCoordinator[] = [];
afterEach(async () => {
  for (const coordinator of running.splice(0)) await coordinator.stop();
  removeTempDirs();
});

/** A coordinator with alice holding the lease of one chat task, and bob logged in too. */
async function leasedTask(options: { bodyLimit?: number } = {}) {
  const coordinator = await startTestCoordinator({
    miners: { [alice.address]: 1, [bob.address]: 1, [stranger.address]: 1 },
    config: {
      prices: { models: { [PRICEY_MODEL]: "1.5" } },
      ...(options.bodyLimit === undefined ? {} : { limits: { bodyLimit: options.bodyLimit } }),
    },
  });
  running.push(coordinator);
  const holder = minerClient(coordinator, alice);
  const other = minerClient(coordinator, bob);
  await holder.login();
  await other.login();
  const queued = queueTask(coordinator, chatInput("what is a roost?"));
  const [task] = await holder.poll({ slots: 1, models: [CHAT_MODEL], waitMs: 0 });
  if (task?.id !== queued.id) throw new Error("the holder did not get the task");
  return { coordinator, holder, other, task, output: demoChatOutput(task.input as ChatTaskInput) };
}

async function refusal(promise: Promise<unknown>): Promise<MinerApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MinerApiError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

/** Runs each refusal and checks that it changed nothing: the task row and the queue counts. */
async function expectRefusalsKeepQueue(
  coordinator: TestCoordinator,
  task: LeasedTask,
  cases: [string, () => Promise<unknown>, Record<string, unknown>][],
): Promise<void> {
  const { tasks } = coordinator.services;
  const row = tasks.get(task.id);
  const counts = tasks.countsByStatus();
  for (const [name, attempt, expected] of cases) {
    const error = await refusal(attempt());
    expect({ name, status: error.status, code: error.code, param: error.param }).toMatchObject({
      name,
      ...expected,
    });
    expect(tasks.get(task.id), name).toEqual(row);
    expect(tasks.countsByStatus(), name).toEqual(counts);
  }
}

describe("POST /miner/v1/tasks/:id/result", () => {
  it("refuses results that are not the lease holder's exact signed commitment, changing nothing", async () => {
    const { coordinator, holder, other, task, output } = await leasedTask();
    const otherOutput: TaskOutput = { ...output, content: `${output.content}!` };
    const wrong = (overrides: Parameters<MinerClient["resultBody"]>[2]) => async () =>
      holder.submitResult(task.id, await holder.resultBody(task, output, overrides));
    await expectRefusalsKeepQueue(coordinator, task, [
      [
        "signed by another operator",
        async () => holder.submitResult(task.id, await holder.resultBody(task, output, {}, bob)),
        { status: 403, param: "signature" },
      ],
      ["someone else's lease", () => other.result(task, output), { status: 409, code: "not_lease_holder" }],
      ["inputHash", wrong({ inputHash: `0x${"12".repeat(32)}` }), { status: 400, param: "result.inputHash" }],
      [
        "resultHash",
        async () => {
          const body = await holder.resultBody(task, otherOutput);
          return holder.submitResult(task.id, { ...body, output });
        },
        { status: 400, param: "result.resultHash" },
      ],
      ["modelId", wrong({ modelId: "another-model" }), { status: 400, param: "result.modelId" }],
      [
        "coordinator",
        wrong({ coordinator: stranger.address as Address }),
        { status: 400, param: "result.coordinator" },
      ],
      ["taskId", wrong({ taskId: `0x${"34".repeat(32)}` }), { status: 400, param: "result.taskId" }],
      ["completedAt", wrong({ completedAt: 4_000_000_000n }), { status: 400, param: "result.completedAt" }],
      [
        "output of the wrong type",
        async () =>
          holder.submitResult(task.id, await holder.resultBody(task, demoImageOutput(imageInput("x")))),
        { status: 400, param: "output.type" },
      ],
      [
        "a tampered signature",
        async () => {
          const body = await holder.resultBody(task, output);
          // A different first byte of r (setting it to 00 changed nothing when it already was 00).
          const byte = body.signature.slice(2, 4) === "00" ? "01" : "00";
          return holder.submitResult(task.id, { ...body, signature: `0x${byte}${body.signature.slice(4)}` });
        },
        { status: 403, param: "signature" },
      ],
      [
        "no session",
        async () => {
          const body = await holder.resultBody(task, output);
          return holder.request("POST", `/miner/v1/tasks/${task.id}/result`, { body, auth: false });
        },
        { status: 401, code: "invalid_session" },
      ],
      [
        "an unknown field",
        async () => holder.submitResult(task.id, { ...(await holder.resultBody(task, output)), extra: 1 }),
        { status: 400, param: "extra" },
      ],
    ]);
    // The rightful miner can still complete it, and is paid for it.
    const response = await holder.result(task, output);
    expect(response).toMatchObject({ accepted: true, taskId: task.id });
    expect(response.receipt?.cumulativeAmount).toBe(CHAT_PRICE.toString());
    expect(coordinator.services.tasks.get(task.id)).toMatchObject({
      status: "completed",
      leasedTo: alice.address,
    });
  });

  it("refuses an image the spot checks could not reproduce or compare: wrong seed, not a plain PNG", async () => {
    const { coordinator, holder } = await leasedTask();
    const [chosen, fixed] = [imageInput("the miner picks", -1), imageInput("the app picks", 42)];
    queueTask(coordinator, chosen);
    queueTask(coordinator, fixed);
    const [free, pinned] = await holder.poll({ slots: 2, models: [IMAGE_MODEL], waitMs: 0 });
    if (free === undefined || pinned === undefined) throw new Error("no image tasks leased");
    const png = demoImageOutput({ ...chosen, seed: 7 });
    const jpeg = {
      ...png,
      b64: Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...new Array(40).fill(0)]).toString("base64"),
    };
    await expectRefusalsKeepQueue(coordinator, free, [
      [
        "the seed -1 reported back",
        () => holder.result(free, { ...png, seed: -1 }),
        { status: 400, param: "output.seed" },
      ],
      [
        "a seed beyond 32 bits",
        () => holder.result(free, { ...png, seed: 2 ** 33 }),
        { status: 400, param: "output.seed" },
      ],
      ["a JPEG file", () => holder.result(free, jpeg), { status: 400, param: "output.b64" }],
      [
        "labelled image/webp",
        () => holder.result(free, { ...png, mime: "image/webp" }),
        { status: 400, param: "output.b64" },
      ],
    ]);
    await expectRefusalsKeepQueue(coordinator, pinned, [
      [
        "another seed than the app's",
        () => holder.result(pinned, png),
        { status: 400, param: "output.seed" },
      ],
    ]);
    await expect(holder.result(free, png)).resolves.toMatchObject({ accepted: true });
    await expect(holder.result(pinned, demoImageOutput(fixed))).resolves.toMatchObject({ accepted: true });
  });

  it("refuses malformed JSON (400) and oversized bodies (413), changing nothing", async () => {
    const { coordinator, holder, task, output } = await leasedTask({ bodyLimit: 64 * 1024 });
    const path = `/miner/v1/tasks/${task.id}/result`;
    const huge = JSON.stringify({
      ...(await holder.resultBody(task, output)),
      output: { ...output, content: "x".repeat(24 * 1024 * 1024) },
    });
    await expectRefusalsKeepQueue(coordinator, task, [
      [
        "malformed JSON",
        () => holder.request("POST", path, { body: '{"result": {' }),
        { status: 400, code: "invalid_json" },
      ],
      ["oversized result", () => holder.request("POST", path, { body: huge }), { status: 413 }],
      [
        "oversized poll",
        () => holder.poll({ slots: 1, models: ["m".repeat(100)], hardware: { notes: "y".repeat(70_000) } }),
        { status: 413 },
      ],
    ]);
    await expect(holder.result(task, output)).resolves.toMatchObject({ accepted: true });
  });

  it("answers a resubmitted identical result 200 again and credits it once", async () => {
    const { coordinator, holder, task, output } = await leasedTask();
    const body = await holder.resultBody(task, output);
    const first = await holder.submitResult(task.id, body);
    const again = await holder.submitResult(task.id, body);
    expect(again).toEqual(first);
    expect(again.receipt).toMatchObject({ cumulativeAmount: CHAT_PRICE.toString(), tasks: 1 });
    expect(await holder.receipt()).toEqual(first.receipt);
    // A different signed answer to the finished task is refused, and kept as proof of equivocation.
    const changed = await refusal(holder.result(task, { ...output, content: "second thoughts" }));
    expect(changed).toMatchObject({ status: 409, code: "equivocation" });
    const proof = coordinator.services.equivocations.get(task.id);
    expect(proof).toMatchObject({ miner: alice.address.toLowerCase(), status: "pending" });
    expect(proof?.a.signature).toBe(body.signature);
    expect(coordinator.services.earnings.receipt(alice.address)).toEqual(first.receipt);
  });
});

describe("receipts", () => {
  it("grows by each task's price and verifies against the coordinator operator", async () => {
    const { coordinator, holder, other, task, output } = await leasedTask();
    expect(await refusal(other.receipt())).toMatchObject({ status: 404, code: "no_receipt" });
    const first = await holder.result(task, output);
    const receipts = [first.receipt];

    const image = queueTask(coordinator, imageInput("a hen house", 3));
    const pricey = queueTask(coordinator, chatInput("expensive", PRICEY_MODEL));
    const leased = await holder.poll({ slots: 2, models: [IMAGE_MODEL, PRICEY_MODEL], waitMs: 0 });
    expect(leased.map((t) => t.id)).toEqual([image.id, pricey.id]);
    for (const t of leased) {
      const answer = t.input.type === "chat" ? demoChatOutput(t.input) : demoImageOutput(t.input);
      receipts.push((await holder.result(t, answer)).receipt);
    }
    const amounts = receipts.map((receipt) => BigInt(receipt?.cumulativeAmount ?? -1));
    expect(amounts).toEqual([
      CHAT_PRICE,
      CHAT_PRICE + parseEther("0.05"),
      CHAT_PRICE + parseEther("0.05") + parseEther("1.5"),
    ]);
    const latest = await holder.receipt();
    expect(latest).toEqual(receipts.at(-1));
    expect(latest).toMatchObject({ coordinator: coordinator.operator, miner: alice.address, tasks: 3 });
    for (const receipt of receipts) {
      if (receipt === null) throw new Error("no receipt");
      const message = {
        coordinator: coordinator.operator,
        miner: alice.address,
        cumulativeAmount: BigInt(receipt.cumulativeAmount),
      };
      expect(await verifyReceipt(ESCROW_DOMAIN, message, receipt.signature, coordinator.operator)).toBe(true);
      // Not a receipt for more than was earned, nor for another miner.
      expect(
        await verifyReceipt(
          ESCROW_DOMAIN,
          { ...message, cumulativeAmount: message.cumulativeAmount + 1n },
          receipt.signature,
          coordinator.operator,
        ),
      ).toBe(false);
      expect(
        await verifyReceipt(
          ESCROW_DOMAIN,
          { ...message, miner: bob.address },
          receipt.signature,
          coordinator.operator,
        ),
      ).toBe(false);
    }
  });
});
