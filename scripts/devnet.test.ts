import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caiTokenAbi, faucetAbi, stakingAbi } from "@roost/protocol";
import { createPublicClient, type Hex, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const port = 20_000 + Math.floor(Math.random() * 20_000);
const home = mkdtempSync(join(tmpdir(), "roost-devnet-"));
let devnet: ChildProcess;
let output = "";

function waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}:\n${output}`)),
      timeoutMs,
    );
    const check = () => {
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    devnet.stdout?.on("data", check);
    devnet.on("exit", () => reject(new Error(`devnet exited:\n${output}`)));
    check();
  });
}

describe("npm start (scripts/devnet.ts)", () => {
  beforeAll(async () => {
    devnet = spawn(process.execPath, ["--import", "tsx", "scripts/devnet.ts", "--port", String(port)], {
      env: { ...process.env, ROOST_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    devnet.stdout?.on("data", (d) => {
      output += d;
    });
    devnet.stderr?.on("data", (d) => {
      output += d;
    });
    await waitFor(/Press Ctrl-C to stop/, 60_000);
  }, 70_000);

  afterAll(() => {
    if (devnet.exitCode === null) devnet.kill("SIGKILL");
  });

  it("deploys every contract, wired, and writes devnet.json", async () => {
    const file = JSON.parse(readFileSync(join(home, "devnet.json"), "utf8"));
    expect(file.rpcUrl).toBe(`http://127.0.0.1:${port}`);
    expect(output).toContain(file.contracts.Staking);
    const client = createPublicClient({ transport: http(file.rpcUrl) });
    const { CAIToken, Staking, Faucet } = file.contracts as { CAIToken: Hex; Staking: Hex; Faucet: Hex };

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
  });

  it("stops cleanly on Ctrl-C", async () => {
    const exit = new Promise<number | null>((resolve) => devnet.on("exit", (code) => resolve(code)));
    devnet.kill("SIGINT");
    expect(await exit).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}`, { method: "POST" })).rejects.toThrow();
  });
});
