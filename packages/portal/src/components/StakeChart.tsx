import { formatCai } from "../format/amounts";

/** Total stake by block as an SVG line (no chart library: a few hundred points need none). */
export function StakeChart({
  points,
  label,
  locale,
}: {
  points: readonly { block: bigint; stake: bigint }[];
  label: string;
  locale: string;
}) {
  const width = 640;
  const height = 160;
  const first = Number(points[0]?.block ?? 0n);
  const last = Number(points.at(-1)?.block ?? 1n);
  let max = 1n; // bigints: Math.max does not take them
  for (const point of points) if (point.stake > max) max = point.stake;
  const x = (block: bigint) => ((Number(block) - first) / Math.max(1, last - first)) * width;
  const y = (stake: bigint) => height - Number((stake * 1000n) / max) * (height / 1000);
  const path = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.block).toFixed(1)},${y(p.stake).toFixed(1)}`)
    .join(" ");
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" height={height} role="img" aria-label={label}>
        <path d={path} fill="none" stroke="#2f6fdf" strokeWidth={2} />
      </svg>
      <figcaption>
        {label}: {formatCai(points.at(-1)?.stake ?? 0n, locale)} CAI
      </figcaption>
    </figure>
  );
}
