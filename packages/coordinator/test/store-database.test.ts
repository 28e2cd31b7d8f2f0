import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, pragmaValue } from "../src/store/database.js";
import { applyMigrations, MIGRATIONS } from "../src/store/migrations.js";
import { TaskStore } from "../src/store/tasks.js";
import { apiKeyId, chatTask, TempStores } from "./fixtures/store-helpers.js";

const stores = new TempStores();
afterEach(() => stores.cleanup());

describe("openDatabase", () => {
  it("uses WAL, synchronous NORMAL, a busy timeout and foreign keys", () => {
    const db = stores.open(stores.path(), { busyTimeoutMs: 1234 });
    expect(pragmaValue(db.connection, "journal_mode")).toBe("wal");
    expect(pragmaValue(db.connection, "synchronous")).toBe(1); // NORMAL
    expect(pragmaValue(db.connection, "busy_timeout")).toBe(1234);
    expect(pragmaValue(db.connection, "foreign_keys")).toBe(1);
  });

  it("offers synchronous FULL and rejects other modes", () => {
    const db = stores.open(stores.path(), { synchronous: "FULL" });
    expect(pragmaValue(db.connection, "synchronous")).toBe(2); // FULL
    // @ts-expect-error: not a mode
    expect(() => openDatabase(stores.path(), { synchronous: "OFF" })).toThrow(TypeError);
  });

  it("records migrations once and re-applies nothing on reopen", () => {
    const path = stores.path();
    const first = stores.open(path);
    expect(first.schemaVersion()).toBe(MIGRATIONS.length);
    first.close();
    const again = stores.open(path);
    const rows = again.connection.prepare("SELECT version, name FROM schema_migrations").all();
    expect(rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  it("refuses a database written by a newer schema", () => {
    const path = stores.path();
    const db = stores.open(path);
    db.connection.prepare("INSERT INTO schema_migrations VALUES (?, 'future', 0)").run(MIGRATIONS.length + 1);
    db.close();
    expect(() => openDatabase(path)).toThrow(/newer than this coordinator/);
  });

  it("rolls back a migration that fails, leaving the version unchanged", () => {
    const db = stores.open(stores.path());
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: "broken", sql: "CREATE TABLE x (a); NOPE" },
    ];
    expect(() => applyMigrations(db, broken)).toThrow();
    expect(db.schemaVersion()).toBe(MIGRATIONS.length);
    expect(db.connection.prepare("SELECT name FROM sqlite_master WHERE name = 'x'").get()).toBeUndefined();
    expect(db.connection.inTransaction).toBe(false);
  });

  it("enforces the foreign key from tasks to api_keys", () => {
    const tasks = new TaskStore(stores.open(stores.path()));
    expect(() => tasks.enqueue(chatTask("key_missing"))).toThrow(/FOREIGN KEY/);
  });

  it("rolls back immediate() when the callback throws, and closes idempotently", () => {
    const db = stores.open(stores.path());
    expect(() =>
      db.immediate(() => {
        db.connection.exec("CREATE TABLE scratch (a INTEGER)");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(
      db.connection.prepare("SELECT name FROM sqlite_master WHERE name = 'scratch'").get(),
    ).toBeUndefined();
    db.close();
    db.close();
    expect(db.closed).toBe(true);
  });
});

describe("group commit", () => {
  const countTasks = (db: ReturnType<typeof openDatabase>) =>
    (db.connection.prepare("SELECT count(*) AS n FROM tasks").get() as { n: number }).n;

  it("commits the writes of one event-loop turn together, visible to others once committed() resolves", async () => {
    const path = stores.path();
    const db = stores.open(path, { groupCommit: true });
    const other = stores.open(path);
    const tasks = new TaskStore(db);
    const keyId = apiKeyId(db);
    await db.committed(); // the key's insert
    expect(db.committed()).toBeUndefined(); // nothing pending

    const a = tasks.enqueue(chatTask(keyId));
    const b = tasks.enqueue(chatTask(keyId));
    expect(tasks.assign(b.id, "0xminer", 30_000, Date.now())?.status).toBe("leased");
    const committed = db.committed();
    expect(committed).toBeInstanceOf(Promise);
    expect(db.committed()).toBe(committed); // one transaction for the whole turn
    expect(countTasks(db)).toBe(2); // this connection sees its own writes at once
    expect(countTasks(other)).toBe(0); // others only after the commit
    await committed;
    expect(countTasks(other)).toBe(2);
    expect(new TaskStore(other).get(a.id)?.status).toBe("queued");
    expect(new TaskStore(other).get(b.id)?.leasedTo).toBe("0xminer");
  });

  it("rolls back a failed step alone; the rest of the turn commits", async () => {
    const path = stores.path();
    const db = stores.open(path, { groupCommit: true });
    const tasks = new TaskStore(db);
    const keyId = apiKeyId(db);
    const kept = tasks.enqueue(chatTask(keyId));
    expect(() =>
      db.immediate(() => {
        tasks.enqueue(chatTask(keyId));
        throw new Error("boom mid-step");
      }),
    ).toThrow("boom mid-step");
    await db.committed();
    const other = stores.open(path);
    expect(countTasks(other)).toBe(1);
    expect(new TaskStore(other).get(kept.id)).toBeDefined();
  });

  it("rejects committed() when the commit fails, and keeps none of the turn's writes", async () => {
    const path = stores.path();
    const db = stores.open(path, { groupCommit: true });
    const tasks = new TaskStore(db);
    const keyId = apiKeyId(db);
    await db.committed();
    tasks.enqueue(chatTask(keyId));
    // A foreign key checked only at COMMIT: a task of an API key that does not exist fails the commit.
    db.connection.exec("PRAGMA defer_foreign_keys = ON");
    tasks.enqueue(chatTask("no-such-key"));
    await expect(db.committed()).rejects.toThrow(/FOREIGN KEY/);
    expect(db.connection.inTransaction).toBe(false);
    expect(countTasks(stores.open(path))).toBe(0);
    // The connection goes on: the next turn commits normally.
    tasks.enqueue(chatTask(keyId));
    await db.committed();
    expect(countTasks(stores.open(path))).toBe(1);
  });

  it("commits what is pending when the database closes", () => {
    const path = stores.path();
    const db = openDatabase(path, { groupCommit: true });
    new TaskStore(db).enqueue(chatTask(apiKeyId(db)));
    db.close();
    expect(countTasks(stores.open(path))).toBe(1);
  });

  it("is off by default: each transaction commits before it returns", () => {
    const path = stores.path();
    const db = stores.open(path);
    new TaskStore(db).enqueue(chatTask(apiKeyId(db)));
    expect(db.committed()).toBeUndefined();
    expect(countTasks(stores.open(path))).toBe(1);
  });
});
