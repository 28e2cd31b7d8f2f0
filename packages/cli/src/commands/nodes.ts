import {
  allLocks,
  allNodes,
  allPositions,
  formatAmount,
  formatCai,
  formatDuration,
  NoKeyError,
  ROLE_NAMES,
  STATUS_NAMES,
} from "@roost/chain";
import type { Command } from "commander";
import type { Address } from "viem";
import { type Context, chainTime } from "../context.js";
import { keyValues, table, UsageError } from "../output.js";
import { parseAddress } from "./parse.js";

export function viewCommands(program: Command, context: () => Context): void {
  program
    .command("nodes")
    .argument("[role]", "miners or coordinators (default: both)")
    .description("list registered nodes: operator, owner, stake, commission, status")
    .addHelpText("after", "\nExamples:\n  roost nodes\n  roost nodes miners --json")
    .action(async (roleArg?: string) => {
      const ctx = context();
      const roles: (0 | 1)[] = roleArg === undefined ? [0, 1] : [parseRole(roleArg)];
      const staking = ctx.reader().staking;
      const nodes = [];
      for (const role of roles) nodes.push(...(await allNodes(staking, role)));
      const rows = nodes.map((n) => [
        ROLE_NAMES[n.role] ?? String(n.role),
        n.operator,
        n.owner,
        formatAmount(n.totalStake, 2),
        formatAmount(n.selfStake, 2),
        `${n.commissionBps / 100}%`,
        STATUS_NAMES[n.status] ?? String(n.status),
      ]);
      ctx.print(
        nodes.length === 0
          ? "no nodes registered yet"
          : table(
              ["role", "operator", "owner", "stake (CAI)>", "self (CAI)>", "commission>", "status"],
              rows,
            ),
        nodes,
      );
    });

  program
    .command("status")
    .argument("[address]", "whose status (default: your key's address)")
    .description("balances, stake positions, unbonding locks with time left, pending rewards")
    .addHelpText(
      "after",
      "\nExamples:\n  roost status\n  roost status 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    )
    .action(async (addressArg?: string) => {
      const ctx = context();
      const address: Address = addressArg
        ? parseAddress(addressArg, "address")
        : (
            await ctx.account().catch((error: unknown) => {
              // Only a missing key: a wrong keystore password must say so.
              if (!(error instanceof NoKeyError)) throw error;
              throw new UsageError(
                "give an address, or a key (ROOST_PRIVATE_KEY or --keystore) to use its own",
              );
            })
          ).address;
      const publicClient = ctx.publicClient();
      const { token, faucet } = ctx.reader();
      const [cai, eth, now, nextClaimAt, positions, locks] = await Promise.all([
        token.read.balanceOf([address]),
        publicClient.getBalance({ address }),
        chainTime(publicClient),
        faucet.read.nextClaimAt([address]),
        allPositions(ctx.reader().staking, address),
        allLocks(ctx.reader().staking, address),
      ]);
      const pending = positions.reduce((sum, p) => sum + p.pendingRewards, 0n);
      const open = locks.filter((l) => !l.withdrawn);
      const lines = [
        keyValues([
          ["address", address],
          ["CAI", formatCai(cai)],
          ["ETH (gas)", formatAmount(eth)],
          ["pending rewards", formatCai(pending)],
          [
            "faucet",
            nextClaimAt <= now ? "claimable now" : `next claim in ${formatDuration(nextClaimAt - now)}`,
          ],
        ]),
      ];
      if (positions.length > 0) {
        lines.push(
          "",
          table(
            ["node", "role", "status", "stake (CAI)>", "pending (CAI)>"],
            positions.map((p) => [
              p.operator,
              p.roleName,
              STATUS_NAMES[p.status] ?? String(p.status),
              formatAmount(p.stake),
              formatAmount(p.pendingRewards),
            ]),
          ),
        );
      }
      if (open.length > 0) {
        lines.push(
          "",
          table(
            ["lock>", "node", "amount (CAI)>", "withdrawable"],
            open.map((l) => [
              String(l.id),
              l.operator,
              formatAmount(l.amount),
              BigInt(l.unlockAt) <= now ? "now" : `in ${formatDuration(BigInt(l.unlockAt) - now)}`,
            ]),
          ),
        );
      }
      ctx.print(lines.join("\n"), {
        address,
        cai,
        eth,
        pendingRewards: pending,
        nextFaucetClaimAt: nextClaimAt,
        positions,
        locks: open.map((l) => ({ ...l, withdrawable: BigInt(l.unlockAt) <= now })),
      });
    });
}

function parseRole(value: string): 0 | 1 {
  if (value === "miners" || value === "miner") return 0;
  if (value === "coordinators" || value === "coordinator") return 1;
  throw new UsageError(`"${value}" is not a role: use miners or coordinators`);
}
