// `npm run bench`: how long `roost devnet` takes from cold (deploy everything) and warm (resume
// the saved chain) until it prints that it is ready. Runs the built CLI as a user would.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../scripts/testing/ports.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "packages/cli/dist/main.js");
const RUNS = 5;

/** Starts `roost devnet`, returns the milliseconds until "Press Ctrl-C", then stops it with Ctrl-C. */
async function startOnce(home: string, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, "devnet", "--port", String(port), "--home", home], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      output += d;
      if (output.includes("Press Ctrl-C to stop")) resolve(performance.now() - started);
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("exit", (code) => reject(new Error(`roost devnet exited (${code}):\n${output}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGINT");
  await exited;
  return ready;
}

export async function benchDevnet(): Promise<{ cold: number[]; warm: number[] }> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const home = mkdtempSync(join(tmpdir(), "roost-bench-"));
    try {
      cold.push(await startOnce(home, await freePort()));
      warm.push(await startOnce(home, await freePort()));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  return { cold, warm };
}
