/**
 * sObject operations on single records: create, get, update, delete, upsert, describe.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { cachedDescribe } from "./_describe_cache.ts";
import {
  createSpec,
  deleteSpec,
  describeSpec,
  getSpec,
  objectJson,
  type SObjectSpec,
  type SpecRules,
  updateSpec,
  upsertSpec,
} from "./_sobject_spec.ts";
import { optionsOf } from "./_validate.ts";
import { readBody } from "./_body_deadline.ts";

/** A record body: an object to serialise, or JSON text / bytes sent as they are. */
export type RecordData = Record<string, unknown> | string | Uint8Array;

/** Options every sObject call takes. */
export interface SObjectCallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Options for {@linkcode SObjectClient.get}. */
export interface SObjectGetOptions extends SObjectCallOptions {
  /** Look the record up by this external id field instead of by record id. */
  externalIdField?: string;
  /** Fields to return (relationship paths such as `Owner.Name` allowed); all fields when omitted. */
  fields?: Iterable<string>;
}

/** Options for {@linkcode SObjectClient.delete}. */
export interface SObjectDeleteOptions extends SObjectCallOptions {
  /** Delete by this external id field instead of by record id. */
  externalIdField?: string;
}

/** Options for {@linkcode SObjectClient.upsert}. */
export interface SObjectUpsertOptions extends SObjectCallOptions {
  /**
   * Check an object body for the external id field: drop it when it equals
   * `id` (Salesforce refuses it in the body), refuse it when it differs.
   *
   * @default {true}
   */
  validate?: boolean;
}

/** What {@linkcode SObjectClient.upsert} did. */
export interface UpsertResult {
  /** The record id. */
  id: string;
  /** True when the record was inserted, false when it was updated. */
  created: boolean;
}

/** Describe of one sObject: object-level keys plus `fields`, `childRelationships`, ... */
export interface SObjectDescribe {
  /** API name, e.g. `Account`. */
  name: string;
  /** Singular label. */
  label: string;
  /** The 3-character id prefix, or null for objects without records. */
  keyPrefix: string | null;
  /** True for custom objects. */
  custom: boolean;
  /** Every field: name, type and the rest of describe's field keys. */
  fields: Array<{ name: string; type: string; [key: string]: unknown }>;
  /** The other describe keys (`childRelationships`, `urls`, ...). */
  [key: string]: unknown;
}

const JSON_HEADERS = { "Content-Type": "application/json" };

/** The request body: an object serialised, JSON text or bytes sent as they are. */
function body(context: string, data: unknown): BodyInit {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return data as Uint8Array<ArrayBuffer>;
  return objectJson(context, data);
}

/** sf.sobject sends bodies as given and takes no references in place of ids. */
const RULES: SpecRules<BodyInit> = { encode: body };

/**
 * Single-record sObject operations, available as `sf.sobject`. Every object
 * name, field name and id is checked and URL-encoded before anything is sent,
 * so no value can steer a request to another endpoint.
 *
 * @example Create, read, update and delete a record on the fake org
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const id = await sf.sobject.create("Account", { Name: "Acme" });
 * await sf.sobject.update("Account", id, { Name: "Acme Corp" });
 * const account = await sf.sobject.get<{ Name: string }>("Account", id, { fields: ["Name"] });
 * assert.equal(account.Name, "Acme Corp");
 * await sf.sobject.delete("Account", id);
 * ```
 */
export class SObjectClient {
  #client: Salesforce;
  #basePath: string;

  /**
   * Use `sf.sobject`; there is rarely a need to build one.
   *
   * @param client The client to send requests with.
   * @param basePath The API root, e.g. `/services/data/v64.0` (or the Tooling API's).
   */
  constructor(client: Salesforce, basePath = `/services/data/v${client.version}`) {
    this.#client = client;
    this.#basePath = basePath;
  }

  /**
   * Creates a record.
   *
   * @param sobject The object, e.g. `Account`.
   * @param data The field values.
   * @param options `signal`.
   * @returns The new record's id.
   * @throws {TypeError} For a bad object name or body, before anything is sent.
   * @throws {SalesforceError} When Salesforce refuses the record.
   *
   * @example Create a contact
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const id = await sf.sobject.create("Contact", { LastName: "Doe" });
   * assert.equal(id.slice(0, 3), "003");
   * ```
   */
  async create(
    sobject: string,
    data: RecordData,
    options: SObjectCallOptions = {},
  ): Promise<string> {
    options = optionsOf("Cannot create record", options);
    const response = await this.#send(createSpec(sobject, data, RULES), options.signal);
    const result = await readBody(response, (answer) => answer.json()) as { id: string };
    return result.id;
  }

  /**
   * Reads a record by id, or by external id with `externalIdField`.
   *
   * @param sobject The object, e.g. `Account`.
   * @param id The record id, or the external id value.
   * @param options `externalIdField`, `fields`, `signal`.
   * @returns The record, with its `attributes` block.
   * @throws {TypeError} For a bad object name, id or field, before anything is sent.
   * @throws {NotFoundError} When no record matches.
   * @throws {MoreThanOneRecordError} When an external id matches several records.
   *
   * @example Read by external id
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "Acme", ExtId__c: "A-1" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const account = await sf.sobject.get<{ Name: string }>("Account", "A-1", { externalIdField: "ExtId__c" });
   * assert.equal(account.Name, "Acme");
   * ```
   */
  async get<T = Record<string, unknown>>(
    sobject: string,
    id: string,
    options: SObjectGetOptions = {},
  ): Promise<T> {
    options = optionsOf("Cannot get record", options);
    const response = await this.#send(getSpec(sobject, id, options, RULES), options.signal);
    return await readBody(response, (answer) => answer.json()) as T;
  }

