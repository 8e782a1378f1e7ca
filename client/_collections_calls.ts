// The core of sf.collections: checking each record and building its wire form,
// cutting records into calls the platform accepts (200 records, 10 runs of one
// type; 2,000 ids per read), running the calls concurrently with results kept
// in input order, and reading each call's answer.

import { SalesforceError } from "./errors.ts";
import type { SaveResult } from "./collections.ts";
import { checkApiName, checkRecordId, isPlainObject, received } from "./_validate.ts";
import { readBody } from "./_body_deadline.ts";

/** Records per create, update, upsert or delete call (the platform's limit). */
export const MAX_RECORDS_PER_CALL = 200;
/** Ids per read call: the POST form of the retrieve resource takes up to 2,000. */
export const MAX_IDS_PER_GET = 2000;
/** Runs of same-type records one create or update call may hold (the platform's "chunks"). */
const MAX_TYPE_RUNS = 10;

/** One call: the records from `start`, `count` of them. */
export interface Call {
  start: number;
  count: number;
}

/** A collections write. */
export type SaveOperation = "create" | "update" | "upsert";

/** The record's key for `field`, matched case-insensitively as Salesforce does. */
function keyFor(record: Record<string, unknown>, field: string): string | undefined {
  if (field in record) return field;
  const lower = field.toLowerCase();
  return Object.keys(record).find((key) => key.toLowerCase() === lower);
}

/**
 * Checks record ids, naming the bad one (`ids[3]`); with `oneObject`, every id
 * must have the first id's key prefix.
 */
export function checkIds(context: string, ids: unknown[], oneObject: boolean): string[] {
  return ids.map((id, i) => {
    const checked = checkRecordId(context, `ids[${i}]`, id);
    if (oneObject && checked.slice(0, 3) !== (ids[0] as string).slice(0, 3)) {
      throw new TypeError(
        `${context}: "ids[${i}]" must belong to one object, like "ids[0]" (key prefix "${
          (ids[0] as string).slice(0, 3)
        }"): received ${received(id)}`,
      );
    }
    return checked;
  });
}

/** Cuts `count` records into calls of at most `max` records and `maxRuns` runs of one type. */
function splitCalls(count: number, max: number, types?: string[], maxRuns = MAX_TYPE_RUNS): Call[] {
  const calls: Call[] = [];
  let start = 0;
  let runs = 0;
  for (let i = 0; i < count; i++) {
    const newRun = types !== undefined && i > 0 && types[i] !== types[i - 1];
    if (i > start && (i - start === max || (newRun && runs === maxRuns))) {
      calls.push({ start, count: i - start });
      start = i;
      runs = 0;
    }
    if (i === start || newRun) runs++;
  }
  if (count > start) calls.push({ start, count: count - start });
  return calls;
}

function countRuns(types: string[]): number {
  return types.filter((type, i) => i === 0 || type !== types[i - 1]).length;
}

/**
 * Splits `count` records (of `types`, lower case, when runs count) into calls of
 * at most `max`; with `allOrNone` everything must fit in one call.
 *
 * @throws {RangeError} With `allOrNone`, when one call cannot hold every record.
 */
export function planCalls(
  context: string,
  count: number,
  max: number,
  allOrNone: boolean,
  types?: string[],
): Call[] {
  const calls = splitCalls(count, max, types);
  if (allOrNone && calls.length > 1) {
    const runs = types === undefined ? 0 : countRuns(types);
    const detail = count > max
      ? `at most ${max} records: received ${count}`
      : `at most ${MAX_TYPE_RUNS} runs of same-type records: received ${runs}`;
    throw new RangeError(
      `${context}: "allOrNone" needs every record in one call, so ${detail}`,
    );
  }
  return calls;
}

/**
 * Checks one record of a write and builds its wire form: a copy with
 * `attributes.type` first. `sobject` null means each record names its type.
 *
 * @throws {TypeError} Naming the record (`records[3].Id`) and what it must hold.
 */
