import {
  allProposals,
  evidenceURIs,
  formatCai,
  formatDuration,
  PROPOSAL_STATUS_NAMES,
  type RoostContracts,
} from "@roost/chain";
import type { Command } from "commander";
import type { Address } from "viem";
import { type Context, chainTime } from "../context.js";
import { table, UsageError } from "../output.js";
import { parseAddress } from "./parse.js";

// Slash proposals (Disputes): who is accused of what, until when it can be disputed, executed or
// resolved; the arbiter's verdict, anyone's execution or lapse, and the accused miner's dispute.

const OPEN = new Set([1, 2]); // proposed, disputed

type Proposal = Awaited<ReturnType<typeof allProposals>>[number];

export function disputesCommands(program: Command, context: () => Context): void {
  const disputes = program
    .command("disputes")
    .description("slash proposals against miners: list, resolve, execute");

  disputes
    .command("list")
    .description("open slash proposals (proposed or disputed), with what can be done and until when")
    .option("--all", "every proposal, settled ones too")
    .option("--miner <operator>", "only proposals against this miner")
    .action(async (opts: { all?: boolean; miner?: string }) => {
      const ctx = context();
      const miner = opts.miner === undefined ? undefined : parseAddress(opts.miner, "--miner");
      await printProposals(ctx, { all: opts.all === true, ...(miner ? { miner } : {}) });
    });

  disputes
    .command("resolve")
    .argument("<id>", "the proposal's id")
    .argument("<verdict>", "upheld (the miner cheated: slash it) or rejected (the accusation was false)")
    .description("the arbiter's verdict on a disputed proposal (ARBITER_ROLE)")
    .action(async (idArg: string, verdict: string) => {
      if (verdict !== "upheld" && verdict !== "rejected") {
        throw new UsageError(`verdict "${verdict}" is not one: use upheld or rejected`);
      }
      await step(context(), idArg, `resolving proposal #${idArg} as ${verdict}`, (c, id) =>
        c.disputes.write.resolve([id, verdict === "upheld"]),
      );
    });

  disputes
    .command("execute")
    .argument("<id>", "the proposal's id")
    .description("slash the miner of an undisputed proposal once its challenge window has closed (anyone)")
    .action(async (idArg: string) => {
      await step(context(), idArg, `executing proposal #${idArg}`, (c, id) => c.disputes.write.execute([id]));
    });

  disputes
    .command("lapse")
    .argument("<id>", "the proposal's id")
    .description("end a proposal that ran out of time (a disputer gets its bond back) (anyone)")
    .action(async (idArg: string) => {
      await step(context(), idArg, `ending proposal #${idArg}`, (c, id) => c.disputes.write.lapse([id]));
    });
}

/** `roost miner disputes`: proposals against this miner, and its dispute of one (posting the bond). */
export function minerDisputesCommand(miner: Command, context: () => Context): void {
  miner
    .command("disputes")
    .description("slash proposals against this miner; --dispute <id> contests one, posting the bond")
    .option("--address <operator>", "the miner operator (default: the key's address)")
    .option("--dispute <id>", "dispute this proposal (the operator or owner key; approves the bond first)")
    .action(async (opts: { address?: string; dispute?: string }) => {
      const ctx = context();
      if (opts.dispute !== undefined) {
        const id = parseId(opts.dispute);
        const { contracts, account, publicClient } = await ctx.writer();
        const proposal = await contracts.disputes.read.getProposal([id]).catch(() => undefined);
        if (proposal === undefined) throw new UsageError(`no slash proposal has id ${id}`);
        const { disputeBond } = await contracts.disputes.read.params();
        const balance = await contracts.token.read.balanceOf([account.address]);
        if (balance < disputeBond) {
          throw new UsageError(
            `disputing takes a bond of ${formatCai(disputeBond)} and ${account.address} holds ${formatCai(balance)}: use the owner's key, or get CAI first`,
          );
        }
        const allowance = await contracts.token.read.allowance([account.address, contracts.disputes.address]);
        if (allowance < disputeBond) {
          await ctx.transact(`approving the bond of ${formatCai(disputeBond)}`, publicClient, () =>
            contracts.token.write.approve([contracts.disputes.address, disputeBond], { account }),
          );
        }
        const receipt = await ctx.transact(`disputing proposal #${id}`, publicClient, () =>
          contracts.disputes.write.dispute([id], { account }),
        );
        ctx.print(`disputed proposal #${id}, posting ${formatCai(disputeBond)}: the arbiter decides`, {
          transaction: receipt.transactionHash,
          id,
          bond: disputeBond,
        });
        return;
      }
      const operator =
        opts.address === undefined ? (await ctx.account()).address : parseAddress(opts.address, "--address");
      await printProposals(ctx, { all: true, miner: operator });
    });
}

async function printProposals(ctx: Context, filter: { all: boolean; miner?: Address }) {
  const now = await chainTime(ctx.publicClient());
  const proposals = (await allProposals(ctx.reader().disputes))
    .filter((p) => filter.all || OPEN.has(p.status))
    .filter((p) => filter.miner === undefined || p.miner.toLowerCase() === filter.miner.toLowerCase())
    .reverse();
  const evidence =
    proposals.length === 0
      ? new Map<bigint, string>()
      : await evidenceURIs(
          ctx.publicClient(),
          ctx.deployment().contracts.Disputes,
          BigInt(ctx.deployment().block),
        );
  ctx.print(
    proposals.length === 0
      ? `no ${filter.all ? "" : "open "}slash proposals${filter.miner ? ` against ${filter.miner}` : ""}`
      : table(
          ["id>", "miner", "coordinator", "slash>", "status", "next", "evidence"],
          proposals.map((p) => [
            String(p.id),
            p.miner,
            p.coordinator,
            `${p.bps / 100}%`,
            PROPOSAL_STATUS_NAMES[p.status] ?? String(p.status),
            nextStep(p, now),
            evidence.get(p.id) ?? "",
          ]),
        ),
    proposals.map((p) => ({
      ...p,
      statusName: PROPOSAL_STATUS_NAMES[p.status],
      next: nextStep(p, now),
      evidenceURI: evidence.get(p.id) ?? null,
    })),
  );
}

/** What can happen to a proposal now, in words. */
function nextStep(p: Proposal, now: bigint): string {
  const left = (until: number) => formatDuration(BigInt(until) - now);
  if (p.status === 1) {
    if (now < BigInt(p.deadline)) return `the miner may dispute for ${left(p.deadline)}`;
    if (now < BigInt(p.end)) return `executable for ${left(p.end)}`;
    return "lapsed: roost disputes lapse";
  }
  if (p.status === 2) {
    return now < BigInt(p.deadline)
      ? `the arbiter decides within ${left(p.deadline)}`
      : "lapsed: roost disputes lapse";
  }
  return "settled";
}

function parseId(value: string): bigint {
  if (!/^\d{1,20}$/.test(value)) throw new UsageError(`proposal id "${value}" is not a whole number`);
  return BigInt(value);
}

async function step(
  ctx: Context,
  idArg: string,
  label: string,
  send: (contracts: RoostContracts, id: bigint) => Promise<`0x${string}`>,
): Promise<void> {
  const id = parseId(idArg);
  const { contracts, publicClient } = await ctx.writer();
  const receipt = await ctx.transact(label, publicClient, () => send(contracts, id));
  const proposal = await contracts.disputes.read.getProposal([id]);
  const status = PROPOSAL_STATUS_NAMES[proposal.status] ?? String(proposal.status);
  ctx.print(`proposal #${id} is now ${status}`, { transaction: receipt.transactionHash, id, status });
}
