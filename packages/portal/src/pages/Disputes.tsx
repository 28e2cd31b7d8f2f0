import { useProposals } from "../chain/reads";
import { formatBps } from "../format/amounts";
import { formatCountdown } from "../format/time";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";

const STATUS = ["", "proposed", "disputed", "executed", "cancelled", "upheld", "rejected", "lapsed"] as const;

/** Slash proposals: whom, by whom, how much, what happens next and when, and the evidence. */
export function DisputesPage() {
  const { t, locale } = useI18n();
  const proposals = useProposals();
  if (proposals.data === undefined) return <p>{t("loading")}</p>;
  const { now, proposals: list } = proposals.data;
  return (
    <section aria-labelledby="disputes-title">
      <h2 id="disputes-title">{t("disputes.title")}</h2>
      {list.length === 0 ? (
        <p>{t("disputes.none")}</p>
      ) : (
        <table data-testid="proposals">
          <thead>
            <tr>
              <th>#</th>
              <th>{t("role.miner")}</th>
              <th>{t("role.coordinator")}</th>
              <th>{t("disputes.slash")}</th>
              <th>{t("col.status")}</th>
              <th>{t("disputes.window")}</th>
              <th>{t("disputes.evidence")}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => {
              const open = p.status === 1 || p.status === 2;
              const left = BigInt(p.deadline) - now;
              return (
                <tr key={p.id.toString()}>
                  <td>{p.id.toString()}</td>
                  <td>
                    <code>{p.miner}</code>
                  </td>
                  <td>
                    <code>{p.coordinator}</code>
                  </td>
                  <td className="number">{formatBps(p.bps, locale)}</td>
                  <td>{t(`disputes.${STATUS[p.status] ?? "proposed"}` as MessageKey)}</td>
                  <td>
                    {open
                      ? left > 0n
                        ? t("locks.in", { time: formatCountdown(left) })
                        : t("disputes.closed")
                      : ""}
                  </td>
                  <td>{p.evidenceURI !== "" && <a href={p.evidenceURI}>{t("disputes.evidence")}</a>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
