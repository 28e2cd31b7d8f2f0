// How one backend's slots are shared among coordinators: quotas by stake (or equal), never more in
// flight than the capacity, and waiters woken when a slot frees or the shares change.
import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { CapacityPool } from "../src/scheduling/capacity.js";

const A = "0x00000000000000000000000000000000000000aA" as Address;
const B = "0x00000000000000000000000000000000000000bB" as Address;
const C = "0x00000000000000000000000000000000000000cC" as Address;
const shares = (entries: [Address, bigint][]) => new Map(entries);

describe("capacity pool", () => {
  it("gives each coordinator its stake's share of the slots, rounded up", () => {
    const pool = new CapacityPool(10);
    pool.setShares(
      shares([
        [A, 3_000_000n],
        [B, 1_000_000n],
        [C, 1n],
      ]),
      "stake",
    );
    expect([pool.free(A), pool.free(B), pool.free(C)]).toEqual([8, 3, 1]);
    pool.setShares(
      shares([
        [A, 3_000_000n],
        [B, 1_000_000n],
      ]),
      "equal",
    );
    expect([pool.free(A), pool.free(B), pool.free(C)]).toEqual([5, 5, 0]);
  });

  it("never has more in flight than its capacity, whatever the quotas add up to", () => {
    const pool = new CapacityPool(4);
    pool.setShares(
      shares([
        [A, 1n],
        [B, 1n],
        [C, 1n],
      ]),
      "stake",
    ); // quotas 2, 2, 2
    pool.take(A);
    pool.take(A);
    pool.take(B);
    expect(pool.free(A)).toBe(0);
    expect(pool.free(B)).toBe(1);
    expect(pool.free(C)).toBe(1);
    pool.take(C);
    expect([pool.free(A), pool.free(B), pool.free(C)]).toEqual([0, 0, 0]);
    expect(pool.inFlight).toBe(4);
    pool.release(A);
    expect([pool.free(A), pool.free(B), pool.free(C)]).toEqual([1, 1, 1]);
  });

  it("lets an idle coordinator's slots go to a busy one: quotas are at least the capacity each when alone", () => {
    const pool = new CapacityPool(3);
    pool.setShares(shares([[A, 1n]]), "stake");
    expect(pool.free(A)).toBe(3);
    expect(pool.free(B)).toBe(0); // not a coordinator the miner works for
  });

  it("ignores a release with nothing held, and matches addresses whatever their case", () => {
    const pool = new CapacityPool(2);
    pool.setShares(shares([[A, 1n]]), "stake");
    pool.release(A);
    expect(pool.inFlight).toBe(0);
    pool.take(A.toLowerCase() as Address);
    expect(pool.free(A)).toBe(1);
    pool.release(A.toUpperCase().replace("0X", "0x") as Address);
    expect(pool.inFlight).toBe(0);
  });

  it("wakes waiters when a slot is released or the shares change, and on abort", async () => {
    const pool = new CapacityPool(1);
    pool.setShares(shares([[A, 1n]]), "stake");
    pool.take(A);
    let woken = 0;
    const released = pool.changed().then(() => woken++);
    pool.release(A);
    await released;
    const reshared = pool.changed().then(() => woken++);
    pool.setShares(shares([[B, 1n]]), "stake");
    await reshared;
    const controller = new AbortController();
    const aborted = pool.changed(controller.signal).then(() => woken++);
    controller.abort();
    await aborted;
    expect(woken).toBe(3);
  });

  it("refuses a capacity that is not a positive whole number", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new CapacityPool(bad)).toThrow(RangeError);
  });
});
