/**
 * Web3 Secret Storage v3 keystore files: the encrypted key format of geth, ethers, MetaMask and
 * `cast wallet`. https://ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage
 *
 * Passwords and private keys never appear in an error message.
 */
import {
  type BinaryLike,
  createCipheriv,
  createDecipheriv,
  pbkdf2,
  randomBytes,
  randomUUID,
  type ScryptOptions,
  scrypt,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";
import { scryptAsync } from "@noble/hashes/scrypt";
import { bytesToHex, type Hex, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * scrypt cost of new keystores: 2^18, geth's `StandardScryptN` and the cost of the specification's
 * test vector. A node or CLI decrypts its key once per process, so ~1 s and 256 MiB (n·r·128 bytes)
 * at start-up buys twice the brute-force cost of ethers' 2^17 for a key that controls a stake.
 */
export const DEFAULT_SCRYPT_N = 2 ** 18;

/** Upper bounds for files we are asked to decrypt, so a crafted file cannot exhaust memory or CPU. */
const MAX_SCRYPT_MEMORY = 2 ** 30; // bytes: 128·n·r, e.g. n = 2^20 with r = 8
const MAX_PBKDF2_ROUNDS = 10_000_000;
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface ScryptKdfParams {
  dklen: number;
  n: number;
  p: number;
  r: number;
  salt: string;
}

export interface Pbkdf2KdfParams {
  c: number;
  dklen: number;
  prf: "hmac-sha256";
  salt: string;
}

interface CipherFields {
  cipher: "aes-128-ctr";
  ciphertext: string;
  cipherparams: { iv: string };
  mac: string;
}

export type KeystoreCrypto =
  | (CipherFields & { kdf: "scrypt"; kdfparams: ScryptKdfParams })
  | (CipherFields & { kdf: "pbkdf2"; kdfparams: Pbkdf2KdfParams });

/** A version 3 keystore, as written by geth: the address is lowercase hex without 0x. */
export interface KeystoreV3 {
  address: string;
  crypto: KeystoreCrypto;
  id: string;
  version: 3;
}

/** The password does not open the keystore (its MAC does not match). */
export class WrongPasswordError extends Error {
  override name = "WrongPasswordError";
  /** `address`: 0x-prefixed lowercase address from the file, when it has one. */
  constructor(readonly address: string | undefined) {
    super(`wrong password for keystore ${address ?? "(the file has no address)"}`);
  }
}

/** The keystore is not a v3 file we can read; `field` names the offending field ("" for the file). */
export class KeystoreFormatError extends Error {
  override name = "KeystoreFormatError";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly source?: string,
  ) {
    super(`invalid keystore${source ? ` ${source}` : ""}: ${field ? `${field} ` : ""}${problem}`);
  }
}

/** A private key that is not 0x followed by 64 hex digits, or not a valid secp256k1 scalar. */
export class InvalidPrivateKeyError extends Error {
  override name = "InvalidPrivateKeyError";
}

/**
 * Checks a private key without ever echoing it. `label` names where it came from in the message
 * ("ROOST_PRIVATE_KEY"). Surrounding whitespace is ignored.
 */
export function parsePrivateKey(value: string, label = "the private key"): Hex {
  const key = value.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new InvalidPrivateKeyError(
      `${label} is not a private key: expected 0x followed by 64 hex digits (got ${key.length} characters)`,
    );
  }
  if (!isScalar(key)) {
    throw new InvalidPrivateKeyError(`${label} is not a private key: out of range for secp256k1`);
  }
  return key.toLowerCase() as Hex;
}

