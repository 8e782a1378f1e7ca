// Numbers to text: spreads (median, min, max), units, markdown tables.

/** Median with min and max over the runs that succeeded. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** The median/min/max of `values`; undefined when there are none. */
export function spread(values: Array<number | undefined>): Spread | undefined {
  const sorted = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    median,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    n: sorted.length,
  };
}

function group(value: number, digits: number): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `1,234 (1,200–1,300)`, or the median alone for one run; "—" when missing. */
export function showSpread(
  s: Spread | undefined,
  digits = 0,
  unit = "",
): string {
  if (s === undefined) return "—";
  const median = `${group(s.median, digits)}${unit}`;
  if (s.n === 1) return median;
  return `${median} (${group(s.min, digits)}–${group(s.max, digits)})`;
}

/** Bytes as MB (10^6), e.g. `123 MB`. */
export function mb(bytes: number | undefined): string {
  return bytes === undefined ? "—" : `${group(bytes / 1e6, 0)} MB`;
}

/** A spread of byte counts, in MB. */
export function showBytes(s: Spread | undefined): string {
  if (s === undefined) return "—";
  const scaled = {
    ...s,
    median: s.median / 1e6,
    min: s.min / 1e6,
    max: s.max / 1e6,
  };
  return showSpread(scaled, 0, " MB");
}

/** `0.93×` */
export function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "—" : `${value.toFixed(2)}×`;
}

/** "ok" or "MISSED" (or "not measured" when the number is missing). */
export function status(ok: boolean | undefined): string {
  return ok === undefined ? "not measured" : ok ? "ok" : "**MISSED**";
}

/** A markdown table. */
export function table(head: string[], rows: string[][]): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|").replaceAll("\n", " ");
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
  ].join("\n");
}

/** Thousands separators, e.g. `20,000`. */
export function count(value: number): string {
  return group(value, 0);
}
