/**
 * sObject Collections: create, update, upsert, delete and read many records with
 * one call per 200 records (2,000 ids for reads), as `sf.collections`.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import {
  type Call,
  checkIds,
  MAX_IDS_PER_GET,
  MAX_RECORDS_PER_CALL,
  planCalls,
  planSave,
  readResults,
  runCalls,
  type SaveOperation,
  toSaveResult,
} from "./_collections_calls.ts";
import {
  checkApiName,
  checkBoolean,
  checkFieldPath,
  checkOptions,
  isPlainObject,
  optionsOf,
  toArray,
} from "./_validate.ts";

const JSON_HEADERS = { "Content-Type": "application/json" };

/**
 * One error of a {@linkcode SaveResult}. Inside collections Salesforce keys the
 * code `statusCode`, not `errorCode`.
 *
 * @example Read why a record failed
 * ```ts
 * import { Salesforce, type SaveError } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const [result] = await sf.collections.create("Contact", [{ FirstName: "Ann" }]);
 * const error: SaveError = result.errors[0];
 * assert.equal(error.statusCode, "REQUIRED_FIELD_MISSING");
 * assert.deepEqual(error.fields, ["LastName"]);
 * ```
 */
export interface SaveError {
  /** The error code, e.g. `REQUIRED_FIELD_MISSING`. */
  statusCode: string;
  /** Salesforce's message. */
  message: string;
  /** The fields involved; may be empty. */
  fields: string[];
  /** Error-specific extras, e.g. `duplicateResult`. */
  [key: string]: unknown;
}

/**
 * What happened to one record of a collections call.
 *
 * @example Check every record
 * ```ts
 * import { Salesforce, type SaveResult } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const results: SaveResult[] = await sf.collections.create("Account", [{ Name: "Acme" }]);
 * assert.ok(results.every((result) => result.success && result.id !== null));
 * ```
 */
export interface SaveResult {
  /** The record's id; `null` when a create failed (Salesforce omits it). */
  id: string | null;
  /** True when the record was written. */
  success: boolean;
  /** Why it was not; empty on success. */
  errors: SaveError[];
  /** Upsert only: true when the record was inserted, false when it was updated. */
  created?: boolean;
}

/**
 * Options for collections writes.
 *
 * @example Write all records or none
 * ```ts
 * import { type CollectionsOptions, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const options: CollectionsOptions = { allOrNone: true };
 * const results = await sf.collections.create("Contact", [{ LastName: "Doe" }, {}], options);
 * assert.equal(results[0].success, false); // rolled back with the record that failed
 * assert.equal(org.records("Contact").length, 0);
 * ```
 */
export interface CollectionsOptions {
  /**
   * Roll back every record when one fails. The platform can only do this within
   * one call, so more than 200 records (or more than 10 runs of same-type
   * records) with `allOrNone` is a `RangeError`.
   *
   * @default {false}
   */
  allOrNone?: boolean;
  /** Aborts the calls. */
  signal?: AbortSignal;
}

/**
 * Options for {@linkcode CollectionsClient.get}.
 *
 * @example Abort a read
 * ```ts
 * import { type CollectionsGetOptions, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const [id] = org.insert("Account", [{ Name: "Acme" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const options: CollectionsGetOptions = { signal: AbortSignal.timeout(10_000) };
 * const [account] = await sf.collections.get("Account", [id], ["Name"], options);
 * assert.equal(account?.Name, "Acme");
 * ```
 */
export interface CollectionsGetOptions {
  /** Aborts the calls. */
  signal?: AbortSignal;
}

/** Options for {@linkcode CollectionsError}. */
export interface CollectionsErrorOptions<T> {
  /** Results in input order; `undefined` where the record's call failed. */
  partialResults: (T | undefined)[];
  /** Every failed call's error, in input order; the first is also `cause`. */
  callErrors: unknown[];
}

