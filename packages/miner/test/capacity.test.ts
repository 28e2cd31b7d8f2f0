// How one backend's slots are shared among coordinators: by stake (or equally) among those competing,
// an idle coordinator's share lent to the busy ones, never more in flight than the capacity, and
// waiters woken when a slot frees or the shares change.
import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { BUSY_WINDOW_MS, CapacityPool } from "../src/scheduling/capacity.js";

const A = "0x00000000000000000000000000000000000000aA" as Address;
const B = "0x00000000000000000000000000000000000000bB" as Address;
const C = "0x00000000000000000000000000000000000000cC" as Address;
const shares = (entries: [Address, bigint][]) => new Map(entries);

/** A pool on a clock the test moves. */
function pool(capacity: number) {
  const clock = { now: 1_000_000 };
  return { pool: new CapacityPool(capacity, () => clock.now), clock };
}

describe("capacity pool", () => {
  it("asks for one slot for an idle coordinator, and lends a busy one the whole capacity while the others are idle", () => {
    const { pool: p } = pool(10);
    p.setShares(
      shares([
        [A, 3_000_000n],
        [B, 1_000_000n],
        [C, 1n],
      ]),
      "stake",
    );
    expect([p.free(A), p.free(B), p.free(C)]).toEqual([1, 1, 1]);
    p.take(C);
    expect([p.free(A), p.free(B), p.free(C)]).toEqual([1, 1, 9]);
    expect(p.free("0x00000000000000000000000000000000000000dd")).toBe(0); // not worked for
  });

  it("shares by stake among the coordinators that have work, rounded up, at least one slot each", () => {
    const { pool: p } = pool(10);
    p.setShares(
      shares([
        [A, 3_000_000n],
        [B, 1_000_000n],
        [C, 1n],
      ]),
      "stake",
    );
    for (const c of [A, B, C]) {
      p.take(c);
      p.release(c); // each was given a task just now: all three compete
    }
    expect([p.free(A), p.free(B), p.free(C)]).toEqual([8, 3, 1]);
    p.setShares(
      shares([
        [A, 3_000_000n],
        [B, 1_000_000n],
        [C, 1n],
      ]),
      "equal",
    );
    expect([p.free(A), p.free(B), p.free(C)]).toEqual([4, 4, 4]);
  });

  it("gives an idle coordinator's share back to the busy ones once its window has passed", () => {
    const { pool: p, clock } = pool(4);
    p.setShares(
      shares([
        [A, 1n],
        [B, 1n],
      ]),
      "stake",
    );
    p.take(B);
    p.release(B);
    clock.now += 5_000;
    p.take(A);
    p.release(A);
    expect(p.free(A)).toBe(2);
    clock.now += BUSY_WINDOW_MS - 5_000 - 1;
    expect(p.free(A)).toBe(2);
    clock.now += 1;
    expect(p.free(A)).toBe(4);
    expect(p.free(B)).toBe(1); // idle now: one slot, to be seen to have work
  });

  it("never has more in flight than its capacity, and a coordinator over its share waits for the others", () => {
    const { pool: p } = pool(4);
    p.setShares(
      shares([
        [A, 1n],
        [B, 1n],
      ]),
      "stake",
    );
    for (let i = 0; i < 4; i++) p.take(A); // A alone had work: it took everything
    expect(p.inFlight).toBe(4);
    expect([p.free(A), p.free(B)]).toEqual([0, 0]);
    p.take(B); // B's outstanding poll brought a task: counted, even beyond the capacity
    p.release(A);
    p.release(A);
    expect(p.free(A)).toBe(0); // A holds 2 = its share now that B competes
    p.release(B);
    expect([p.free(A), p.free(B)]).toEqual([0, 2]);
  });

  it("ignores a release with nothing held, and matches addresses whatever their case", () => {
    const { pool: p } = pool(2);
    p.setShares(shares([[A, 1n]]), "stake");
    p.release(A);
    expect(p.inFlight).toBe(0);
    p.take(A.toLowerCase() as Address);
    expect(p.free(A)).toBe(1);
    p.release(A.toUpperCase().replace("0X", "0x") as Address);
    expect(p.inFlight).toBe(0);
  });

  it("wakes waiters when a slot is released or the shares change, and on abort", async () => {
    const { pool: p } = pool(1);
    p.setShares(shares([[A, 1n]]), "stake");
    p.take(A);
    let woken = 0;
    const released = p.changed().then(() => woken++);
    p.release(A);
    await released;
    const reshared = p.changed().then(() => woken++);
    p.setShares(shares([[B, 1n]]), "stake");
    await reshared;
    const controller = new AbortController();
    const aborted = p.changed(controller.signal).then(() => woken++);
    controller.abort();
    await aborted;
    expect(woken).toBe(3);
  });

  it("refuses a capacity that is not a positive whole number", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new CapacityPool(bad)).toThrow(RangeError);
  });
});
