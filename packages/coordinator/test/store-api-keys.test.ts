import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeyStore, DEFAULT_RATE_LIMIT_PER_MINUTE, hashApiKey } from "../src/store/api-keys.js";
import { TempStores } from "./fixtures/store-helpers.js";

const stores = new TempStores();
afterEach(() => stores.cleanup());

function setup() {
  const path = stores.path();
  const db = stores.open(path);
  return { db, path, keys: new ApiKeyStore(db) };
}

describe("ApiKeyStore", () => {
  it("creates a key whose plaintext verifies", () => {
    const { keys } = setup();
    const { key, plaintext } = keys.create("chat app", { now: 1_000 });
    expect(plaintext).toMatch(/^roost_sk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(plaintext.slice("roost_sk_".length), "base64url")).toHaveLength(32);
    expect(key).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{16}$/),
      name: "chat app",
      prefix: plaintext.slice(0, 13),
      rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE,
      createdAt: 1_000,
      revokedAt: null,
    });
    expect(keys.verify(plaintext)).toEqual(key);
    expect(keys.get(key.id)).toEqual(key);
  });

  it("rejects unknown and malformed keys", () => {
    const { keys } = setup();
    const { plaintext } = keys.create("app");
    const last = plaintext.at(-1) === "A" ? "B" : "A";
    expect(keys.verify(plaintext.slice(0, -1) + last)).toBeUndefined();
    expect(keys.verify(plaintext.slice(0, -1))).toBeUndefined();
    expect(keys.verify(`${plaintext} `)).toBeUndefined();
    expect(keys.verify("")).toBeUndefined();
    expect(keys.verify(plaintext.replace("roost_sk_", "roost_pk_"))).toBeUndefined();
  });

  it("lists keys oldest first, revoked ones marked", () => {
    const { keys } = setup();
    const a = keys.create("a", { now: 1 });
    const b = keys.create("b", { now: 2, rateLimitPerMinute: 60 });
    expect(keys.list()).toEqual([a.key, b.key]);
    expect(Object.keys(keys.list()[0] ?? {})).not.toContain("hash");

    expect(keys.revoke(a.key.id, 5)).toBe(true);
    expect(keys.revoke(a.key.id, 6)).toBe(false); // already revoked
    expect(keys.revoke("key_missing")).toBe(false);
    expect(keys.verify(a.plaintext)).toBeUndefined();
    expect(keys.verify(b.plaintext)).toEqual(b.key);
    expect(keys.list()).toEqual([{ ...a.key, revokedAt: 5 }, b.key]);
  });

  it("keeps a per-key rate limit", () => {
    const { keys } = setup();
    const { key, plaintext } = keys.create("batch", { rateLimitPerMinute: 6_000 });
    expect(key.rateLimitPerMinute).toBe(6_000);
    expect(keys.setRateLimit(key.id, 30)).toBe(true);
    expect(keys.verify(plaintext)?.rateLimitPerMinute).toBe(30);
    expect(keys.setRateLimit("key_missing", 30)).toBe(false);
    expect(() => keys.setRateLimit(key.id, 0)).toThrow(TypeError);
    expect(() => keys.create("x", { rateLimitPerMinute: 1.5 })).toThrow(TypeError);
    expect(() => keys.create(" ")).toThrow(TypeError);
  });

  it("never stores the plaintext, only its hash", () => {
    const { db, path, keys } = setup();
    const created = Array.from({ length: 5 }, (_, i) => keys.create(`app ${i}`));
    const scan = () =>
      Buffer.concat([path, `${path}-wal`].filter(existsSync).map((file) => readFileSync(file)));
    const expectOnlyHashes = (bytes: Buffer) => {
      for (const { plaintext } of created) {
        const secret = plaintext.slice("roost_sk_".length);
        expect(bytes.includes(plaintext)).toBe(false);
        expect(bytes.includes(secret)).toBe(false);
        expect(bytes.includes(Buffer.from(secret, "base64url"))).toBe(false);
        expect(bytes.includes(hashApiKey(plaintext))).toBe(true); // the scan does see stored values
      }
    };
    expectOnlyHashes(scan()); // database and WAL while open
    db.close();
    expectOnlyHashes(scan()); // after the checkpoint on close
    // The keys still verify after a restart.
    const reopened = new ApiKeyStore(stores.open(path));
    for (const { key, plaintext } of created) expect(reopened.verify(plaintext)).toEqual(key);
  });
});
