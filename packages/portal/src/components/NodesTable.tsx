import { useCallback, useMemo, useState } from "react";
import { getAddress } from "viem";
import { formatBps, formatCai } from "../format/amounts";
import { formatDate } from "../format/time";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";
import { type SortKey, STATUS_KEYS, type TableNode, type TableQuery, tablePage } from "./nodes-table-model";

const PAGE_SIZE = 50;

/** EIP-55 casing for display, computed for the rows drawn only (a keccak each: 10,000 would cost ~0.4 s). */
const checksummed = (address: string) => getAddress(address);

/** Miners and coordinators: filter, sort by any column, 50 a page; a row's button picks the node. */
export function NodesTable<T extends TableNode>({
  nodes,
  onPick,
}: {
  nodes: readonly T[];
  onPick: (node: T) => void;
}) {
  const { t, locale } = useI18n();
  const [query, setQuery] = useState<TableQuery>({
    text: "",
    role: "all",
    sort: "totalStake",
    descending: true,
    page: 0,
    pageSize: PAGE_SIZE,
  });
  const statusName = useCallback(
    (status: number) => t((STATUS_KEYS[status] || "status.active") as MessageKey),
    [t],
  );
  const view = useMemo(() => tablePage(nodes, query, statusName), [nodes, query, statusName]);
  const sortBy = (sort: SortKey) =>
    setQuery((q) => ({ ...q, sort, descending: q.sort === sort ? !q.descending : true, page: 0 }));
  const header = (key: SortKey, label: MessageKey) => (
    <th aria-sort={query.sort === key ? (query.descending ? "descending" : "ascending") : "none"}>
      <button type="button" onClick={() => sortBy(key)}>
        {t(label)}
      </button>
    </th>
  );
  return (
    <div>
      <div className="filters">
        <label>
          {t("stake.filter")}{" "}
          <input value={query.text} onChange={(e) => setQuery({ ...query, text: e.target.value, page: 0 })} />
        </label>{" "}
        <label>
          {t("stake.role")}{" "}
          <select
            value={String(query.role)}
            onChange={(e) =>
              setQuery({
                ...query,
                role: e.target.value === "all" ? "all" : (Number(e.target.value) as 0 | 1),
                page: 0,
              })
            }
          >
            <option value="all">{t("stake.all")}</option>
            <option value="0">{t("stake.miners")}</option>
            <option value="1">{t("stake.coordinators")}</option>
          </select>
        </label>
      </div>
      <table data-testid="nodes">
        <thead>
          <tr>
            {header("operator", "col.operator")}
            <th>{t("col.owner")}</th>
            <th>{t("col.role")}</th>
            {header("totalStake", "col.total")}
            {header("selfStake", "col.self")}
            {header("commissionBps", "col.commission")}
            {header("status", "col.status")}
            <th>{t("col.online")}</th>
            {header("tasksServed", "col.tasks")}
            {header("slashes", "col.slashes")}
          </tr>
        </thead>
        <tbody>
          {view.rows.map((node) => (
            <tr key={node.operator}>
              <td>
                <button type="button" className="link" onClick={() => onPick(node)}>
                  <code>{checksummed(node.operator)}</code>
                </button>
              </td>
              <td>
                <code>{checksummed(node.owner)}</code>
              </td>
              <td>{t(node.role === 0 ? "role.miner" : "role.coordinator")}</td>
              <td className="number">{formatCai(node.totalStake, locale)}</td>
              <td className="number">{formatCai(node.selfStake, locale)}</td>
              <td className="number">
                {formatBps(node.commissionBps, locale)}
                {node.commissionEffectiveAt > 0 && node.pendingCommissionBps !== node.commissionBps && (
                  <small>
                    {" "}
                    → {formatBps(node.pendingCommissionBps, locale)} (
                    {formatDate(node.commissionEffectiveAt, locale)})
                  </small>
                )}
              </td>
              <td>{statusName(node.status)}</td>
              <td>{node.online === undefined ? "" : node.online ? t("online.yes") : t("online.no")}</td>
              <td className="number">{node.tasksServed?.toLocaleString(locale) ?? ""}</td>
              <td className="number">{node.slashes.toLocaleString(locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="pages">
        <button
          type="button"
          disabled={view.page === 0}
          onClick={() => setQuery({ ...query, page: view.page - 1 })}
        >
          {t("page.prev")}
        </button>{" "}
        <span data-testid="page">
          {t("page.of", {
            from: view.total === 0 ? 0 : view.from + 1,
            to: view.from + view.rows.length,
            total: view.total.toLocaleString(locale),
          })}
        </span>{" "}
        <button
          type="button"
          disabled={view.page >= view.pages - 1}
          onClick={() => setQuery({ ...query, page: view.page + 1 })}
        >
          {t("page.next")}
        </button>
      </nav>
    </div>
  );
}
