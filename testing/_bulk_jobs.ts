// Bulk API 2.0 jobs of the fake org (salesforce-api.md §8, §9): job records, their JSON,
// state changes driven by polls, and ingest processing row by row through the DML code.

import { isSalesforceId, normalizeId } from "../client/_ids.ts";
import { parseCsvRows } from "../client/_csv_reader.ts";
import type { ColumnReader } from "./_bulk_csv.ts";
import { createRecord, deleteRecord, type DmlContext, updateRecord } from "./_dml.ts";
import { liveRecord, upsertRecord } from "./_record_lookup.ts";
import type { OrgState } from "./_org.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "./_schema.ts";
import { makeId, type RecordStore } from "./_store.ts";
import type { SoqlResult } from "./_soql/mod.ts";
import { formatDateTime, type RestError } from "./_values.ts";

/** Job states (§8.3). */
export type JobState =
  | "Open"
  | "UploadComplete"
  | "InProgress"
  | "JobComplete"
  | "Failed"
  | "Aborted";

/** What ingest and query jobs share. */
interface BaseJob {
  id: string;
  operation: string;
  object: string;
  createdById: string;
  createdDate: string;
  systemModstamp: string;
  state: JobState;
  lineEnding: "LF" | "CRLF";
  /** API version the job was created with, e.g. "64.0". */
  version: string;
  /** GET requests answered since the job was closed. */
  polls: number;
  errorMessage?: string;
}

/** One result row: its `sf__` cells and the uploaded cells. */
interface ResultRow {
  id: string;
  /** `sf__Created` for successes, `sf__Error` for failures. */
  extra: string;
  cells: string[];
}

/** An ingest job. */
export interface IngestJob extends BaseJob {
  externalIdFieldName?: string;
  assignmentRuleId?: string;
  /** The uploaded CSV text; undefined until the PUT. */
  data?: string;
  header: string[];
  successful: ResultRow[];
  failed: ResultRow[];
  unprocessed: string[][];
}

/** A query job: the result is chosen at creation, pages are projected on demand. */
export interface QueryJob extends BaseJob {
  result: SoqlResult;
  columns: string[];
  /** How each column is read from a stored row. */
  readers: ColumnReader[];
}

/** Per-org bulk settings. */
export interface BulkConfig {
  /** GET requests of a closed job until one answers JobComplete. */
  pollsToComplete: number;
}

/** Bulk jobs of one org. */
export class BulkState {
  ingest = new Map<string, IngestJob>();
  query = new Map<string, QueryJob>();
  #sequence = 0;

