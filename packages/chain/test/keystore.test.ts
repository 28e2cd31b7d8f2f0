import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SCRYPT_N,
  decryptKeystore,
  encryptKeystore,
  InvalidPrivateKeyError,
  KeystoreFormatError,
  type KeystoreV3,
  WrongPasswordError,
} from "../src/keystore.js";

// The test vectors of the Web3 Secret Storage Definition (ethereum.org, formerly the geth wiki).
const VECTOR_PASSWORD = "testpassword";
const VECTOR_KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const VECTOR_ADDRESS = "0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b";
const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 262144,
      p: 8,
      r: 1,
      salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
    },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
const FAST = { scryptN: 2 ** 10 };

const DELETE = Symbol("delete");

/** A deep copy of `base` with the field at the dotted `path` set to `value`, or removed. */
function withField(base: object, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split(".");
  const last = keys.pop() as string;
  let target = copy;
  for (const key of keys) target = target[key] as Record<string, unknown>;
  if (value === DELETE) delete target[last];
  else target[last] = value;
  return copy;
}

describe("Web3 Secret Storage test vectors", () => {
  it("decrypts the pbkdf2 vector (c = 262144)", async () => {
    const key = await decryptKeystore(PBKDF2_VECTOR, VECTOR_PASSWORD);
    expect(key).toBe(VECTOR_KEY);
    expect(privateKeyToAccount(key).address.toLowerCase()).toBe(VECTOR_ADDRESS);
  });

  it("decrypts the scrypt vector (n = 262144, r = 1, p = 8, beyond OpenSSL's n < 2^(16r))", async () => {
    const key = await decryptKeystore(SCRYPT_VECTOR, VECTOR_PASSWORD);
    expect(key).toBe(VECTOR_KEY);
  });

  it("accepts JSON text, the address field, 0x-prefixed hex and the old capitalized Crypto key", async () => {
    const withAddress = { ...PBKDF2_VECTOR, address: VECTOR_ADDRESS.slice(2) };
    expect(await decryptKeystore(JSON.stringify(withAddress), VECTOR_PASSWORD)).toBe(VECTOR_KEY);
    const { crypto, ...rest } = PBKDF2_VECTOR;
    const mist = { ...rest, Crypto: { ...crypto, mac: `0x${crypto.mac.toUpperCase()}` } };
    expect(await decryptKeystore(mist, VECTOR_PASSWORD)).toBe(VECTOR_KEY);
  });

  it("rejects a file whose address does not match its key", async () => {
    const other = { ...PBKDF2_VECTOR, address: "11".repeat(20) };
    await expect(decryptKeystore(other, VECTOR_PASSWORD)).rejects.toThrow(
      `invalid keystore: address does not match the decrypted key's address ${VECTOR_ADDRESS}`,
    );
  });
});

