import { allLocks, allPositions, formatCai, formatDuration, type RoostContracts } from "@roost/chain";
import { PERMIT_TYPES, stakingAbi } from "@roost/protocol";
import type { Command } from "commander";
import { type Address, type LocalAccount, type PublicClient, parseEventLogs, parseSignature } from "viem";
import { type Context, chainTime } from "../context.js";
import { UsageError } from "../output.js";
import { parseAddress, parseAmount } from "./parse.js";

export function stakingCommands(program: Command, context: () => Context): void {
  program
    .command("stake")
    .argument("<operator>", "the node's operator address")
    .argument("<amount>", 'CAI to stake: "20000", "20k", "1.5m"')
    .description("stake on (vote for) a miner or coordinator; approves the amount first if needed")
    .addHelpText("after", "\nExample:\n  roost stake 0x90F79bf6EB2c4f870365E785982E1f101E93b906 5k")
    .action(async (operatorArg: string, amountArg: string) => {
      const ctx = context();
      const operator = parseAddress(operatorArg, "operator");
      const amount = parseAmount(amountArg);
      const { contracts, account, publicClient } = await ctx.writer();
      const balance = await contracts.token.read.balanceOf([account.address]);
      if (balance < amount) {
        throw new UsageError(
          `balance ${formatCai(balance)} is less than ${formatCai(amount)}: get CAI first (roost faucet claim)`,
        );
      }
      // One transaction (an ERC-2612 permit instead of a separate approval), so a stake the
      // contract refuses (unknown or jailed node, paused) leaves nothing behind on chain.
      const allowance = await contracts.token.read.allowance([account.address, contracts.staking.address]);
      const { transactionHash: hash } = await ctx.transact(
        `staking ${formatCai(amount)} on ${operator}`,
        publicClient,
        async () => {
          if (allowance >= amount) return contracts.staking.write.stake([operator, amount], { account });
          const permit = await signPermit(contracts, account, amount, publicClient);
          return contracts.staking.write.stakeWithPermit(
            [operator, amount, permit.deadline, permit.v, permit.r, permit.s],
            { account },
          );
        },
      );
      const stake = await contracts.staking.read.stakeOf([operator, account.address]);
      ctx.print(`staked ${formatCai(amount)} on ${operator}; your stake there is now ${formatCai(stake)}`, {
        transaction: hash,
        operator,
        amount,
        stake,
      });
    });

  program
    .command("unstake")
    .argument("<operator>", "the node's operator address")
    .argument("<amount>", 'CAI to unstake, or "all"')
    .description("start unbonding stake; withdraw it with `roost withdraw` after the unbonding period")
    .addHelpText("after", "\nExamples:\n  roost unstake 0x90F7...b906 1k\n  roost unstake 0x90F7...b906 all")
    .action(async (operatorArg: string, amountArg: string) => {
      const ctx = context();
      const operator = parseAddress(operatorArg, "operator");
      const requested = amountArg === "all" ? undefined : parseAmount(amountArg);
      const { contracts, account, publicClient } = await ctx.writer();
      const staked = await contracts.staking.read.stakeOf([operator, account.address]);
      const amount = requested ?? staked;
      if (amount === 0n) throw new UsageError(`you have no stake on ${operator}`);
      const receipt = await ctx.transact(
        `unstaking ${formatCai(amount)} from ${operator}`,
        publicClient,
        () => contracts.staking.write.unstake([operator, amount], { account }),
      );
      // The lock as the transaction made it (not a later read, which a lagging RPC could get wrong).
      const [event] = parseEventLogs({ abi: stakingAbi, logs: receipt.logs, eventName: "Unstaked" });
      if (!event) throw new Error(`the unstake transaction ${receipt.transactionHash} has no Unstaked event`);
      const { lockId, unlockAt } = event.args;
      const { timestamp } = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
      const hash = receipt.transactionHash;
      const wait = Number(unlockAt - timestamp);
      ctx.print(
        `unstaked ${formatCai(amount)} (lock ${lockId}); withdraw it in ${formatDuration(wait)} with \`roost withdraw\``,
        { transaction: hash, operator, amount, lockId, unlockAt },
      );
    });

  program
    .command("withdraw")
    .argument("[lockIds...]", "lock ids (default: every matured lock)")
    .description("withdraw unbonded stake")
    .addHelpText(
      "after",
      "\nExamples:\n  roost withdraw        # every matured lock\n  roost withdraw 0 2    # locks 0 and 2",
    )
    .action(async (lockIdArgs: string[]) => {
      const ctx = context();
      let ids = lockIdArgs.map((id) => {
        if (!/^\d+$/.test(id)) throw new UsageError(`lock id "${id}" is not a number`);
        return BigInt(id);
      });
      const { contracts, account, publicClient } = await ctx.writer();
      if (ids.length === 0) {
        const now = await chainTime(publicClient);
        const locks = await allLocks(contracts.staking, account.address);
        ids = locks.filter((l) => !l.withdrawn && BigInt(l.unlockAt) <= now).map((l) => l.id);
        if (ids.length === 0) throw new UsageError("no matured lock to withdraw (see `roost status`)");
      }
      const before = await contracts.token.read.balanceOf([account.address]);
      const { transactionHash: hash } = await ctx.transact(
        `withdrawing ${ids.length} lock(s)`,
        publicClient,
        () => contracts.staking.write.withdraw([ids], { account }),
      );
      const amount = (await contracts.token.read.balanceOf([account.address])) - before;
      ctx.print(`withdrew ${formatCai(amount)} from lock(s) ${ids.join(", ")}`, {
        transaction: hash,
        lockIds: ids,
        amount,
      });
    });

  program
    .command("claim")
    .argument("[operators...]", "nodes to claim from (default: every node with pending rewards)")
    .description("claim staking rewards (and, for an owner, commission)")
    .addHelpText(
      "after",
      "\nExamples:\n  roost claim\n  roost claim 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    )
    .action(async (operatorArgs: string[]) => {
      const ctx = context();
      let operators: Address[] = operatorArgs.map((op) => parseAddress(op, "operator"));
      const { contracts, account, publicClient } = await ctx.writer();
      if (operators.length === 0) {
        const positions = await allPositions(contracts.staking, account.address);
        operators = positions.filter((p) => p.pendingRewards > 0n).map((p) => p.operator);
        if (operators.length === 0) throw new UsageError("nothing to claim: no pending rewards");
      }
      const before = await contracts.token.read.balanceOf([account.address]);
      const { transactionHash: hash } = await ctx.transact(
        `claiming from ${operators.length} node(s)`,
        publicClient,
        () => contracts.staking.write.claimMany([operators], { account }),
      );
      const amount = (await contracts.token.read.balanceOf([account.address])) - before;
      ctx.print(`claimed ${formatCai(amount)}`, { transaction: hash, operators, amount });
    });
}

/** An ERC-2612 permit for Staking to take `amount` of the account's CAI within the hour. */
async function signPermit(
  contracts: RoostContracts,
  account: LocalAccount,
  amount: bigint,
  publicClient: PublicClient,
) {
  const { token, staking } = contracts;
  const [name, nonce, chainId, now] = await Promise.all([
    token.read.name(),
    token.read.nonces([account.address]),
    publicClient.getChainId(),
    chainTime(publicClient),
  ]);
  const deadline = now + 3600n; // chain time: a devnet's clock may have been moved ahead
  const signature = await account.signTypedData({
    domain: { name, version: "1", chainId, verifyingContract: token.address },
    types: PERMIT_TYPES,
    primaryType: "Permit",
    message: { owner: account.address, spender: staking.address, value: amount, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline, r, s, v: Number(v ?? BigInt(27 + yParity)) };
}
