/** Where a command writes: injectable so tests run commands in-process. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stderr is a terminal: a live status line may redraw itself there. */
  interactive?: boolean;
  /** Asks for a secret on the terminal (keystore password); absent when not interactive. */
  prompt?: (question: string) => Promise<string>;
}

/** JSON with bigints as decimal strings (amounts in wei), two-space indented. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** A plain-text table: a header row, a rule, and columns padded to their widest cell. Columns
 *  whose header ends with ">" are right-aligned (numbers). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = headers.map((h) => h.endsWith(">"));
  const names = headers.map((h) => (h.endsWith(">") ? h.slice(0, -1) : h));
  const widths = names.map((name, i) => Math.max(name.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(names), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A two-column "key  value" list. */
export function keyValues(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

/** Thrown for a user's mistake (bad input, missing key): printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