describe("encryptKeystore", () => {
  it("round-trips a key and writes the geth layout", async () => {
    const privateKey = generatePrivateKey();
    const keystore = await encryptKeystore(privateKey, "correct horse", FAST);
    const { address } = privateKeyToAccount(privateKey);
    expect(keystore.address).toBe(address.slice(2).toLowerCase());
    expect(keystore.version).toBe(3);
    expect(keystore.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keystore.crypto).toMatchObject({
      cipher: "aes-128-ctr",
      kdf: "scrypt",
      kdfparams: { dklen: 32, n: 1024, p: 1, r: 8 },
    });
    expect(keystore.crypto.kdfparams.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(keystore.crypto.cipherparams.iv).toMatch(/^[0-9a-f]{32}$/);
    expect(keystore.crypto.ciphertext).toMatch(/^[0-9a-f]{64}$/);
    expect(keystore.crypto.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(await decryptKeystore(keystore, "correct horse")).toBe(privateKey);
    expect(await decryptKeystore(JSON.parse(JSON.stringify(keystore)), "correct horse")).toBe(privateKey);
  });

  it("uses a fresh salt, iv and id every time", async () => {
    const [a, b] = await Promise.all([
      encryptKeystore(VECTOR_KEY, "pw", FAST),
      encryptKeystore(VECTOR_KEY, "pw", FAST),
    ]);
    expect(a.crypto.kdfparams.salt).not.toBe(b.crypto.kdfparams.salt);
    expect(a.crypto.cipherparams.iv).not.toBe(b.crypto.cipherparams.iv);
    expect(a.crypto.ciphertext).not.toBe(b.crypto.ciphertext);
    expect(a.id).not.toBe(b.id);
  });

  it("defaults to scrypt n = 2^18 (geth's standard cost)", async () => {
    expect(DEFAULT_SCRYPT_N).toBe(262144);
    const keystore = await encryptKeystore(VECTOR_KEY, "pw");
    expect(keystore.crypto.kdfparams).toMatchObject({ n: 262144, r: 8, p: 1 });
  });

  it("keeps non-ASCII passwords as UTF-8 and also opens files encrypted with the NFKC form (ethers)", async () => {
    const decomposed = "pa\u0073\u0073wo\u0308rd";
    const raw = await encryptKeystore(VECTOR_KEY, decomposed, FAST);
    expect(await decryptKeystore(raw, decomposed)).toBe(VECTOR_KEY);
    const normalized = await encryptKeystore(VECTOR_KEY, decomposed.normalize("NFKC"), FAST);
    expect(await decryptKeystore(normalized, decomposed)).toBe(VECTOR_KEY);
  });

  it("refuses invalid keys without echoing them, and bad cost parameters", async () => {
    const bad = [
      "0x1234",
      VECTOR_KEY.slice(2),
      `0x${"0".repeat(64)}`,
      `0x${"f".repeat(64)}`,
      `${VECTOR_KEY}zz`,
    ];
    for (const key of bad) {
      const error = await encryptKeystore(key as `0x${string}`, "pw", FAST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPrivateKeyError);
      expect((error as Error).name).toBe("InvalidPrivateKeyError");
      expect((error as Error).message).not.toContain(key.slice(2, 20));
    }
    await expect(encryptKeystore(VECTOR_KEY, "pw", { scryptN: 1000 })).rejects.toThrow(RangeError);
    await expect(encryptKeystore(VECTOR_KEY, "pw", { scryptN: 2 ** 21 })).rejects.toThrow(RangeError);
  });
});

describe("decryptKeystore failures", () => {
  let fast: KeystoreV3;
  const fastKeystore = async () => {
    fast ??= await encryptKeystore(VECTOR_KEY, "secret", FAST);
    return fast;
  };

  it("reports a wrong password with the address, by MAC mismatch", async () => {
    const keystore = await fastKeystore();
    const error = await decryptKeystore(keystore, "not the password").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongPasswordError);
    expect((error as WrongPasswordError).name).toBe("WrongPasswordError");
    expect((error as WrongPasswordError).message).toBe(`wrong password for keystore ${VECTOR_ADDRESS}`);
    await expect(decryptKeystore(PBKDF2_VECTOR, "testpassword!")).rejects.toThrow(
      "wrong password for keystore (the file has no address)",
    );
  });

  it("detects a tampered ciphertext or MAC (the MAC does not match)", async () => {
    const keystore = await fastKeystore();
    const c = keystore.crypto.ciphertext;
    const flipped = withField(keystore, "crypto.ciphertext", (c[0] === "0" ? "1" : "0") + c.slice(1));
    await expect(decryptKeystore(flipped, "secret")).rejects.toBeInstanceOf(WrongPasswordError);
    const badMac = withField(keystore, "crypto.mac", "00".repeat(32));
    await expect(decryptKeystore(badMac, "secret")).rejects.toBeInstanceOf(WrongPasswordError);
  });

  // [field path, new value (DELETE removes it), expected message]
  const cases: [string, unknown, string][] = [
    ["version", 1, "version must be 3, got 1"],
    ["version", "3", 'version must be 3, got "3"'],
    ["crypto", DELETE, "crypto is missing"],
    ["crypto", [], "crypto must be an object"],
    ["crypto.cipher", "aes-128-cbc", 'crypto.cipher must be "aes-128-ctr", got "aes-128-cbc"'],
    ["crypto.cipherparams", DELETE, "crypto.cipherparams is missing"],
    ["crypto.cipherparams.iv", DELETE, "crypto.cipherparams.iv is missing"],
    ["crypto.cipherparams.iv", "00", "crypto.cipherparams.iv must be 16 bytes, got 1"],
    ["crypto.ciphertext", "zz", "crypto.ciphertext must be a hex string"],
    ["crypto.ciphertext", "00".repeat(33), "crypto.ciphertext must be 32 bytes, got 33"],
    ["crypto.mac", 42, "crypto.mac must be a hex string"],
    ["crypto.kdf", "argon2id", 'crypto.kdf must be "scrypt" or "pbkdf2", got "argon2id"'],
    ["crypto.kdfparams", DELETE, "crypto.kdfparams is missing"],
    ["crypto.kdfparams.dklen", 16, "crypto.kdfparams.dklen must be an integer from 32"],
    ["crypto.kdfparams.salt", DELETE, "crypto.kdfparams.salt is missing"],
    ["crypto.kdfparams.n", 1000, "crypto.kdfparams.n must be a power of 2, got 1000"],
    ["crypto.kdfparams.n", 2 ** 21, "crypto.kdfparams.n with r = 8 needs more than 1 GiB"],
    ["crypto.kdfparams.r", 0, "crypto.kdfparams.r must be an integer from 1"],
    ["crypto.kdfparams.p", 1.5, "crypto.kdfparams.p must be an integer from 1"],
    ["address", "0x1234", "address must be 20 bytes, got 2"],
  ];
  for (const [path, value, message] of cases) {
    it(`names the field: ${message}`, async () => {
      const broken = withField(await fastKeystore(), path, value);
      const error = await decryptKeystore(broken, "secret").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeystoreFormatError);
      expect((error as Error).name).toBe("KeystoreFormatError");
      expect((error as Error).message).toContain(`invalid keystore: ${message}`);
    });
  }

  it("names the pbkdf2 fields", async () => {
    const prf = withField(PBKDF2_VECTOR, "crypto.kdfparams.prf", "hmac-sha512");
    await expect(decryptKeystore(prf, VECTOR_PASSWORD)).rejects.toThrow(
      'crypto.kdfparams.prf must be "hmac-sha256"',
    );
    const c = withField(PBKDF2_VECTOR, "crypto.kdfparams.c", 1e9);
    await expect(decryptKeystore(c, VECTOR_PASSWORD)).rejects.toThrow(
      "crypto.kdfparams.c must be an integer",
    );
  });

  it("rejects text that is not JSON without quoting it", async () => {
    const error = await decryptKeystore(VECTOR_KEY, "pw").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeystoreFormatError);
    expect((error as Error).message).toBe("invalid keystore: not valid JSON");
    await expect(decryptKeystore(null, "pw")).rejects.toThrow("invalid keystore: must be an object");
  });
});
