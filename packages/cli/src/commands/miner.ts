import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { formatCai } from "@roost/chain";
import {
  BackendUnavailableError,
  earnings,
  type MinerConfig,
  MinerConfigError,
  MinerJournal,
  MinerNotReadyError,
  parseMinerConfig,
  redeemPending,
} from "@roost/miner";
import type { Command } from "commander";
import type { Context } from "../context.js";
import { launchMiner } from "../nodes/launch-miner.js";
import { table, UsageError } from "../output.js";
import { minerDisputesCommand } from "./disputes.js";
import { parseAddress, parseAmount, readSettingsFile } from "./parse.js";

interface MinerOptions {
  config?: string;
  journal?: string;
  backend?: string[];
  allow?: string[];
  deny?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function minerCommands(
  program: Command,
  context: () => Context,
  untilStopped: () => Promise<void>,
): void {
  const miner = program.command("miner").description("run a miner node and see what it earned");
  minerDisputesCommand(miner, context);

  miner
    .command("start")
    .description("work for the coordinators on chain with the operator key (--keystore or ROOST_PRIVATE_KEY)")
    .option(
      "--config <file>",
      "JSON settings (backends, journal, allow/deny lists, share policy, redemption)",
    )
    .option("--journal <file>", "the journal SQLite file (default .roost/miner-journal.db)")
    .option("--backend <kind>", "a built-in backend: demo-image or llama (repeatable)", collect)
    .option("--allow <address>", "work only for this coordinator operator (repeatable)", collect)
    .option("--deny <address>", "never work for this coordinator operator (repeatable)", collect)
    .addHelpText(
      "after",
      `
Settings (--config), every field optional:
  {"backends": [{"kind": "a1111", "url": "http://127.0.0.1:7860", "models": ["sd_xl_base_1.0"], "capacity": 1},
                {"kind": "openai", "url": "http://127.0.0.1:11434/v1", "models": ["llama3.1:8b"], "apiKeyEnv": "OPENAI_API_KEY"},
                {"kind": "llama", "model": "/models/model.gguf"}, {"kind": "demo-image"}],
   "allow": ["0x..."], "deny": ["0x..."], "sharePolicy": "stake" | "equal",
   "journal": ".roost/miner-journal.db", "discoveryIntervalMs": 60000,
   "autoRedeem": true, "redeemThreshold": "10", "redeemIntervalMs": 21600000}
Without settings: the built-in demo-image and llama (a tiny random model, no GPU) stand-ins.
Examples:
  ROOST_KEYSTORE=operator.json roost miner start
  ROOST_PRIVATE_KEY=0x... roost miner start --backend demo-image --backend llama`,
    )
    .action(async (opts: MinerOptions) => {
      const ctx = context();
      const config = loadConfig(ctx, opts);
      const account = await ctx.account();
      const logger = {
        info: (message: string) => ctx.io.stderr(`${new Date().toISOString()} ${message}\n`),
        warn: (message: string) => ctx.io.stderr(`${new Date().toISOString()} warning: ${message}\n`),
      };
      const node = await launchMiner({
        deployment: ctx.deployment(),
        rpcUrls: ctx.rpcUrls(),
        privateKey: await ctx.privateKey(),
        config,
        cwd: ctx.io.cwd,
        env: ctx.io.env,
        logger,
      }).catch(rethrowForUser);
      ctx.io.stderr(`miner ${account.address} running (Ctrl-C stops)\n`);
      await untilStopped();
      ctx.io.stderr("stopping: giving up running tasks...\n");
      await node.stop();
    });

  miner
    .command("earnings")
    .description("what this miner earned, redeemed and has pending, per coordinator")
    .option("--journal <file>", "the journal SQLite file (default .roost/miner-journal.db)")
    .option("--address <operator>", "the miner operator (default: the key's address)")
    .option("--redeem", "redeem every pending receipt now, in one transaction (with the key)")
    .option("--threshold <amount>", "with --redeem: only receipts with at least this much pending, e.g. 100")
    .action(async (opts: { journal?: string; address?: string; redeem?: boolean; threshold?: string }) => {
      const ctx = context();
      const path = resolve(ctx.io.cwd, opts.journal ?? ".roost/miner-journal.db");
      if (!existsSync(path)) throw new UsageError(`no miner journal at ${path}: pass --journal <file>`);
      const journal = MinerJournal.open(path);
      try {
        if (opts.redeem === true) {
          const { contracts, account, publicClient } = await ctx.writer();
          const threshold = opts.threshold === undefined ? 1n : parseAmount(opts.threshold, "--threshold");
          await ctx.transact("redeeming receipts", publicClient, async () => {
            const { sent } = await redeemPending(journal, contracts, account.address, threshold);
            if (sent === undefined)
              throw new UsageError("nothing to redeem: no receipt has that much pending");
            return sent.hash;
          });
        }
        const operator =
          opts.address === undefined
            ? (await ctx.account()).address
            : parseAddress(opts.address, "--address");
        const rows = await earnings(journal, ctx.reader(), operator);
        ctx.print(
          rows.length === 0
            ? "no receipts yet: the miner has not been paid for a task"
            : table(
                ["coordinator", "tasks", "earned CAI", "redeemed CAI", "pending CAI"],
                rows.map((r) => [
                  r.coordinator,
                  String(r.tasks),
                  formatCai(r.earned),
                  formatCai(r.redeemed),
                  formatCai(r.pending),
                ]),
              ),
          rows.map((r) => ({
            ...r,
            earned: r.earned.toString(),
            redeemed: r.redeemed.toString(),
            pending: r.pending.toString(),
          })),
        );
      } finally {
        journal.close();
      }
    });
}

/** Rethrows what the user can fix (the miner not ready on chain, a backend down) as a UsageError. */
function rethrowForUser(error: unknown): never {
  if (error instanceof MinerNotReadyError || error instanceof BackendUnavailableError) {
    throw new UsageError(error.message);
  }
  throw error;
}

function loadConfig(ctx: Context, opts: MinerOptions): MinerConfig {
  const json = readSettingsFile(ctx.io.cwd, opts.config);
  if (opts.journal !== undefined) json.journal = opts.journal;
  if (opts.backend !== undefined) {
    for (const kind of opts.backend) {
      if (kind === "a1111" || kind === "openai") {
        throw new UsageError(
          `an ${kind} backend needs its URL and models: put it in --config (see roost miner start --help)`,
        );
      }
      if (kind !== "demo-image" && kind !== "llama") {
        throw new UsageError(`--backend ${kind} is not a built-in backend: use demo-image or llama`);
      }
    }
    json.backends = opts.backend.map((kind) => ({ kind }));
  }
  if (opts.allow !== undefined) json.allow = opts.allow;
  if (opts.deny !== undefined) json.deny = opts.deny;
  try {
    return parseMinerConfig(json);
  } catch (error) {
    if (error instanceof MinerConfigError) throw new UsageError(`miner settings: ${error.message}`);
    throw error;
  }
}
