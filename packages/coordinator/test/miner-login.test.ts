import { type MinerLogin, type RoostDomainParams, signMinerLogin } from "@roost/protocol";
import { type Address, type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import {
  type EligibilityView,
  loginMiner,
  type MinerLoginErrorCode,
  type MinerLoginOptions,
  type MinerLoginRequest,
  parseMinerLoginBody,
} from "../src/auth/miner-login.js";
import { hashSessionToken, NONCE_RETENTION_GRACE_MS, SessionStore } from "../src/store/sessions.js";
import { TempStores } from "./fixtures/store-helpers.js";

const stores = new TempStores();
afterEach(() => stores.cleanup());

const NOW = 1_700_000_000_000; // Unix ms
const NOW_S = BigInt(NOW / 1000);
const DOMAIN: RoostDomainParams = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const coordinator = privateKeyToAccount(generatePrivateKey()).address;
const miner = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());

function setup(eligible: Address[] = [miner.address]) {
  const db = stores.open(stores.path());
  const sessions = new SessionStore(db);
  const allowed = new Set(eligible.map((a) => a.toLowerCase()));
  const registry: EligibilityView = { eligible: (operator) => allowed.has(operator.toLowerCase()) };
  const options: MinerLoginOptions = { coordinator, domain: DOMAIN, registry, sessions, now: NOW };
  return { db, sessions, options };
}

function loginMessage(overrides: Partial<MinerLogin> = {}): MinerLogin {
  return { coordinator, operator: miner.address, nonce: 1n, expiresAt: NOW_S + 60n, ...overrides };
}

async function signed(
  overrides: Partial<MinerLogin> = {},
  signer = miner,
  domain = DOMAIN,
): Promise<MinerLoginRequest> {
  const login = loginMessage(overrides);
  return { login, signature: await signMinerLogin(signer, domain, login) };
}

async function refusal(request: MinerLoginRequest, options: MinerLoginOptions): Promise<MinerLoginErrorCode> {
  try {
    await loginMiner(request, options);
  } catch (error) {
    expect(error).toMatchObject({ name: "MinerLoginError" });
    return (error as { code: MinerLoginErrorCode }).code;
  }
  throw new Error("login was accepted");
}

