import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, pragmaValue } from "../src/store/database.js";
import { applyMigrations, MIGRATIONS } from "../src/store/migrations.js";
import { TaskStore } from "../src/store/tasks.js";
import { chatTask, TempStores } from "./fixtures/store-helpers.js";

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
