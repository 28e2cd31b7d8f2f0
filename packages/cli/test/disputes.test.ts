// `roost disputes` and `roost miner disputes` on a real devnet: a coordinator proposes two slashes;
// the accused miner's owner disputes one (posting the bond) and the arbiter rejects it; the other,
// undisputed, is executed once its challenge window has closed (refused before), jailing its miner.
import { createRoostClients, roostContracts } from "@roost/chain";
import { keccak256, stringToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cai, demoAddress, startTestNet, type TestNet } from "./helpers.js";

const COORDINATOR = demoAddress(2);
const MINER_A = demoAddress(4);
const MINER_B = demoAddress(6);
const JAILED = 2;

let net: TestNet;
beforeAll(async () => {
  net = await startTestNet();
  const ok = async (argv: string[], as: number) => {
    const result = await net.cli(argv, { as });
    expect(result.code, result.stderr).toBe(0);
  };
  await ok(["approve-owner", demoAddress(1)], 2);
  await ok(
    [
      "register",
      "coordinator",
      "--operator",
      COORDINATOR,
      "--self-stake",
      "2m",
      "--commission",
      "5",
      "--intro",
      "c",
      "--endpoint",
      "http://127.0.0.1:8080",
    ],
    1,
  );
  for (const [owner, operator] of [
    [3, 4],
    [5, 6],
  ] as const) {
    await ok(["approve-owner", demoAddress(owner)], operator);
    await ok(
      [
        "register",
        "miner",
        "--operator",
        demoAddress(operator),
        "--self-stake",
        "20k",
        "--commission",
        "10",
        "--intro",
        "m",
      ],
      owner,
    );
  }
  // The coordinator's node proposes, as it will after a failed spot check.
  const { publicClient, walletClient } = createRoostClients({
    chainId: net.devnet.file.chainId,
    rpcUrls: [net.rpcUrl],
    account: { address: COORDINATOR, type: "json-rpc" },
  });
  const coordinator = roostContracts(net.devnet.file, publicClient, walletClient);
  for (const [i, miner] of [MINER_A, MINER_B].entries()) {
    const hash = await coordinator.disputes.write.proposeSlash(
      [
        miner,
        keccak256(stringToHex(`task ${i}`)),
        1_000,
        keccak256(stringToHex(`evidence ${i}`)),
        `http://127.0.0.1:8080/evidence/${i}`,
      ],
      { gas: 500_000n },
    );
    await publicClient.waitForTransactionReceipt({ hash });
  }
}, 60_000);
afterAll(async () => {
  await net?.stop();
});

const json = async (argv: string[], as?: number) => {
  const result = await net.cli(["--json", ...argv], as === undefined ? {} : { as });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};

describe("roost disputes", { timeout: 30_000 }, () => {
  it("lists the open proposals with what can happen next, and a miner sees those against it", async () => {
    const plain = await net.cli(["disputes", "list"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^id\s+miner\s+coordinator\s+slash\s+status\s+next/);
    expect(plain.stdout).toMatch(
      new RegExp(`${MINER_B}\\s+${COORDINATOR}\\s+10%\\s+proposed\\s+the miner may dispute for (1m|\\d+s)`),
    );
    const mine = await json(["miner", "disputes"], 4);
    expect(mine.map((p: { id: string }) => p.id)).toEqual(["0"]);
    expect(mine[0]).toMatchObject({
      miner: MINER_A,
      coordinator: COORDINATOR,
      bps: 1000,
      statusName: "proposed",
    });
  });

  it("refuses a dispute without the bond, saying whose key has CAI", async () => {
    const poor = await net.cli(["miner", "disputes", "--dispute", "0"], { as: 4 });
    expect(poor.code).toBe(2);
    expect(poor.stderr).toContain(
      `disputing takes a bond of 1,000 CAI and ${MINER_A} holds 0 CAI: use the owner's key`,
    );
  });

  it("lets the owner dispute (the bond approved and posted), and the arbiter reject the accusation", async () => {
    const before = await net.contracts.token.read.balanceOf([demoAddress(3)]);
    const disputed = await net.cli(["miner", "disputes", "--dispute", "0"], { as: 3 });
    expect(disputed.code, disputed.stderr).toBe(0);
    expect(disputed.stdout).toContain("disputed proposal #0, posting 1,000 CAI: the arbiter decides");
    expect(await net.contracts.token.read.balanceOf([demoAddress(3)])).toBe(before - cai(1000));

    const stranger = await net.cli(["disputes", "resolve", "0", "rejected"], { as: 7 });
    expect(stranger.code).toBe(1);
    const bad = await net.cli(["disputes", "resolve", "0", "maybe"], { as: 0 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('verdict "maybe" is not one: use upheld or rejected');

    const coordinatorStake = (await net.contracts.staking.read.getNode([COORDINATOR])).selfStake;
    const resolved = await net.cli(["disputes", "resolve", "0", "rejected"], { as: 0 });
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain("proposal #0 is now rejected");
    expect((await net.contracts.staking.read.getNode([COORDINATOR])).selfStake).toBeLessThan(
      coordinatorStake,
    );
    expect(await net.contracts.token.read.balanceOf([demoAddress(3)])).toBeGreaterThan(before); // bond + share
  });

  it("executes an undisputed proposal only after its challenge window, jailing the miner", async () => {
    const early = await net.cli(["disputes", "execute", "1"], { as: 7 });
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/proposal #1/);
    expect((await net.cli(["devnet", "advance", "2m"])).code).toBe(0);
    const executed = await net.cli(["disputes", "execute", "1"], { as: 7 });
    expect(executed.code, executed.stderr).toBe(0);
    expect(executed.stdout).toContain("proposal #1 is now executed");
    expect((await net.contracts.staking.read.getNode([MINER_B])).status).toBe(JAILED);
    const open = await net.cli(["disputes", "list"]);
    expect(open.stdout.trim()).toBe("no open slash proposals");
    const all = await json(["disputes", "list", "--all"]);
    expect(all.map((p: { statusName: string }) => p.statusName)).toEqual(["executed", "rejected"]);
  });
});
