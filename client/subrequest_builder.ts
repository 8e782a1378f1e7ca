/**
 * The part every composite builder shares: `query()`, `sobject.*`, generated
 * reference ids, limits, and the open, executing and executed states.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import type {
  RecordData,
  SObjectDeleteOptions,
  SObjectGetOptions,
  SObjectUpsertOptions,
} from "./sobject.ts";
import {
  CreateSubrequest,
  GetSubrequest,
  InvalidStateError,
  QuerySubrequest,
  Subrequest,
  UpsertSubrequest,
} from "./subrequest.ts";
import { querySpec, subrequestRules, type SubrequestSpec } from "./_composite_wire.ts";
import { createSpec, deleteSpec, getSpec, updateSpec, upsertSpec } from "./_sobject_spec.ts";

/**
 * The sObject subrequests a builder offers as `builder.sobject`: the same
 * arguments and checks as `sf.sobject`, without `signal` (the builder's
 * `execute()` takes it). Each call returns its subrequest at once. Inside
 * `sf.composite.request()`, an id may be a reference from `ref()`.
 *
 * @example Queue sObject calls in a batch
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const [id] = org.insert("Account", [{ Name: "Old" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * batch.sobject.update("Account", id, { Name: "New" });
 * const deleted = batch.sobject.delete("Account", id);
 * await batch.execute();
 * assert.equal(deleted.statusCode, 204);
 * ```
 */
export interface SObjectSubrequestMethods {
  /**
   * Creates a record.
   *
   * @throws {TypeError} For a bad object name or body.
   */
  create(sobject: string, data: RecordData): CreateSubrequest;
  /**
   * Reads a record by id, or by external id with `externalIdField`.
   *
   * @throws {TypeError} For a bad object name, id or field.
   */
  get<T = Record<string, unknown>>(
    sobject: string,
    id: string,
    options?: Omit<SObjectGetOptions, "signal">,
  ): GetSubrequest<T>;
  /**
   * Updates a record by id.
   *
   * @throws {TypeError} For a bad object name, id or body.
   */
  update(sobject: string, id: string, data: RecordData): Subrequest<null>;
  /**
   * Deletes a record by id, or by external id with `externalIdField`.
   *
   * @throws {TypeError} For a bad object name or id.
   */
  delete(
    sobject: string,
    id: string,
    options?: Omit<SObjectDeleteOptions, "signal">,
  ): Subrequest<null>;
  /**
   * Inserts or updates the record whose `externalIdField` equals `id`.
   *
   * @throws {TypeError} For bad names, a bad id, or a body whose external id differs from `id`.
   */
  upsert(
    sobject: string,
    id: string,
    externalIdField: string,
    data: RecordData,
    options?: Omit<SObjectUpsertOptions, "signal">,
  ): UpsertSubrequest;
}

/** How a builder names, limits and lets subrequests reference each other. */
export interface BuilderRules {
  /** Named in messages: "composite request", "composite batch". */
  name: string;
  /** Whether subrequests may reference earlier ones with `ref()`. */
  referable: boolean;
  maxSubrequests: number;
  maxQueries: number;
}

/**
 * The part every composite builder shares: `query()`, `sobject.*`, the
 * subrequest list and its state (open, executing, executed). Composite Batch,
 * Composite and Composite Graph builders extend it.
 *
 * @example Every builder collects subrequests the same way
 * ```ts
 * import { Salesforce, SubrequestBuilder } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const composite = sf.composite.request();
 * composite.sobject.create("Account", { Name: "Acme" });
 * composite.query("SELECT Id FROM Account");
 * assert.ok(composite instanceof SubrequestBuilder);
 * assert.deepEqual(composite.subrequests.map((s) => s.referenceId), ["Account_create_0", "query_1"]);
 * ```
 */
export abstract class SubrequestBuilder {
  /** sObject subrequests: create, get, update, delete, upsert. */
  readonly sobject: SObjectSubrequestMethods;
  #client: Salesforce;
  #rules: BuilderRules;
  #subrequests: Subrequest[] = [];
  #queries = 0;
  #state: "open" | "executing" | "failed" | "executed" = "open";

