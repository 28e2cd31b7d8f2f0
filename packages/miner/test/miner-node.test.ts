// The miner node against a real coordinator (real HTTP server, SQLite queue; a static chain view):
// streamed chat, failover when a backend errors, recovery after the coordinator was down, and a
// kill -9 mid-task that never leads to a second signature.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDigestSigner } from "@roost/chain";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../coordinator/src/config.js";
import {
  type AppCoordinator,
  startAppCoordinator,
  stopAll,
} from "../../coordinator/test/fixtures/app-harness.js";
import { waitFor } from "../../coordinator/test/fixtures/store-helpers.js";
import type { ResultResponse } from "../src/coordinator/client.js";
import { MinerJournal } from "../src/journal/journal.js";
import type { MinerLogger } from "../src/node/logger.js";
import { type MinerNode, startMiner } from "../src/node/miner-node.js";
import { answerFor, SCRIPTED_MODEL, type ScriptedChat, scriptedChat } from "./fixtures/scripted-chat.js";
import { tcpGate } from "./fixtures/tcp-gate.js";

const dir = mkdtempSync(join(tmpdir(), "roost-miner-node-"));
const nodes: MinerNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()));
});
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function collectingLogger(): MinerLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

async function miner(
  coordinator: AppCoordinator,
  account: LocalAccount,
  backend: ScriptedChat,
  options: {
    endpoint?: string;
    logger?: MinerLogger;
    onReceipt?: (r: ResultResponse) => void;
    receiptRefreshMs?: number;
  } = {},
): Promise<MinerNode> {
  const node = await startMiner({
    account,
    domain: coordinator.services.disputesDomain,
    receiptDomain: coordinator.services.escrowDomain,
    coordinators: [
      { address: coordinator.operator, endpoint: options.endpoint ?? coordinator.url, stake: 1n },
    ],
    backends: [backend],
    journalPath: join(dir, `${account.address}-${nodes.length}.db`),
    logger: options.logger ?? collectingLogger(),
    pollWaitMs: 1000,
    hardware: { cpu: "test" },
    ...(options.onReceipt === undefined ? {} : { onReceipt: (_, r) => options.onReceipt?.(r) }),
    ...(options.receiptRefreshMs === undefined ? {} : { receiptRefreshMs: options.receiptRefreshMs }),
  });
  nodes.push(node);
  await online(coordinator, account.address);
  return node;
}

/** Waits until the miner's first poll reached the coordinator: apps may then ask for its model. */
const online = (coordinator: AppCoordinator, operator: string) =>
  waitFor(
    () => coordinator.services.dispatcher.presence.online().some((m) => m.operator === operator),
    5000,
    `miner ${operator} to poll`,
  );

const ask = (coordinator: AppCoordinator, content: string) =>
  coordinator.openai().chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [{ role: "user", content }],
    max_tokens: 16,
    temperature: 0,
  });

