/**
 * The signing account of the CLI and the nodes: an encrypted keystore file (password from
 * ROOST_KEYSTORE_PASSWORD or a terminal prompt) or a private key in ROOST_PRIVATE_KEY. Never a key
 * on the command line, and neither keys nor passwords appear in messages.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { type Address, getAddress, type Hex, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { decryptKeystore, encryptKeystore, KeystoreFormatError, parsePrivateKey } from "./keystore.js";

export const PRIVATE_KEY_ENV = "ROOST_PRIVATE_KEY";
export const KEYSTORE_ENV = "ROOST_KEYSTORE";
export const KEYSTORE_PASSWORD_ENV = "ROOST_KEYSTORE_PASSWORD";

/** No key was configured; the message says what to set. */
export class NoKeyError extends Error {
  override name = "NoKeyError";
  constructor() {
    super(
      `no signing key: pass a keystore file (--keystore <file>), or set ${KEYSTORE_ENV} to a keystore ` +
        `file, or ${PRIVATE_KEY_ENV} to a private key (0x followed by 64 hex digits)`,
    );
  }
}

/** A keystore file that cannot be read, or that already exists when creating one. */
export class KeystoreFileError extends Error {
  override name = "KeystoreFileError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A keystore needs a password and there is no way to get one. */
export class PasswordUnavailableError extends Error {
  override name = "PasswordUnavailableError";
}

/** The user cancelled the password prompt (Ctrl-C) or its input closed. */
export class PromptCancelledError extends Error {
  override name = "PromptCancelledError";
}

export type PasswordPrompt = (question: string) => Promise<string>;

export interface LoadAccountOptions {
  /** Path of a keystore file, from the command line. */
  keystore?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Asks for the keystore password; defaults to promptPassword when stdin is a terminal. */
  prompt?: PasswordPrompt;
}

/**
 * The signing account, from the first of: the `keystore` option; ROOST_PRIVATE_KEY; ROOST_KEYSTORE.
 * A keystore's password comes from ROOST_KEYSTORE_PASSWORD, else from the prompt. Empty variables
 * count as unset.
 */
export async function loadAccount(options: LoadAccountOptions = {}): Promise<LocalAccount> {
  return privateKeyToAccount(await loadPrivateKey(options));
}

/** The private key {@link loadAccount} would use, for signers that need the raw key (fast paths). */
export async function loadPrivateKey(options: LoadAccountOptions = {}): Promise<Hex> {
  const env = options.env ?? process.env;
  const prompt = options.prompt ?? (process.stdin.isTTY ? (question) => promptPassword(question) : undefined);
  if (options.keystore !== undefined) return keyFromKeystore(options.keystore, env, prompt);
  const privateKey = env[PRIVATE_KEY_ENV];
  if (privateKey) return parsePrivateKey(privateKey, PRIVATE_KEY_ENV);
  const keystore = env[KEYSTORE_ENV];
  if (keystore) return keyFromKeystore(keystore, env, prompt);
  throw new NoKeyError();
}

async function keyFromKeystore(
  path: string,
  env: NodeJS.ProcessEnv,
  prompt: PasswordPrompt | undefined,
): Promise<Hex> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code;
    throw new KeystoreFileError(path, `cannot read keystore file ${path}: ${reason ?? "unknown error"}`);
  }
  let password = env[KEYSTORE_PASSWORD_ENV];
  if (!password) {
    if (!prompt) {
      throw new PasswordUnavailableError(
        `keystore ${path} needs a password: set ${KEYSTORE_PASSWORD_ENV} or run in a terminal`,
      );
    }
    password = await prompt(`Password for keystore ${path}: `);
  }
  try {
    return await decryptKeystore(text, password);
  } catch (error) {
    if (error instanceof KeystoreFormatError) throw new KeystoreFormatError(error.field, error.problem, path);
    throw error;
  }
}

export interface PromptStreams {
  /** Defaults to process.stdin; must be a terminal. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean; isRaw?: boolean; setRawMode?(mode: boolean): unknown };
  /** Where the question goes; defaults to process.stderr so that stdout stays clean for pipes. */
  output?: NodeJS.WritableStream;
}

/**
 * Reads a password from the terminal without echoing it: the input is put in raw mode and nothing
 * but the question and a final newline is written. Handles backspace, Ctrl-U (clear) and Enter;
 * Ctrl-C rejects with PromptCancelledError. Rejects with PasswordUnavailableError when the input
 * is not a terminal.
 */
export function promptPassword(question: string, streams: PromptStreams = {}): Promise<string> {
  const input = streams.input ?? process.stdin;
  const output = streams.output ?? process.stderr;
  if (!input.isTTY || typeof input.setRawMode !== "function") {
    return Promise.reject(
      new PasswordUnavailableError(
        `cannot prompt for a password: standard input is not a terminal (set ${KEYSTORE_PASSWORD_ENV})`,
      ),
    );
  }
  const setRawMode = input.setRawMode.bind(input);
  const wasRaw = input.isRaw === true;
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    let password = "";
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", onError);
      setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
      for (const char of text) {
        if (char === "\r" || char === "\n" || char === "\u0004") return finish();
        if (char === "\u0003") return finish(new PromptCancelledError("password prompt cancelled"));
        if (char === "\u007f" || char === "\b") password = Array.from(password).slice(0, -1).join("");
        else if (char === "\u0015") password = "";
        // An escape sequence (arrow keys, function keys) arrives as one chunk: ignore the rest of it.
        else if (char === "\u001b") break;
        else if (char >= " ") password += char;
      }
    };
    const onEnd = () => finish(new PromptCancelledError("password prompt cancelled: input closed"));
    const onError = (error: Error) => finish(error);
    output.write(question);
    setRawMode(true);
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", onError);
    input.resume();
  });
}

/**
 * Encrypts `privateKey` into a new keystore file readable only by its owner (mode 0o600), creating
 * the directory (0o700) if needed. Refuses to overwrite an existing file. Returns the address.
 */
export async function createKeystoreFile(
  path: string,
  privateKey: Hex,
  password: string,
  options: { scryptN?: number } = {},
): Promise<Address> {
  if (password === "")
    throw new PasswordUnavailableError("refusing to create a keystore with an empty password");
  const keystore = await encryptKeystore(privateKey, password, options);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      throw new KeystoreFileError(path, `keystore file ${path} already exists: not overwriting it`);
    throw new KeystoreFileError(path, `cannot write keystore file ${path}: ${code ?? "unknown error"}`);
  }
  return getAddress(`0x${keystore.address}`);
}
