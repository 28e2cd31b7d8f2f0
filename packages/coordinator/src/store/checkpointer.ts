import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { StoreDatabase } from "./database.js";

// In WAL mode SQLite copies the log back into the database file (a checkpoint, with an fsync) from
// inside whichever commit pushes the log past 1,000 pages: every few hundred tasks one answer waits
// several milliseconds for it, which is most of the coordinator's p99 latency. Checkpointing from a
// thread of its own, on its own connection, takes that off the event loop. PASSIVE checkpoints never
// block a writer. The writer keeps a far higher threshold of its own, so that the log stays bounded
// should this thread ever stop.

/** Pages the writer lets the log grow to before it checkpoints by itself (about 40 MB). */
export const FALLBACK_CHECKPOINT_PAGES = 10_000;

// The worker is plain CommonJS run with eval (no file to resolve, in the build or under a test runner).
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.libsql);
const db = new Database(workerData.path, { timeout: 5000 });
db.exec("PRAGMA busy_timeout = 5000");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const run = () => {
  try {
    checkpoint.get();
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  run();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Runs a last checkpoint and ends the thread. */
  stop(): Promise<void>;
}

/**
 * Checkpoints `db`'s WAL every `intervalMs` from a worker thread, and raises the connection's own
 * checkpoint threshold to {@link FALLBACK_CHECKPOINT_PAGES}. `onError` hears of a failed checkpoint
 * (the next one retries).
 */
export function startCheckpointer(
  db: StoreDatabase,
  options: { intervalMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const intervalMs = options.intervalMs ?? 250;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new TypeError(`checkpoint intervalMs must be a positive integer, not ${intervalMs}`);
  }
  db.connection.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  const libsql = createRequire(import.meta.url).resolve("libsql");
  const worker = new Worker(WORKER, { eval: true, workerData: { path: db.path, intervalMs, libsql } });
  worker.on("message", (message: { error?: string }) => {
    if (message.error !== undefined) options.onError?.(message.error);
  });
  worker.on("error", (error) => options.onError?.(error.message));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.unref();
  return {
    stop() {
      worker.ref(); // keep the process alive until the last checkpoint is done
      worker.postMessage("stop"); // ignored by a thread that already ended
      return exited;
    },
  };
}