  nextId(): string {
    return makeId("750", ++this.#sequence);
  }
}

const configs = new WeakMap<OrgState, BulkConfig>();
// Keyed by the record store, which org.reset() replaces: a reset forgets every job too.
const states = new WeakMap<RecordStore, BulkState>();

/** Sets an org's bulk timing (FakeSalesforce's `bulkPollsToComplete` option). */
export function configureBulk(org: OrgState, config: BulkConfig): void {
  configs.set(org, config);
}

/** The org's bulk jobs. */
export function bulkState(org: OrgState): BulkState {
  let state = states.get(org.store);
  if (state === undefined) states.set(org.store, state = new BulkState());
  return state;
}

/** The fields every job starts with. */
export function newJob(
  org: OrgState,
  id: string,
  fields: { operation: string; object: string; userId: string; version: string },
  state: JobState,
  lineEnding: "LF" | "CRLF",
): BaseJob {
  const now = formatDateTime(org.now());
  return {
    id,
    operation: fields.operation,
    object: fields.object,
    createdById: fields.userId,
    createdDate: now,
    systemModstamp: now,
    state,
    lineEnding,
    version: fields.version,
    polls: 0,
  };
}

/** True once a job can no longer change. */
export function isFinal(state: JobState): boolean {
  return state === "JobComplete" || state === "Failed" || state === "Aborted";
}

/** Moves a job to `state` and stamps it. */
export function setState(org: OrgState, job: BaseJob, state: JobState): void {
  job.state = state;
  job.systemModstamp = formatDateTime(org.now());
}

/**
 * Counts a poll of a closed job and moves it along: InProgress until the configured
 * number of polls, then `complete` runs and the job ends JobComplete (or Failed).
 */
export function advance(org: OrgState, job: BaseJob, complete: () => void): void {
  if (job.state !== "UploadComplete" && job.state !== "InProgress") return;
  job.polls++;
  if (job.polls >= (configs.get(org)?.pollsToComplete ?? 1)) {
    complete();
    // complete() may have failed the job (an unreadable upload, an unknown column).
    if ((job.state as JobState) !== "Failed") setState(org, job, "JobComplete");
  } else if (job.state === "UploadComplete") {
    setState(org, job, "InProgress");
  }
}

/**
 * JobInfo JSON in Salesforce's key order: `basic` as create, close, abort and list
 * answer (§8.1), else with the processing counters of GET (§8.3).
 */
export function jobInfoJson(
  job: IngestJob | QueryJob,
  kind: "ingest" | "query",
  shape: "create" | "list" | "get",
): string {
  const info: Record<string, unknown> = {
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: job.createdById,
    createdDate: job.createdDate,
    systemModstamp: job.systemModstamp,
    state: job.state,
  };
  if (kind === "ingest") {
    const ingest = job as IngestJob;
    if (ingest.externalIdFieldName !== undefined) {
      info.externalIdFieldName = ingest.externalIdFieldName;
    }
    if (ingest.assignmentRuleId !== undefined) info.assignmentRuleId = ingest.assignmentRuleId;
  }
  info.concurrencyMode = "Parallel";
  info.contentType = "CSV";
  info.apiVersion = Number(job.version);
  if (shape !== "create") info.jobType = kind === "ingest" ? "V2Ingest" : "V2Query";
  if (shape === "create" && kind === "ingest") {
    info.contentUrl = `services/data/v${job.version}/jobs/ingest/${job.id}/batches`;
  }
  info.lineEnding = job.lineEnding;
  info.columnDelimiter = "COMMA";
  if (shape === "get") {
    if (kind === "ingest") {
      const ingest = job as IngestJob;
      info.numberRecordsProcessed = ingest.successful.length + ingest.failed.length;
      info.numberRecordsFailed = ingest.failed.length;
    } else {
      info.numberRecordsProcessed = job.state === "JobComplete"
        ? (job as QueryJob).result.totalSize
        : 0;
    }
    info.retries = 0;
    info.totalProcessingTime = 0;
    if (kind === "ingest") {
      info.apiActiveProcessingTime = 0;
      info.apexProcessingTime = 0;
    }
    if (job.errorMessage !== undefined) info.errorMessage = job.errorMessage;
  }
  // Salesforce writes the version as a decimal: "apiVersion":64.0.
  return JSON.stringify(info).replace(
    `"apiVersion":${info.apiVersion},`,
    `"apiVersion":${job.version},`,
  );
}

// ---- ingest processing ------------------------------------------------------------------

/** `CODE:message:fields --`, the `sf__Error` form of salesforce-api.md §8.4. */
function sfError(error: RestError): string {
  const fields = Array.isArray(error.fields) ? error.fields as string[] : [];
  return `${error.errorCode}:${error.message}:${fields.length > 0 ? `${fields.join(",")} ` : ""}--`;
}

interface Column {
  /** A plain field, or the relationship of `Rel.Field`. */
  key: string;
  /** The lookup field of a relationship column. */
  lookup?: FieldDef;
  /** The parent's field of a relationship column. */
  field?: string;
}

/** Resolves the header against the object; a name it cannot place fails the job. */
function columnsOf(
  org: OrgState,
  object: ObjectDef,
  header: string[],
): Column[] | string {
  const columns: Column[] = [];
  for (const name of header) {
    const dot = name.indexOf(".");
    if (dot === -1) {
      if (org.schema.field(object, name) === undefined) {
        return `InvalidBatch : Field name not found : ${name}`;
      }
      columns.push({ key: name });
      continue;
    }
    const key = name.slice(0, dot);
    const lookup = org.schema.relationship(object, key);
    const parent = lookup && org.schema.object(lookup.referenceTo?.[0] ?? "");
    if (lookup === undefined || parent === undefined) {
      return `InvalidBatch : Field name not found : ${name}`;
    }
    columns.push({ key, lookup, field: name.slice(dot + 1) });
  }
  return columns;
}

/**
 * A CSV row as the JSON body the DML code takes: an empty cell leaves the field alone,
 * `#N/A` sets it to null (§8.5), `Rel.Field` becomes `{ Rel: { Field: value } }`.
 */
function bodyOf(columns: Column[], row: string[], skip: number): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const cell = row[i];
    if (i === skip || cell === "") continue;
    const column = columns[i];
    const value = cell === "#N/A" ? null : cell;
    if (column.lookup === undefined) body[column.key] = value;
    else if (value === null) body[column.lookup.name] = null;
    else {
      const nested = (body[column.key] ??= {}) as Record<string, unknown>;
      nested[column.field!] = value;
    }
  }
  return body;
}

/** The live record a row's Id names, or its `sf__Error`. */
function recordFor(
  dml: DmlContext,
  object: ObjectDef,
  raw: string,
): { record: StoredRecord } | { error: string } {
  const found = liveRecord(dml.store, object, raw);
  return "error" in found ? { error: sfError(found.error) } : found;
}

