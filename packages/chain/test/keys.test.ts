import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { inspect } from "node:util";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createKeystoreFile,
  KeystoreFileError,
  loadAccount,
  NoKeyError,
  PasswordUnavailableError,
  PromptCancelledError,
  promptPassword,
} from "../src/keys.js";
import { InvalidPrivateKeyError, KeystoreFormatError, WrongPasswordError } from "../src/keystore.js";

const KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS = privateKeyToAccount(KEY).address;
const PASSWORD = "Tr0ub4dor&3-horse";
const FAST = { scryptN: 2 ** 10 };

let dir: string;
let keystorePath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "roost-keys-"));
  keystorePath = join(dir, "key.json");
  await createKeystoreFile(keystorePath, KEY, PASSWORD, FAST);
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

const noPrompt = () => Promise.reject(new Error("the prompt must not be called"));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a rejection"),
    (e: Error) => e,
  );

describe("createKeystoreFile", () => {
  it("writes a keystore only its owner can read and returns the address", async () => {
    expect((await stat(keystorePath)).mode & 0o777).toBe(0o600);
    const json = JSON.parse(await readFile(keystorePath, "utf8"));
    expect(json).toMatchObject({ version: 3, address: ADDRESS.slice(2).toLowerCase() });
    const path = join(dir, "nested", "deeper", "k.json");
    expect(await createKeystoreFile(path, KEY, PASSWORD, FAST)).toBe(ADDRESS);
    expect((await stat(join(dir, "nested"))).mode & 0o777).toBe(0o700);
  });

  it("refuses to overwrite an existing file", async () => {
    const before = await readFile(keystorePath, "utf8");
    const error = await failure(createKeystoreFile(keystorePath, KEY, "other", FAST));
    expect(error).toBeInstanceOf(KeystoreFileError);
    expect(error.message).toBe(`keystore file ${keystorePath} already exists: not overwriting it`);
    expect(await readFile(keystorePath, "utf8")).toBe(before);
  });

  it("refuses an empty password", async () => {
    await expect(createKeystoreFile(join(dir, "empty.json"), KEY, "", FAST)).rejects.toThrow(
      "empty password",
    );
  });
});

