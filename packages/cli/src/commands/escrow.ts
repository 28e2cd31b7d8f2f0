import { formatCai, formatDuration } from "@roost/chain";
import type { Command } from "commander";
import { type Context, chainTime } from "../context.js";
import { keyValues, UsageError } from "../output.js";
import { parseAddress, parseAmount } from "./parse.js";

// A coordinator's PaymentEscrow deposit: what pays its miners' receipts. Anyone may fund it; only the
// coordinator's owner takes it back, through an unlock that keeps paying receipts until it matures.

export function escrowCommands(program: Command, context: () => Context): void {
  const escrow = program
    .command("escrow")
    .description("a coordinator's PaymentEscrow deposit, which pays its miners' receipts");

  escrow
    .command("status")
    .argument("<coordinator>", "the coordinator's operator address")
    .description("the deposit, what is unlocking and when it can be withdrawn")
    .action(async (coordinatorArg: string) => {
      const ctx = context();
      const coordinator = parseAddress(coordinatorArg, "coordinator");
      const [deposit, unlocking, unlockAt] = await ctx.reader().escrow.read.accountOf([coordinator]);
      const now = await chainTime(ctx.publicClient());
      const when =
        unlocking === 0n ? "-" : unlockAt <= now ? "now" : `in ${formatDuration(Number(unlockAt - now))}`;
      ctx.print(
        keyValues([
          ["deposit", formatCai(deposit)],
          ["unlocking", formatCai(unlocking)],
          ["withdrawable", when],
        ]),
        { coordinator, deposit, unlocking, unlockAt },
      );
    });

  escrow
    .command("deposit")
    .argument("<coordinator>", "the coordinator's operator address")
    .argument("<amount>", 'CAI to add: "100000", "100k"')
    .description("add CAI to a coordinator's deposit (any key with CAI; approves the amount first)")
    .addHelpText("after", "\nExample:\n  roost escrow deposit 0x3C44...93BC 100k")
    .action(async (coordinatorArg: string, amountArg: string) => {
      const ctx = context();
      const coordinator = parseAddress(coordinatorArg, "coordinator");
      const amount = parseAmount(amountArg);
      const { contracts, account, publicClient } = await ctx.writer();
      const balance = await contracts.token.read.balanceOf([account.address]);
      if (balance < amount) {
        throw new UsageError(
          `balance ${formatCai(balance)} is less than ${formatCai(amount)}: get CAI first`,
        );
      }
      const allowance = await contracts.token.read.allowance([account.address, contracts.escrow.address]);
      if (allowance < amount) {
        await ctx.transact("approving PaymentEscrow", publicClient, () =>
          contracts.token.write.approve([contracts.escrow.address, amount], { account }),
        );
      }
      const { transactionHash } = await ctx.transact(
        `depositing ${formatCai(amount)} for ${coordinator}`,
        publicClient,
        () => contracts.escrow.write.deposit([coordinator, amount], { account }),
      );
      const [deposit] = await contracts.escrow.read.accountOf([coordinator]);
      ctx.print(`deposited ${formatCai(amount)}; the deposit is now ${formatCai(deposit)}`, {
        transaction: transactionHash,
        coordinator,
        amount,
        deposit,
      });
    });

  escrow
    .command("unlock")
    .argument("<coordinator>", "the coordinator's operator address")
    .argument("<amount>", "CAI to take back after the unlock period")
    .description(
      "start taking part of the deposit back (the coordinator's owner); it pays receipts until withdrawn",
    )
    .action(async (coordinatorArg: string, amountArg: string) => {
      const ctx = context();
      const coordinator = parseAddress(coordinatorArg, "coordinator");
      const amount = parseAmount(amountArg);
      const { contracts, account, publicClient } = await ctx.writer();
      const { transactionHash } = await ctx.transact(
        `unlocking ${formatCai(amount)} of ${coordinator}'s deposit`,
        publicClient,
        () => contracts.escrow.write.unlock([coordinator, amount], { account }),
      );
      const [, unlocking, unlockAt] = await contracts.escrow.read.accountOf([coordinator]);
      const wait = Number(unlockAt - (await chainTime(publicClient)));
      ctx.print(`${formatCai(unlocking)} unlocking; roost escrow withdraw in ${formatDuration(wait)}`, {
        transaction: transactionHash,
        coordinator,
        unlocking,
        unlockAt,
      });
    });

  escrow
    .command("withdraw")
    .argument("<coordinator>", "the coordinator's operator address")
    .description("take back what finished unlocking (the coordinator's owner)")
    .action(async (coordinatorArg: string) => {
      const ctx = context();
      const coordinator = parseAddress(coordinatorArg, "coordinator");
      const { contracts, account, publicClient } = await ctx.writer();
      const before = await contracts.token.read.balanceOf([account.address]);
      const { transactionHash } = await ctx.transact(
        `withdrawing from ${coordinator}'s deposit`,
        publicClient,
        () => contracts.escrow.write.withdraw([coordinator], { account }),
      );
      const received = (await contracts.token.read.balanceOf([account.address])) - before;
      ctx.print(`withdrew ${formatCai(received)}`, {
        transaction: transactionHash,
        coordinator,
        amount: received,
      });
    });
}
