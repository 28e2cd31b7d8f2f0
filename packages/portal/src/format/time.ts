// Times as people read them: a countdown ("4m 10s", "2d 3h") and dates in the reader's locale.

/** Seconds left as the two largest units, e.g. 3725 -> "1h 2m"; 0 or less -> "now". */
export function formatCountdown(seconds: number | bigint): string {
  let left = Math.max(0, Math.floor(Number(seconds)));
  if (left === 0) return "now";
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ];
  const parts: string[] = [];
  for (const [name, size] of units) {
    if (left >= size || parts.length > 0) {
      const count = Math.floor(left / size);
      left -= count * size;
      if (count > 0 || parts.length > 0) parts.push(`${count}${name}`);
    }
    if (parts.length === 2) break;
  }
  return parts.filter((part) => !part.startsWith("0")).join(" ") || "now";
}

/** Unix seconds as a date and time in `locale`. */
export function formatDate(unixSeconds: number | bigint, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(Number(unixSeconds) * 1000),
  );
}