export function wireRecord(
  context: string,
  save: { operation: SaveOperation; sobject: string | null; externalIdField?: string },
  record: unknown,
  index: number,
): { type: string; wire: Record<string, unknown> } {
  const { operation, sobject, externalIdField } = save;
  const where = `records[${index}]`;
  if (!isPlainObject(record)) {
    throw new TypeError(`${context}: "${where}" must be an object: received ${received(record)}`);
  }
  const { attributes, ...fields } = record;
  if (attributes !== undefined && !isPlainObject(attributes)) {
    throw new TypeError(
      `${context}: "${where}.attributes" must be an object: received ${received(attributes)}`,
    );
  }
  const own = attributes?.type;
  let type: string;
  if (sobject === null) {
    type = checkApiName(context, `${where}.attributes.type`, own);
  } else {
    if (own !== undefined && String(own).toLowerCase() !== sobject.toLowerCase()) {
      const hint = operation === "upsert"
        ? "an upsert writes one object"
        : `pass null as "sobject" to mix types`;
      throw new TypeError(
        `${context}: "${where}.attributes.type" must be ${
          JSON.stringify(sobject)
        } or left out (${hint}): received ${received(own)}`,
      );
    }
    type = sobject;
  }
  const idKey = keyFor(fields, "Id");
  if (operation === "create" && idKey !== undefined && fields[idKey] !== undefined) {
    throw new TypeError(
      `${context}: "${where}.${idKey}" must be left out: create assigns the id: received ${
        received(fields[idKey])
      }`,
    );
  }
  if (operation === "update") {
    checkRecordId(context, `${where}.Id`, idKey === undefined ? undefined : fields[idKey]);
  }
  if (externalIdField !== undefined) {
    const key = keyFor(fields, externalIdField);
    const value = key === undefined ? undefined : fields[key];
    if (value === undefined || value === null || value === "") {
      throw new TypeError(
        `${context}: "${where}.${externalIdField}" must hold the external id to match on: received ${
          received(value)
        }`,
      );
    }
  }
  return { type, wire: { attributes: { ...attributes, type }, ...fields } };
}

/**
 * Checks every record of a write and plans its calls (runs of one type count
 * towards the platform's limit).
 *
 * @throws {TypeError} For a record that is not right for the operation.
 * @throws {RangeError} With `allOrNone`, when one call cannot hold every record.
 */
export function planSave(
  context: string,
  save: { operation: SaveOperation; sobject: string | null; externalIdField?: string },
  records: unknown[],
  allOrNone: boolean,
): { wire: Record<string, unknown>[]; calls: Call[] } {
  const types: string[] = [];
  const wire = records.map((record, i) => {
    const checked = wireRecord(context, save, record, i);
    types.push(checked.type.toLowerCase());
    return checked.wire;
  });
  const calls = planCalls(context, records.length, MAX_RECORDS_PER_CALL, allOrNone, types);
  return { wire, calls };
}

/** One entry of a write's answer as a SaveResult, whatever shape it came in. */
export function toSaveResult(raw: unknown): SaveResult {
  const entry = isPlainObject(raw) ? raw : {};
  const errors = Array.isArray(entry.errors) ? entry.errors : [];
  const result: SaveResult = {
    id: typeof entry.id === "string" ? entry.id : null,
    success: entry.success === true,
    errors: errors.map((error) => {
      const detail = isPlainObject(error) ? error : {};
      return {
        ...detail,
        statusCode: String(detail.statusCode ?? ""),
        message: String(detail.message ?? ""),
        fields: Array.isArray(detail.fields) ? detail.fields.map(String) : [],
      };
    }),
  };
  if (typeof entry.created === "boolean") result.created = entry.created;
  return result;
}

/** Reads a call's JSON array and checks it has one entry per record sent. */
export async function readResults(
  context: string,
  response: Response,
  expected: number,
): Promise<unknown[]> {
  let body: unknown;
  try {
    body = await readBody(response, (answer) => answer.json());
  } catch (error) {
    throw new SalesforceError(`${context}: the response is not JSON`, { response, cause: error });
  }
  if (!Array.isArray(body) || body.length !== expected) {
    throw new SalesforceError(
      `${context}: expected an array of ${expected} results: received ${received(body)}${
        Array.isArray(body) ? ` of ${body.length}` : ""
      }`,
      { response },
    );
  }
  return body;
}

/** What running the calls gave: results in input order, and the failed calls' errors. */
export interface CallsOutcome<R> {
  /** One entry per record; `undefined` where its call failed. */
  results: (R | undefined)[];
  /** Every failed call's error, in input order. */
  callErrors: unknown[];
  /** How many records were in the failed calls. */
  missing: number;
}

/**
 * Sends the calls concurrently and merges results in input order. At most
 * `concurrency` calls are started at a time, so a million records do not build
 * five thousand request bodies up front; the client's semaphore still bounds
 * them together with its other requests. A failed call does not stop the others.
 */
export async function runCalls<R>(
  concurrency: number,
  total: number,
  calls: Call[],
  send: (call: Call) => Promise<R[]>,
): Promise<CallsOutcome<R>> {
  const results: (R | undefined)[] = Array.from({ length: total }, () => undefined);
  const settled: PromiseSettledResult<void>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const index = next++;
      const call = calls[index];
      try {
        const chunk = await send(call);
        for (let i = 0; i < call.count; i++) results[call.start + i] = chunk[i];
        settled[index] = { status: "fulfilled", value: undefined };
      } catch (reason) {
        settled[index] = { status: "rejected", reason };
      }
    }
  };
  const workers = Math.min(concurrency, calls.length);
  await Promise.all(Array.from({ length: workers }, worker));
  const callErrors: unknown[] = [];
  let missing = 0;
  settled.forEach((outcome, i) => {
    if (outcome.status === "rejected") {
      callErrors.push(outcome.reason);
      missing += calls[i].count;
    }
  });
  return { results, callErrors, missing };
}
