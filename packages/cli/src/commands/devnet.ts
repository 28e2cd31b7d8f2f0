import { join } from "node:path";
import { advanceChainTime, DEVNET_CHAIN_ID, formatDuration, parseDuration, startDevnet } from "@roost/chain";
import { type Command, Option } from "commander";
import { createPublicClient, http } from "viem";
import type { Context } from "../context.js";
import { keyValues, table, UsageError } from "../output.js";

export function devnetCommands(
  program: Command,
  context: () => Context,
  untilStopped: () => Promise<void>,
): void {
  const devnet = program
    .command("devnet")
    .description("run the local network: a chain with every contract, demo accounts funded (Ctrl-C stops)")
    .addOption(new Option("--port <port>", "the chain's port on 127.0.0.1").default("8545"))
    .option("--reset", "forget the saved network and start afresh")
    .option("--home <dir>", "where .roost state lives (default ./.roost)")
    .addHelpText(
      "after",
      "\nExamples:\n  roost devnet\n  roost devnet --port 9545 --reset\n  roost devnet advance 5m",
    )
    .action(async (opts: { port: string; reset?: boolean; home?: string }) => {
      const ctx = context();
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new UsageError(`--port must be a TCP port number (1-65535), got "${opts.port}"`);
      }
      const started = Date.now();
      // Listening for Ctrl-C from the start: a signal during start-up must still stop anvil.
      const stopped = untilStopped().then(() => "stopped" as const);
      const net = await startDevnet({
        port,
        home: opts.home ?? join(ctx.io.cwd, ".roost"),
        reset: opts.reset === true,
        onProgress: (step) => {
          if (!ctx.json) ctx.io.stderr(`  ${step}\n`);
        },
      });
      const { file } = net;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      ctx.print(
        [
          `Roost devnet ${net.resumed ? "resumed" : "deployed"} in ${seconds} s`,
          "",
          keyValues([
            ["RPC", file.rpcUrl],
            ["chain id", String(file.chainId)],
            ["deployment", net.path],
            ["unbonding", formatDuration(Number(file.parameters.unbondingPeriod ?? 0))],
          ]),
          "",
          table(
            ["contract", "address"],
            Object.entries(file.contracts).map(([name, address]) => [name, address]),
          ),
          "",
          table(
            ["account", "role", "address"],
            file.accounts.map((a) => [`#${a.index}`, a.label, a.address]),
          ),
          "",
          `Demo keys come from anvil's public test mnemonic ("${file.mnemonic}"): never use them elsewhere.`,
          "Press Ctrl-C to stop.",
        ].join("\n"),
        { ...file, path: net.path, resumed: net.resumed },
      );
      const anvilDied = new Promise<"died">((resolve) => net.anvil.once("exit", () => resolve("died")));
      if ((await Promise.race([stopped, anvilDied])) === "died") {
        throw new Error("anvil stopped unexpectedly (the chain is saved every 5 s): run roost devnet again");
      }
      if (!ctx.json) ctx.io.stderr("stopping the devnet (saving the chain)...\n");
      await net.stop();
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