function highS(signature: Hex): Hex {
  const r = signature.slice(2, 66);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  return `0x${r}${(SECP256K1_N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
}

describe("loginMiner", () => {
  it("gives a valid login a token that verifies to the operator until the TTL", async () => {
    const { sessions, options } = setup();
    const session = await loginMiner(await signed(), { ...options, sessionTtlMs: 10_000 });
    expect(session.operator).toBe(miner.address);
    expect(session.expiresAt).toBe(NOW + 10_000);
    expect(session.token).toMatch(/^roost_ms_[A-Za-z0-9_-]{43}$/);
    expect(sessions.verify(session.token, NOW)).toBe(miner.address);
    expect(sessions.verify(session.token, NOW + 9_999)).toBe(miner.address);
    expect(sessions.verify(session.token, NOW + 10_000)).toBeUndefined();
    expect(
      sessions.verify(`${session.token.slice(0, -1)}${session.token.endsWith("A") ? "B" : "A"}`, NOW),
    ).toBe(undefined);
  });

  it("stores only the token's hash", async () => {
    const { db, options } = setup();
    const { token } = await loginMiner(await signed(), options);
    const rows = db.connection.prepare("SELECT token_hash FROM miner_sessions").all() as {
      token_hash: string;
    }[];
    expect(rows.map((row) => row.token_hash)).toEqual([hashSessionToken(token)]);
  });

  it("accepts the JSON form of a login", async () => {
    const { sessions, options } = setup();
    const request = await signed({ nonce: 2n ** 200n });
    const json = JSON.parse(
      JSON.stringify({
        login: {
          ...request.login,
          nonce: toHex(request.login.nonce),
          expiresAt: request.login.expiresAt.toString(),
        },
        signature: request.signature,
      }),
    ) as unknown;
    const session = await loginMiner(parseMinerLoginBody(json), options);
    expect(sessions.verify(session.token, NOW)).toBe(miner.address);
  });

  it("refuses malformed fields, naming the field", async () => {
    const { options } = setup();
    const good = await signed();
    const cases: [unknown, string][] = [
      [null, "body"],
      [{ signature: good.signature }, "login"],
      [{ ...good, login: { ...good.login, coordinator: "0x1234" } }, "login.coordinator"],
      [
        { ...good, login: { ...good.login, operator: "0x5fbDB2315678afecb367f032d93F642f64180aa3" } },
        "login.operator",
      ],
      [{ ...good, login: { ...good.login, nonce: "-1" } }, "login.nonce"],
      [{ ...good, login: { ...good.login, nonce: 1.5 } }, "login.nonce"],
      [{ ...good, login: { ...good.login, nonce: 2n ** 256n } }, "login.nonce"],
      [{ ...good, login: { ...good.login, expiresAt: 2n ** 64n } }, "login.expiresAt"],
      [{ ...good, login: { ...good.login, expiresAt: "soon" } }, "login.expiresAt"],
      [{ ...good, signature: good.signature.slice(0, -2) }, "signature"],
      [{ ...good, signature: `${good.signature.slice(0, -1)}z` }, "signature"],
    ];
    for (const [body, field] of cases) {
      expect(() => parseMinerLoginBody(body), field).toThrow(
        expect.objectContaining({ code: "malformed", field }),
      );
      await expect(loginMiner(body as MinerLoginRequest, options)).rejects.toMatchObject({
        code: "malformed",
        field,
      });
    }
  });

  it("refuses a login for another coordinator", async () => {
    const { options } = setup();
    const other = privateKeyToAccount(generatePrivateKey()).address;
    expect(await refusal(await signed({ coordinator: other }), options)).toBe("wrong_coordinator");
  });

  it("refuses expired logins and expiries too far ahead", async () => {
    const { options } = setup();
    expect(await refusal(await signed({ expiresAt: NOW_S }), options)).toBe("expired");
    expect(await refusal(await signed({ expiresAt: NOW_S - 1n }), options)).toBe("expired");
    expect(await refusal(await signed({ expiresAt: NOW_S + 301n }), options)).toBe("expiry_too_far");
    expect(
      await refusal(await signed({ expiresAt: NOW_S + 31n }), { ...options, maxExpirySeconds: 30 }),
    ).toBe("expiry_too_far");
    await expect(loginMiner(await signed({ expiresAt: NOW_S + 300n }), options)).resolves.toBeDefined();
  });

  it("refuses signatures not made by login.operator over this exact login and domain", async () => {
    const { options } = setup([miner.address, stranger.address]);
    // Signed by another (eligible) key.
    expect(await refusal(await signed({}, stranger), options)).toBe("bad_signature");
    // A tampered field.
    const request = await signed({ nonce: 7n });
    expect(await refusal({ ...request, login: { ...request.login, nonce: 8n } }, options)).toBe(
      "bad_signature",
    );
    expect(
      await refusal(
        { ...request, login: { ...request.login, expiresAt: request.login.expiresAt + 1n } },
        options,
      ),
    ).toBe("bad_signature");
    // Another chain or verifying contract.
    expect(await refusal(await signed({}, miner, { ...DOMAIN, chainId: 1 }), options)).toBe("bad_signature");
    expect(
      await refusal(await signed({}, miner, { ...DOMAIN, verifyingContract: stranger.address }), options),
    ).toBe("bad_signature");
    // The malleable high-s twin of a valid signature.
    expect(await refusal({ ...request, signature: highS(request.signature) }, options)).toBe("bad_signature");
    // The untouched original still works.
    await expect(loginMiner(request, options)).resolves.toMatchObject({ operator: miner.address });
  });

  it("refuses a replay but accepts a fresh nonce", async () => {
    const { options } = setup();
    const request = await signed({ nonce: 42n });
    await loginMiner(request, options);
    expect(await refusal(request, options)).toBe("nonce_reused");
    expect(await refusal(request, { ...options, now: NOW + 1_000 })).toBe("nonce_reused");
    await expect(loginMiner(await signed({ nonce: 43n }), options)).resolves.toBeDefined();
  });

  it("does not let a forged login consume the real operator's nonce", async () => {
    const { options } = setup([miner.address, stranger.address]);
    const forged = await signed({ nonce: 5n }, stranger); // claims operator = miner
    expect(await refusal(forged, options)).toBe("bad_signature");
    await expect(loginMiner(await signed({ nonce: 5n }), options)).resolves.toMatchObject({
      operator: miner.address,
    });
  });

  it("refuses operators that are not eligible, without burning their nonce", async () => {
    const { options } = setup([]);
    const request = await signed({ nonce: 9n });
    expect(await refusal(request, options)).toBe("not_eligible");
    await expect(
      loginMiner(request, { ...options, registry: { eligible: () => true } }),
    ).resolves.toBeDefined();
  });
});

describe("SessionStore", () => {
  it("uses each (operator, nonce) once", () => {
    const { sessions } = setup();
    expect(sessions.useNonce(miner.address, 1n, NOW + 60_000)).toBe(true);
    expect(sessions.useNonce(miner.address, 1n, NOW + 60_000)).toBe(false);
    expect(sessions.useNonce(miner.address.toLowerCase() as Address, 1n, NOW + 60_000)).toBe(false);
    expect(sessions.useNonce(stranger.address, 1n, NOW + 60_000)).toBe(true);
    expect(sessions.useNonce(miner.address, 2n ** 255n, NOW + 60_000)).toBe(true);
  });

  it("revokes every session of an operator", () => {
    const { sessions } = setup();
    const a = sessions.create(miner.address, 60_000, NOW);
    const b = sessions.create(miner.address, 60_000, NOW);
    const c = sessions.create(stranger.address, 60_000, NOW);
    expect(sessions.revokeOperator(miner.address)).toBe(2);
    expect(sessions.verify(a, NOW)).toBeUndefined();
    expect(sessions.verify(b, NOW)).toBeUndefined();
    expect(sessions.verify(c, NOW)).toBe(stranger.address);
    expect(sessions.revokeOperator(miner.address)).toBe(0);
    expect(sessions.revoke(c)).toBe(true);
    expect(sessions.verify(c, NOW)).toBeUndefined();
  });

  it("purges expired sessions and nonces past their login's expiry", () => {
    const { sessions } = setup();
    const short = sessions.create(miner.address, 1_000, NOW);
    const long = sessions.create(miner.address, 100_000, NOW);
    sessions.useNonce(miner.address, 1n, NOW + 1_000);
    sessions.useNonce(miner.address, 2n, NOW + 100_000);
    expect(sessions.purgeExpired(NOW)).toEqual({ nonces: 0, sessions: 0 });
    expect(sessions.purgeExpired(NOW + 1_000)).toEqual({ nonces: 0, sessions: 1 });
    expect(sessions.verify(short, NOW)).toBeUndefined();
    expect(sessions.verify(long, NOW)).toBe(miner.address);
    // Nonces are kept for a grace period after their expiry, then forgotten.
    expect(sessions.useNonce(miner.address, 1n, NOW + 1_000)).toBe(false);
    expect(sessions.purgeExpired(NOW + 1_000 + NONCE_RETENTION_GRACE_MS)).toEqual({ nonces: 1, sessions: 0 });
    expect(sessions.useNonce(miner.address, 1n, NOW + 1_000)).toBe(true);
    expect(sessions.useNonce(miner.address, 2n, NOW + 100_000)).toBe(false);
  });

  it("rejects malformed tokens and bad arguments", () => {
    const { sessions } = setup();
    expect(sessions.verify("", NOW)).toBeUndefined();
    expect(sessions.verify("roost_sk_x", NOW)).toBeUndefined();
    expect(() => sessions.create(miner.address, 0, NOW)).toThrow(TypeError);
    expect(() => sessions.create("0x12" as Address, 1_000, NOW)).toThrow(TypeError);
  });
});
