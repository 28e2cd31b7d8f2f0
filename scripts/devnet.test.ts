import { caiTokenAbi, disputesAbi, faucetAbi, paymentEscrowAbi, stakingAbi } from "@roost/protocol";
import { createPublicClient, http, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevnetProcess, startDevnet } from "./testing/devnet-process.js";

let devnet: DevnetProcess;

describe("npm start (roost devnet)", () => {
  beforeAll(async () => {
    devnet = await startDevnet();
  }, 70_000);

  afterAll(() => devnet?.kill());

  it("deploys every contract, wired, and writes devnet.json", async () => {
    const file = devnet.readDevnetFile();
    expect(file.rpcUrl).toBe(`http://127.0.0.1:${devnet.port}`);
    expect(devnet.output()).toContain(file.contracts.Staking);
    const client = createPublicClient({ transport: http(file.rpcUrl) });
    const { CAIToken, Staking, Faucet, PaymentEscrow, Disputes } = file.contracts;

    expect(await client.readContract({ address: CAIToken, abi: caiTokenAbi, functionName: "symbol" })).toBe(
      "CAI",
    );
    expect(await client.readContract({ address: Staking, abi: stakingAbi, functionName: "token" })).toBe(
      CAIToken,
    );
    // The devnet's short unbonding period, and a funded faucet paying 25,000 CAI.
    expect(
      await client.readContract({ address: Staking, abi: stakingAbi, functionName: "unbondingPeriod" }),
    ).toBe(300n);
    expect(
      await client.readContract({
        address: CAIToken,
        abi: caiTokenAbi,
        functionName: "balanceOf",
        args: [Faucet],
      }),
    ).toBe(100_000_000n * 10n ** 18n);
    expect(await client.readContract({ address: Faucet, abi: faucetAbi, functionName: "dripAmount" })).toBe(
      25_000n * 10n ** 18n,
    );
    // The escrow and the disputes contract may slash, with the devnet's short windows.
    const slasher = keccak256(toHex("SLASHER_ROLE"));
    for (const account of [PaymentEscrow, Disputes]) {
      expect(
        await client.readContract({
          address: Staking,
          abi: stakingAbi,
          functionName: "hasRole",
          args: [slasher, account],
        }),
      ).toBe(true);
    }
    expect(
      await client.readContract({
        address: PaymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "unlockPeriod",
      }),
    ).toBe(120n);
    const params = await client.readContract({ address: Disputes, abi: disputesAbi, functionName: "params" });
    expect([params.challengeWindow, params.arbitrationWindow]).toEqual([60, 120]);
  });

  it("stops cleanly on Ctrl-C", async () => {
    const exit = new Promise<number | null>((resolve) => devnet.child.on("exit", (code) => resolve(code)));
    devnet.child.kill("SIGINT");
    expect(await exit).toBe(0);
    await expect(fetch(`http://127.0.0.1:${devnet.port}`, { method: "POST" })).rejects.toThrow();
  });
});
