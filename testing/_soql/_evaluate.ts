// SOQL evaluator entry points: runSoql parses and plans a query, selects its rows, and serves
// them as REST records or JSON pages (cached record text where it can); rowValues flattens
// a REST record for CSV.

import type { SoqlDataSource, StoredRecord } from "../_schema.ts";
import { parseSoql } from "./_parser.ts";
import { soqlErrorAt } from "./soql_error.ts";
import { recordBytes } from "../_text_cache.ts";
import { buildPlan, selectRows, type SoqlChildRelationships } from "./_plan.ts";
import { makeProjector } from "./_project.ts";

/** How to run a query. */
export interface SoqlRunOptions {
  /** true for `queryAll` / bulk `queryAll`: include soft-deleted records. */
  includeDeleted: boolean;
  /** API version for `attributes.url`, e.g. `"64.0"`. */
  apiVersion: string;
  /** "Now" for date keywords such as TODAY (UTC days). Default: the current time. */
  now?: Date;
}

/** The outcome of a query, before paging. */
export interface SoqlResult {
  /** Number of rows (after LIMIT/OFFSET), or the COUNT() value. */
  totalSize: number;
  /** REST JSON records; empty for COUNT(). Built on first access (then cached). */
  readonly records: Record<string, unknown>[];
  /** Canonical name of the FROM object. */
  objectName: string;
  /** Selected field paths in canonical casing, e.g. `["Id", "Account.Name"]`; empty for COUNT(). */
  columns: string[];
  /**
   * Records `[start, end)` (clamped like Array#slice), projecting only those rows: a page of a
   * large result without building all of it. Rows are chosen at query time; field values are
   * read from the store when projected.
   */
  slice(start: number, end: number): Record<string, unknown>[];
  /**
   * The UTF-8 bytes of `before + JSON.stringify(slice(start, end)) + after`, byte for byte, as
   * parts to send in order: a REST query page. When the query reads only the records' own
   * fields (no relationships), each record's JSON is kept and reused until a record of the
   * store changes, so serving those records again costs no serialisation: the parts are then
   * views of the cache's own bytes (_text_cache.ts), not to be written into.
   */
  jsonPage(start: number, end: number, before: string, after: string): Uint8Array<ArrayBuffer>[];
  /** The selected stored records, unprojected, for writers that read values themselves (bulk CSV). */
  readonly rows: readonly StoredRecord[];
}

const ENCODER = new TextEncoder();

/**
 * Parses, validates against the schema and evaluates a query. Throws SoqlError with the
 * Salesforce errorCode and caret-diagram message. Child subqueries need `source.children`.
 */
export function runSoql(
  text: string,
  source: SoqlDataSource & SoqlChildRelationships,
  options: SoqlRunOptions,
): SoqlResult {
  const query = parseSoql(text);
  const root = source.object(query.from.name);
  if (root === undefined) {
    throw soqlErrorAt(
      text,
      query.from.start,
      "INVALID_TYPE",
      `sObject type '${query.from.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const plan = buildPlan(query, source, options.now ?? new Date(), root);
  const records = source.records(root.name, options.includeDeleted);

  if (query.count) {
    const { where, offset, limit } = plan;
    const stopAt = limit === undefined ? Infinity : offset + limit;
    let matched = 0;
    if (stopAt > 0) {
      for (const r of records) {
        if (where === undefined || where(r)) {
          if (++matched >= stopAt) break;
        }
      }
    }
    return {
      totalSize: Math.max(0, matched - offset),
      records: [],
      objectName: root.name,
      columns: [],
      slice: () => [],
      jsonPage: (_start, _end, before, after) => [ENCODER.encode(`${before}[]${after}`)],
      rows: [],
    };
  }

  const rows = selectRows(plan, records);
  const project = makeProjector(source, options);
  let all: Record<string, unknown>[] | undefined;
  const slice = (start: number, end: number): Record<string, unknown>[] => {
    if (all !== undefined) return all.slice(start, end);
    const n = rows.length;
    let from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const to = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
    const out: Record<string, unknown>[] = [];
    for (; from < to; from++) out.push(project(plan.projection, rows[from], root.name));
    return out;
  };
  // Only a record's own fields: its text changes only when the record does (_text_cache.ts).
  const cacheKey = plan.projection.items.every((item) => item.kind === "field")
    ? `json ${options.apiVersion} ${root.name} ${
      plan.projection.items.map((item) => item.key).join(",")
    }`
    : undefined;
  const textOf = (record: StoredRecord) =>
    JSON.stringify(project(plan.projection, record, root.name));
  const jsonPage = (
    start: number,
    end: number,
    before: string,
    after: string,
  ): Uint8Array<ArrayBuffer>[] => {
    const n = rows.length;
    const from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const to = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
    const cache = all !== undefined || cacheKey === undefined || from >= to
      ? undefined
      : recordBytes(source, cacheKey, ",");
    if (cache === undefined) {
      return [ENCODER.encode(before + JSON.stringify(slice(start, end)) + after)];
    }
    return cache.page(rows, from, to, textOf, `${before}[`, `]${after}`);
  };

  return {
    totalSize: rows.length,
    get records() {
      all ??= slice(0, rows.length);
      return all;
    },
    objectName: root.name,
    columns: plan.columns,
    slice,
    jsonPage,
    rows,
  };
}

/**
 * Flattens a REST record to one value per column (for CSV): `Account.Name` walks the nested
 * `Account` object; a null or missing parent gives null.
 */
export function rowValues(
  record: Record<string, unknown>,
  columns: string[],
): (string | number | boolean | null)[] {
  const values: (string | number | boolean | null)[] = new Array(columns.length);
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c];
    let current: unknown = record;
    let from = 0;
    for (;;) {
      const dot = column.indexOf(".", from);
      const key = dot === -1 ? column.slice(from) : column.slice(from, dot);
      current = current !== null && typeof current === "object"
        ? (current as Record<string, unknown>)[key]
        : null;
      if (dot === -1) break;
      from = dot + 1;
    }
    values[c] = typeof current === "string" || typeof current === "number" ||
        typeof current === "boolean"
      ? current
      : null;
  }
  return values;
}
