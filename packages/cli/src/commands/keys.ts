import { resolve } from "node:path";
import { createKeystoreFile } from "@roost/chain";
import type { Command } from "commander";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Context } from "../context.js";
import { UsageError } from "../output.js";

export function keysCommands(program: Command, context: () => Context): void {
  const keys = program.command("keys").description("signing keys: encrypted keystore files");
  keys
    .command("new")
    .requiredOption("--out <file>", "the keystore file to create (never overwritten)")
    .description(
      "create a new key in an encrypted keystore file (password: prompt or ROOST_KEYSTORE_PASSWORD)",
    )
    .addHelpText(
      "after",
      "\nExample:\n  roost keys new --out operator.json\n  ROOST_KEYSTORE=operator.json roost keys address",
    )
    .action(async (opts: { out: string }) => {
      const ctx = context();
      const password = ctx.io.env.ROOST_KEYSTORE_PASSWORD ?? (await askTwice(ctx));
      if (password.length < 8) throw new UsageError("the password must have at least 8 characters");
      const privateKey = generatePrivateKey();
      const path = resolve(ctx.io.cwd, opts.out);
      await createKeystoreFile(path, privateKey, password);
      const { address } = privateKeyToAccount(privateKey);
      ctx.print(`created ${path} for ${address}`, { path, address });
    });
  keys
    .command("address")
    .description("print the address of the configured key (--keystore, ROOST_KEYSTORE or ROOST_PRIVATE_KEY)")
    .addHelpText("after", "\nExample:\n  ROOST_KEYSTORE=operator.json roost keys address")
    .action(async () => {
      const ctx = context();
      const { address } = await ctx.account();
      ctx.print(address, { address });
    });
}

async function askTwice(ctx: Context): Promise<string> {
  const prompt = ctx.io.prompt;
  if (!prompt)
    throw new UsageError("set ROOST_KEYSTORE_PASSWORD, or run in a terminal to be asked for a password");
  const first = await prompt("password for the new keystore: ");
  const second = await prompt("the same password again: ");
  if (first !== second) throw new UsageError("the two passwords differ");
  return first;
}
