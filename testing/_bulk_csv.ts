// The CSV files of Bulk API 2.0 jobs (salesforce-api.md §8.4, §9): ingest result files, and
// query result pages written straight from the stored records, without building REST
// records first. Cells go through the project's one CSV writer.

import { formatCsvCell, formatCsvRow } from "../client/_csv_format.ts";
import type { IngestJob } from "./_bulk_jobs.ts";
import type { Schema } from "./_objects.ts";
import type { ObjectDef, SoqlDataSource, StoredRecord } from "./_schema.ts";
import { recordBytes } from "./_text_cache.ts";

const ENCODER = new TextEncoder();

/** How to read one query column from a stored record. */
export interface ColumnReader {
  /** Lookup fields to follow to the record holding the value: `["AccountId"]` for `Account.Name`. */
  hops: string[];
  /** The field holding the value, e.g. `Name`. */
  field: string;
  /** True for a dateTime, which bulk CSV writes `...Z` rather than `+0000`. */
  dateTime: boolean;
}

/** Readers for the canonical column paths of a query on `root` (`Id`, `Account.Owner.Email`). */
export function columnReaders(schema: Schema, root: ObjectDef, columns: string[]): ColumnReader[] {
  return columns.map((column) => {
    const parts = column.split(".");
    const hops: string[] = [];
    let object: ObjectDef | undefined = root;
    for (let i = 0; i < parts.length - 1 && object !== undefined; i++) {
      const lookup = schema.relationship(object, parts[i]);
      object = lookup && schema.object(lookup.referenceTo?.[0] ?? "");
      hops.push(lookup?.name ?? parts[i]);
    }
    const field = parts[parts.length - 1];
    const dateTime = object !== undefined && schema.field(object, field)?.type === "datetime";
    return { hops, field, dateTime };
  });
}

/** A cell as Bulk 2.0 results write it, before quoting: null is empty, dateTimes end in `Z`. */
function cellText(value: unknown, dateTime: boolean): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  return dateTime && value.endsWith("+0000") ? `${value.slice(0, -5)}Z` : value;
}

/** One result line (no terminator): every cell quoted. */
function csvLine(source: SoqlDataSource, readers: ColumnReader[], record: StoredRecord): string {
  const cells: string[] = new Array(readers.length);
  for (let c = 0; c < readers.length; c++) {
    const { hops, field, dateTime } = readers[c];
    let holder: StoredRecord | undefined = record;
    for (let h = 0; h < hops.length && holder !== undefined; h++) {
      const id: unknown = holder[hops[h]];
      holder = typeof id === "string" ? source.byId(id) : undefined;
    }
    const text = cellText(holder?.[field], dateTime);
    cells[c] = text.indexOf('"') === -1 ? text : text.replaceAll('"', '""');
  }
  return readers.length === 0 ? "" : `"${cells.join('","')}"`;
}

/**
 * One page of query results as UTF-8 parts, to send in order: every cell quoted, null as `""`,
 * dateTimes `...Z` (§9). Rows `[from, to)` of `rows`. When no column follows a relationship,
 * each record's line is kept and reused until a record of the store changes, so serving those
 * records again costs no serialisation: the parts are then views of the cache's own bytes
 * (_text_cache.ts), not to be written into.
 */
export function queryPageCsv(
  source: SoqlDataSource,
  header: string[],
  readers: ColumnReader[],
  rows: readonly StoredRecord[],
  from: number,
  to: number,
  lineEnding: "\n" | "\r\n",
): Uint8Array<ArrayBuffer>[] {
  const headerText = formatCsvRow(header, { quoteAll: true, lineEnding });
  if (from >= to) return [ENCODER.encode(headerText)];
  const flat = readers.every((reader) => reader.hops.length === 0);
  const textOf = (record: StoredRecord) => csvLine(source, readers, record);
  const cache = flat
    ? recordBytes(
      source,
      `csv ${readers.map((reader) => `${reader.field}${reader.dateTime ? "@" : ""}`).join(",")}`,
      lineEnding,
    )
    : undefined;
  if (cache !== undefined) return cache.page(rows, from, to, textOf, headerText, lineEnding);
  const lines: string[] = new Array(to - from + 2);
  lines[0] = headerText.slice(0, -lineEnding.length);
  for (let r = from; r < to; r++) lines[r - from + 1] = textOf(rows[r]);
  // An empty last element: joined, every line ends.
  lines[to - from + 1] = "";
  return [ENCODER.encode(lines.join(lineEnding))];
}

/** One of the three result files (§8.4): `sf__` cells quoted, the header echoed, cells quoted. */
export function resultsCsv(
  job: IngestJob,
  which: "successfulResults" | "failedResults" | "unprocessedrecords",
): string {
  const ending = job.lineEnding === "CRLF" ? "\r\n" : "\n";
  // No columns known (no data, or data that did not parse): the header row holds only what
  // the file adds, and the unprocessed records, which add nothing, have none.
  if (job.header.length === 0) {
    if (which === "unprocessedrecords") return "";
    return `"sf__Id","${which === "successfulResults" ? "sf__Created" : "sf__Error"}"${ending}`;
  }
  const echoed = job.header.map(formatCsvCell).join(",");
  const options = { quoteAll: true, lineEnding: ending } as const;
  const parts: string[] = [];
  if (which === "unprocessedrecords") {
    parts.push(echoed + ending);
    for (const cells of job.unprocessed) parts.push(formatCsvRow(cells, options));
    return parts.join("");
  }
  const rows = which === "successfulResults" ? job.successful : job.failed;
  const second = which === "successfulResults" ? "sf__Created" : "sf__Error";
  parts.push(`"sf__Id","${second}",${echoed}${ending}`);
  for (const row of rows) parts.push(formatCsvRow([row.id, row.extra, ...row.cells], options));
  return parts.join("");
}
