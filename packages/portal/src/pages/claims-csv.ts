import { formatUnits } from "viem";

/** Claims as CSV for a spreadsheet or a tax return: ISO time, block, node, CAI (exact), transaction. */
export function claimsCsv(
  claims: readonly { time: bigint; block: bigint; operator: string; amount: bigint; transaction: string }[],
): string {
  const rows = claims.map((c) =>
    [
      new Date(Number(c.time) * 1000).toISOString(),
      c.block.toString(),
      c.operator,
      formatUnits(c.amount, 18),
      c.transaction,
    ].join(","),
  );
  return `${["time", "block", "operator", "amount_cai", "transaction"].join(",")}\n${rows.join("\n")}${rows.length > 0 ? "\n" : ""}`;
}