/**
 * One or more calls of a split collections operation failed (e.g. a `500`
 * after retries, or an abort). The calls that completed are in
 * `partialResults`, so you know exactly which records were written: an entry is
 * the record's result, or `undefined` when its call failed (that record may or
 * may not have been written: the call's outcome is unknown). `cause` is the first
 * failed call's error, usually a {@linkcode SalesforceError}.
 *
 * @example Find the records whose call failed
 * ```ts
 * import { CollectionsError, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch, retryPolicy: null });
 * org.inject({ path: "/services/data/v64.0/composite/sobjects", status: 500 });
 * const records = Array.from({ length: 3 }, (_, i) => ({ Name: `Account ${i}` }));
 * try {
 *   await sf.collections.create("Account", records);
 *   assert.fail("expected a CollectionsError");
 * } catch (error) {
 *   assert.ok(error instanceof CollectionsError);
 *   assert.deepEqual(error.partialResults, [undefined, undefined, undefined]);
 * }
 * ```
 */
export class CollectionsError<T = SaveResult> extends Error {
  /** Results in input order; `undefined` where the record's call failed. */
  readonly partialResults: (T | undefined)[];
  /** Every failed call's error; the first is also `cause`. */
  readonly callErrors: unknown[];

  /**
   * Builds the error; the collections methods throw it, there is rarely a need to.
   *
   * @param message What could not be done and why.
   * @param options The partial results and the calls' errors.
   */
  constructor(message: string, options: CollectionsErrorOptions<T>) {
    super(message, { cause: options.callErrors[0] });
    this.name = "CollectionsError";
    this.partialResults = options.partialResults;
    this.callErrors = options.callErrors;
  }
}

/**
 * sObject Collections, available as `sf.collections`: many records per call,
 * results in input order. Any number of records is accepted: more than 200 are
 * split into calls of 200 (reads: 2,000 ids) sent concurrently within the
 * client's `concurrencyLimit`. A record Salesforce refuses is a result with
 * `success: false`, not an exception; a call that fails altogether (after
 * retries) rejects with a {@linkcode CollectionsError} that carries the results
 * of the calls that completed. Every argument is checked before anything is sent.
 *
 * @example Create, update, read and delete 500 records
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const records = Array.from({ length: 500 }, (_, i) => ({ Name: `Account ${i}` }));
 * const created = await sf.collections.create("Account", records); // 3 calls
 * const ids = created.map((result) => result.id!);
 * await sf.collections.update("Account", ids.map((Id) => ({ Id, Industry: "Energy" })));
 * const read = await sf.collections.get<{ Name: string }>("Account", ids, ["Name"]);
 * assert.equal(read[499]?.Name, "Account 499");
 * const deleted = await sf.collections.delete(ids);
 * assert.ok(deleted.every((result) => result.success));
 * ```
 */
export class CollectionsClient {
  #client: Salesforce;
  #path: string;

  /**
   * Use `sf.collections`; there is rarely a need to build one.
   *
   * @param client The client to send requests with.
   * @param basePath The API root, e.g. `/services/data/v64.0` (or the Tooling API's).
   */
  constructor(client: Salesforce, basePath = `/services/data/v${client.version}`) {
    this.#client = client;
    this.#path = `${basePath}/composite/sobjects`;
  }

  /**
   * Creates records. Each record goes out with `attributes: { type }` added
   * (your objects are not changed). Pass `null` as `sobject` to create records of
   * several types, each naming its type in `attributes.type`.
   *
   * @param sobject The type of every record, e.g. `Account`; or `null` when each record has `attributes.type`.
   * @param records The field values; none may hold an `Id`.
   * @param options `allOrNone`, `signal`.
   * @returns One result per record, in input order, each with the new `id` on success.
   * @throws {TypeError} For a bad object name, a record that is not an object, a
   *   record with an `Id`, or an `attributes.type` that differs from `sobject`.
   * @throws {RangeError} With `allOrNone` and more than 200 records or 10 type runs.
   * @throws {CollectionsError} When a call fails; its `partialResults` hold the rest.
   *
   * @example Create records of two types in one call
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const results = await sf.collections.create(null, [
   *   { attributes: { type: "Account" }, Name: "Acme" },
   *   { attributes: { type: "Contact" }, LastName: "Doe" },
   * ]);
   * assert.deepEqual(results.map((r) => r.id?.slice(0, 3)), ["001", "003"]);
   * ```
   */
  async create(
    sobject: string | null,
    records: Iterable<Record<string, unknown>>,
    options: CollectionsOptions = {},
  ): Promise<SaveResult[]> {
    return await this.#save("create", sobject, records, options);
  }