  /**
   * Sets up an empty builder; subclasses pass their limits.
   *
   * @param client The client that sends the calls.
   * @param rules The builder's name in messages, whether subrequests may
   *   reference each other, and its subrequest and query limits.
   */
  protected constructor(client: Salesforce, rules: BuilderRules) {
    this.#client = client;
    this.#rules = rules;
    const wire = subrequestRules(rules.referable);
    this.sobject = {
      create: (sobject, data) => this.#add(createSpec(sobject, data, wire), CreateSubrequest),
      get: <T = Record<string, unknown>>(
        sobject: string,
        id: string,
        options: Omit<SObjectGetOptions, "signal"> = {},
      ) => this.#add(getSpec(sobject, id, options, wire), GetSubrequest<T>),
      update: (sobject, id, data) =>
        this.#add(updateSpec(sobject, id, data, wire), Subrequest<null>),
      delete: (sobject, id, options = {}) =>
        this.#add(deleteSpec(sobject, id, options, wire), Subrequest<null>),
      upsert: (sobject, id, externalIdField, data, options = {}) =>
        this.#add(
          upsertSpec(sobject, id, externalIdField, data, options, wire),
          UpsertSubrequest,
        ),
    };
  }

  /** The client the calls go through. */
  protected get _client(): Salesforce {
    return this.#client;
  }

  /** The subrequests added so far, in order. */
  get subrequests(): readonly Subrequest[] {
    return [...this.#subrequests];
  }

  /**
   * Adds a SOQL query (`queryAll` with `includeAllRecords`).
   *
   * @param soql The query; references from `ref()` may appear in it inside a composite request.
   * @param options `includeAllRecords`.
   * @returns The query subrequest; `records` after `execute()`.
   * @throws {TypeError} When `soql` is empty.
   * @throws {RangeError} When a composite request already holds 5 queries.
   * @throws {InvalidStateError} After `execute()` started.
   */
  query<T = Record<string, unknown>>(
    soql: string,
    options: { includeAllRecords?: boolean } = {},
  ): QuerySubrequest<T> {
    const spec = querySpec(soql, options.includeAllRecords, this.#rules.referable);
    const subrequest = this.#add(spec, QuerySubrequest<T>, this.#queries >= this.#rules.maxQueries);
    this.#queries++;
    return subrequest;
  }

  /**
   * Starts execution: returns the subrequests still to send.
   *
   * @throws {InvalidStateError} While executing, or once executed.
   */
  protected _begin(): Subrequest[] {
    if (this.#state === "executing" || this.#state === "executed") {
      throw new InvalidStateError(
        `Cannot execute ${this.#rules.name}: it is ${
          this.#state === "executing" ? "already executing" : "already executed"
        }; start a new one`,
      );
    }
    this.#state = "executing";
    return this.#subrequests.filter((subrequest) => !subrequest.done);
  }

  /** Ends execution; after a failed call, `execute()` may send the unsettled subrequests again. */
  protected _end(executed: boolean): void {
    this.#state = executed ? "executed" : "failed";
  }

  #add<S extends Subrequest>(
    spec: SubrequestSpec,
    Kind: new (
      method: string,
      url: string,
      options: ConstructorParameters<typeof Subrequest>[2],
    ) => S,
    overQueryLimit = false,
  ): S {
    const context = `Cannot add subrequest to ${this.#rules.name}`;
    if (this.#state !== "open") {
      throw new InvalidStateError(`${context}: execute() was already called; start a new one`);
    }
    const index = this.#subrequests.length;
    if (index >= this.#rules.maxSubrequests) {
      throw new RangeError(
        `${context}: it holds at most ${this.#rules.maxSubrequests} subrequests, and references cannot cross calls`,
      );
    }
    if (overQueryLimit) {
      throw new RangeError(`${context}: it holds at most ${this.#rules.maxQueries} queries`);
    }
    const subrequest = new Kind(
      spec.method,
      `/services/data/v${this.#client.version}/${spec.path}`,
      {
        referenceId: `${spec.name}_${index}`,
        body: spec.body,
        referable: this.#rules.referable,
      },
    );
    this.#subrequests.push(subrequest);
    return subrequest;
  }
}
