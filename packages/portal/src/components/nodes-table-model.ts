// The nodes table's model, kept apart from React so it is tested alone and stays fast at 10,000 rows:
// filter, sort and one page, in O(n log n) per change.

export interface TableNode {
  operator: string;
  owner: string;
  role: number;
  status: number;
  totalStake: bigint;
  selfStake: bigint;
  commissionBps: number;
  pendingCommissionBps: number;
  commissionEffectiveAt: number;
  /** From the coordinator's /api/network: polling now, and results it paid for (undefined: unknown). */
  online?: boolean | undefined;
  tasksServed?: number | undefined;
  /** Times slashed (Staking's Slashed events). */
  slashes: number;
}

export type SortKey =
  | "totalStake"
  | "selfStake"
  | "commissionBps"
  | "status"
  | "operator"
  | "tasksServed"
  | "slashes";
export interface TableQuery {
  text: string;
  role: "all" | 0 | 1;
  sort: SortKey;
  descending: boolean;
  page: number;
  pageSize: number;
}

export const STATUS_KEYS = ["", "status.active", "status.jailed", "status.deregistered"] as const;

/** The rows matching `query`, sorted, and the page asked for (clamped to the last page). */
export function tablePage<T extends TableNode>(
  nodes: readonly T[],
  query: TableQuery,
  statusName: (status: number) => string,
) {
  const text = query.text.trim().toLowerCase();
  const matching = nodes.filter(
    (node) =>
      (query.role === "all" || node.role === query.role) &&
      (text === "" ||
        node.operator.toLowerCase().includes(text) ||
        node.owner.toLowerCase().includes(text) ||
        statusName(node.status).toLowerCase().includes(text)),
  );
  const direction = query.descending ? -1 : 1;
  const key = query.sort;
  matching.sort((a, b) => {
    const x = a[key] ?? -1;
    const y = b[key] ?? -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return order * direction || a.operator.localeCompare(b.operator);
  });
  const pages = Math.max(1, Math.ceil(matching.length / query.pageSize));
  const page = Math.min(Math.max(0, query.page), pages - 1);
  const from = page * query.pageSize;
  return { rows: matching.slice(from, from + query.pageSize), total: matching.length, page, pages, from };
}
