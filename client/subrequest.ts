/**
 * The subrequest objects composite builders hand out: status, body, headers and
 * the mapped error after `execute()`, typed accessors, and `ref()`.
 *
 * @module
 */

import type { SalesforceError, SalesforceErrorDetail } from "./errors.ts";
import type { QueryPage } from "./query.ts";
import { reference, subrequestAccess, type SubrequestOutcome } from "./_composite_wire.ts";

/**
 * A subrequest's result was read before `execute()` finished, or a builder was
 * used in a state that does not allow it (adding after `execute()`, executing twice).
 *
 * @example Reading a result too early
 * ```ts
 * import { InvalidStateError, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const query = batch.query("SELECT Id FROM Account");
 * assert.throws(() => query.records, InvalidStateError);
 * ```
 */
export class InvalidStateError extends Error {
  /**
   * Creates the error.
   *
   * @param message What could not be done and why.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * One subrequest of a composite batch or composite request. Builders create
 * them; after `execute()` they hold the status, body and headers Salesforce
 * reported. Reading any of them before is an {@linkcode InvalidStateError}.
 *
 * @typeParam TBody The body of a successful result.
 *
 * @example Check a subrequest's outcome
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const [id] = org.insert("Account", [{ Name: "Acme" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const update = batch.sobject.update("Account", id, { Name: "Acme Corp" });
 * assert.equal(update.done, false);
 * await batch.execute();
 * assert.deepEqual([update.done, update.isSuccess, update.statusCode], [true, true, 204]);
 * ```
 */
export class Subrequest<TBody = unknown> {
  /** The HTTP method, e.g. `POST`. */
  readonly method: string;
  /** The path from the host, e.g. `/services/data/v64.0/sobjects/Account`. */
  readonly url: string;
  /** The generated reference id: `<Object>_<operation>_<index>`, or `query_<index>`. */
  readonly referenceId: string;
  #requestBody: string | undefined;
  #referable: boolean;
  #outcome: SubrequestOutcome | undefined;

  static {
    // Builders settle results through these; there are no public setters.
    subrequestAccess.requestBody = (subrequest) => subrequest.#requestBody;
    subrequestAccess.settle = (subrequest, outcome) => {
      subrequest.#outcome = outcome;
    };
  }

  /**
   * Builders create subrequests; there is no need to call this directly.
   *
   * @param method The HTTP method.
   * @param url The path from the host.
   * @param options The reference id, the JSON body, and whether other subrequests may reference this one.
   */
  constructor(
    method: string,
    url: string,
    options: { referenceId: string; body?: string; referable?: boolean },
  ) {
    this.method = method;
    this.url = url;
    this.referenceId = options.referenceId;
    this.#requestBody = options.body;
    this.#referable = options.referable ?? false;
  }

  /** True once `execute()` has set the result. */
  get done(): boolean {
    return this.#outcome !== undefined;
  }

  /**
   * The subrequest's HTTP status.
   *
   * @throws {InvalidStateError} Before `execute()`.
   */
  get statusCode(): number {
    return this.#settled().statusCode;
  }

  /**
   * The response body as Salesforce reported it (HTML escaping undone): the
   * result on success, the error list on failure, `null` for no content.
   *
   * @throws {InvalidStateError} Before `execute()`.
   */
  get body(): TBody | SalesforceErrorDetail[] | null {
    return this.#settled().body as TBody | SalesforceErrorDetail[] | null;
  }

  /**
   * The same as {@linkcode Subrequest.body} (Composite Batch calls it `result`).
   *
   * @throws {InvalidStateError} Before `execute()`.
   */
  get result(): TBody | SalesforceErrorDetail[] | null {
    return this.body;
  }

  /**
   * Response headers of the subrequest (`Location` of a created record); empty in a batch.
   *
   * @throws {InvalidStateError} Before `execute()`.
   */
  get httpHeaders(): Record<string, string> {
    return this.#settled().httpHeaders;
  }

  /**
   * True for a 2xx status.
   *
   * @throws {InvalidStateError} Before `execute()`.
   */
  get isSuccess(): boolean {
    return this.#settled().error === undefined;
  }

  /**
   * The error a failed subrequest maps to (as `createSalesforceError` maps
   * responses), or undefined on success. Always the same instance.
   *
   * @throws {InvalidStateError} Before `execute()`.
   */
  get error(): SalesforceError | undefined {
    return this.#settled().error;
  }

  /**
   * Throws the subrequest's error if it failed.
   *
   * @throws {SalesforceError} The mapped subclass, e.g. `NotFoundError` for 404.
   * @throws {InvalidStateError} Before `execute()`.
   */
  raiseForStatus(): void {
    const { error } = this.#settled();
    if (error !== undefined) throw error;
  }

