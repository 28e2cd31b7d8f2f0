// The gas of every contract action as whole transactions (forge's `gas` profile, every call its
// own transaction), as a section of bench/RESULTS.md (see run.ts).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const contracts = join(root, "contracts");
const INTRINSIC = 21_000;
const BATCH = 10;

/** The issues' targets, on a transaction's gas less the 21,000 every transaction pays. */
const TARGETS: Record<string, number> = {
  // issue 2 (Staking)
  "stake (repeat)": 80_000,
  "stake (first on a node)": 110_000,
  unstake: 90_000,
  "withdraw (one lock)": 60_000,
  claim: 70_000,
  "register (miner)": 250_000,
  "register (coordinator)": 250_000,
  // issue 3 (PaymentEscrow, Disputes)
  "redeem (pair redeemed before)": 75_000,
  "redeem (first of a pair)": 95_000,
  "redeemBatch (10 coordinators, one miner, repeat), per receipt": 40_000,
  proveEquivocation: 150_000,
};

const read = (name: string): Record<string, number> =>
  Object.fromEntries(
    Object.entries(JSON.parse(readFileSync(join(contracts, "snapshots", `${name}.json`), "utf8"))).map(
      ([key, value]) => [key, Number(value)],
    ),
  );
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** A measured action: its transaction gas and its execution gas (the transaction less 21,000). */
type Row = { name: string; tx: number; exec: number };
const rowsOf = (gas: Record<string, number>): Row[] =>
  Object.entries(gas).map(([name, tx]) => ({ name, tx, exec: tx - INTRINSIC }));

/** One row per action: transaction gas, execution gas, target and verdicts. */
function table(rows: Row[]): string {
  const lines = rows.map(({ name, tx, exec }) => {
    const target = TARGETS[name];
    const verdict = (n: number) => (target === undefined ? "" : n <= target ? "yes" : "**no**");
    return `| ${name} | ${fmt(tx)} | ${fmt(exec)} | ${target ? fmt(target) : "-"} | ${verdict(exec)} | ${verdict(tx)} |`;
  });
  return [
    "| action | transaction gas | execution gas | target | execution within | transaction within |",
    "|---|---:|---:|---:|---|---|",
    ...lines,
  ].join("\n");
}

/** Runs the gas profile and returns the markdown section (throws if forge fails). */
export function gasReport(): string {
  console.log("running the gas profile (forge, isolated transactions)...");
  const run = spawnSync(process.execPath, ["tools/forge", "test"], {
    cwd: contracts,
    env: { ...process.env, FOUNDRY_PROFILE: "gas" },
    stdio: "inherit",
  });
  if (run.status !== 0) throw new Error(`forge's gas profile failed (exit ${run.status})`);

  const staking = read("StakingGasTest");
  const scale = read("StakingScaleGasTest");
  const escrow = read("EscrowGasTest");
  const disputes = read("DisputesGasTest");
  // A batch pays the 21,000 once: per receipt, the whole transaction (and its execution) is shared.
  const batch = escrow["redeemBatch (10 coordinators, one miner, repeat), whole batch"] ?? Number.NaN;
  const escrowRows = [
    ...rowsOf(escrow),
    {
      name: "redeemBatch (10 coordinators, one miner, repeat), per receipt",
      tx: batch / BATCH,
      exec: (batch - INTRINSIC) / BATCH,
    },
  ];

  const scaleRows = ["stake", "claim", "slash"].map((action) => {
    const one = scale[`${action} (1 staker)`] ?? Number.NaN;
    const many = scale[`${action} (1000 stakers)`] ?? Number.NaN;
    return `| ${action} | ${fmt(one)} | ${fmt(many)} | ${(((many - one) / one) * 100).toFixed(2)}% |`;
  });

  return `## Gas

Every figure is a whole transaction (forge \`--isolate\`: 21,000 intrinsic gas, calldata, every slot
and account cold), in the network's steady state: emission streaming, stakers already present, time
passing between actions. Token: CAIToken (OpenZeppelin ERC20). "Execution" is the transaction less
21,000, the basis of the targets (the Synthetix anchors, e.g. a 13,500-gas withdraw, leave the 21,000
out).

### Staking

Stakers hold a balance and a standing approval. An unstake writes a new lock to a fresh storage slot
(22,100 gas of its own), which is why it is the one action above its target counted as a whole
transaction.

${table(rowsOf(staking))}

Anchor, Synthetix StakingRewards: first stake 101,698; repeat stake 76,820; getReward 86,445.

#### O(1) in the number of stakers

The same actions on a node with 1 and with 1,000 stakers (transaction gas):

| action | 1 staker | 1,000 stakers | difference |
|---|---:|---:|---:|
${scaleRows.join("\n")}

### PaymentEscrow

A redemption checks the EIP-712 signature, books the pair and the deposit, and pays the miner's
stakers through \`Staking.distributeFees\` (about 41,000 of it). The first redemption of a pair writes
its fresh slot (+17,100). A batch pays the intrinsic gas once and makes one distribution per run of
receipts for the same miner, so a miner collecting from ten coordinators pays a fraction per receipt;
"per receipt" is the whole batch divided by ${BATCH}. A shortfall redemption also slashes the
coordinator owner's stake.

${table(escrowRows)}

### Disputes

\`proveEquivocation\` recovers two signatures, marks the operator key, slashes 30% (Staking pays Disputes)
and pays the finder's fee (a finder without CAI yet: a fresh balance slot) and the treasury.

${table(rowsOf(disputes))}
`;
}