  /**
   * Updates a record by id.
   *
   * @param sobject The object, e.g. `Account`.
   * @param id The record id.
   * @param data The fields to change; `null` clears a field.
   * @param options `signal`.
   * @throws {TypeError} For a bad object name, id or body, before anything is sent.
   * @throws {NotFoundError} When the record does not exist.
   *
   * @example Change one field
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [id] = org.insert("Account", [{ Name: "Acme" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * await sf.sobject.update("Account", id, { Industry: "Energy" });
   * assert.equal(org.records("Account")[0].Industry, "Energy");
   * ```
   */
  async update(
    sobject: string,
    id: string,
    data: RecordData,
    options: SObjectCallOptions = {},
  ): Promise<void> {
    options = optionsOf("Cannot update record", options);
    const response = await this.#send(updateSpec(sobject, id, data, RULES), options.signal);
    await response.body?.cancel();
  }

  /**
   * Deletes a record by id, or by external id with `externalIdField`.
   *
   * @param sobject The object, e.g. `Account`.
   * @param id The record id, or the external id value.
   * @param options `externalIdField`, `signal`.
   * @throws {TypeError} For a bad object name or id, before anything is sent.
   * @throws {NotFoundError} When no record matches.
   *
   * @example Delete by record id
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [id] = org.insert("Account", [{ Name: "Acme" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * await sf.sobject.delete("Account", id);
   * assert.equal(org.records("Account").length, 0);
   * ```
   */
  async delete(sobject: string, id: string, options: SObjectDeleteOptions = {}): Promise<void> {
    options = optionsOf("Cannot delete record", options);
    const response = await this.#send(deleteSpec(sobject, id, options, RULES), options.signal);
    await response.body?.cancel();
  }

  /**
   * Inserts or updates the record whose `externalIdField` equals `id`.
   *
   * @param sobject The object, e.g. `Account`.
   * @param id The external id value.
   * @param externalIdField The external id field, e.g. `ExtId__c`.
   * @param data The field values. An object body is checked (see `validate`)
   *   and never changed; JSON text or bytes are sent as they are.
   * @param options `validate`, `signal`.
   * @returns The record id and whether it was created.
   * @throws {TypeError} For bad names, a bad id, or a body whose external id differs from `id`.
   * @throws {MoreThanOneRecordError} When several records have that external id.
   *
   * @example Insert, then update, by external id
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const first = await sf.sobject.upsert("Account", "A-1", "ExtId__c", { Name: "Acme" });
   * const second = await sf.sobject.upsert("Account", "A-1", "ExtId__c", { Name: "Acme Corp" });
   * assert.deepEqual([first.created, second.created, first.id === second.id], [true, false, true]);
   * ```
   */
  async upsert(
    sobject: string,
    id: string,
    externalIdField: string,
    data: RecordData,
    options: SObjectUpsertOptions = {},
  ): Promise<UpsertResult> {
    options = optionsOf("Cannot upsert record", options);
    const spec = upsertSpec(sobject, id, externalIdField, data, options, RULES);
    const response = await this.#send(spec, options.signal);
    if (response.status === 204) {
      // API versions before 46.0 answer an update with 204 and no body.
      return { id: "", created: false };
    }
    const result = await readBody(response, (answer) => answer.json()) as {
      id: string;
      created?: boolean;
    };
    return { id: result.id, created: result.created ?? response.status === 201 };
  }

  /**
   * Describes an sObject: its fields, relationships and properties.
   *
   * Cached per client: the first call fetches the describe; later calls send
   * `If-Modified-Since` and reuse the cached copy when Salesforce answers
   * `304`. Concurrent calls for one object share one request; a failed call is
   * not cached. The result is deep-frozen and shared between callers (copy it
   * before changing it); `sf.clearDescribeCache()` forgets every entry.
   *
   * @param sobject The object, e.g. `Account`.
   * @param options `signal`: stops this caller waiting; a request shared with
   *   other callers still completes for them.
   * @returns The describe JSON, frozen.
   * @throws {TypeError} For a bad object name, before anything is sent.
   * @throws {NotFoundError} When the org has no such object.
   *
   * @example List the fields of Account
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const describe = await sf.sobject.describe("Account");
   * assert.ok(describe.fields.some((field) => field.name === "Name"));
   * ```
   */
  async describe(sobject: string, options: SObjectCallOptions = {}): Promise<SObjectDescribe> {
    options = optionsOf("Cannot describe object", options);
    const path = `${this.#basePath}/${describeSpec(sobject).path}`;
    return await cachedDescribe<SObjectDescribe>(this.#client, path, options.signal);
  }

  #send(spec: SObjectSpec<BodyInit>, signal: AbortSignal | undefined): Promise<Response> {
    return this.#client.request(`${this.#basePath}/${spec.path}`, {
      method: spec.method,
      headers: spec.body === undefined ? undefined : JSON_HEADERS,
      body: spec.body,
      signal,
    });
  }
}
