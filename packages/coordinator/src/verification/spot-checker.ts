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
// all are paid. Two different answers and no third in `checkTimeoutMs`: one of the two lied, so
// neither is paid. No independent answer at all in time: the result is paid unchecked.
//
// A re-run that fails, or that its miner holds past a third of the timeout (stalling a check until
// it times out would otherwise get a colluder's friend paid unchecked), is cancelled and its owner
// excluded from the next run. Every step is a transaction over durable rows (spot_checks,
// spot_check_runs, the tasks), so a restart resumes each check where it was: `review` is idempotent
// and the sweep reviews them all.

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
  /** Leases a re-run may get before it counts as failed (a new run then goes to another owner). */
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
  /** Credit its pay. */
  pay: boolean;
  /** Its trust: it agreed with the majority, it was the odd one out, or no verdict on it. */
  trust?: "pass" | "fail";
}

export class SpotChecker {
  /** Called after a slash proposal was recorded (the node sends it to Disputes then). */
  onProposal: () => void = () => {};
  /** Verdicts are logged here (the node's logger). */
  log: SpotCheckLog | undefined;
  /** What a proposal asks to slash (bps); the node caps it at what Disputes accepts. */
  slashBps: number;
  readonly #o: SpotCheckerOptions;
  readonly #now: () => number;
  /** Work for the next turn (after the accepting request's transaction): checks to review, runs to offer. */
  readonly #later = { review: new Set<Hex>(), offer: new Set<Hex>() };
  #scheduled = false;
  /** When each re-run was first seen leased (in memory: a restart gives a run its time again). */
  readonly #leasedSince = new Map<Hex, number>();

