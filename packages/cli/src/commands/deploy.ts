import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  createRoostClients,
  deploy,
  PRODUCTION_CONFIG,
  parseDeployConfig,
  roostTransport,
  writeDeployment,
} from "@roost/chain";
import type { Command } from "commander";
import { createPublicClient } from "viem";
import type { Context } from "../context.js";
import { table, UsageError } from "../output.js";

export function deployCommands(program: Command, context: () => Context): void {
  program
    .command("deploy")
    .description("deploy and wire every contract on any EVM chain; writes the deployment JSON")
    .option(
      "--config <file>",
      'JSON of settings over the production defaults (amounts like "20k", periods like "7d")',
    )
    .option("--out <file>", "where to write the deployment (default deployments/<chainId>.json)")
    .option("--force", "overwrite an existing deployment file")
    .addHelpText(
      "after",
      '\nExample:\n  ROOST_KEYSTORE=deployer.json roost deploy --rpc https://rpc.example.org --config roost.json\n  (roost.json: { "unbondingPeriod": "7d", "faucetDrip": "25k" })',
    )
    .action(async (opts: { config?: string; out?: string; force?: boolean }) => {
      const ctx = context();
      // Never the devnet file's RPC by default: a deployment goes where it is explicitly sent.
      if (!ctx.options.rpc && !ctx.io.env.ROOST_RPC_URL) {
        throw new UsageError("deploy needs --rpc <url> or ROOST_RPC_URL (the chain to deploy to)");
      }
      let config = PRODUCTION_CONFIG;
      if (opts.config) {
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(resolve(ctx.io.cwd, opts.config), "utf8"));
        } catch (error) {
          throw new UsageError(`cannot read --config ${opts.config}: ${(error as Error).message}`);
        }
        config = parseDeployConfig(json);
      }
      const rpcUrls = ctx.rpcUrls();
      const chainId = await createPublicClient({ transport: roostTransport(rpcUrls) }).getChainId();
      const out = resolve(ctx.io.cwd, opts.out ?? join("deployments", `${chainId}.json`));
      if (existsSync(out) && !opts.force) {
        throw new UsageError(
          `${out} exists (an earlier deployment): pass --out <file>, or --force to overwrite it`,
        );
      }
      const account = await ctx.account();
      const { publicClient, walletClient } = createRoostClients({ chainId, rpcUrls, account });
      if (!walletClient) throw new Error("unreachable: no wallet client");
      const deployment = await deploy({ publicClient, walletClient }, config, (step) => {
        if (!ctx.json) ctx.io.stderr(`  ${step}\n`);
      });
      mkdirSync(dirname(out), { recursive: true });
      writeDeployment(out, deployment);
      ctx.print(
        [
          `deployed on chain ${chainId}; deployment written to ${out}`,
          "",
          table(["contract", "address"], Object.entries(deployment.contracts)),
        ].join("\n"),
        { ...deployment, path: out },
      );
    });
}
