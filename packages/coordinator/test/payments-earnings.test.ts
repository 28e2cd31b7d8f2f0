// EarningsBook on a real SQLite file: credits inside TaskStore.complete's transaction, receipts that
// verify as the contracts would, lazy cached signing, rollbacks and reopening.

import { createDigestSigner, type DigestSigner } from "@roost/chain";
import type { ChatTaskInput, ImageTaskInput, RoostDomainParams } from "@roost/protocol";
import { verifyReceipt } from "@roost/protocol";
import { type Address, getAddress, type Hex, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { EarningsBook } from "../src/payments/earnings.js";
import { parsePriceTable } from "../src/payments/prices.js";
import { TaskStore } from "../src/store/tasks.js";
import { apiKeyId, chatTask, fakeInputHash, TempStores } from "./fixtures/store-helpers.js";

const stores = new TempStores();
afterEach(() => stores.cleanup());

const MINER = "0x00000000000000000000000000000000000000a1" as Address;
const OTHER = "0x00000000000000000000000000000000000000B2" as Address;
const DOMAIN: RoostDomainParams = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const PRICES = parsePriceTable({ default: { chat: "0.5", image: "2" }, models: { big: "3" } });
const RESULT = { resultHash: `0x${"ab".repeat(32)}`, signature: `0x${"cd".repeat(65)}` };

const chatInput = (model = "small"): ChatTaskInput => ({
  type: "chat",
  model,
  messages: [{ role: "user", content: "hi" }],
  max_tokens: 16,
  temperature: 0,
  top_p: 1,
  seed: null,
  stop: [],
});
const imageInput = (model = "sd"): ImageTaskInput => ({
  type: "image",
  model,
  prompt: "a roost",
  negative_prompt: "",
  width: 64,
  height: 64,
  steps: 4,
  cfg_scale: 7,
  sampler_name: "Euler",
  seed: 1,
});

/** A signer that counts its signatures. */
function countingSigner(key: Hex = generatePrivateKey()): DigestSigner & { count: number } {
  const inner = createDigestSigner(key);
  const signer = {
    address: inner.address,
    count: 0,
    sign(digest: Hex): Hex {
      signer.count++;
      return inner.sign(digest);
    },
  };
  return signer;
}

function setup(path = stores.path(), signer = countingSigner()) {
  const db = stores.open(path);
  const book = new EarningsBook(db, PRICES, signer, signer.address, DOMAIN);
  return { db, path, signer, book, tasks: new TaskStore(db), keyId: apiKeyId(db) };
}

let clock = 10_000;

/** Enqueues a task with `input`, leases it to `miner` and completes it, crediting inside. */
function completeOne(
  { tasks, book, keyId }: { tasks: TaskStore; book: EarningsBook; keyId: string },
  miner: Address,
  input: ChatTaskInput | ImageTaskInput,
  inside?: () => void,
): bigint {
  const now = clock++;
  const kind = input.type;
  const task = tasks.enqueue(
    chatTask(keyId, { kind, model: input.model, input, inputHash: fakeInputHash(input), now }),
  );
  expect(tasks.assign(task.id, miner, 60_000, now)).toBeDefined();
  let cumulative = -1n;
  tasks.complete(task.id, miner, { ...RESULT, payload: { ok: true }, completedAt: now + 1 }, (done) => {
    cumulative = book.credit(miner, done);
    inside?.();
  });
  return cumulative;
}

async function verifies(book: EarningsBook, miner: Address, signer: Address) {
  const receipt = book.receipt(miner);
  if (receipt === undefined) throw new Error("no receipt");
  const message = {
    coordinator: receipt.coordinator,
    miner: receipt.miner,
    cumulativeAmount: BigInt(receipt.cumulativeAmount),
  };
  return verifyReceipt(DOMAIN, message, receipt.signature, signer);
}

describe("EarningsBook", () => {
  it("credits each completed task's price, by model or type, and the total only grows", () => {
    const s = setup();
    expect(s.book.receipt(MINER)).toBeUndefined();
    expect(completeOne(s, MINER, chatInput())).toBe(parseEther("0.5"));
    expect(completeOne(s, MINER, imageInput())).toBe(parseEther("2.5"));
    expect(completeOne(s, MINER, chatInput("big"))).toBe(parseEther("5.5"));
    expect(completeOne(s, OTHER, chatInput())).toBe(parseEther("0.5"));
    expect(s.book.balances()).toEqual(
      expect.arrayContaining([
        { miner: getAddress(MINER), cumulative: parseEther("5.5"), tasks: 3 },
        { miner: getAddress(OTHER), cumulative: parseEther("0.5"), tasks: 1 },
      ]),
    );
    expect(s.book.totals()).toEqual({ cumulative: parseEther("6"), miners: 2, tasks: 4 });
  });

  it("signs a receipt the contracts accept: the coordinator operator's EIP-712 signature", async () => {
    const s = setup();
    completeOne(s, MINER, chatInput());
    completeOne(s, MINER, imageInput());
    const receipt = s.book.receipt(MINER);
    expect(receipt).toEqual({
      coordinator: s.signer.address,
      miner: getAddress(MINER),
      cumulativeAmount: parseEther("2.5").toString(),
      signature: expect.stringMatching(/^0x[0-9a-f]{130}$/),
      tasks: 2,
    });
    expect(await verifies(s.book, MINER, s.signer.address)).toBe(true);
    // Not valid for another signer, nor for another amount.
    expect(await verifies(s.book, MINER, privateKeyToAddress(generatePrivateKey()))).toBe(false);
    const forged = {
      coordinator: s.signer.address,
      miner: getAddress(MINER),
      cumulativeAmount: parseEther("3"),
    };
    expect(await verifyReceipt(DOMAIN, forged, receipt?.signature as Hex, s.signer.address)).toBe(false);
  });

  it("signs lazily and once per total: a repeat call reuses the cached signature", () => {
    const s = setup();
    completeOne(s, MINER, chatInput());
    completeOne(s, MINER, chatInput());
    expect(s.signer.count).toBe(0); // completing results costs no signature
    const first = s.book.receipt(MINER);
    expect(s.signer.count).toBe(1);
    expect(s.book.receipt(MINER)).toEqual(first);
    expect(s.signer.count).toBe(1);

    completeOne(s, MINER, chatInput());
    const second = s.book.receipt(MINER);
    expect(s.signer.count).toBe(2);
    expect(second?.cumulativeAmount).toBe(parseEther("1.5").toString());
    expect(second?.signature).not.toBe(first?.signature);
    expect(s.book.receipt(getAddress(MINER).toLowerCase() as Address)).toEqual(second); // any case
    expect(s.signer.count).toBe(2);
  });

  it("a completion that rolls back credits nothing", () => {
    const s = setup();
    completeOne(s, MINER, chatInput());
    const before = s.book.receipt(MINER);
    expect(() =>
      completeOne(s, MINER, imageInput(), () => {
        throw new Error("boom after the credit");
      }),
    ).toThrow("boom after the credit");
    expect(s.book.receipt(MINER)).toEqual(before);
    expect(s.book.totals()).toEqual({ cumulative: parseEther("0.5"), miners: 1, tasks: 1 });
    expect(s.tasks.countsByStatus()).toMatchObject({ completed: 1, leased: 1 });
  });

  it("refuses to credit outside a transaction", () => {
    const s = setup();
    const input = chatInput();
    const task = s.tasks.enqueue(
      chatTask(s.keyId, { model: input.model, input, inputHash: fakeInputHash(input) }),
    );
    expect(() => s.book.credit(MINER, task)).toThrow("must run inside the transaction");
    expect(s.book.receipt(MINER)).toBeUndefined();
  });

  it("a task whose stored input is not a TaskInput cannot be priced, so its completion rolls back", () => {
    const s = setup();
    const task = s.tasks.enqueue(chatTask(s.keyId, { model: "small" })); // a raw request body as input
    s.tasks.assign(task.id, MINER, 60_000, 1_000);
    expect(() =>
      s.tasks.complete(task.id, MINER, { ...RESULT, payload: "x", completedAt: 1_001 }, (done) => {
        s.book.credit(MINER, done);
      }),
    ).toThrow("not a chat or image TaskInput");
    expect(s.tasks.get(task.id)?.status).toBe("leased");
    expect(s.book.receipt(MINER)).toBeUndefined();
  });

  it("totals survive closing and reopening the file; the receipt is signed again, identical", () => {
    const key = generatePrivateKey();
    const first = setup(undefined, countingSigner(key));
    completeOne(first, MINER, chatInput("big"));
    completeOne(first, OTHER, imageInput());
    const receipt = first.book.receipt(MINER);
    first.db.close();

    const again = setup(first.path, countingSigner(key));
    expect(again.book.totals()).toEqual({ cumulative: parseEther("5"), miners: 2, tasks: 2 });
    // Signatures are kept in memory only: the total is signed again, to the same (RFC 6979) signature.
    expect(again.book.receipt(MINER)).toEqual(receipt);
    expect(again.signer.count).toBe(1);
    again.book.receipt(MINER);
    expect(again.signer.count).toBe(1);
    expect(completeOne(again, MINER, chatInput())).toBe(parseEther("3.5"));
  });

  it("refuses a signer that is not the coordinator's operator", () => {
    const db = stores.open(stores.path());
    const signer = countingSigner();
    expect(() => new EarningsBook(db, PRICES, signer, MINER, DOMAIN)).toThrow(
      "PaymentEscrow would refuse them",
    );
  });
});
