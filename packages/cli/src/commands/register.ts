import { formatCai, ROLE_NAMES, Role, Status } from "@roost/chain";
import { type Command, Option } from "commander";
import type { Context } from "../context.js";
import { UsageError } from "../output.js";
import { parseAddress, parseAmount, parseCommission } from "./parse.js";

export function registerCommands(program: Command, context: () => Context): void {
  program
    .command("register")
    .argument("<role>", "miner or coordinator")
    .requiredOption("--operator <address>", "the node's operator (hot) key address")
    .requiredOption("--self-stake <amount>", "your own stake: at least 20k for a miner, 2m for a coordinator")
    .requiredOption("--commission <percent>", "your cut of the node's rewards, e.g. 10 or 2.5%")
    .requiredOption("--intro <text>", "who you are: a short text or a URL to your intro (up to 2,048 bytes)")
    .addOption(new Option("--endpoint <url>", "a coordinator's public API URL (required for coordinators)"))
    .description("register a node with your key as its owner")
    .addHelpText(
      "after",
      `
The operator key must first consent (unless it is your own key):
  ROOST_PRIVATE_KEY=<operator key> roost approve-owner <your address>
Examples:
  roost register miner --operator 0x15d3...6A65 --self-stake 20k --commission 10 --intro "RTX 4090 in Lyon"
  roost register coordinator --operator 0x9965...A4dc --self-stake 2m --commission 5 \\
    --intro https://example.com/about --endpoint https://api.example.com`,
    )
    .action(async (roleArg: string, opts: Record<string, string>) => {
      const ctx = context();
      if (roleArg !== "miner" && roleArg !== "coordinator") {
        throw new UsageError(`role "${roleArg}" must be miner or coordinator`);
      }
      const role = roleArg === "miner" ? Role.Miner : Role.Coordinator;
      const operator = parseAddress(opts.operator ?? "", "--operator");
      const selfStake = parseAmount(opts.selfStake ?? "", "--self-stake");
      const commission = parseCommission(opts.commission ?? "");
      const intro = opts.intro ?? "";
      const endpoint = opts.endpoint ?? "";
      if (role === Role.Coordinator && !endpoint)
        throw new UsageError("a coordinator needs --endpoint <url>");
      if (endpoint && !/^https?:\/\//.test(endpoint)) {
        throw new UsageError(`--endpoint "${endpoint}" must be an http(s) URL`);
      }
      // The contract counts bytes, not characters.
      if (Buffer.byteLength(intro) > 2048) throw new UsageError("--intro is longer than 2,048 bytes");
      if (Buffer.byteLength(endpoint) > 256) throw new UsageError("--endpoint is longer than 256 bytes");

      const { contracts, account, publicClient } = await ctx.writer();
      // Everything the contract would refuse is checked before the approval is sent.
      const [[, status], [, , , , paused]] = await Promise.all([
        contracts.staking.read.nodeState([operator]),
        contracts.staking.read.rewardState(),
      ]);
      if (paused) throw new UsageError("registration is paused by the network's guardian; try again later");
      if (status !== Status.None)
        throw new UsageError(`operator ${operator} is already registered (operators are never reused)`);
      const minimum = await contracts.staking.read.minSelfStake([role]);
      if (selfStake < minimum) {
        throw new UsageError(
          `self-stake ${formatCai(selfStake)} is below the ${ROLE_NAMES[role]} minimum of ${formatCai(minimum)}`,
        );
      }
      const balance = await contracts.token.read.balanceOf([account.address]);
      if (balance < selfStake) {
        throw new UsageError(
          `balance ${formatCai(balance)} is less than the self-stake ${formatCai(selfStake)}`,
        );
      }
      if (operator !== account.address) {
        const approved = await contracts.staking.read.approvedOwner([operator]);
        if (approved !== account.address) {
          throw new UsageError(
            `operator ${operator} has not approved you (${account.address}) as its owner: run ` +
              `\`roost approve-owner ${account.address}\` with the operator's key first`,
          );
        }
      } else if (!ctx.json) {
        ctx.io.stderr("warning: the operator is your own key; a separate hot key is safer\n");
      }
      const allowance = await contracts.token.read.allowance([account.address, contracts.staking.address]);
      if (allowance < selfStake) {
        await ctx.transact(`approving ${formatCai(selfStake)}`, publicClient, () =>
          contracts.token.write.approve([contracts.staking.address, selfStake], { account }),
        );
      }
      const { transactionHash: hash } = await ctx.transact(
        `registering ${ROLE_NAMES[role]} ${operator}`,
        publicClient,
        () =>
          contracts.staking.write.register([role, operator, selfStake, commission, intro, endpoint], {
            account,
          }),
        { role: ROLE_NAMES[role] },
      );
      ctx.print(
        `registered ${ROLE_NAMES[role]} ${operator} with ${formatCai(selfStake)} of self-stake and ${commission / 100}% commission`,
        {
          transaction: hash,
          role: ROLE_NAMES[role],
          operator,
          owner: account.address,
          selfStake,
          commissionBps: commission,
        },
      );
    });

  program
    .command("unjail")
    .argument("<operator>", "your jailed node's operator address")
    .description("with the owner key: put a jailed node back to work once its jail period is over")
    .addHelpText(
      "after",
      "\nA slash may have taken self-stake: top it up first with `roost stake <operator> <amount>`.\n" +
        "Example:\n  roost unjail 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    )
    .action(async (operatorArg: string) => {
      const ctx = context();
      const operator = parseAddress(operatorArg, "operator");
      const { contracts, account, publicClient } = await ctx.writer();
      const { transactionHash: hash } = await ctx.transact(`unjailing ${operator}`, publicClient, () =>
        contracts.staking.write.unjail([operator], { account }),
      );
      ctx.print(`${operator} is active again`, { transaction: hash, operator });
    });

  program
    .command("approve-owner")
    .argument("<owner>", "the address that will register this operator key")
    .description("with an operator key: consent to be registered by <owner>")
    .addHelpText(
      "after",
      "\nExamples:\n  ROOST_PRIVATE_KEY=<operator key> roost approve-owner 0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    )
    .action(async (ownerArg: string) => {
      const ctx = context();
      const owner = parseAddress(ownerArg, "owner");
      const { contracts, account, publicClient } = await ctx.writer();
      const { transactionHash: hash } = await ctx.transact(`approving owner ${owner}`, publicClient, () =>
        contracts.staking.write.approveOwner([owner], { account }),
      );
      ctx.print(`operator ${account.address} may now be registered by ${owner}`, {
        transaction: hash,
        operator: account.address,
        owner,
      });
    });
}