  /**
   * Updates records by `Id` (each record must hold one). Pass `null` as
   * `sobject` to update records of several types, each naming its type in
   * `attributes.type`.
   *
   * @param sobject The type of every record, e.g. `Account`; or `null` when each record has `attributes.type`.
   * @param records The fields to change, each with the record's `Id`.
   * @param options `allOrNone`, `signal`.
   * @returns One result per record, in input order.
   * @throws {TypeError} For a record without a valid `Id` (the message names its index), or bad names.
   * @throws {RangeError} With `allOrNone` and more than 200 records or 10 type runs.
   * @throws {CollectionsError} When a call fails; its `partialResults` hold the rest.
   *
   * @example Update a record by Id
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [id] = org.insert("Account", [{ Name: "Acme" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const [result] = await sf.collections.update("Account", [{ Id: id, Industry: "Energy" }]);
   * assert.deepEqual(result, { id, success: true, errors: [] });
   * assert.equal(org.records("Account")[0].Industry, "Energy");
   * ```
   */
  async update(
    sobject: string | null,
    records: Iterable<Record<string, unknown>>,
    options: CollectionsOptions = {},
  ): Promise<SaveResult[]> {
    return await this.#save("update", sobject, records, options);
  }

  /**
   * Inserts or updates records of one type by an external id field, which each
   * record must hold.
   *
   * @param sobject The object, e.g. `Account`.
   * @param externalIdField The external id field, e.g. `ExtId__c`.
   * @param records The field values, each with a value for `externalIdField`.
   * @param options `allOrNone`, `signal`.
   * @returns One result per record, in input order, with `created`.
   * @throws {TypeError} For a record without the external id (the message names its
   *   index and the field), a record of another type, or bad names.
   * @throws {RangeError} With `allOrNone` and more than 200 records.
   * @throws {CollectionsError} When a call fails; its `partialResults` hold the rest.
   *
   * @example Update one record and insert another by external id
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "Old", ExtId__c: "A-1" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const results = await sf.collections.upsert("Account", "ExtId__c", [
   *   { ExtId__c: "A-1", Name: "Acme" },
   *   { ExtId__c: "A-2", Name: "Globex" },
   * ]);
   * assert.deepEqual(results.map((r) => r.created), [false, true]);
   * ```
   */
  async upsert(
    sobject: string,
    externalIdField: string,
    records: Iterable<Record<string, unknown>>,
    options: CollectionsOptions = {},
  ): Promise<SaveResult[]> {
    const context = "Cannot upsert records";
    checkApiName(context, "sobject", sobject);
    checkApiName(context, "externalIdField", externalIdField);
    return await this.#save("upsert", sobject, records, options, externalIdField);
  }

