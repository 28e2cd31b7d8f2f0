import { explainError, RoostError } from "@roost/chain";
import { Command, CommanderError } from "commander";
import { coordinatorCommands } from "./commands/coordinator.js";
import { deployCommands } from "./commands/deploy.js";
import { devnetCommands } from "./commands/devnet.js";
import { disputesCommands } from "./commands/disputes.js";
import { escrowCommands } from "./commands/escrow.js";
import { faucetCommands } from "./commands/faucet.js";
import { keysCommands } from "./commands/keys.js";
import { minerCommands } from "./commands/miner.js";
import { viewCommands } from "./commands/nodes.js";
import { portalCommands } from "./commands/portal.js";
import { registerCommands } from "./commands/register.js";
import { stakingCommands } from "./commands/staking.js";
import { Context, type GlobalOptions } from "./context.js";
import { type Io, toJson } from "./output.js";

export { type Io, UsageError } from "./output.js";

/**
 * Waits for Ctrl-C or SIGTERM (what `roost devnet` and the nodes run until). The listeners stay while
 * the command stops: some libraries (signal-exit) re-raise a signal that no one else listens to, which
 * would kill the process mid-way through saving. A second Ctrl-C ends it at once.
 */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const on = (code: number) => () => {
      if (received) process.exit(code); // the conventional 128 + signal number
      received = true;
      resolve();
    };
    process.on("SIGINT", on(130));
    process.on("SIGTERM", on(143));
  });
}

/** Builds the `roost` command line over `io`. */
export function buildProgram(io: Io, untilStopped: () => Promise<void> = untilSignal): Command {
  const program = new Command("roost")
    .description("Roost: stake, mine and coordinate on the decentralized AI inference network")
    .option("--rpc <urls>", "RPC URL(s), comma-separated for failover (default: the deployment's)")
    .option("--deployment <file>", "deployment JSON (default: $ROOST_DEPLOYMENT or .roost/devnet.json)")
    .option(
      "--keystore <file>",
      "encrypted keystore of the signing key (or set ROOST_KEYSTORE / ROOST_PRIVATE_KEY)",
    )
    .option("--json", "machine-readable output")
    .showHelpAfterError("(run roost --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .addHelpText(
      "after",
      `
Keys are never given on the command line: use --keystore (password from a prompt or
ROOST_KEYSTORE_PASSWORD) or ROOST_PRIVATE_KEY. Amounts accept 20000, 20,000, 20k or 1.5m CAI.

Examples:
  npm start                                   # = roost devnet
  roost faucet claim
  roost stake <operator> 5k
  roost nodes miners
  roost status`,
    );
  const context = () => new Context(io, program.opts<GlobalOptions>());
  devnetCommands(program, context, untilStopped);
  deployCommands(program, context);
  faucetCommands(program, context);
  stakingCommands(program, context);
  registerCommands(program, context);
  viewCommands(program, context);
  keysCommands(program, context);
  coordinatorCommands(program, context, untilStopped);
  minerCommands(program, context, untilStopped);
  escrowCommands(program, context);
  portalCommands(program, context, untilStopped);
  disputesCommands(program, context);
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of command.commands) configure(sub);
  };
  for (const command of program.commands) configure(command);
  return program;
}

/**
 * Runs `roost <argv>` and resolves to the exit code: 0 on success, 2 for a usage mistake (bad
 * argument, missing key), 1 when the chain refused or failed. Errors are printed as one line
 * saying what to do, never with a stack or a secret.
 */
export async function run(
  argv: readonly string[],
  io: Io,
  untilStopped?: () => Promise<void>,
): Promise<number> {
  const program = buildProgram(io, untilStopped);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    const usage = isUsageMistake(error);
    // Reads fail outside Context.transact: explain them too, so no multi-line viem dump is printed.
    const failure = usage ? (error as Error) : explainError(error);
    const message = failure.message;
    if (program.opts<GlobalOptions>().json) {
      const errorName = failure instanceof RoostError ? failure.errorName : failure.name;
      io.stdout(`${toJson({ error: message, errorName })}\n`);
    }
    io.stderr(`error: ${message}\n`);
    return usage ? 2 : 1;
  }
}

const USAGE_ERRORS = new Set([
  "UsageError",
  "InvalidInputError",
  "DeploymentFileError",
  "NoKeyError",
  "KeystoreFileError",
  "PasswordUnavailableError",
  "PromptCancelledError",
  "WrongPasswordError",
  "KeystoreFormatError",
  "InvalidPrivateKeyError",
]);

function isUsageMistake(error: unknown): boolean {
  return error instanceof Error && USAGE_ERRORS.has(error.name);
}
