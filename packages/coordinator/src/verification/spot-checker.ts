import { randomBytes } from "node:crypto";
import { inputHash, type RoostDomainParams, type TaskInput, type TaskOutput } from "@roost/protocol";
import type { Address, Hex } from "viem";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { Earnings } from "../services.js";
import type { StoreDatabase } from "../store/database.js";
import type { SlashProposalStore } from "../store/slash-proposals.js";
import { SPOT_CHECK_KEY_ID, type SpotCheck, type SpotCheckStore } from "../store/spot-checks.js";
import type { Task } from "../store/task-record.js";
import type { TaskStore } from "../store/tasks.js";
import { compareOutputs, type OutputComparison } from "./compare-outputs.js";
import { buildEvidence } from "./evidence.js";
import { pinnedInput } from "./pin-input.js";
import type { TrustBook } from "./trust.js";

// Spot checks (design section 5, issue 7). When a result is accepted, the trust book draws whether to
// check it; if so the miner's pay for it is held and the task, pinned, runs again as a task of its own
// on a miner of another owner. The same answer: both are paid and gain trust. A different one: a third
// miner, of a third owner, runs it; the odd one out loses trust and its pay, and this coordinator
// proposes to slash it with an evidence bundle. Three different answers prove nothing about anyone:
// all are paid. A check no independent miner takes in `checkTimeoutMs` is given up and the result paid.
//
// Every step is a transaction over durable rows (spot_checks, spot_check_runs, the tasks), so a
// restart resumes each check where it was: `review` is idempotent and the sweep reviews them all.

export interface SpotCheckerOptions {
  db: StoreDatabase;
  tasks: TaskStore;
  dispatcher: Dispatcher;
  chain: { owner(operator: Address): Address | undefined };
  earnings: Earnings;
  trust: TrustBook;
  checks: SpotCheckStore;
  proposals: SlashProposalStore;
  /** The TaskResult domain and this coordinator's operator, for the evidence. */
  domain: RoostDomainParams;
  coordinator: Address;
  slashBps: number;
  checkTimeoutMs: number;
  /** Leases a re-run may get before it counts as failed (a new run then goes to another miner). */
  maxAttempts: number;
  now?: () => number;
}

