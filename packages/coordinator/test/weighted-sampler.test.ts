import { describe, expect, it } from "vitest";
import { cryptoRandom, type Random, WeightedSampler } from "../src/scheduling/weighted-sampler.js";

/** mulberry32: a small seeded PRNG, uniform in [0, 1), so failures replay. */
function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const y = x - 1;
  let sum = c[0] as number;
  for (let i = 1; i < 9; i++) sum += (c[i] as number) / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularized upper incomplete gamma function Q(a, x) (series or continued fraction). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * front;
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return front * h;
}

/** P(χ² >= statistic) with df degrees of freedom: the p-value of a goodness-of-fit test. */
const chiSquareP = (statistic: number, df: number) => gammaQ(df / 2, statistic / 2);

/** The p-value of observed counts against weights (df = bins - 1). */
function fitP<K>(counts: Map<K, number>, weights: Map<K, number>): number {
  let draws = 0;
  for (const n of counts.values()) draws += n;
  let total = 0;
  for (const w of weights.values()) total += w;
  let statistic = 0;
  for (const [key, w] of weights) {
    const expected = (draws * w) / total;
    statistic += ((counts.get(key) ?? 0) - expected) ** 2 / expected;
  }
  return chiSquareP(statistic, weights.size - 1);
}

function draw<K>(times: number, next: () => K | undefined): Map<K, number> {
  const counts = new Map<K, number>();
  for (let i = 0; i < times; i++) {
    const key = next();
    if (key === undefined) throw new Error("no key drawn");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Draws at the M evenly spaced points (i + 0.5) / M. Each key owns an interval of [0, 1) of length
 * weight / total whatever the slot order, so it must get M * weight / total of them, within 1.
 */
function expectStratified<K>(sampler: WeightedSampler<K>, model: Map<K, number>, m = 2048): void {
  let i = 0;
  const counts = draw(m, () => sampler.sample(() => (i++ + 0.5) / m));
  let total = 0;
  for (const w of model.values()) total += w;
  for (const [key, w] of model) {
    expect(Math.abs((counts.get(key) ?? 0) - (m * w) / total), String(key)).toBeLessThanOrEqual(1);
  }
}

const uneven = () => new Map(Array.from({ length: 20 }, (_, i) => [`miner${i}`, (i + 1) ** 2 * 1.37 + 0.5]));

describe("chi-square helper", () => {
  it("matches known critical values", () => {
    expect(chiSquareP(2, 2)).toBeCloseTo(Math.exp(-1), 12); // df 2: Q(1, x/2) = e^(-x/2)
    expect(chiSquareP(36.191, 19)).toBeCloseTo(0.01, 4);
    expect(chiSquareP(134.642, 99)).toBeCloseTo(0.01, 4);
    expect(chiSquareP(5, 10)).toBeCloseTo(0.8912, 4);
  });
});

describe("WeightedSampler", () => {
  it("agrees with a brute-force model under random set/delete sequences", () => {
    const rng = mulberry32(42);
    const sampler = new WeightedSampler<string>(1);
    const model = new Map<string, number>();
    for (let op = 0; op < 4000; op++) {
      const key = `0x${Math.floor(rng() * 60)
        .toString(16)
        .padStart(40, "0")}`;
      const roll = rng();
      if (roll < 0.3) {
        expect(sampler.delete(key)).toBe(model.delete(key));
      } else {
        const weight = roll < 0.4 ? 0 : roll < 0.45 ? rng() * 1e7 : roll < 0.5 ? rng() * 1e-3 : rng() * 1000;
        sampler.set(key, weight);
        model.set(key, weight);
      }
      expect(sampler.size).toBe(model.size);
      expect(sampler.has(key)).toBe(model.has(key));
      expect(sampler.get(key)).toBe(model.get(key));
      let total = 0;
      for (const w of model.values()) total += w;
      if (total === 0) expect(sampler.totalWeight).toBe(0);
      else expect(Math.abs(sampler.totalWeight - total) / total).toBeLessThan(1e-9);
      if (op % 40 === 0 && total > 0) expectStratified(sampler, model);
    }
  });

  it("draws each key in proportion to its weight (chi-square, 100,000 draws, p > 0.01)", () => {
    const weights = uneven();
    const sampler = new WeightedSampler<string>();
    for (const [key, w] of weights) sampler.set(key, w);
    const rng = mulberry32(7);
    const p = fitP(
      draw(100_000, () => sampler.sample(rng)),
      weights,
    );
    expect(p).toBeGreaterThan(0.01);
    // The test has power: the same draws do not fit equal weights.
    const equal = new Map([...weights.keys()].map((key) => [key, 1]));
    expect(
      fitP(
        draw(100_000, () => sampler.sample(rng)),
        equal,
      ),
    ).toBeLessThan(1e-12);
  });

  it("fits with cryptoRandom too (p > 1e-6, as it is not seeded)", () => {
    const weights = uneven();
    const sampler = new WeightedSampler<string>();
    for (const [key, w] of weights) sampler.set(key, w);
    expect(
      fitP(
        draw(100_000, () => sampler.sample(cryptoRandom)),
        weights,
      ),
    ).toBeGreaterThan(1e-6);
  });

  it("never draws zero-weight or deleted keys, even at the ends of [0, 1)", () => {
    const sampler = new WeightedSampler<string>();
    sampler.set("zero", 0).set("a", 1).set("b", 2).set("gone", 5).set("c", 3).set("tail", 4);
    sampler.delete("gone");
    sampler.set("tail", 0);
    expect(sampler.sample(() => 0)).toBe("a");
    expect(sampler.sample(() => 1 - 2 ** -53)).toBe("c");
    const rng = mulberry32(1);
    const counts = draw(50_000, () => sampler.sample(rng));
    expect([...counts.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(sampler.has("zero")).toBe(true);
    expect(sampler.has("gone")).toBe(false);
    expect(sampler.totalWeight).toBe(6);
  });

  it("returns undefined when the total is 0", () => {
    const sampler = new WeightedSampler<string>();
    expect(sampler.sample()).toBeUndefined();
    sampler.set("a", 0).set("b", 0);
    expect(sampler.sample()).toBeUndefined();
    expect(sampler.sampleWhere(() => true)).toBeUndefined();
    sampler.set("a", 2);
    sampler.delete("a");
    expect(sampler.sample()).toBeUndefined();
    expect(sampler.totalWeight).toBe(0);
  });

  it("rejects invalid weights and random values", () => {
    const sampler = new WeightedSampler<string>();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => sampler.set("a", bad)).toThrow(RangeError);
    }
    expect(sampler.size).toBe(0);
    sampler.set("a", -0);
    expect(Object.is(sampler.get("a"), 0)).toBe(true);
    sampler.set("a", 1);
    expect(() => sampler.sample(() => 1)).toThrow(RangeError);
    expect(() => sampler.sample(() => -0.1)).toThrow(RangeError);
    expect(sampler.sample()).toBe("a"); // Math.random by default
  });

  describe("sampleWhere", () => {
    it("never returns an ineligible key and keeps the eligible keys' proportions", () => {
      const weights = uneven();
      const sampler = new WeightedSampler<string>();
      for (const [key, w] of weights) sampler.set(key, w);
      const eligible = new Map([...weights].filter((_, i) => i % 2 === 0));
      const rng = mulberry32(11);
      for (const maxTries of [32, 1, 0]) {
        const counts = draw(50_000, () => sampler.sampleWhere((key) => eligible.has(key), rng, maxTries));
        for (const key of counts.keys()) expect(eligible.has(key)).toBe(true);
        expect(fitP(counts, eligible)).toBeGreaterThan(0.01);
      }
    });

    it("finds a lone eligible key with a tiny weight", () => {
      const sampler = new WeightedSampler<string>();
      for (let i = 0; i < 1000; i++) sampler.set(`big${i}`, 1e6);
      sampler.set("small", 1e-6);
      let calls = 0;
      const onlySmall = (key: string) => {
        calls++;
        return key === "small";
      };
      expect(sampler.sampleWhere(onlySmall, mulberry32(9))).toBe("small");
      expect(calls).toBe(32 + 1001); // 32 rejected draws, then one pass over the keys
      expect(sampler.sampleWhere((key, weight) => key === "small" && weight > 1, mulberry32(9))).toBe(
        undefined,
      );
    });

    it("returns undefined when only zero-weight keys are eligible", () => {
      const sampler = new WeightedSampler<string>();
      sampler.set("a", 5).set("z", 0);
      expect(sampler.sampleWhere((key) => key === "z", mulberry32(2))).toBeUndefined();
    });
  });

  it("doubles its capacity as keys arrive and reuses freed slots", () => {
    const sampler = new WeightedSampler<number>(1);
    expect(sampler.capacity).toBe(16);
    const model = new Map<number, number>();
    for (let i = 1; i <= 16; i++) sampler.set(i, i);
    expect(sampler.capacity).toBe(16);
    for (let i = 1; i <= 1000; i++) {
      sampler.set(i, i);
      model.set(i, i);
    }
    expect(sampler.capacity).toBe(1024);
    expect(sampler.totalWeight).toBe(500_500);
    for (let i = 1; i <= 1000; i++) expect(sampler.get(i)).toBe(i);
    expectStratified(sampler, model, 8192);
    for (let i = 1; i <= 1000; i += 2) {
      sampler.delete(i);
      model.delete(i);
    }
    for (let i = 2001; i <= 2500; i++) {
      sampler.set(i, 7);
      model.set(i, 7);
    }
    expect(sampler.capacity).toBe(1024);
    expect(sampler.size).toBe(1000);
    expectStratified(sampler, model, 8192);
    expect(new WeightedSampler(100).capacity).toBe(128);
  });

  describe("drift guard", () => {
    it("rebuilds when a large weight leaves and the total collapses", () => {
      const sampler = new WeightedSampler<string>();
      sampler.set("whale", 1e20).set("minnow", 1).set("shrimp", 2);
      sampler.delete("whale"); // by deltas alone the tree would hold 1e20 + 1 + 2 - 1e20 = 0
      expect(sampler.totalWeight).toBe(3);
      expect(sampler.sample(() => 0.1)).toBe("minnow");
      expect(sampler.sample(() => 0.9)).toBe("shrimp");
      sampler.set("whale", 1e20);
      sampler.delete("minnow");
      sampler.delete("whale");
      expect(sampler.totalWeight).toBe(2);
      sampler.delete("shrimp");
      expect(sampler.totalWeight).toBe(0);
      expect(sampler.sample()).toBeUndefined();
    });

    it("rebuilds periodically so rounding cannot accumulate", () => {
      // With 2^52 in the tree (spacing 1) the deltas +0.6, +0.6, -1.2 round to +1, +1, -1: each
      // cycle leaves the tree 1 higher than the weights. The rebuild every 1,024 updates caps it.
      const sampler = new WeightedSampler<string>();
      sampler.set("anchor", 2 ** 52);
      let worst = 0;
      for (let cycle = 0; cycle < 10_000; cycle++) {
        for (const x of [0.6, 1.2, 0]) {
          sampler.set("x", x);
          worst = Math.max(worst, Math.abs(sampler.totalWeight - (2 ** 52 + x)));
        }
      }
      expect(worst).toBeGreaterThan(300); // the drift is real...
      expect(worst).toBeLessThan(350); // ...and bounded, where 10,000 cycles would leave 10,000
    });
  });
});

describe("cryptoRandom", () => {
  it("returns uniform 53-bit floats in [0, 1)", () => {
    const values = Array.from({ length: 10_000 }, cryptoRandom);
    for (const v of values) {
      expect(v >= 0 && v < 1).toBe(true);
      expect(Number.isInteger(v * 2 ** 53)).toBe(true);
    }
    expect(values.some((v) => !Number.isInteger(v * 2 ** 32))).toBe(true); // more than 32 bits
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(new Set(values).size).toBe(values.length);
  });
});
