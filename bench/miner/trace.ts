// Stamps from inside a running miner node, without touching its code: the public methods of the
// journal and the coordinator client that a task goes through are wrapped on their prototypes, and each
// call notes CLOCK_MONOTONIC (process.hrtime.bigint(), ~0.1 µs a stamp) on entry and exit, by task id.
// With the stand-in's and the backend's stamps this splits a task's overhead into its steps as they
// run in the node, one after the other.
import { CoordinatorClient, MinerJournal } from "@roost/miner";
import type { LeasedTask } from "@roost/protocol";

/** Where a stamp is taken; "<name>>" on entry, "<name><" on exit (async: when the promise settles). */
export type Stamp =
  | "poll<"
  | "recordLease>"
  | "recordLease<"
  | "signedResult>"
  | "signedResult<"
  | "recordSigned>"
  | "recordSigned<"
  | "submit>"
  | "submit<"
  | "markSubmitted>"
  | "markSubmitted<"
  | "recordReceipt>"
  | "recordReceipt<";

/** Per task id (lower case), its stamps. */
export type Trace = Map<string, Partial<Record<Stamp, bigint>>>;

type Method = (this: unknown, ...args: never[]) => unknown;

/**
 * Wraps the methods until the returned `restore()`; each wrapped call finds its task id with `idOf`.
 * @throws when a method is missing (the miner's API changed: the benchmark must follow it)
 */
export function traceMiner(trace: Trace): { restore: () => void } {
  const restores: (() => void)[] = [];
  let lastSubmitted: string | undefined;
  const note = (id: string | undefined, stamp: Stamp) => {
    if (id === undefined) return;
    const key = id.toLowerCase();
    let stamps = trace.get(key);
    if (stamps === undefined) {
      stamps = {};
      trace.set(key, stamps);
    }
    stamps[stamp] ??= process.hrtime.bigint();
  };
  const wrap = (
    proto: object,
    name: string,
    idOf: (args: unknown[]) => string | undefined,
    kind: "sync" | "async" | "async-result",
  ) => {
    const target = proto as Record<string, Method>;
    const original = target[name];
    if (typeof original !== "function") throw new Error(`the miner has no ${name} to trace any more`);
    target[name] = function (this: unknown, ...args: never[]) {
      const id = kind === "async-result" ? undefined : idOf(args);
      if (kind !== "async-result") note(id, `${name}>` as Stamp);
      const value = original.apply(this, args);
      if (kind === "sync") {
        note(id, `${name}<` as Stamp);
        return value;
      }
      return (value as Promise<unknown>).then((result) => {
        note(kind === "async-result" ? idOf([result]) : id, `${name}<` as Stamp);
        return result;
      });
    };
    restores.push(() => {
      target[name] = original;
    });
  };
  const taskId = (args: unknown[]) => args[1] as string;
  wrap(CoordinatorClient.prototype, "poll", (args) => (args[0] as LeasedTask[])[0]?.id, "async-result");
  wrap(CoordinatorClient.prototype, "submit", (args) => args[0] as string, "async");
  wrap(MinerJournal.prototype, "recordLease", (args) => (args[1] as LeasedTask).id, "sync");
  wrap(MinerJournal.prototype, "signedResult", taskId, "sync");
  wrap(MinerJournal.prototype, "recordSigned", taskId, "sync");
  wrap(
    MinerJournal.prototype,
    "markSubmitted",
    (args) => {
      lastSubmitted = args[1] as string;
      return lastSubmitted;
    },
    "sync",
  );
  // The receipt names no task: it is the one just marked submitted (the node keeps it right after).
  wrap(MinerJournal.prototype, "recordReceipt", () => lastSubmitted, "sync");
  return {
    restore: () => {
      for (const restore of restores.reverse()) restore();
    },
  };
}