/** Encrypts a private key with scrypt (r = 8, p = 1) and AES-128-CTR, with a fresh salt, IV and id. */
export async function encryptKeystore(
  privateKey: Hex,
  password: string,
  options: { scryptN?: number } = {},
): Promise<KeystoreV3> {
  const hexKey = parsePrivateKey(privateKey);
  const n = options.scryptN ?? DEFAULT_SCRYPT_N;
  if (!isPowerOfTwo(n) || 128 * n * 8 > MAX_SCRYPT_MEMORY) {
    throw new RangeError(`scryptN must be a power of 2 from 2 to ${MAX_SCRYPT_MEMORY / (128 * 8)}, got ${n}`);
  }
  const key = Buffer.from(hexKey.slice(2), "hex");
  const kdf: Kdf = { kind: "scrypt", n, r: 8, p: 1, dklen: 32, salt: randomBytes(32) };
  const iv = randomBytes(16);
  const derived = await deriveKey(Buffer.from(password, "utf8"), kdf);
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  const mac = macOf(derived, ciphertext);
  derived.fill(0);
  key.fill(0);
  return {
    address: privateKeyToAccount(hexKey).address.slice(2).toLowerCase(),
    crypto: {
      cipher: "aes-128-ctr",
      ciphertext: ciphertext.toString("hex"),
      cipherparams: { iv: iv.toString("hex") },
      kdf: "scrypt",
      kdfparams: { dklen: kdf.dklen, n, p: kdf.p, r: kdf.r, salt: kdf.salt.toString("hex") },
      mac: mac.toString("hex"),
    },
    id: randomUUID(),
    version: 3,
  };
}

/**
 * Decrypts a v3 keystore (an object or its JSON text) with scrypt or pbkdf2 (hmac-sha256).
 * Throws WrongPasswordError when the MAC does not match, KeystoreFormatError for anything else.
 * The password is used as UTF-8 bytes, as geth and Foundry do; if that fails and its NFKC form
 * differs (ethers normalizes), that form is tried too.
 */
export async function decryptKeystore(json: unknown, password: string): Promise<Hex> {
  const file = parseKeystore(typeof json === "string" ? parseJson(json) : json);
  const candidates = new Set([password, password.normalize("NFKC")]);
  for (const candidate of candidates) {
    const derived = await deriveKey(Buffer.from(candidate, "utf8"), file.kdf);
    if (!timingSafeEqual(macOf(derived, file.ciphertext), file.mac)) {
      derived.fill(0);
      continue;
    }
    const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), file.iv);
    const plain = Buffer.concat([decipher.update(file.ciphertext), decipher.final()]);
    derived.fill(0);
    const key = bytesToHex(plain);
    plain.fill(0);
    if (!isScalar(key)) {
      throw new KeystoreFormatError("crypto.ciphertext", "does not decrypt to a valid private key");
    }
    const address = privateKeyToAccount(key).address.slice(2).toLowerCase();
    if (file.address !== undefined && file.address !== address) {
      throw new KeystoreFormatError("address", `does not match the decrypted key's address 0x${address}`);
    }
    return key;
  }
  throw new WrongPasswordError(file.address === undefined ? undefined : `0x${file.address}`);
}

type Kdf =
  | { kind: "scrypt"; n: number; r: number; p: number; dklen: number; salt: Buffer }
  | { kind: "pbkdf2"; c: number; dklen: number; salt: Buffer };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which may be a pasted private key: never include it.
    throw new KeystoreFormatError("", "not valid JSON");
  }
}

