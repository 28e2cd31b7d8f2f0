// `npm start`: a local anvil chain with every Roost contract deployed, its addresses printed and
// written to .roost/devnet.json. Ctrl-C stops it. (The full devnet, with nodes and the portal,
// comes with packages/cli; this is its first step.)
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

/** anvil's first default account: unlocked on anvil, so no key is needed to deploy. */
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/** Short periods so that unbonding and commission changes can be seen in a demo. */
const DEVNET_SETTINGS: Record<string, string> = {
  ROOST_UNBONDING_PERIOD: "300",
  ROOST_COMMISSION_DELAY: "300",
  ROOST_JAIL_PERIOD: "120",
  ROOST_FAUCET_COOLDOWN: "60",
  ROOST_UNLOCK_PERIOD: "120",
  ROOST_CHALLENGE_WINDOW: "60",
  ROOST_ARBITRATION_WINDOW: "120",
};

interface Devnet {
  rpcUrl: string;
  chainId: number;
  deployer: string;
  contracts: {
    CAIToken: string;
    Staking: string;
    Faucet: string;
    PaymentEscrow: string;
    Disputes: string;
  };
}

/** The addresses from `forge script --json`: Deploy.run() returns the Deployment struct
 *  (token, staking, faucet, escrow, disputes). */
function parseDeployment(output: string): Devnet["contracts"] {
  const line = output.split("\n").find((l) => l.includes('"returns"'));
  const value: string = line ? (JSON.parse(line).returns?.d?.value ?? "") : "";
  const [CAIToken, Staking, Faucet, PaymentEscrow, Disputes] = value.match(/0x[0-9a-fA-F]{40}/g) ?? [];
  if (!CAIToken || !Staking || !Faucet || !PaymentEscrow || !Disputes)
    throw new Error(`could not read the deployment from forge:\n${output}`);
  return { CAIToken, Staking, Faucet, PaymentEscrow, Disputes };
}

/** The anvil binary itself: through npx, anvil would leave a tree of wrapper processes behind. */
function anvilBinary(): string {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string] ?? process.arch;
  return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/anvil`);
}

async function waitForRpc(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`anvil did not answer on ${url} within ${timeoutMs / 1000} s`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise(output) : reject(new Error(`${command} failed (exit ${code}):\n${output}`)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: "string", default: process.env.ROOST_DEVNET_PORT ?? "8545" } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port must be a TCP port number (1-65535), got "${values.port}"`);
  }
  const rpcUrl = `http://127.0.0.1:${port}`;
  const outDir = process.env.ROOST_HOME ?? join(root, ".roost");
  const outFile = join(outDir, "devnet.json");
  mkdirSync(outDir, { recursive: true });

  console.log(`[1/3] starting anvil on ${rpcUrl}`);
  const anvil: ChildProcess = spawn(
    anvilBinary(),
    ["--host", "127.0.0.1", "--port", String(port), "--chain-id", "31337", "--silent"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  let stopping = false;
  const stop = () => {
    stopping = true;
    anvil.kill("SIGTERM");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const exited = new Promise<number>((r) => anvil.on("exit", (code) => r(code ?? 0)));
  anvil.on("exit", (code, signal) => {
    if (!stopping) console.error(`anvil exited (${signal ?? code}); is port ${port} already in use?`);
  });

  try {
    await waitForRpc(rpcUrl, 10_000);
    console.log("[2/3] deploying CAIToken, Staking, Faucet, PaymentEscrow and Disputes");
    const output = await run(
      process.execPath,
      [
        join(root, "contracts/tools/forge"),
        "script",
        "script/Deploy.s.sol",
        "--rpc-url",
        rpcUrl,
        "--broadcast",
        "--unlocked",
        "--sender",
        DEPLOYER,
        "--json",
      ],
      { ...process.env, ...DEVNET_SETTINGS },
      join(root, "contracts"),
    );
    const devnet: Devnet = { rpcUrl, chainId: 31337, deployer: DEPLOYER, contracts: parseDeployment(output) };
    writeFileSync(outFile, `${JSON.stringify(devnet, null, 2)}\n`);
    console.log(`[3/3] ready: chain ${devnet.chainId} at ${rpcUrl}, deployment in ${outFile}\n`);
    console.table({
      ...Object.fromEntries(Object.entries(devnet.contracts).map(([name, address]) => [name, { address }])),
      "deployer (admin, treasury, arbiter)": { address: DEPLOYER },
    });
    console.log("\nPress Ctrl-C to stop.");
  } catch (error) {
    stop();
    throw error;
  }
  process.exitCode = await exited;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
