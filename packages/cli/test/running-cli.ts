// `roost` run in-process as a long-lived command (a node) or a short one, against a test devnet,
// with its output collected as it comes; and a wait for a condition.
import type { Hex } from "viem";
import { run } from "../src/program.js";

export interface RunningCli {
  /** The exit code, once the command ends (a node: after `until` resolves). */
  done: Promise<number>;
  out(): string;
  err(): string;
}

/** `roost --deployment <deployment> --rpc <rpcUrl> <argv>` with `key` in ROOST_PRIVATE_KEY, in `cwd`. */
export function runCli(
  network: { deployment: string; rpcUrl: string; cwd: string },
  argv: readonly string[],
  key: Hex,
  until?: Promise<void>,
): RunningCli {
  let stdout = "";
  let stderr = "";
  const done = run(
    ["--deployment", network.deployment, "--rpc", network.rpcUrl, ...argv],
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env: { ROOST_PRIVATE_KEY: key },
      cwd: network.cwd,
    },
    until === undefined ? undefined : () => until,
  );
  return { done, out: () => stdout, err: () => stderr };
}

/** Resolves once `predicate` holds, checking every 50 ms; throws naming `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
