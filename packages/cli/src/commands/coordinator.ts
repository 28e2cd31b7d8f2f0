import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  ApiKeyStore,
  ConfigError,
  type CoordinatorConfig,
  DEFAULT_CONFIG,
  openDatabase,
  parseCoordinatorConfig,
  startCoordinator,
} from "@roost/coordinator";
import type { Command } from "commander";
import type { Context } from "../context.js";
import { table, UsageError } from "../output.js";
import { readSettingsFile } from "./parse.js";

interface StartOptions {
  config?: string;
  host?: string;
  port?: string;
  db?: string;
  logLevel?: string;
}

export function coordinatorCommands(
  program: Command,
  context: () => Context,
  untilStopped: () => Promise<void>,
): void {
  const coordinator = program
    .command("coordinator")
    .description("run a coordinator node (the API apps call) and manage its API keys");

  coordinator
    .command("start")
    .description("serve the app and miner APIs with the operator key (--keystore or ROOST_PRIVATE_KEY)")
    .option("--config <file>", "JSON settings (port, database, prices, limits); flags override it")
    .option("--host <host>", `interface to listen on (default ${DEFAULT_CONFIG.host})`)
    .option("--port <port>", `port (default ${DEFAULT_CONFIG.port})`)
    .option("--db <file>", `SQLite file (default ${DEFAULT_CONFIG.database})`)
    .option("--log-level <level>", "fatal, error, warn, info (default) or debug")
    .addHelpText(
      "after",
      "\nExamples:\n  ROOST_KEYSTORE=operator.json roost coordinator start --port 8080\n  roost coordinator keys create my-app",
    )
    .action(async (opts: StartOptions) => {
      const ctx = context();
      const config = loadConfig(ctx, opts);
      const operatorKey = await ctx.privateKey();
      const node = await startCoordinator({
        config,
        deployment: ctx.deployment(),
        rpcUrls: ctx.rpcUrls(),
        operatorKey,
        logger: { level: opts.logLevel ?? "info" },
      });
      ctx.io.stderr(`coordinator ${node.services.operator} serving ${node.url} (Ctrl-C stops)\n`);
      await untilStopped();
      ctx.io.stderr("stopping: finishing requests in flight...\n");
      await node.stop();
    });

  const keys = coordinator.command("keys").description("API keys of the apps that call this coordinator");
  const dbOption = (command: Command) =>
    command
      .option("--config <file>", "the coordinator's JSON settings (for its database path)")
      .option("--db <file>", `SQLite file (default ${DEFAULT_CONFIG.database})`);

  dbOption(keys.command("create <name>"))
    .option("--rate-limit <perMinute>", "requests per minute (default 600)")
    .description("create an API key; it is shown once, only its hash is stored")
    .action((name: string, opts: StartOptions & { rateLimit?: string }) => {
      const ctx = context();
      const perMinute = opts.rateLimit === undefined ? undefined : Number(opts.rateLimit);
      if (perMinute !== undefined && (!Number.isSafeInteger(perMinute) || perMinute < 1)) {
        throw new UsageError(
          `--rate-limit must be a whole number of requests per minute, got "${opts.rateLimit}"`,
        );
      }
      withKeys(
        ctx,
        opts,
        (store) => {
          const created = store.create(
            name,
            perMinute === undefined ? {} : { rateLimitPerMinute: perMinute },
          );
          ctx.print(
            `created key ${created.key.id} (${name}):\n  ${created.plaintext}\nStore it now: it is not shown again.`,
            { id: created.key.id, name, key: created.plaintext },
          );
        },
        true,
      );
    });

  dbOption(keys.command("list"))
    .description("list API keys (never the keys themselves)")
    .action((opts: StartOptions) => {
      const ctx = context();
      withKeys(ctx, opts, (store) => {
        const list = store.list();
        const rows = list.map((key) => [
          key.id,
          key.name,
          String(key.rateLimitPerMinute),
          new Date(key.createdAt).toISOString(),
          key.revokedAt === null ? "active" : `revoked ${new Date(key.revokedAt).toISOString()}`,
        ]);
        ctx.print(table(["id", "name", "per minute", "created", "status"], rows), list);
      });
    });

  dbOption(keys.command("revoke <id>"))
    .description("revoke an API key: its next request gets 401")
    .action((id: string, opts: StartOptions) => {
      const ctx = context();
      withKeys(ctx, opts, (store) => {
        if (!store.revoke(id))
          throw new UsageError(`no active API key with id ${id}: see roost coordinator keys list`);
        ctx.print(`revoked ${id}`, { id, revoked: true });
      });
    });
}

function loadConfig(ctx: Context, opts: StartOptions): CoordinatorConfig {
  const json = readSettingsFile(ctx.io.cwd, opts.config);
  if (opts.host !== undefined) json.host = opts.host;
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new UsageError(`--port must be a TCP port number (0-65535), got "${opts.port}"`);
    }
    json.port = port;
  }
  if (opts.db !== undefined) json.database = opts.db;
  try {
    const config = parseCoordinatorConfig(json);
    return { ...config, database: resolve(ctx.io.cwd, config.database) };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`coordinator settings: ${error.message}`);
    throw error;
  }
}

/** Opens the coordinator's database (created with `create`, so keys can exist before the first start). */
function withKeys(ctx: Context, opts: StartOptions, use: (store: ApiKeyStore) => void, create = false): void {
  const { database } = loadConfig(ctx, opts);
  if (create) mkdirSync(dirname(database), { recursive: true });
  else if (!existsSync(database)) {
    throw new UsageError(
      `no coordinator database at ${database}: pass --db or --config, or create a key first`,
    );
  }
  const db = openDatabase(database);
  try {
    use(new ApiKeyStore(db));
  } finally {
    db.close();
  }
}
