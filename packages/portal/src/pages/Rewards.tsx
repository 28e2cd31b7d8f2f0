import { stakingAbi } from "@roost/protocol/abis";
import { useConnection } from "wagmi";
import { usePortalConfig } from "../app/portal-config";
import { useClaims, useStakerPosition } from "../chain/reads";
import { TxStatus } from "../components/TxStatus";
import { formatCai } from "../format/amounts";
import { formatDate } from "../format/time";
import { useI18n } from "../i18n/i18n";
import { useTransaction } from "../tx/use-transaction";
import { claimsCsv } from "./claims-csv";

/** Rewards waiting on each node, claimed one by one or all at once, and the history of claims (CSV). */
export function RewardsPage() {
  const { t, locale } = useI18n();
  const config = usePortalConfig();
  const { address } = useConnection();
  const position = useStakerPosition(address);
  const claims = useClaims(address);
  const tx = useTransaction();
  if (address === undefined) return <p>{t("wallet.none")}</p>;
  const pending = position.data?.positions.filter((p) => p.pendingRewards > 0n) ?? [];
  const staking = { address: config.contracts.Staking, abi: stakingAbi } as const;
  const csv = claimsCsv(claims.data ?? []);
  return (
    <section aria-labelledby="rewards-title">
      <h2 id="rewards-title">{t("rewards.title")}</h2>
      {pending.length === 0 ? (
        <p>{t("rewards.none")}</p>
      ) : (
        <table data-testid="pending-rewards">
          <thead>
            <tr>
              <th>{t("col.operator")}</th>
              <th>{t("rewards.pending")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pending.map((p) => (
              <tr key={p.operator}>
                <td>
                  <code>{p.operator}</code>
                </td>
                <td className="number">{formatCai(p.pendingRewards, locale, 4)} CAI</td>
                <td>
                  <button
                    type="button"
                    onClick={() => void tx.run([{ ...staking, functionName: "claim", args: [p.operator] }])}
                  >
                    {t("rewards.claim")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending.length > 1 && (
        <button
          type="button"
          onClick={() =>
            void tx.run([{ ...staking, functionName: "claimMany", args: [pending.map((p) => p.operator)] }])
          }
        >
          {t("rewards.claimAll")}
        </button>
      )}
      <TxStatus state={tx.state} />
      <h3>{t("rewards.history")}</h3>
      {(claims.data?.length ?? 0) === 0 ? (
        <p>{t("rewards.noHistory")}</p>
      ) : (
        <>
          <table data-testid="claims">
            <thead>
              <tr>
                <th>{t("rewards.when")}</th>
                <th>{t("col.operator")}</th>
                <th>{t("locks.amount")}</th>
              </tr>
            </thead>
            <tbody>
              {claims.data?.map((claim) => (
                <tr key={`${claim.transaction}-${claim.operator}`}>
                  <td>{formatDate(claim.time, locale)}</td>
                  <td>
                    <code>{claim.operator}</code>
                  </td>
                  <td className="number">{formatCai(claim.amount, locale, 4)} CAI</td>
                </tr>
              ))}
            </tbody>
          </table>
          <a href={`data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`} download="roost-claims.csv">
            {t("rewards.csv")}
          </a>
        </>
      )}
    </section>
  );
}
