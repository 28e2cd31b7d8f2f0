import type { Command } from "commander";
import type { Context } from "../context.js";
import { portalDist } from "../devnet/portal-files.js";
import { startWebServer } from "../devnet/web-server.js";
import { UsageError } from "../output.js";
import { parsePort } from "./parse.js";

export function portalCommands(
  program: Command,
  context: () => Context,
  untilStopped: () => Promise<void>,
): void {
  const portal = program.command("portal").description("the staking portal (web)");
  portal
    .command("serve")
    .description(
      "serve the built portal for the deployment (--deployment, --rpc) on 127.0.0.1 (Ctrl-C stops)",
    )
    .option("--port <port>", "the port on 127.0.0.1 (0: any free one)", "3000")
    .option("--coordinator <url>", "a coordinator for the playground and the network view")
    .addHelpText(
      "after",
      "\nExamples:\n  roost portal serve --deployment base-sepolia.json --rpc https://sepolia.base.org --coordinator https://api.example.org",
    )
    .action(async (opts: { port: string; coordinator?: string }) => {
      const ctx = context();
      const dist = portalDist();
      if (dist === undefined) throw new UsageError("the portal is not built: run npm run build");
      if (opts.coordinator !== undefined && !/^https?:\/\/\S+$/.test(opts.coordinator)) {
        throw new UsageError(`--coordinator must be an http(s) URL, got "${opts.coordinator}"`);
      }
      const deployment = ctx.deployment();
      const rpcUrl = ctx.rpcUrls()[0] as string;
      const server = await startWebServer({
        port: parsePort(opts.port, "--port", 0),
        portal: dist,
        describe: () => ({
          chainId: deployment.chainId,
          rpcUrl,
          contracts: deployment.contracts,
          block: deployment.block,
          ...(opts.coordinator === undefined ? {} : { coordinatorUrl: opts.coordinator }),
        }),
      });
      ctx.print(`portal for chain ${deployment.chainId} at ${server.url} (Ctrl-C stops)`, {
        url: server.url,
      });
      await untilStopped();
      await server.close();
    });
}
