import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
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

  it("keeps a process whose last work is stop() alive until the thread has ended", () => {
    const path = stores.path();
    const src = join(dirname(fileURLToPath(import.meta.url)), "../src/store");
    const script = join(dirname(path), "stop.mts");
    writeFileSync(
      script,
      `import { startCheckpointer } from ${JSON.stringify(join(src, "checkpointer.ts"))};
import { openDatabase } from ${JSON.stringify(join(src, "database.ts"))};
const db = openDatabase(${JSON.stringify(path)});
await startCheckpointer(db).stop();
db.close();
console.log("closed");
`,
    );
    const out = execFileSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8" });
    expect(out).toBe("closed\n");
  });
});