describe("loadAccount", () => {
  it("opens the keystore option with ROOST_KEYSTORE_PASSWORD", async () => {
    const env = { ROOST_KEYSTORE_PASSWORD: PASSWORD };
    const account = await loadAccount({ keystore: keystorePath, env, prompt: noPrompt });
    expect(account.address).toBe(ADDRESS);
    expect(account.type).toBe("local");
  });

  it("asks the prompt when no password variable is set", async () => {
    const prompt = vi.fn(async () => PASSWORD);
    const account = await loadAccount({
      keystore: keystorePath,
      env: { ROOST_KEYSTORE_PASSWORD: "" },
      prompt,
    });
    expect(account.address).toBe(ADDRESS);
    expect(prompt).toHaveBeenCalledWith(`Password for keystore ${keystorePath}: `);
  });

  it("says how to give a password when there is no variable and no terminal", async () => {
    const isTTY = process.stdin.isTTY;
    process.stdin.isTTY = false;
    try {
      const error = await failure(loadAccount({ keystore: keystorePath, env: {} }));
      expect(error).toBeInstanceOf(PasswordUnavailableError);
      expect(error.message).toContain("set ROOST_KEYSTORE_PASSWORD or run in a terminal");
    } finally {
      process.stdin.isTTY = isTTY;
    }
  });

  it("names a missing or unreadable keystore file", async () => {
    const missing = join(dir, "missing.json");
    const error = await failure(loadAccount({ keystore: missing, env: {}, prompt: noPrompt }));
    expect(error).toBeInstanceOf(KeystoreFileError);
    expect(error.name).toBe("KeystoreFileError");
    expect(error.message).toBe(`cannot read keystore file ${missing}: no such file`);
    await expect(loadAccount({ keystore: dir, env: {}, prompt: noPrompt })).rejects.toThrow(
      "it is a directory",
    );
  });

  it("reports a wrong password and a malformed file with its path", async () => {
    const env = { ROOST_KEYSTORE_PASSWORD: "wrong" };
    await expect(loadAccount({ keystore: keystorePath, env })).rejects.toBeInstanceOf(WrongPasswordError);
    const garbage = join(dir, "garbage.json");
    await writeFile(garbage, `{"version": 2}`);
    await expect(loadAccount({ keystore: garbage, env })).rejects.toThrow(
      new KeystoreFormatError("version", "must be 3, got 2", garbage),
    );
  });

  it("prefers the keystore option to ROOST_PRIVATE_KEY", async () => {
    const other = privateKeyToAccount(`0x${"11".repeat(32)}`);
    const env = { ROOST_PRIVATE_KEY: `0x${"11".repeat(32)}`, ROOST_KEYSTORE_PASSWORD: PASSWORD };
    expect((await loadAccount({ keystore: keystorePath, env })).address).toBe(ADDRESS);
    expect((await loadAccount({ env })).address).toBe(other.address);
  });

  it("reads ROOST_PRIVATE_KEY, ignoring surrounding whitespace, before ROOST_KEYSTORE", async () => {
    const env = { ROOST_PRIVATE_KEY: ` ${KEY}\n`, ROOST_KEYSTORE: join(dir, "missing.json") };
    expect((await loadAccount({ env, prompt: noPrompt })).address).toBe(ADDRESS);
  });

  it("defaults to process.env", async () => {
    vi.stubEnv("ROOST_PRIVATE_KEY", KEY);
    expect((await loadAccount()).address).toBe(ADDRESS);
  });

  it("rejects a malformed ROOST_PRIVATE_KEY without echoing it", async () => {
    for (const value of [KEY.slice(2), `${KEY}00`, `0x${"0".repeat(64)}`, "0xnothex"]) {
      const error = await failure(loadAccount({ env: { ROOST_PRIVATE_KEY: value } }));
      expect(error).toBeInstanceOf(InvalidPrivateKeyError);
      expect(error.message).toMatch(/^ROOST_PRIVATE_KEY is not a private key/);
      expect(error.message).not.toContain(value.slice(4, 20));
    }
  });

  it("opens ROOST_KEYSTORE with the password variable or the prompt", async () => {
    const env = { ROOST_KEYSTORE: keystorePath, ROOST_KEYSTORE_PASSWORD: PASSWORD };
    expect((await loadAccount({ env, prompt: noPrompt })).address).toBe(ADDRESS);
    const prompted = await loadAccount({
      env: { ROOST_KEYSTORE: keystorePath },
      prompt: async () => PASSWORD,
    });
    expect(prompted.address).toBe(ADDRESS);
    const missing = join(dir, "nope.json");
    await expect(loadAccount({ env: { ROOST_KEYSTORE: missing } })).rejects.toThrow(missing);
  });

  it("says what to set when no key is configured (empty variables count as unset)", async () => {
    const error = await failure(loadAccount({ env: { ROOST_PRIVATE_KEY: "", ROOST_KEYSTORE: "" } }));
    expect(error).toBeInstanceOf(NoKeyError);
    expect(error.name).toBe("NoKeyError");
    expect(error.message).toContain("ROOST_KEYSTORE");
    expect(error.message).toContain("ROOST_PRIVATE_KEY");
  });
});

