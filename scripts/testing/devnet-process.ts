import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevnetFile } from "@roost/chain";
import { freePort } from "./ports.js";

/** A `roost devnet` process (the built CLI) on a free loopback port with its own home. */
export interface DevnetProcess {
  child: ChildProcess;
  port: number;
  home: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  readDevnetFile(): DevnetFile;
  /** Stops the process if it still runs (SIGTERM: it stops its anvil too). */
  kill(): void;
}

/** Starts `roost devnet` and waits until it is ready; tries another port if one was taken
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
  const child = spawn(
    process.execPath,
    // The chain alone: these tests register their own nodes.
    ["packages/cli/dist/main.js", "devnet", "--chain-only", "--port", String(port), "--home", home],
    {
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
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
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
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
