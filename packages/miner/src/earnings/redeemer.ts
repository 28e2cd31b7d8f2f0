import type { RoostContracts } from "@roost/chain";
import type { Address, Hash } from "viem";
import type { MinerJournal, StoredReceipt } from "../journal/journal.js";

/** Earned, redeemed on chain, and pending (earned but not yet redeemed) at one coordinator. */
export interface Earnings {
  coordinator: Address;
  earned: bigint;
  redeemed: bigint;
  pending: bigint;
  tasks: number;
}

/** The miner's earnings per coordinator: the journal's latest receipts against PaymentEscrow. */
export async function earnings(
  journal: MinerJournal,
  contracts: RoostContracts,
  miner: Address,
): Promise<Earnings[]> {
  return Promise.all(
    journal.receipts().map(async (receipt) => {
      const redeemed = await contracts.escrow.read.redeemed([receipt.coordinator, miner]);
      const pending = receipt.cumulativeAmount > redeemed ? receipt.cumulativeAmount - redeemed : 0n;
      return {
        coordinator: receipt.coordinator,
        earned: receipt.cumulativeAmount,
        redeemed,
        pending,
        tasks: receipt.tasks,
      };
    }),
  );
}

/**
 * Redeems, in one `redeemBatch`, every receipt with at least `threshold` pending. Anyone may send a
 * redemption (the CAI goes to the miner's payees either way), so the operator key pays the gas.
 * @returns the transaction hash and what it redeemed, or undefined when nothing passed the threshold
 */
export async function redeemPending(
  journal: MinerJournal,
  contracts: RoostContracts,
  miner: Address,
  threshold: bigint,
): Promise<{ hash: Hash; receipts: StoredReceipt[]; amount: bigint } | undefined> {
  const due = (await earnings(journal, contracts, miner)).filter(
    (e) => e.pending > 0n && e.pending >= threshold,
  );
  if (due.length === 0) return undefined;
  const receipts = journal.receipts().filter((r) => due.some((d) => d.coordinator === r.coordinator));
  const hash = await contracts.escrow.write.redeemBatch([
    receipts.map((r) => ({ coordinator: r.coordinator, miner, cumulativeAmount: r.cumulativeAmount })),
    receipts.map((r) => r.signature),
  ]);
  return { hash, receipts, amount: due.reduce((sum, e) => sum + e.pending, 0n) };
}
