import { useBlockNumber, useCoordinatorNetwork, useNodes, useStakeHistory } from "../chain/reads";
import { StakeChart } from "../components/StakeChart";
import { formatCai } from "../format/amounts";
import { useI18n } from "../i18n/i18n";

/** The network's totals (stake, nodes, slashes, tasks served by the coordinator) and stake over time. */
export function NetworkPage() {
  const { t, locale } = useI18n();
  const nodes = useNodes();
  const block = useBlockNumber();
  const history = useStakeHistory();
  const coordinator = useCoordinatorNetwork();
  if (nodes.data === undefined) return <p>{t("loading")}</p>;
  const total = nodes.data.reduce((sum, node) => sum + node.totalStake, 0n);
  const count = (role: number) => nodes.data.filter((node) => node.role === role).length;
  const jailed = nodes.data.filter((node) => node.status === 2).length;
  return (
    <section aria-labelledby="network-title">
      <h2 id="network-title">{t("network.title")}</h2>
      <dl className="totals">
        <dt>{t("network.stake")}</dt>
        <dd data-testid="total-stake">{formatCai(total, locale)} CAI</dd>
        <dt>{t("network.nodes")}</dt>
        <dd>
          {count(0).toLocaleString(locale)} {t("stake.miners")}, {count(1).toLocaleString(locale)}{" "}
          {t("stake.coordinators")}
          {jailed > 0 && `, ${jailed.toLocaleString(locale)} ${t("status.jailed")}`}
        </dd>
        <dt>{t("network.slashes")}</dt>
        <dd data-testid="slashes">{(history.data?.at(-1)?.slashes ?? 0).toLocaleString(locale)}</dd>
        <dt>{t("network.tasks")}</dt>
        <dd>{coordinator.data?.tasks.completed.toLocaleString(locale) ?? "…"}</dd>
        <dt>{t("network.block")}</dt>
        <dd>{block.data?.toLocaleString(locale) ?? "…"}</dd>
      </dl>
      {history.data !== undefined && history.data.length > 1 && (
        <StakeChart points={history.data} label={t("network.chart")} locale={locale} />
      )}
    </section>
  );
}