export interface SpotCheckLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** A miner is accused at most once in this long (see #settle). */
const PROPOSAL_INTERVAL_MS = 24 * 3_600_000;

interface Payee {
  task: Task;
  passed: boolean;
}

export class SpotChecker {
  /** Called after a slash proposal was recorded (the node sends it to Disputes then). */
  onProposal: () => void = () => {};
  /** Verdicts are logged here (the node's logger). */
  log: SpotCheckLog | undefined;
  readonly #o: SpotCheckerOptions;
  readonly #now: () => number;
  /** Work for after the current transaction commits: checks to review, new runs to offer. */
  readonly #later = { review: new Set<Hex>(), offer: new Set<Hex>() };
  #scheduled = false;

  constructor(options: SpotCheckerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Each miner's record of checks. */
  get trust(): TrustBook {
    return this.#o.trust;
  }

  /** The check of a task's result (with its re-runs), if one was drawn. */
  get(taskId: string): SpotCheck | undefined {
    return this.#o.checks.get(taskId);
  }

  /** Checks by status, for /api/network. */
  counts() {
    return this.#o.checks.countsByStatus();
  }

  /**
   * Called inside the transaction that accepts `task`'s result from `miner`: true when the miner's pay
   * is held for a check (a re-run itself, or a result drawn for checking), false to pay it now.
   */
  hold(task: Task, miner: Address): boolean {
    if (task.apiKeyId === SPOT_CHECK_KEY_ID) {
      const checkId = this.#o.checks.checkOfRun(task.id);
      const running = checkId !== undefined && this.#o.checks.get(checkId)?.status === "running";
      if (running) this.#after("review", checkId);
      return running; // a late re-run of a check that ended is paid as it comes
    }
    const input = task.input as unknown as TaskInput;
    const output = task.result?.payload as unknown as TaskOutput | undefined;
    if (output === undefined) return false;
    const pinned = pinnedInput(input, output);
    if (pinned === undefined || !this.#o.trust.shouldCheck(miner)) return false;
    const owner = this.#o.chain.owner(miner) ?? miner;
    this.#o.checks.open(task.id, miner, owner, this.#now());
    this.#newRun(task.id, task, pinned, [owner]);
    return true;
  }

  /** Reviews every running check: verdicts on finished runs, new runs for failed ones, time-outs. */
  sweep(): void {
    for (const id of this.#o.checks.running()) this.review(id);
  }

  /** Moves one check on as far as its runs allow; safe to call at any time, any number of times. */
  review(checkId: string): void {
    const check = this.#o.checks.get(checkId);
    if (check?.status !== "running") return;
    const original = this.#o.tasks.get(check.taskId);
    if (original?.result == null) return;
    const runs = check.runs.map((id) => this.#o.tasks.get(id)).filter((t): t is Task => t !== undefined);
    const done = runs.filter((run) => run.status === "completed" && run.result !== null);
    const active = runs.some((run) => run.status === "queued" || run.status === "leased");
    const [first, second] = done;
    if (first !== undefined) {
      const one = compare(original, first);
      if (one.match) {
        const both = [original, first].map((task) => ({ task, passed: true }));
        this.#settle(check, "passed", both);
        return;
      }
      if (second !== undefined) {
        this.#arbitrate(check, original, first, second, one);
        return;
      }
    }
    if (this.#now() - check.createdAt >= this.#o.checkTimeoutMs) {
      this.#giveUp(check, original, runs);
      return;
    }
    if (!active) {
      // No run pending: the first (or all before) failed, or the first disagreed and a third is needed.
      const owners = [check.owner, ...done.map((run) => this.#ownerOf(run))];
      const pinned =
        (runs[0]?.input as unknown as TaskInput | undefined) ??
        pinnedInput(inputOf(original), outputOf(original));
      if (pinned !== undefined)
        this.#o.db.immediate(() => this.#newRun(check.taskId, original, pinned, owners));
    }
  }

  /** The original and the first re-run differ: the second re-run decides who is the odd one out. */
  #arbitrate(check: SpotCheck, original: Task, first: Task, second: Task, one: OutputComparison): void {
    const two = compare(original, second);
    const three = compare(first, second);
    const comparisons = [
      { a: original.id, b: first.id, ...one },
      { a: original.id, b: second.id, ...two },
      { a: first.id, b: second.id, ...three },
    ];
    if (two.match === three.match) {
      // Three different answers (or a chain of near-matches): nobody can be singled out.
      const all = [original, first, second].map((task) => ({ task, passed: true }));
      this.#settle(check, "inconclusive", all, undefined, "three results, no majority");
      return;
    }
    const odd = two.match ? first : original;
    const reason = (two.match ? one : three).reason;
    const verdict = `${odd.leasedTo} is the odd one out of three runs of task ${check.taskId}: ${reason}`;
    const evidence = buildEvidence({
      domain: this.#o.domain,
      coordinator: this.#o.coordinator,
      accused: odd,
      tasks: [original, first, second],
      comparisons,
      verdict,
    });
    const payees = [original, first, second].map((task) => ({ task, passed: task !== odd }));
    this.#settle(check, "failed", payees, { accused: odd, ...evidence }, verdict);
  }

  /** No independent miner answered in time: the result is paid unchecked, queued re-runs cancelled. */
  #giveUp(check: SpotCheck, original: Task, runs: Task[]): void {
    for (const run of runs)
      if (run.status === "queued") this.#o.tasks.cancelQueued(run.id, "check timed out");
    const done = runs.filter((run) => run.status === "completed");
    const payees = [original, ...done].map((task) => ({ task, passed: false }));
    this.#settle(check, "unchecked", payees, undefined, "no independent miner answered in time");
  }

  /**
   * Records the verdict in one transaction: the check's status, pay for every payee that passed (or all
   * of them when nobody failed), trust, and the slash proposal. Trust moves only on a real verdict.
   */
  #settle(
    check: SpotCheck,
    status: "passed" | "failed" | "inconclusive" | "unchecked",
    payees: Payee[],
    proposal?: { accused: Task; bytes: Uint8Array; hash: Hex },
    verdict = "the results match",
  ): void {
    const { db, checks, earnings, trust, proposals } = this.#o;
    const accused = proposal?.accused.leasedTo as Address | undefined;
    const outcome = db.immediate(() => {
      if (!checks.settle(check.taskId, status, verdict, this.#now())) return "settled before";
      for (const { task, passed } of payees) {
        const miner = task.leasedTo as Address;
        if (passed || status === "unchecked") earnings.credit(miner, task);
        if (status === "passed" || status === "failed") {
          if (passed) trust.recordPass(miner);
          else trust.recordFail(miner);
        }
      }
      if (proposal === undefined || accused === undefined) return "settled";
      // One accusation per miner a day: every failed check costs the cheater its pay, but a burst of
      // fakes before the first slash lands is one offence, not one slash (and one dispute bond) each.
      if (proposals.proposedSince(accused, this.#now() - PROPOSAL_INTERVAL_MS)) return "already accused";
      proposals.record({
        taskId: proposal.accused.id,
        miner: accused,
        bps: this.#o.slashBps,
        evidence: proposal.bytes,
        evidenceHash: proposal.hash,
      });
      return "accused";
    });
    if (outcome === "settled before") return;
    const fields = { taskId: check.taskId, miner: check.miner, status, accused };
    if (outcome === "accused") {
      this.log?.warn(
        { ...fields, evidence: proposal?.hash },
        `spot check failed: ${verdict}; proposing a slash`,
      );
      this.onProposal();
    } else if (outcome === "already accused") {
      this.log?.warn(fields, `spot check failed: ${verdict}; a slash against it is already proposed`);
    } else this.log?.info(fields, `spot check ${status}: ${verdict}`);
  }

  /** Stores a re-run of `original` with `input`, excluding `owners`' miners; offered after commit. */
  #newRun(checkId: Hex, original: Task, input: TaskInput, owners: readonly string[]): void {
    const id = `0x${randomBytes(32).toString("hex")}` as Hex;
    this.#o.tasks.enqueue({
      id,
      apiKeyId: SPOT_CHECK_KEY_ID,
      kind: original.kind,
      model: original.model,
      input,
      inputHash: inputHash(input),
      stream: false,
      maxAttempts: this.#o.maxAttempts,
      excludedOwners: [...new Set(owners.map((owner) => owner.toLowerCase()))],
      now: this.#now(),
    });
    this.#o.checks.addRun(checkId, id, this.#now());
    this.#after("offer", id);
  }

  #ownerOf(task: Task): Address {
    const miner = task.leasedTo as Address;
    return this.#o.chain.owner(miner) ?? miner;
  }

  /** Runs after the current transaction commits (end of this turn): reviews and offers. */
  #after(kind: "review" | "offer", id: Hex): void {
    this.#later[kind].add(id);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const offers = [...this.#later.offer];
      const reviews = [...this.#later.review];
      this.#later.offer.clear();
      this.#later.review.clear();
      for (const id of offers) {
        const task = this.#o.tasks.get(id);
        if (task !== undefined) this.#o.dispatcher.offer(task);
      }
      for (const id of reviews) {
        try {
          this.review(id);
        } catch (error) {
          this.log?.warn({ taskId: id, err: error }, "spot check review failed; the sweep retries");
        }
      }
    });
  }
}

const inputOf = (task: Task) => task.input as unknown as TaskInput;
const outputOf = (task: Task) => task.result?.payload as unknown as TaskOutput;
const compare = (a: Task, b: Task) => compareOutputs(outputOf(a), outputOf(b));
