import { formatCai, formatDuration } from "@roost/chain";
import type { Command } from "commander";
import type { Context } from "../context.js";

export function faucetCommands(program: Command, context: () => Context): void {
  const faucet = program.command("faucet").description("testnet CAI from the faucet");
  faucet
    .command("claim")
    .description("claim the faucet's drip (once per cooldown)")
    .addHelpText("after", "\nExample:\n  ROOST_PRIVATE_KEY=0x... roost faucet claim")
    .action(async () => {
      const ctx = context();
      const { contracts, account, publicClient } = await ctx.writer();
      const amount = await contracts.faucet.read.dripAmount();
      const { transactionHash: hash } = await ctx.transact("claiming from the faucet", publicClient, () =>
        contracts.faucet.write.claim({ account }),
      );
      const [balance, nextClaimAt, block] = await Promise.all([
        contracts.token.read.balanceOf([account.address]),
        contracts.faucet.read.nextClaimAt([account.address]),
        publicClient.getBlock(),
      ]);
      const wait = nextClaimAt - block.timestamp;
      ctx.print(
        `claimed ${formatCai(amount)}; balance ${formatCai(balance)}; next claim in ${formatDuration(wait)}`,
        { transaction: hash, account: account.address, amount, balance, nextClaimAt },
      );
    });
}
