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
  return (await withRedeemed(journal.receipts(), contracts, miner)).map(({ earnings }) => earnings);
}

/** Each receipt with what PaymentEscrow has redeemed of it so far. */
function withRedeemed(receipts: readonly StoredReceipt[], contracts: RoostContracts, miner: Address) {
  return Promise.all(
    receipts.map(async (receipt) => {
      const redeemed = await contracts.escrow.read.redeemed([receipt.coordinator, miner]);
      const pending = receipt.cumulativeAmount > redeemed ? receipt.cumulativeAmount - redeemed : 0n;
      const earnings: Earnings = {
        coordinator: receipt.coordinator,
        earned: receipt.cumulativeAmount,
        redeemed,
        pending,
        tasks: receipt.tasks,
      };
      return { receipt, earnings };
    }),
  );
}

/** What `redeemPending` found on chain and, when something was due, what it sent. */
export interface RedeemOutcome {
  /** Every coordinator's earnings as read before sending. */
  checked: Earnings[];
  /** The redemption transaction, when at least one receipt passed the threshold. */
  sent?: { hash: Hash; receipts: StoredReceipt[]; amount: bigint };
}

/**
 * Redeems, in one `redeemBatch`, every receipt with at least `threshold` (and more than 0) pending.
 * Anyone may send a redemption (the CAI goes to the miner's payees either way), so the operator key
 * pays the gas. Returns once the transaction is sent; the caller waits for it.
 */
export async function redeemPending(
  journal: MinerJournal,
  contracts: RoostContracts,
  miner: Address,
  threshold: bigint,
): Promise<RedeemOutcome> {
  const rows = await withRedeemed(journal.receipts(), contracts, miner);
  const checked = rows.map(({ earnings }) => earnings);
  const due = rows.filter(({ earnings: e }) => e.pending > 0n && e.pending >= threshold);
  if (due.length === 0) return { checked };
  const receipts = due.map(({ receipt }) => receipt);
  const hash = await contracts.escrow.write.redeemBatch([
    receipts.map((r) => ({ coordinator: r.coordinator, miner, cumulativeAmount: r.cumulativeAmount })),
    receipts.map((r) => r.signature),
  ]);
  const amount = due.reduce((sum, { earnings: e }) => sum + e.pending, 0n);
  return { checked, sent: { hash, receipts, amount } };
}
