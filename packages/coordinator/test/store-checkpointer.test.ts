import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { FALLBACK_CHECKPOINT_PAGES, startCheckpointer } from "../src/store/checkpointer.js";
import { pragmaValue } from "../src/store/database.js";
import { TaskStore } from "../src/store/tasks.js";
import { apiKeyId, chatTask, TempStores } from "./fixtures/store-helpers.js";

const stores = new TempStores();
afterEach(() => stores.cleanup());

/** [busy, frames in the WAL, frames checkpointed] from a PASSIVE checkpoint of `db`'s connection. */
function walFrames(db: ReturnType<TempStores["open"]>): { log: number; checkpointed: number } {
  const row = db.connection.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw(true).get() as number[];
  return { log: row[1] as number, checkpointed: row[2] as number };
}

describe("startCheckpointer", () => {
  it("copies the WAL into the database from its own thread, so commits need not", async () => {
    const path = stores.path();
    const db = stores.open(path);
    const checkpointer = startCheckpointer(db, { intervalMs: 20 });
    try {
      expect(pragmaValue(db.connection, "wal_autocheckpoint")).toBe(FALLBACK_CHECKPOINT_PAGES);
      const before = statSync(path).size;
      const tasks = new TaskStore(db);
      const keyId = apiKeyId(db);
      for (let i = 0; i < 300; i++) tasks.enqueue(chatTask(keyId, { input: { text: "x".repeat(2_000), i } }));
      // Far below the writer's own threshold: only the thread can have moved the pages.
      await sleep(300);
      expect(statSync(path).size).toBeGreaterThan(before + 300 * 2_000);
    } finally {
      await checkpointer.stop();
    }
    const { log, checkpointed } = walFrames(db);
    expect(checkpointed).toBe(log); // the last checkpoint at stop left nothing behind
  });

  it("stops once, however often asked, and refuses a bad interval", async () => {
    const db = stores.open(stores.path());
    const checkpointer = startCheckpointer(db, { intervalMs: 1_000 });
    await Promise.all([checkpointer.stop(), checkpointer.stop()]);
    await checkpointer.stop();
    expect(() => startCheckpointer(db, { intervalMs: 0 })).toThrow(TypeError);
  });
});