describe("miner node", { timeout: 30_000 }, () => {
  it("answers an app's chat, streamed token by token, signs once and gets a receipt", async () => {
    const coordinator = await startAppCoordinator();
    const receipts: ResultResponse[] = [];
    const node = await miner(coordinator, coordinator.miners[0] as LocalAccount, scriptedChat(), {
      onReceipt: (r) => receipts.push(r),
    });
    const plain = await ask(coordinator, "hello");
    expect(plain.choices[0]?.message.content).toBe("echo: hello");

    const stream = await coordinator.openai().chat.completions.create({
      model: SCRIPTED_MODEL,
      messages: [{ role: "user", content: "one two three" }],
      max_tokens: 16,
      temperature: 0,
      stream: true,
    });
    const pieces: string[] = [];
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? "");
    expect(pieces.filter((p) => p !== "").length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(
      answerFor({ messages: [{ role: "user", content: "one two three" }] } as never),
    );

    await waitFor(() => receipts.length === 2, 5000, "two receipts");
    expect(receipts[1]?.receipt?.tasks).toBe(2);
    expect(node.journal.signedCount()).toBe(2);
    expect(node.journal.unsubmitted()).toEqual([]);
    const [kept] = node.journal.receipts();
    expect(kept?.coordinator).toBe(coordinator.operator.toLowerCase());
    expect(kept?.cumulativeAmount).toBe(BigInt(receipts[1]?.receipt?.cumulativeAmount ?? -1));
    expect(kept?.tasks).toBe(2);
  });

  it("learns of pay that arrives after a spot check, by fetching its latest receipt", async () => {
    // Checks on: each new miner's greedy answers are re-run by the other, and paid after the verdict.
    const coordinator = await startAppCoordinator({
      config: { verification: { ...DEFAULT_CONFIG.verification, spotCheckRate: 0 } },
    });
    const [a, b] = coordinator.miners as [LocalAccount, LocalAccount];
    const nodeA = await miner(coordinator, a, scriptedChat(), { receiptRefreshMs: 200 });
    const nodeB = await miner(coordinator, b, scriptedChat(), { receiptRefreshMs: 200 });
    expect((await ask(coordinator, "checked")).choices[0]?.message.content).toBe("echo: checked");
    // The answer's own receipt did not include it (held); a later fetch does, for both miners.
    const paid = () =>
      [nodeA, nodeB].reduce((sum, node) => sum + (node.journal.receipts()[0]?.cumulativeAmount ?? 0n), 0n);
    await waitFor(() => paid() === 2n * 10n ** 16n, 10_000, "the original and the check to be paid");
    expect(coordinator.services.spotChecks.counts().passed).toBe(1);
  });

  it("refuses a signer whose key is not the account's, before opening anything", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const other = createDigestSigner(generatePrivateKey());
    await expect(
      startMiner({
        account,
        signer: other,
        domain: { chainId: 31337, verifyingContract: account.address },
        receiptDomain: { chainId: 31337, verifyingContract: account.address },
        coordinators: [],
        backends: [scriptedChat()],
        journalPath: join(dir, "never", "journal.db"),
        logger: collectingLogger(),
      }),
    ).rejects.toThrow(`the signer's key (${other.address}) is not the account's (${account.address})`);
  });

  it("gives a task its backend failed on back with the reason, and another miner completes it", async () => {
    const coordinator = await startAppCoordinator();
    const [a, b] = coordinator.miners as [LocalAccount, LocalAccount];
    const broken = scriptedChat();
    broken.mode = "fail";
    const logger = collectingLogger();
    await miner(coordinator, a, broken, { logger });
    const started = broken.started();
    const answer = ask(coordinator, "fail over");
    await started;
    await miner(coordinator, b, scriptedChat());
    const completion = await answer;
    expect(completion.choices[0]?.message.content).toBe("echo: fail over");
    const task = coordinator.services.tasks.get(`0x${completion.id.replace("chatcmpl-", "")}`);
    expect(task?.leasedTo?.toLowerCase()).toBe(b.address.toLowerCase());
    expect(task?.attempts).toBeGreaterThanOrEqual(2);
    expect(logger.lines.some((line) => line.includes("CUDA out of memory (simulated)"))).toBe(true);
  });

  it("gives its running tasks back when stopped, and another miner completes them at once", async () => {
    const coordinator = await startAppCoordinator(); // leases of 30 s: waiting one out would time out
    const [a, b] = coordinator.miners as [LocalAccount, LocalAccount];
    const hanging = scriptedChat();
    hanging.mode = "hang";
    const stopping = await miner(coordinator, a, hanging);
    const started = hanging.started();
    const answer = ask(coordinator, "hand over");
    await started;
    await stopping.stop();
    nodes.splice(nodes.indexOf(stopping), 1);
    await miner(coordinator, b, scriptedChat());
    const completion = await answer;
    expect(completion.choices[0]?.message.content).toBe("echo: hand over");
    const task = coordinator.services.tasks.get(`0x${completion.id.replace("chatcmpl-", "")}`);
    expect(task?.leasedTo?.toLowerCase()).toBe(b.address.toLowerCase());
  });

  it("recovers by itself after the coordinator was unreachable", async () => {
    const coordinator = await startAppCoordinator();
    const gate = await tcpGate(Number(new URL(coordinator.url).port));
    const logger = collectingLogger();
    await miner(coordinator, coordinator.miners[0] as LocalAccount, scriptedChat(), {
      endpoint: gate.url,
      logger,
    });
    expect((await ask(coordinator, "before")).choices[0]?.message.content).toBe("echo: before");
    await gate.close();
    await waitFor(() => logger.lines.some((line) => line.includes("retrying in")), 10_000, "a retry");
    await gate.open();
    expect((await ask(coordinator, "after")).choices[0]?.message.content).toBe("echo: after");
  });

  it("follows the coordinator list: a new coordinator is polled at once, one that leaves no more", async () => {
    const first = await startAppCoordinator();
    const account = first.miners[0] as LocalAccount;
    const second = await startAppCoordinator({ miners: [account] });
    const logger = collectingLogger();
    const node = await miner(first, account, scriptedChat(), { logger });
    node.setCoordinators([
      { address: first.operator, endpoint: first.url, stake: 3n },
      { address: second.operator, endpoint: second.url, stake: 1n },
    ]);
    await online(second, account.address);
    expect((await ask(second, "two")).choices[0]?.message.content).toBe("echo: two");
    expect(node.sessions.map((s) => s.client.coordinator)).toEqual([first.operator, second.operator]);

    node.setCoordinators([{ address: second.operator, endpoint: second.url, stake: 1n }]);
    expect(node.sessions.map((s) => s.client.coordinator)).toEqual([second.operator]);
    const lastSeen = () =>
      first.services.dispatcher.presence.list().find((m) => m.operator === account.address)?.lastSeen;
    const before = lastSeen();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a polling miner is seen every 1 s
    expect(lastSeen()).toBe(before);
    expect((await ask(second, "still")).choices[0]?.message.content).toBe("echo: still");
    expect(logger.lines).toContain(`working for coordinator ${second.operator} at ${second.url}`);
    expect(logger.lines).toContain(`coordinator ${first.operator} left the list: polling it no more`);

    // A new endpoint on chain: the same session, repointed.
    const [session] = node.sessions;
    const gate = await tcpGate(Number(new URL(second.url).port));
    node.setCoordinators([{ address: second.operator, endpoint: gate.url, stake: 1n }]);
    expect(node.sessions).toEqual([session]);
    expect(session?.client.endpoint).toBe(gate.url);
    expect((await ask(second, "moved")).choices[0]?.message.content).toBe("echo: moved");
    expect(logger.lines).toContain(`coordinator ${second.operator} moved to ${gate.url}`);
    await gate.close();
  });

  it("lends all its slots to the one coordinator with work, and shares them by stake when both have", async () => {
    const big = await startAppCoordinator();
    const account = big.miners[0] as LocalAccount;
    const small = await startAppCoordinator({ miners: [account] });
    const backend = scriptedChat(4);
    backend.delayMs = 20; // about 80 ms a task
    let running = 0;
    let peak = 0;
    const run = backend.run.bind(backend);
    backend.run = async (input, context) => {
      peak = Math.max(peak, ++running);
      try {
        return await run(input, context);
      } finally {
        running--;
      }
    };
    const node = await startMiner({
      account,
      domain: big.services.disputesDomain,
      receiptDomain: big.services.escrowDomain,
      coordinators: [
        { address: big.operator, endpoint: big.url, stake: 3_000_000n },
        { address: small.operator, endpoint: small.url, stake: 1_000_000n },
      ],
      backends: [backend],
      journalPath: join(dir, "shared.db"),
      logger: collectingLogger(),
      pollWaitMs: 1000,
    });
    nodes.push(node);
    await online(big, account.address);
    await online(small, account.address);
    const done = { big: 0, small: 0 };
    const flood = (coordinator: AppCoordinator, who: "big" | "small", count: number) =>
      Promise.allSettled(
        Array.from({ length: count }, (_, i) =>
          ask(coordinator, `${who} ${i}`).then(() => {
            done[who] += 1;
          }),
        ),
      );
    await flood(big, "big", 12);
    expect(peak).toBe(4); // the small coordinator had nothing: its share was lent
    done.big = 0;
    const floods = [flood(big, "big", 40), flood(small, "small", 40)];
    await waitFor(() => done.big >= 30, 20_000, "30 tasks of the big coordinator");
    // Both had work queued all along: 3 slots to 1, as their stakes (one task more or less at the start).
    const ratio = done.big / done.small;
    expect(ratio).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(4.5);
    await Promise.all(floods);
  });

  it("reads the list again on its interval, and works on with the known coordinators while the chain is down", async () => {
    const first = await startAppCoordinator();
    const account = first.miners[0] as LocalAccount;
    const second = await startAppCoordinator({ miners: [account] });
    const logger = collectingLogger();
    let reads = 0;
    const node = await startMiner({
      account,
      domain: first.services.disputesDomain,
      receiptDomain: first.services.escrowDomain,
      coordinators: [{ address: first.operator, endpoint: first.url, stake: 1n }],
      discovery: {
        intervalMs: 50,
        load: async () => {
          if (++reads <= 2) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
          return [
            { address: first.operator, endpoint: first.url, stake: 1n },
            { address: second.operator, endpoint: second.url, stake: 1n },
          ];
        },
      },
      backends: [scriptedChat()],
      journalPath: join(dir, "watched.db"),
      logger,
      pollWaitMs: 1000,
    });
    nodes.push(node);
    await online(second, account.address);
    expect((await ask(first, "one")).choices[0]?.message.content).toBe("echo: one");
    expect((await ask(second, "two")).choices[0]?.message.content).toBe("echo: two");
    const warnings = logger.lines.filter((line) => line.startsWith("cannot read the coordinators"));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("cannot reach the chain RPC");
    expect(logger.lines).toContain("chain RPC reachable again: coordinator list read");
  });

  it("after kill -9 mid-task, the task is reassigned and completed, and the killed miner never signed", async () => {
    const coordinator = await startAppCoordinator({ config: { leaseMs: 2000 } });
    const [, b] = coordinator.miners as [LocalAccount, LocalAccount];
    const key = generatePrivateKey();
    const killedAccount = privateKeyToAccount(key);
    coordinator.chain.set(killedAccount.address, 1);
    const journalPath = join(dir, "killed.db");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "fixtures/miner-process.ts"),
        journalPath,
        key,
        coordinator.operator,
        coordinator.url,
        coordinator.services.disputesDomain.verifyingContract,
        coordinator.services.escrowDomain.verifyingContract,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const output: string[] = [];
    const seen = (word: string) =>
      waitFor(() => output.join("").includes(word), 15_000, `the child miner: ${word}`);
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    await seen("ready");
    await online(coordinator, killedAccount.address);
    const answer = ask(coordinator, "survive");
    await seen("started");
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    await miner(coordinator, b, scriptedChat());
    const completion = await answer;
    expect(completion.choices[0]?.message.content).toBe("echo: survive");
    const task = coordinator.services.tasks.get(`0x${completion.id.replace("chatcmpl-", "")}`);
    expect(task?.leasedTo?.toLowerCase()).toBe(b.address.toLowerCase());

    // The killed miner's journal holds the accepted lease and no signature; restarted, it finds the
    // lease gone to another miner and drops it without running or signing anything.
    const journal = MinerJournal.open(journalPath);
    expect(journal.signedCount()).toBe(0);
    expect(journal.unsignedLeases().map((l) => l.task.id)).toEqual([task?.id]);
    journal.close();
    const restarted = scriptedChat(1);
    const logger = collectingLogger();
    const node = await startMiner({
      account: killedAccount,
      domain: coordinator.services.disputesDomain,
      receiptDomain: coordinator.services.escrowDomain,
      coordinators: [{ address: coordinator.operator, endpoint: coordinator.url, stake: 1n }],
      backends: [restarted],
      journalPath,
      logger,
      pollWaitMs: 200,
    });
    nodes.push(node);
    await waitFor(() => logger.lines.some((line) => line.includes("dropped after restart")), 5000, "drop");
    expect(node.journal.unsignedLeases()).toEqual([]);
    expect(node.journal.signedCount()).toBe(0);
    expect(restarted.runs).toBe(0);
  });
});
