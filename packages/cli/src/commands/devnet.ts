import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { advanceChainTime, DEVNET_CHAIN_ID, formatDuration, parseDuration, startDevnet } from "@roost/chain";
import { type Command, Option } from "commander";
import { createPublicClient, http } from "viem";
import type { Context } from "../context.js";
import { type DevnetNetwork, startDevnetNetwork } from "../devnet/network.js";
import { devnetStatus, formatStatus } from "../devnet/status-line.js";
import { chainSummary, networkSummary } from "../devnet/summary.js";
import { UsageError } from "../output.js";
import { parsePort } from "./parse.js";

interface DevnetOptions {
  port: string;
  coordinatorPort: string;
  webPort: string;
  withCheater?: boolean;
  chainOnly?: boolean;
  reset?: boolean;
  home?: string;
}

/** How often the live status line is redrawn (a terminal) or printed (a log). */
const STATUS_MS = { interactive: 1_000, log: 30_000 };

export function devnetCommands(
  program: Command,
  context: () => Context,
  untilStopped: () => Promise<void>,
): void {
  const devnet = program
    .command("devnet")
    .description(
      "run the whole network locally: chain and contracts, a coordinator, two miners, the faucet (Ctrl-C stops)",
    )
    .addOption(new Option("--port <port>", "the chain's port on 127.0.0.1").default("8545"))
    .addOption(
      new Option("--coordinator-port <port>", "the coordinator's port (0: any free one)").default("8080"),
    )
    .addOption(
      new Option("--web-port <port>", "the faucet's (and portal's) port (0: any free one)").default("3000"),
    )
    .option("--with-cheater", "add a third miner that fakes half its results, and a demo app to catch it")
    .option("--chain-only", "only the chain and its contracts: no nodes, no faucet service")
    .option("--reset", "forget the saved network and start afresh")
    .option("--home <dir>", "where .roost state lives (default ./.roost)")
    .addHelpText(
      "after",
      "\nExamples:\n  roost devnet\n  roost devnet --with-cheater\n  roost devnet --port 9545 --reset\n  roost devnet advance 5m",
    )
    .action(async (opts: DevnetOptions) => {
      const ctx = context();
      const ports = {
        chain: parsePort(opts.port, "--port", 1),
        coordinator: parsePort(opts.coordinatorPort, "--coordinator-port", 0),
        web: parsePort(opts.webPort, "--web-port", 0),
      };
      const home = opts.home ?? join(ctx.io.cwd, ".roost");
      const started = Date.now();
      // Listening for Ctrl-C from the start: a signal during start-up must still stop anvil.
      const stopped = untilStopped().then(() => "stopped" as const);
      const progress = (step: string) => {
        if (!ctx.json) ctx.io.stderr(`  ${step}\n`);
      };
      const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
      if (opts.chainOnly === true) {
        const net = await startDevnet({
          port: ports.chain,
          home,
          reset: opts.reset === true,
          onProgress: progress,
        });
        ctx.print(chainSummary(net, seconds()), { ...net.file, path: net.path, resumed: net.resumed });
        await runUntil(ctx, stopped, net.anvil, () => net.stop());
        return;
      }
      const network = await startDevnetNetwork({
        home,
        chainPort: ports.chain,
        coordinatorPort: ports.coordinator,
        webPort: ports.web,
        reset: opts.reset === true,
        withCheater: opts.withCheater === true,
        progress,
        warn: (line) => ctx.io.stderr(`${new Date().toISOString()} ${line}\n`),
        env: ctx.io.env,
      });
      const summary = networkSummary(network, seconds());
      ctx.print(summary.human, summary.data);
      const status = showStatus(ctx, network);
      await runUntil(ctx, stopped, network.devnet.anvil, () => {
        status.stop(); // before the stopping messages, which it would overwrite
        return network.stop();
      });
    });

  devnet
    .command("advance")
    .argument("<duration>", 'how far to move the chain clock: "300", "5m", "2h", "7d"')
    .description("move the devnet's clock forward and mine a block (unbonding, windows, emission)")
    .addHelpText(
      "after",
      "\nExamples:\n  roost devnet advance 5m    # past the devnet's unbonding period\n  roost devnet advance 1d",
    )
    .action(async (durationArg: string) => {
      const ctx = context();
      const seconds = parseDuration(durationArg);
      const url = ctx.rpcUrls()[0] as string;
      const chainId = await createPublicClient({ transport: http(url) }).getChainId();
      if (chainId !== DEVNET_CHAIN_ID) {
        throw new UsageError(
          `devnet advance moves a devnet's clock (chain ${DEVNET_CHAIN_ID}); ${url} is chain ${chainId}`,
        );
      }
      await advanceChainTime(url, seconds);
      const block = await ctx.publicClient().getBlock();
      ctx.print(
        `advanced ${formatDuration(seconds)}; chain time is now ${new Date(Number(block.timestamp) * 1000).toISOString()}`,
        {
          seconds,
          timestamp: block.timestamp,
        },
      );
    });
}

/** Waits for Ctrl-C (then stops everything) or for anvil to die (an error). */
async function runUntil(
  ctx: Context,
  stopped: Promise<"stopped">,
  anvil: ChildProcess,
  stop: () => Promise<void>,
): Promise<void> {
  const anvilDied = new Promise<"died">((resolve) => anvil.once("exit", () => resolve("died")));
  if ((await Promise.race([stopped, anvilDied])) === "died") {
    await stop();
    throw new Error("anvil stopped unexpectedly (the chain is saved every 5 s): run roost devnet again");
  }
  if (!ctx.json) ctx.io.stderr("stopping the devnet (saving the chain)...\n");
  await stop();
}

/** A status line redrawn in place on a terminal, or a line every 30 s in a log. */
function showStatus(ctx: Context, network: DevnetNetwork): { stop(): void } {
  if (ctx.json) return { stop: () => {} };
  const interactive = ctx.io.interactive === true;
  const draw = () => {
    const line = formatStatus(devnetStatus(network));
    ctx.io.stderr(interactive ? `\r\x1b[K${line}` : `${new Date().toISOString()} ${line}\n`);
  };
  const timer = setInterval(draw, interactive ? STATUS_MS.interactive : STATUS_MS.log);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      if (interactive) ctx.io.stderr("\n");
    },
  };
}
