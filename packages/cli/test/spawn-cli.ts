// The built `roost` in a child process, as users run it (devnet suites): its output as it comes, and
// a wait for a line to appear.
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../scripts/testing/ports.js";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const MAIN = join(REPO, "packages", "cli", "dist", "main.js");

/** A running `roost …` child process with its output so far. */
export interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr matches; rejects if the process exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: readonly string[]): Cli {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", (d) => {
    stdout += d;
    changed();
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
    changed();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      changed();
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (pattern.test(stdout) || pattern.test(stderr)) done();
        else if (child.exitCode !== null || child.signalCode !== null) {
          done(new Error(`exited before ${pattern}:\n${stdout}\n${stderr}`));
        }
      };
      const timer = setTimeout(
        () => done(new Error(`timed out waiting for ${pattern}:\n${stdout}\n${stderr}`)),
        timeoutMs,
      );
      listeners.add(check);
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, exited };
}

/** Whether something accepts connections on the loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * `roost devnet` on free ports (the chain's, and the coordinator and web server on any free port)
 * with its state in `home`; resolves once it is ready to serve, with the devnet.json it wrote.
 */
export async function spawnDevnet(
  home: string,
  ...extra: string[]
): Promise<{ cli: Cli; deployment: string }> {
  const port = await freePort();
  const cli = spawnCli([
    "devnet",
    "--port",
    String(port),
    "--coordinator-port",
    "0",
    "--web-port",
    "0",
    "--home",
    home,
    ...extra,
  ]);
  await cli.waitFor(/Press Ctrl-C to stop\./, 60_000);
  return { cli, deployment: join(home, "devnet.json") };
}