  /**
   * Deletes records by id; the ids may belong to different objects.
   *
   * @param ids Record ids, 15 or 18 characters.
   * @param options `allOrNone`, `signal`.
   * @returns One result per id, in input order.
   * @throws {TypeError} For an id of the wrong form (the message names its index).
   * @throws {RangeError} With `allOrNone` and more than 200 ids.
   * @throws {CollectionsError} When a call fails; its `partialResults` hold the rest.
   *
   * @example Delete records by id
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const ids = org.insert("Account", [{ Name: "A" }, { Name: "B" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const results = await sf.collections.delete(ids);
   * assert.ok(results.every((result) => result.success));
   * assert.equal(org.records("Account").length, 0);
   * ```
   */
  async delete(ids: Iterable<string>, options: CollectionsOptions = {}): Promise<SaveResult[]> {
    options = optionsOf("Cannot delete records", options);
    const context = "Cannot delete records";
    const list = checkIds(context, toArray(context, "ids", ids), false);
    const allOrNone = checkBoolean(context, "allOrNone", options.allOrNone);
    const calls = planCalls(context, list.length, MAX_RECORDS_PER_CALL, allOrNone);
    return await this.#run(context, list.length, calls, async ({ start, count }) => {
      // Ids are base-62, so the query string needs no encoding.
      const url = `${this.#path}?ids=${
        list.slice(start, start + count).join(",")
      }&allOrNone=${allOrNone}`;
      const response = await this.#client.request(url, {
        method: "DELETE",
        signal: options.signal,
      });
      return (await readResults(context, response, count)).map(toSaveResult);
    });
  }

  /**
   * Reads records of one object by id, with the fields you name. Ids are sent in
   * the request body (no URL length limit), up to 2,000 per call.
   *
   * @param sobject The object, e.g. `Account`.
   * @param ids Record ids of that object, 15 or 18 characters.
   * @param fields The fields to return, e.g. `["Name", "Industry"]`.
   * @param options `signal`.
   * @returns One entry per id, in input order: the record (with `attributes`), or
   *   `null` when the id names no record you can see.
   * @throws {TypeError} For a bad name, an id of the wrong form or of another
   *   object than the first id's, or an empty `fields`.
   * @throws {CollectionsError} When a call fails; its `partialResults` hold the rest.
   *
   * @example Read records; an unknown id gives null
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [id] = org.insert("Account", [{ Name: "Acme" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const gone = "001000000000001AAA";
   * const records = await sf.collections.get<{ Name: string }>("Account", [id, gone], ["Name"]);
   * assert.equal(records[0]?.Name, "Acme");
   * assert.equal(records[1], null);
   * ```
   */
  async get<T = Record<string, unknown>>(
    sobject: string,
    ids: Iterable<string>,
    fields: Iterable<string>,
    options: CollectionsGetOptions = {},
  ): Promise<(T | null)[]> {
    options = optionsOf("Cannot get records", options);
    const context = "Cannot get records";
    checkApiName(context, "sobject", sobject);
    const list = checkIds(context, toArray(context, "ids", ids), true);
    const names = toArray(context, "fields", fields).map((field, i) =>
      checkFieldPath(context, `fields[${i}]`, field)
    );
    if (names.length === 0) {
      throw new TypeError(`${context}: "fields" must name at least one field: received []`);
    }
    const calls = planCalls(context, list.length, MAX_IDS_PER_GET, false);
    return await this.#run<T | null>(context, list.length, calls, async ({ start, count }) => {
      const response = await this.#client.request(`${this.#path}/${sobject}`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ ids: list.slice(start, start + count), fields: names }),
        signal: options.signal,
      });
      const entries = await readResults(context, response, count);
      return entries.map((entry) => isPlainObject(entry) ? entry as T : null);
    });
  }

  /** Checks and sends create, update or upsert. */
  #save(
    operation: SaveOperation,
    sobject: string | null,
    records: Iterable<Record<string, unknown>>,
    options: CollectionsOptions,
    externalIdField?: string,
  ): Promise<SaveResult[]> {
    const context = `Cannot ${operation} records`;
    if (sobject !== null) checkApiName(context, "sobject", sobject);
    const allOrNone = checkBoolean(context, "allOrNone", checkOptions(context, options).allOrNone);
    const list = toArray(context, "records", records);
    const save = { operation, sobject, externalIdField };
    const { wire, calls } = planSave(context, save, list, allOrNone);
    const method = operation === "create" ? "POST" : "PATCH";
    const url = operation === "upsert" ? `${this.#path}/${sobject}/${externalIdField}` : this.#path;
    return this.#run(context, list.length, calls, async ({ start, count }) => {
      const response = await this.#client.request(url, {
        method,
        headers: JSON_HEADERS,
        body: JSON.stringify({ allOrNone, records: wire.slice(start, start + count) }),
        signal: options.signal,
      });
      return (await readResults(context, response, count)).map(toSaveResult);
    });
  }

  /** Runs the calls; when any fails, throws a CollectionsError with the others' results. */
  async #run<R>(
    context: string,
    total: number,
    calls: Call[],
    send: (call: Call) => Promise<R[]>,
  ): Promise<R[]> {
    const concurrency = this.#client.concurrencyLimit;
    const { results, callErrors, missing } = await runCalls(concurrency, total, calls, send);
    if (callErrors.length === 0) return results as R[];
    const first = callErrors[0];
    const reason = first instanceof Error ? first.message : String(first);
    throw new CollectionsError<R>(
      `${context}: ${callErrors.length} of ${calls.length} calls failed, so ${missing} of ${total} records have no result: ${reason}`,
      { partialResults: results, callErrors },
    );
  }
}
