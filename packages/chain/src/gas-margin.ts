/**
 * A gas limit from an estimate: `margin` times it plus `extra` (by default 130% plus 50,000 gas). Staking's reward accrual writes more
 * storage once the block time has moved on since the last update, so an estimate taken in the same
 * second as the previous transaction can fall short when the transaction is mined a second later (out
 * of gas, seen about one time in ten on anvil). Those writes cost the same whatever the transaction, so
 * a percentage alone fell short on small ones (an unjail under load); hence the fixed part too. Unused
 * gas is not paid for. No dependencies: the portal uses it in the browser (@roost/chain/gas-margin).
 */
export function padGasEstimate(estimate: bigint, margin = 1.3, extra = 50_000n): bigint {
  return (estimate * BigInt(Math.round(margin * 100))) / 100n + extra;
}
