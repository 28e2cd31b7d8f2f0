import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";

/** What `npm start` writes to `$ROOST_HOME/devnet.json`. */
export interface DevnetFile {
  rpcUrl: string;
  chainId: number;
  deployer: Address;
  contracts: Record<"CAIToken" | "Staking" | "Faucet" | "PaymentEscrow" | "Disputes", Address>;
}

/** A `scripts/devnet.ts` process on a random loopback port with its own ROOST_HOME. */
export interface DevnetProcess {
  child: ChildProcess;
  port: number;
  home: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  readDevnetFile(): DevnetFile;
  /** Kills the process if it still runs. */
  kill(): void;
}

/** Starts the devnet script and waits until it is ready. */
export async function startDevnet(timeoutMs = 60_000): Promise<DevnetProcess> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const home = mkdtempSync(join(tmpdir(), "roost-devnet-"));
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/devnet.ts", "--port", String(port)], {
    env: { ...process.env, ROOST_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });

  const waitFor = (pattern: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}:\n${output}`)), ms);
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", check);
      child.on("exit", () => reject(new Error(`devnet exited:\n${output}`)));
      check();
    });

  const devnet: DevnetProcess = {
    child,
    port,
    home,
    output: () => output,
    waitFor,
    readDevnetFile: () => JSON.parse(readFileSync(join(home, "devnet.json"), "utf8")) as DevnetFile,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
  try {
    await waitFor(/Press Ctrl-C to stop/, timeoutMs);
  } catch (error) {
    devnet.kill();
    throw error;
  }
  return devnet;
}