/** A PassThrough standing in for a terminal: isTTY and a raw mode switch. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    setRawMode: vi.fn(function (this: { isRaw: boolean }, mode: boolean) {
      this.isRaw = mode;
    }),
  });
  const output = new PassThrough();
  let written = "";
  output.on("data", (chunk: Buffer) => {
    written += chunk.toString("utf8");
  });
  return { input, output, written: () => written };
}

describe("promptPassword", () => {
  async function typed(...chunks: (string | Buffer)[]) {
    const terminal = fakeTerminal();
    const answer = promptPassword("Password: ", terminal);
    for (const chunk of chunks) terminal.input.write(chunk);
    const password = await answer;
    return { password, terminal };
  }

  it("reads a line in raw mode and echoes nothing", async () => {
    const { password, terminal } = await typed("hunter", "2", "\r");
    expect(password).toBe("hunter2");
    expect(terminal.written()).toBe("Password: \n");
    expect(terminal.input.setRawMode.mock.calls).toEqual([[true], [false]]);
    expect(terminal.input.isRaw).toBe(false);
  });

  it("handles backspace (DEL and ^H), Ctrl-U and escape sequences", async () => {
    expect((await typed("hunx\u007fter\b\b\bter2\n")).password).toBe("hunter2");
    expect((await typed("\u007f\u007fab\r")).password).toBe("ab");
    expect((await typed("a😀\u007f\r")).password).toBe("a");
    expect((await typed("wrong\u0015right\r")).password).toBe("right");
    expect((await typed("ab", "\u001b[D", "c\r")).password).toBe("abc");
  });

  it("decodes UTF-8 split across chunks", async () => {
    const bytes = Buffer.from("pässwörd\r", "utf8");
    expect((await typed(bytes.subarray(0, 2), bytes.subarray(2, 7), bytes.subarray(7))).password).toBe(
      "pässwörd",
    );
  });

  it("rejects on Ctrl-C and on end of input, restoring the terminal", async () => {
    const terminal = fakeTerminal();
    const answer = promptPassword("Password: ", terminal);
    terminal.input.write("secret\u0003");
    await expect(answer).rejects.toBeInstanceOf(PromptCancelledError);
    expect(terminal.input.isRaw).toBe(false);
    expect(terminal.written()).not.toContain("secret");
    const closed = fakeTerminal();
    const pending = promptPassword("Password: ", closed);
    closed.input.end("half");
    await expect(pending).rejects.toThrow("input closed");
  });

  it("refuses a non-terminal input and points to the variable", async () => {
    const input = new PassThrough();
    await expect(promptPassword("Password: ", { input, output: new PassThrough() })).rejects.toThrow(
      new PasswordUnavailableError(
        "cannot prompt for a password: standard input is not a terminal (set ROOST_KEYSTORE_PASSWORD)",
      ),
    );
  });

  it("serves loadAccount as its prompt", async () => {
    const terminal = fakeTerminal();
    const prompt = (question: string) => {
      setImmediate(() => terminal.input.write(`${PASSWORD}\r`));
      return promptPassword(question, terminal);
    };
    expect((await loadAccount({ keystore: keystorePath, env: {}, prompt })).address).toBe(ADDRESS);
    expect(terminal.written()).toBe(`Password for keystore ${keystorePath}: \n`);
  });
});

describe("secrets never appear in errors", () => {
  it("keeps the key and the password out of every failure's message, stack and properties", async () => {
    const badKeyFile = join(dir, "raw-key.json");
    await writeFile(badKeyFile, KEY); // someone saved the bare key where a keystore belongs
    await mkdir(join(dir, "a-dir"), { recursive: true });
    const terminal = fakeTerminal();
    const cancelled = promptPassword("Password: ", terminal);
    terminal.input.write(`${PASSWORD}\u0003`);
    const failures = await Promise.all(
      [
        loadAccount({ keystore: keystorePath, env: { ROOST_KEYSTORE_PASSWORD: `${PASSWORD}x` } }),
        loadAccount({ keystore: badKeyFile, env: { ROOST_KEYSTORE_PASSWORD: PASSWORD } }),
        loadAccount({ keystore: join(dir, "a-dir"), env: { ROOST_PRIVATE_KEY: KEY } }),
        loadAccount({ env: { ROOST_PRIVATE_KEY: KEY.slice(2) } }),
        loadAccount({ env: { ROOST_PRIVATE_KEY: `${KEY}ff` } }),
        loadAccount({ env: { ROOST_PRIVATE_KEY: `${KEY.slice(0, -1)}g` } }),
        loadAccount({ env: {} }),
        createKeystoreFile(keystorePath, KEY, PASSWORD, FAST),
        createKeystoreFile(join(dir, "x.json"), `${KEY}00`, PASSWORD, FAST),
        cancelled,
      ].map(failure),
    );
    const secrets = [KEY.slice(2, 40), KEY.slice(30), PASSWORD].map((s) => s.toLowerCase());
    for (const error of failures) {
      const rendered = [String(error), error.stack, inspect(error), JSON.stringify(error)]
        .join("\n")
        .toLowerCase();
      for (const secret of secrets) expect(rendered).not.toContain(secret);
    }
    expect(failures.map((e) => e.name)).toEqual([
      "WrongPasswordError",
      "KeystoreFormatError",
      "KeystoreFileError",
      "InvalidPrivateKeyError",
      "InvalidPrivateKeyError",
      "InvalidPrivateKeyError",
      "NoKeyError",
      "KeystoreFileError",
      "InvalidPrivateKeyError",
      "PromptCancelledError",
    ]);
  });
});