  constructor(options: SpotCheckerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.slashBps = options.slashBps;
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
      const running = checkId !== undefined && this.#o.checks.isRunning(checkId);
      if (running) this.#after("review", checkId);
      return running; // a late re-run of a check that ended is paid as it comes
    }
    const output = task.result?.payload as unknown as TaskOutput | undefined;
    if (output === undefined) return false;
    const pinned = pinnedInput(task.input as unknown as TaskInput, output);
    // The draw first: for a trusted miner it says no 97 times in 100, before any search for a checker.
    if (pinned === undefined || !this.#o.trust.shouldCheck(miner)) return false;
    const owner = this.#o.chain.owner(miner);
    // No check that could only time out: an unknown owner, or no independent miner serving the model.
    if (owner === undefined || !this.#o.dispatcher.canPlace(task.model, [owner.toLowerCase()])) return false;
    this.#o.checks.open(task.id, miner, owner, this.#now());
    this.#newRun(task.id, task, pinned, [owner]);
    return true;
  }

  /** Reviews every running check: verdicts on finished runs, new runs for failed ones, time-outs. */
  sweep(): void {
    for (const id of this.#o.checks.running()) {
      try {
        this.review(id);
      } catch (error) {
        this.log?.warn({ taskId: id, err: error }, "spot check review failed; the next sweep retries");
      }
    }
  }

  /** Moves one check on as far as its runs allow; safe to call at any time, any number of times. */
  review(checkId: string): void {
    const check = this.#o.checks.get(checkId);
    if (check?.status !== "running") return;
    const { tasks } = this.#o;
    const now = this.#now();
    const states = check.runs.map((id) => ({ id, state: tasks.state(id) }));
    // A re-run held too long is given up, so a stalling miner cannot run the check out of time.
    for (const { id, state } of states) {
      if (state?.status !== "leased") {
        this.#leasedSince.delete(id);
        continue;
      }
      const since = this.#leasedSince.get(id) ?? now;
      this.#leasedSince.set(id, since);
      if (
        now - since >= this.#o.checkTimeoutMs / 3 &&
        tasks.cancel(id, "spot-check run not finished in time", now)
      ) {
        state.status = "failed";
        this.#leasedSince.delete(id);
        this.#o.dispatcher.settled(id);
      }
    }
    const doneIds = states.filter((s) => s.state?.status === "completed").map((s) => s.id);
    const active = states.some((s) => s.state?.status === "queued" || s.state?.status === "leased");
    const timedOut = now - check.createdAt >= this.#o.checkTimeoutMs;
    if (doneIds.length === 0 && !timedOut && active) return; // nothing new: no task bodies read
    const original = tasks.get(check.taskId);
    if (original?.result == null) return;
    const done = doneIds.map((id) => tasks.get(id)).filter((t): t is Task => t?.result != null);
    const [first, second] = done;
    if (first !== undefined) {
      const one = compare(original, first);
      if (one.match) {
        this.#settle(check, "passed", [
          { task: original, pay: true, trust: "pass" },
          { task: first, pay: true, trust: "pass" },
        ]);
        return;
      }
      if (second !== undefined) {
        this.#arbitrate(check, original, first, second, one);
        return;
      }
    }
    if (timedOut) {
      this.#giveUp(
        check,
        original,
        first,
        states.map((s) => s.id),
      );
      return;
    }
    if (!active) {
      // No run pending: every run so far failed, or the first disagreed and a third is needed. Owners
      // who ran (or failed to run) it are excluded, as is the original's.
      const owners = [check.owner];
      for (const { state } of states)
        if (state?.leasedTo) owners.push(this.#ownerOf(state.leasedTo as Address));
      const pinned = tasks.get(check.runs[0] as Hex)?.input as unknown as TaskInput | undefined;
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
    const runs = [original, first, second];
    if (two.match === three.match) {
      // Three different answers (or a chain of near-matches): nobody can be singled out.
      const all = runs.map((task) => ({ task, pay: true }));
      this.#settle(check, "inconclusive", all, undefined, "three results, no majority");
      return;
    }
    const odd = two.match ? first : original;
    // The original and the first run always differ, so their comparison says what is wrong.
    const verdict = `${odd.leasedTo} is the odd one out of three runs of task ${check.taskId}: ${one.reason}`;
    const evidence = buildEvidence({
      domain: this.#o.domain,
      coordinator: this.#o.coordinator,
      accused: odd,
      tasks: runs,
      comparisons,
      verdict,
    });
    const payees = runs.map(
      (task): Payee => ({ task, pay: task !== odd, trust: task === odd ? "fail" : "pass" }),
    );
    this.#settle(check, "failed", payees, { accused: odd, ...evidence }, verdict);
  }

  /**
   * Out of time. With no independent answer the result is paid unchecked; with one that disagreed, one
   * of the two lied and nobody can tell which: neither is paid. Runs still pending are cancelled.
   */
  #giveUp(check: SpotCheck, original: Task, first: Task | undefined, runs: Hex[]): void {
    for (const id of runs) {
      this.#leasedSince.delete(id);
      if (this.#o.tasks.cancel(id, "spot check timed out") !== undefined) this.#o.dispatcher.settled(id);
    }
    if (first === undefined) {
      this.#settle(
        check,
        "unchecked",
        [{ task: original, pay: true }],
        undefined,
        "no independent miner answered in time",
      );
      return;
    }
    const neither = [original, first].map((task) => ({ task, pay: false }));
    this.#settle(
      check,
      "inconclusive",
      neither,
      undefined,
      "two different results and no third in time: neither is paid",
    );
  }

  /**
   * Records the verdict in one transaction: the check's status, the payees' pay and trust, and the slash
   * proposal. The trust book's cache is dropped for them if the transaction fails.
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
    const now = this.#now();
    let outcome: "settled before" | "settled" | "already accused" | "accused";
    try {
      outcome = db.immediate(() => {
        if (!checks.settle(check.taskId, status, verdict, now)) return "settled before";
        for (const { task, pay, trust: move } of payees) {
          const miner = task.leasedTo as Address;
          if (pay) earnings.credit(miner, task);
          if (move === "pass") trust.recordPass(miner);
          if (move === "fail") trust.recordFail(miner);
        }
        if (proposal === undefined || accused === undefined) return "settled";
        // One accusation per miner a day: every failed check costs the cheater its pay, but a burst of
        // fakes before the first slash lands is one offence, not one slash (and one dispute bond) each.
        if (proposals.proposedSince(accused, now - PROPOSAL_INTERVAL_MS)) return "already accused";
        proposals.record(
          {
            taskId: proposal.accused.id,
            miner: accused,
            bps: this.slashBps,
            evidence: proposal.bytes,
            evidenceHash: proposal.hash,
          },
          now,
        );
        return "accused";
      });
    } catch (error) {
      for (const { task } of payees) trust.forget(task.leasedTo as Address);
      throw error;
    }
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

  /** Stores a re-run of `original` with `input`, excluding `owners`' miners; offered next turn. */
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

  /** The owner of a miner that ran a re-run (itself if the chain no longer knows it). */
  #ownerOf(miner: Address): Address {
    return this.#o.chain.owner(miner) ?? miner;
  }

  /**
   * Reviews and offers on the next turn, out of the accepting request's transaction. With group commit
   * that transaction may still be open then (the server answers only once it commits); a rollback
   * undoes these steps' writes with it, and the sweep redoes what is missing.
   */
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

const outputOf = (task: Task) => task.result?.payload as unknown as TaskOutput;
const compare = (a: Task, b: Task) => compareOutputs(outputOf(a), outputOf(b));
