// The portal's formatting and validation, and how a refused transaction is put into words.

import { faucetAbi } from "@roost/protocol/abis";
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  parseEther,
  UserRejectedRequestError,
} from "viem";
import { describe, expect, it } from "vitest";
import { type TableNode, tablePage } from "../src/components/nodes-table-model";
import { formatBps, formatCai, parseAddress, parseCai, parseCommission } from "../src/format/amounts";
import { formatCountdown } from "../src/format/time";
import { initialLanguage } from "../src/i18n/language";
import { MESSAGES, translate } from "../src/i18n/messages";
import { explainTxError } from "../src/tx/explain";

describe("amounts", () => {
  it("formats CAI with the reader's separators and at most two decimals", () => {
    expect(formatCai(parseEther("25000"), "en")).toBe("25,000");
    expect(formatCai(parseEther("25000"), "fr")).toBe("25\u202f000");
    expect(formatCai(parseEther("1234567.891"), "en")).toBe("1,234,567.89");
    expect(formatCai(parseEther("0.5"), "fr")).toBe("0,5");
    expect(formatCai(parseEther("0.001"), "en")).toBe("0");
    expect(formatCai(parseEther("1000"), "hi")).toBe("1,000");
    expect(formatCai(parseEther("100000"), "hi")).toBe("1,00,000");
  });

  it("reads amounts as people type them, and says what is wrong otherwise", () => {
    expect(parseCai("20000")).toEqual({ ok: true, value: parseEther("20000") });
    expect(parseCai("20,000")).toEqual({ ok: true, value: parseEther("20000") });
    expect(parseCai(" 20 000 ")).toEqual({ ok: true, value: parseEther("20000") });
    expect(parseCai("20k")).toEqual({ ok: true, value: parseEther("20000") });
    expect(parseCai("1.5m")).toEqual({ ok: true, value: parseEther("1500000") });
    expect(parseCai("0.000000000000000001")).toEqual({ ok: true, value: 1n });
    expect(parseCai("")).toEqual({ ok: false, error: "empty" });
    expect(parseCai("abc")).toEqual({ ok: false, error: "format" });
    expect(parseCai("-5")).toEqual({ ok: false, error: "format" });
    expect(parseCai("0")).toEqual({ ok: false, error: "zero" });
    expect(parseCai("0.0000000000000000001")).toEqual({ ok: false, error: "decimals" });
    expect(parseCai("30k", parseEther("25000"))).toEqual({ ok: false, error: "too-much" });
  });

  it("validates addresses and commissions", () => {
    expect(parseAddress(" 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 ").ok).toBe(true);
    expect(parseAddress("0x15d3")).toEqual({ ok: false, error: "address" });
    expect(parseCommission("10")).toEqual({ ok: true, value: 1_000 });
    expect(parseCommission("7.5%")).toEqual({ ok: true, value: 750 });
    expect(parseCommission("101")).toEqual({ ok: false, error: "too-much" });
    expect(parseCommission("ten")).toEqual({ ok: false, error: "format" });
    expect(formatBps(1_000, "en")).toBe("10%");
  });

  it("counts down in the two largest units", () => {
    expect(formatCountdown(0)).toBe("now");
    expect(formatCountdown(59)).toBe("59s");
    expect(formatCountdown(300)).toBe("5m");
    expect(formatCountdown(3_725)).toBe("1h 2m");
    expect(formatCountdown(2 * 86_400 + 3 * 3_600 + 10)).toBe("2d 3h");
  });
});

describe("languages", () => {
  it("has every key in English, and fills placeholders", () => {
    expect(translate("fr", "faucet.next", { time: "5m" })).toBe("Prochaine réclamation dans 5m");
    expect(translate("fa", "locks.in", { time: "5m" })).toBe("5m دیگر");
    // A key missing in a language falls back to English.
    expect(translate("ja", "page.of", { from: 1, to: 50, total: 60 })).toBe("1–50 of 60");
    for (const language of Object.keys(MESSAGES))
      expect(Object.keys(MESSAGES[language as "en"]).length).toBeGreaterThan(50);
  });

  it("starts in the stored language, else the browser's, else English", () => {
    expect(initialLanguage("fa", ["fr-FR"])).toBe("fa");
    expect(initialLanguage(null, ["de-DE", "hi-IN"])).toBe("hi");
    expect(initialLanguage("xx", ["de"])).toBe("en");
  });
});

describe("refused transactions", () => {
  it("puts a contract's custom error into the same words as the CLI", () => {
    const data = encodeErrorResult({
      abi: faucetAbi,
      errorName: "ClaimTooSoon",
      args: ["0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", 1_000_060n],
    });
    const error = new BaseError("call reverted", {
      cause: new ContractFunctionRevertedError({ abi: faucetAbi, data, functionName: "claim" }),
    });
    expect(explainTxError(error, 1_000_000)).toMatch(
      /claimed from the faucet too recently; it can claim again at .* \(1m left\)/,
    );
    expect(
      explainTxError(new BaseError("no", { cause: new UserRejectedRequestError(new Error("denied")) })),
    ).toBe("you rejected it in your wallet");
  });
});

describe("the nodes table", () => {
  const node = (i: number, role = 0, status = 1): TableNode => ({
    operator: `0x${i.toString(16).padStart(40, "0")}`,
    owner: `0x${(i + 1).toString(16).padStart(40, "0")}`,
    role,
    status,
    totalStake: BigInt(i) * 10n ** 18n,
    selfStake: 10n ** 18n,
    commissionBps: i % 100,
    pendingCommissionBps: 0,
    commissionEffectiveAt: 0,
    slashes: i % 500 === 0 ? 1 : 0,
  });
  const name = (status: number) => ["", "active", "jailed", "deregistered"][status] ?? "";

  it("filters, sorts and pages 10,000 nodes", () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) =>
      node(i + 1, i % 10 === 0 ? 1 : 0, i % 97 === 0 ? 2 : 1),
    );
    const query = {
      text: "",
      role: "all" as const,
      sort: "totalStake" as const,
      descending: true,
      page: 0,
      pageSize: 50,
    };
    const first = tablePage(nodes, query, name);
    expect(first).toMatchObject({ total: 10_000, pages: 200, page: 0 });
    expect(first.rows[0]?.totalStake).toBe(10_000n * 10n ** 18n);
    expect(tablePage(nodes, { ...query, page: 999 }, name).page).toBe(199);
    expect(tablePage(nodes, { ...query, role: 1 }, name).total).toBe(1_000);
    expect(tablePage(nodes, { ...query, text: "jailed" }, name).total).toBe(104);
    const ascending = tablePage(nodes, { ...query, sort: "commissionBps", descending: false }, name);
    expect(ascending.rows[0]?.commissionBps).toBe(0);
    const slashed = tablePage(nodes, { ...query, sort: "slashes" }, name);
    expect(slashed.rows.slice(0, 20).every((row) => row.slashes === 1)).toBe(true);
    // Unknown task counts (no coordinator view) sort last, not as zero.
    const withTasks = nodes.map((n, i) => ({ ...n, tasksServed: i < 3 ? i : undefined }));
    const byTasks = tablePage(withTasks, { ...query, sort: "tasksServed" }, name);
    expect(byTasks.rows.slice(0, 3).map((row) => row.tasksServed)).toEqual([2, 1, 0]);
  });
});