/** One row of an upsert: matched by its external id (or Id), then updated or created. */
function upsertRow(
  dml: DmlContext,
  object: ObjectDef,
  key: FieldDef,
  value: string,
  body: Record<string, unknown>,
): { id: string; created: boolean } | { error: string } {
  if (key.name !== "Id") return done(upsertRecord(dml, object, key, value, body));
  if (value === "") return done(createRecord(dml, object, body), true);
  const found = recordFor(dml, object, value);
  return "error" in found ? found : done(updateRecord(dml, object, found.record, body), false);
}

/** A write's row outcome; `created` unless the result tells it (an upsert's). */
function done(
  result: { record: StoredRecord; created?: boolean } | { error: RestError },
  created = false,
): { id: string; created: boolean } | { error: string } {
  if ("error" in result) return { error: sfError(result.error) };
  return { id: result.record.Id as string, created: result.created ?? created };
}

/**
 * The line ending of the first line break outside quotes: "CRLF" when a CR comes before it,
 * "LF" when not, undefined when the text has none.
 */
export function firstLineEnding(text: string): "LF" | "CRLF" | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) quoted = !quoted; // '"' (a doubled quote toggles twice)
    else if (code === 10 && !quoted) return i > 0 && text.charCodeAt(i - 1) === 13 ? "CRLF" : "LF";
  }
  return undefined;
}

/** Runs every uploaded row through the DML code, filling the job's result sets. */
export function processIngest(org: OrgState, job: IngestJob, dml: DmlContext): void {
  const object = org.schema.object(job.object)!;
  // Salesforce fails a job whose data breaks lines otherwise than its lineEnding says.
  const ending = firstLineEnding(job.data ?? "");
  if (ending !== undefined && ending !== job.lineEnding) {
    job.data = undefined;
    job.errorMessage =
      `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${job.lineEnding}`;
    setState(org, job, "Failed");
    return;
  }
  let rows: string[][];
  try {
    rows = parseCsvRows(job.data ?? "");
  } catch (error) {
    job.errorMessage = `InvalidBatch : ${(error as Error).message}`;
    setState(org, job, "Failed");
    return;
  }
  job.data = undefined;
  if (rows.length === 0) {
    job.errorMessage = "InvalidBatch : No data uploaded";
    setState(org, job, "Failed");
    return;
  }
  job.header = rows[0];
  const columns = columnsOf(org, object, job.header);
  const lower = job.header.map((name) => name.toLowerCase());
  const keyName = job.operation === "upsert" ? job.externalIdFieldName! : "Id";
  const keyIndex = lower.indexOf(keyName.toLowerCase());
  const needsKey = job.operation !== "insert";
  if (typeof columns === "string" || (needsKey && keyIndex === -1)) {
    job.errorMessage = typeof columns === "string"
      ? columns
      : `InvalidBatch : Field name not found : ${keyName}`;
    job.unprocessed = rows.slice(1);
    setState(org, job, "Failed");
    return;
  }
  const key = org.schema.field(object, keyName)!;
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r];
    const keyValue = keyIndex === -1 ? "" : cells[keyIndex];
    let outcome: { id: string; created: boolean } | { error: string };
    switch (job.operation) {
      case "insert":
        outcome = done(createRecord(dml, object, bodyOf(columns, cells, -1)), true);
        break;
      case "upsert":
        // An upsert by Id writes the other fields: Id itself is no field to set.
        outcome = upsertRow(
          dml,
          object,
          key,
          keyValue,
          bodyOf(columns, cells, key.name === "Id" ? keyIndex : -1),
        );
        break;
      case "update": {
        const found = recordFor(dml, object, keyValue);
        outcome = "error" in found
          ? found
          : done(updateRecord(dml, object, found.record, bodyOf(columns, cells, keyIndex)), false);
        break;
      }
      default: {
        // delete moves the record to the recycle bin; hardDelete purges it.
        const found = recordFor(dml, object, keyValue);
        if ("error" in found) outcome = found;
        else {
          if (job.operation === "hardDelete") dml.store.purge(object, found.record);
          else deleteRecord(dml, object, found.record);
          outcome = { id: found.record.Id as string, created: false };
        }
      }
    }
    if ("error" in outcome) {
      // API >= 53.0 reports the record id of a failed update or delete.
      const id = needsKey && isSalesforceId(keyValue) && key.name === "Id"
        ? normalizeId(keyValue)
        : "";
      job.failed.push({ id, extra: outcome.error, cells });
    } else {
      job.successful.push({ id: outcome.id, extra: String(outcome.created), cells });
    }
  }
}

/** Marks an aborted job's uploaded rows as never processed. */
export function abandonIngest(job: IngestJob): void {
  if (job.data === undefined) return;
  try {
    const rows = parseCsvRows(job.data);
    job.header = rows[0] ?? [];
    job.unprocessed = rows.slice(1);
  } catch {
    // Unreadable data was never going to be processed: nothing to list.
  }
  job.data = undefined;
}