  /**
   * A reference to a value of this subrequest's result, for later subrequests
   * of the same composite request: `ref("id")` is `"@{Account_create_0.id}"`.
   *
   * @param path Keys and indexes into the result, e.g. `id` or `records[0].Id`.
   * @returns The reference text Salesforce replaces with the value.
   * @throws {TypeError} For a malformed path, or on a Composite Batch subrequest (batches cannot reference).
   */
  ref(path: string): string {
    if (!this.#referable) {
      throw new TypeError(
        `Cannot reference subrequest "${this.referenceId}": references work only between subrequests of one sf.composite.request()`,
      );
    }
    return reference(this.referenceId, path);
  }

  #settled(): SubrequestOutcome {
    if (this.#outcome === undefined) {
      throw new InvalidStateError(
        `Cannot read subrequest "${this.referenceId}": it has not been executed; await execute() first`,
      );
    }
    return this.#outcome;
  }
}

/**
 * A SOQL query subrequest; `records` holds its first page (up to 2,000 rows).
 *
 * @typeParam T The record type.
 *
 * @example Query inside a batch
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("Account", [{ Name: "Acme" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const accounts = batch.query<{ Name: string }>("SELECT Name FROM Account");
 * await batch.execute();
 * assert.deepEqual(accounts.records.map((account) => account.Name), ["Acme"]);
 * ```
 */
export class QuerySubrequest<T = Record<string, unknown>> extends Subrequest<QueryPage<T>> {
  /**
   * The records of the result's first page.
   *
   * @throws {SalesforceError} When the query failed (e.g. `MALFORMED_QUERY`).
   * @throws {InvalidStateError} Before `execute()`.
   */
  get records(): T[] {
    this.raiseForStatus();
    return (this.body as QueryPage<T>).records;
  }

  /**
   * Rows the whole query matched.
   *
   * @throws {SalesforceError} When the query failed.
   * @throws {InvalidStateError} Before `execute()`.
   */
  get totalSize(): number {
    this.raiseForStatus();
    return (this.body as QueryPage<T>).totalSize;
  }
}

/**
 * A create subrequest; `id` is the new record's id.
 *
 * @example Create in a batch
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const contact = batch.sobject.create("Contact", { LastName: "Doe" });
 * await batch.execute();
 * assert.equal(contact.id, org.records("Contact")[0].Id);
 * ```
 */
export class CreateSubrequest
  extends Subrequest<{ id: string; success: boolean; errors: SalesforceErrorDetail[] }> {
  /**
   * The new record's id.
   *
   * @throws {SalesforceError} When the create failed (e.g. `REQUIRED_FIELD_MISSING`).
   * @throws {InvalidStateError} Before `execute()`.
   */
  get id(): string {
    this.raiseForStatus();
    return (this.body as { id: string }).id;
  }
}

/**
 * A get subrequest; `record` is the record read.
 *
 * @typeParam T The record type.
 *
 * @example Read a record in a batch
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const [id] = org.insert("Contact", [{ LastName: "Doe" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const contact = batch.sobject.get<{ LastName: string }>("Contact", id, { fields: ["LastName"] });
 * await batch.execute();
 * assert.equal(contact.record.LastName, "Doe");
 * ```
 */
export class GetSubrequest<T = Record<string, unknown>> extends Subrequest<T> {
  /**
   * The record, with its `attributes` block.
   *
   * @throws {NotFoundError} When no record matches.
   * @throws {MoreThanOneRecordError} When an external id matches several records.
   * @throws {InvalidStateError} Before `execute()`.
   */
  get record(): T {
    this.raiseForStatus();
    return this.body as T;
  }
}

/**
 * An upsert subrequest; `id` and `created` tell what happened.
 *
 * @example Upsert by external id in a batch
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const upsert = batch.sobject.upsert("Account", "A-1", "ExtId__c", { Name: "Acme" });
 * await batch.execute();
 * assert.equal(upsert.created, true);
 * assert.equal(upsert.id, org.records("Account")[0].Id);
 * ```
 */
export class UpsertSubrequest extends Subrequest<
  { id: string; success: boolean; errors: SalesforceErrorDetail[]; created: boolean } | null
> {
  /**
   * The record id ("" when an API version before 46.0 answered an update with no body).
   *
   * @throws {MoreThanOneRecordError} When several records have that external id.
   * @throws {InvalidStateError} Before `execute()`.
   */
  get id(): string {
    this.raiseForStatus();
    return (this.body as { id?: string } | null)?.id ?? "";
  }

  /**
   * True when the record was inserted, false when it was updated.
   *
   * @throws {MoreThanOneRecordError} When several records have that external id.
   * @throws {InvalidStateError} Before `execute()`.
   */
  get created(): boolean {
    this.raiseForStatus();
    const body = this.body as { created?: boolean } | null;
    return body?.created ?? this.statusCode === 201;
  }
}