function parseKeystore(json: unknown): {
  address: string | undefined;
  iv: Buffer;
  ciphertext: Buffer;
  mac: Buffer;
  kdf: Kdf;
} {
  const root = object(json, "");
  if (root.version !== 3) {
    throw new KeystoreFormatError("version", `must be 3, got ${describe(root.version)}`);
  }
  const address = root.address === undefined ? undefined : hex(root.address, "address", 20).toString("hex");
  // Old Mist/geth files spell it "Crypto".
  const crypto = object(root.crypto ?? root.Crypto, "crypto");
  if (crypto.cipher !== "aes-128-ctr") {
    throw new KeystoreFormatError("crypto.cipher", `must be "aes-128-ctr", got ${describe(crypto.cipher)}`);
  }
  const iv = hex(object(crypto.cipherparams, "crypto.cipherparams").iv, "crypto.cipherparams.iv", 16);
  const ciphertext = hex(crypto.ciphertext, "crypto.ciphertext", 32);
  const mac = hex(crypto.mac, "crypto.mac", 32);
  const params = object(crypto.kdfparams, "crypto.kdfparams");
  const dklen = integer(params.dklen, "crypto.kdfparams.dklen", 32, 1024);
  const salt = hex(params.salt, "crypto.kdfparams.salt");
  let kdf: Kdf;
  if (crypto.kdf === "scrypt") {
    const n = integer(params.n, "crypto.kdfparams.n", 2, 2 ** 30);
    if (!isPowerOfTwo(n)) {
      throw new KeystoreFormatError("crypto.kdfparams.n", `must be a power of 2, got ${n}`);
    }
    const r = integer(params.r, "crypto.kdfparams.r", 1, 1024);
    const p = integer(params.p, "crypto.kdfparams.p", 1, 16);
    if (128 * n * r > MAX_SCRYPT_MEMORY) {
      throw new KeystoreFormatError("crypto.kdfparams.n", `with r = ${r} needs more than 1 GiB of memory`);
    }
    kdf = { kind: "scrypt", n, r, p, dklen, salt };
  } else if (crypto.kdf === "pbkdf2") {
    if (params.prf !== "hmac-sha256") {
      throw new KeystoreFormatError(
        "crypto.kdfparams.prf",
        `must be "hmac-sha256", got ${describe(params.prf)}`,
      );
    }
    kdf = { kind: "pbkdf2", c: integer(params.c, "crypto.kdfparams.c", 1, MAX_PBKDF2_ROUNDS), dklen, salt };
  } else {
    throw new KeystoreFormatError("crypto.kdf", `must be "scrypt" or "pbkdf2", got ${describe(crypto.kdf)}`);
  }
  return { address, iv, ciphertext, mac, kdf };
}

const pbkdf2Async = promisify(pbkdf2);
const scryptNative = promisify<BinaryLike, BinaryLike, number, ScryptOptions, Buffer>(scrypt);

async function deriveKey(password: Buffer, kdf: Kdf): Promise<Buffer> {
  if (kdf.kind === "pbkdf2") return pbkdf2Async(password, kdf.salt, kdf.c, kdf.dklen, "sha256");
  const { n, r, p, dklen, salt } = kdf;
  if (n >= 2 ** (16 * r)) {
    // OpenSSL enforces RFC 7914's n < 2^(16·r); other wallets do not (the specification's own scrypt
    // vector has n = 2^18 with r = 1), so such files go through noble's scrypt, which viem uses.
    return Buffer.from(await scryptAsync(password, salt, { N: n, r, p, dkLen: dklen, maxmem: 2 ** 31 }));
  }
  // OpenSSL needs 128·r·(n + p + 2) bytes; Node's default maxmem (32 MiB) is too small above n = 2^14.
  return scryptNative(password, salt, dklen, { N: n, r, p, maxmem: 128 * r * (n + p + 2) });
}

/** keccak256(derivedKey[16..32] ++ ciphertext). */
function macOf(derived: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.from(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext]), "bytes"));
}

/** A valid secp256k1 private key: 0 < key < the group order. */
function isScalar(key: string): boolean {
  const value = BigInt(key);
  return value > 0n && value < SECP256K1_ORDER;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 2 && Number.isInteger(Math.log2(n));
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new KeystoreFormatError(field, value === undefined ? "is missing" : "must be an object");
  }
  return value as Record<string, unknown>;
}

function hex(value: unknown, field: string, bytes?: number): Buffer {
  if (value === undefined) throw new KeystoreFormatError(field, "is missing");
  const digits = typeof value === "string" ? value.replace(/^0x/i, "") : "";
  if (typeof value !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(digits)) {
    throw new KeystoreFormatError(field, "must be a hex string");
  }
  if (bytes !== undefined && digits.length !== bytes * 2) {
    throw new KeystoreFormatError(field, `must be ${bytes} bytes, got ${digits.length / 2}`);
  }
  return Buffer.from(digits, "hex");
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (value === undefined) throw new KeystoreFormatError(field, "is missing");
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new KeystoreFormatError(field, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** A short, safe description of a field's value: numbers and short strings, else only the type. */
function describe(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string" && value.length <= 32) return JSON.stringify(value);
  return value === null ? "null" : typeof value;
}
