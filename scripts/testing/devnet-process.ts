import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
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

/** A loopback port nothing listens on right now (the OS picks it, so it is not a random guess
 *  that may fall among the ephemeral ports other tests' connections are using). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Starts the devnet script and waits until it is ready; tries another port if one was taken
 *  between choosing it and anvil binding it. */
export async function startDevnet(timeoutMs = 60_000): Promise<DevnetProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevnetOnce(await freePort(), timeoutMs);
    } catch (error) {
      if (attempt === 3 || !String(error).includes("Address already in use")) throw error;
    }
  }
}

async function startDevnetOnce(port: number, timeoutMs: number): Promise<DevnetProcess> {
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
