/**
 * Composite resources as `sf.composite`: Composite Batch and Composite requests
 * (many subrequests in one API call), and the entry points of Composite Graph
 * and sObject Tree.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { CompositeGraph } from "./graph.ts";
import { createTree, type TreeOptions, type TreeRecord, type TreeResult } from "./tree.ts";
import { SubrequestBuilder } from "./subrequest_builder.ts";
import type { Subrequest } from "./subrequest.ts";
import {
  batchEntry,
  compositeEntry,
  compositeResults,
  isStatus,
  sendEnvelope,
  settle,
} from "./_composite_wire.ts";
import { checkBoolean, checkOptions } from "./_validate.ts";

/** Subrequests per `/composite` or `/composite/batch` call. */
const MAX_SUBREQUESTS = 25;
/** Query (and sObject Collections) subrequests per `/composite` call. */
const MAX_QUERIES = 5;

/** The error list Salesforce gives subrequests after a halting failure (text unverified). */
const HALTED = [{
  errorCode: "BATCH_PROCESSING_HALTED",
  message: "Batch processing halted per request",
}];

/** What `autoraise` throws: every failed subrequest's error. */
function aggregateFailures(name: string, subrequests: readonly Subrequest[]): AggregateError {
  const errors = subrequests.flatMap((subrequest) => subrequest.error ?? []);
  return new AggregateError(
    errors,
    `${name} failed: ${errors.length} of ${subrequests.length} subrequests failed`,
  );
}

/** Options of {@linkcode CompositeClient.batch}. */
export interface CompositeBatchOptions {
  /**
   * Stop at the first failed subrequest: the rest report `412`
   * `BATCH_PROCESSING_HALTED`. Over 25 subrequests, calls are then sent one
   * after another instead of concurrently.
   *
   * @default {false}
   */
  haltOnError?: boolean;
  /**
   * After `execute()`, throw when any subrequest failed.
   *
   * @default {false}
   */
  autoraise?: boolean;
  /**
   * With `autoraise`, throw an `AggregateError` of every failure instead of the first one.
   *
   * @default {false}
   */
  groupErrors?: boolean;
}

/**
 * A Composite Batch: independent subrequests, 25 per `/composite/batch` call.
 * More are split into several calls, sent one after another so that the
 * subrequests run in the order they were added, as in one batch (with
 * `haltOnError`, calls after a failure are not sent); results come back in that order.
 *
 * @example Thirty queries in one batch
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("Account", [{ Name: "Acme" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const batch = sf.composite.batch();
 * const queries = Array.from({ length: 30 }, () => batch.query("SELECT Name FROM Account"));
 * await batch.execute();
 * assert.ok(queries.every((query) => query.records.length === 1));
 * ```
 */
export class CompositeBatch extends SubrequestBuilder {
  #haltOnError: boolean;
  #autoraise: boolean;
  #groupErrors: boolean;

  /**
   * Use `sf.composite.batch()`.
   *
   * @param client The client that sends the calls.
   * @param options `haltOnError`, `autoraise`, `groupErrors`.
   * @throws {TypeError} When an option is not a boolean.
   */
  constructor(client: Salesforce, options: CompositeBatchOptions = {}) {
    const context = "Cannot create composite batch";
    const checked = checkOptions(context, options);
    super(client, {
      name: "composite batch",
      referable: false,
      maxSubrequests: Infinity,
      maxQueries: Infinity,
    });
    this.#haltOnError = checkBoolean(context, "haltOnError", checked.haltOnError);
    this.#autoraise = checkBoolean(context, "autoraise", checked.autoraise);
    this.#groupErrors = checkBoolean(context, "groupErrors", checked.groupErrors);
  }

  /**
   * Sends the subrequests and sets their results.
   *
   * @param options `signal` to abort the calls.
   * @throws {SalesforceError} When a call itself fails (the first failed call's error).
   * @throws {AggregateError} With `autoraise` and `groupErrors`, of every failed subrequest's error.
   * @throws {InvalidStateError} When already executing or executed.
   *
   * @example Stop at the first failure
   * ```ts
   * import { NotFoundError, Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const batch = sf.composite.batch({ haltOnError: true, autoraise: true });
   * batch.sobject.get("Account", "001000000000000AAA");
   * const skipped = batch.sobject.create("Account", { Name: "Acme" });
   * await assert.rejects(batch.execute(), NotFoundError);
   * assert.equal(skipped.statusCode, 412);
   * ```
   */
  async execute(options: { signal?: AbortSignal } = {}): Promise<void> {
    const pending = this._begin();
    let executed = false;
    try {
      const chunks: Subrequest[][] = [];
      for (let i = 0; i < pending.length; i += MAX_SUBREQUESTS) {
        chunks.push(pending.slice(i, i + MAX_SUBREQUESTS));
      }
      if (this.#haltOnError) {
        let halted = false;
        for (const chunk of chunks) {
          if (halted) {
            await settle(
              this._client.baseUrl,
              chunk,
              chunk.map(() => ({ statusCode: 412, body: HALTED })),
            );
          } else {
            await this.#send(chunk, options.signal);
            halted = chunk.some((subrequest) => subrequest.statusCode >= 400);
          }
        }
      } else {
        // One call after another: Salesforce runs a batch's subrequests in order, so a later
        // one may rely on an earlier one's effect (a query after a create) across calls too.
        for (const chunk of chunks) await this.#send(chunk, options.signal);
      }
      executed = true;
    } finally {
      this._end(executed);
    }
    if (!this.#autoraise) return;
    const failures = aggregateFailures("Composite batch", this.subrequests);
    if (failures.errors.length > 0) throw this.#groupErrors ? failures : failures.errors[0];
  }

  async #send(chunk: Subrequest[], signal: AbortSignal | undefined): Promise<void> {
    const entries = chunk.map(batchEntry).join(",");
    const envelope = await sendEnvelope(this._client, {
      resource: "composite/batch",
      name: "composite",
      body: `{"haltOnError":${this.#haltOnError},"batchRequests":[${entries}]}`,
      signal,
    });
    const { results } = envelope.json;
    if (
      !Array.isArray(results) || results.length !== chunk.length ||
      !results.every((result) => isStatus(result?.statusCode))
    ) {
      throw envelope.malformed(`expected ${chunk.length} results with a statusCode`);
    }
    await settle(
      this._client.baseUrl,
      chunk,
      results.map((result) => ({ statusCode: result.statusCode, body: result.result ?? null })),
    );
  }
}

/** Options of {@linkcode CompositeClient.request}. */
export interface CompositeRequestOptions {
  /**
   * Roll everything back when any subrequest fails; the others then report
   * `400` `PROCESSING_HALTED`.
   *
   * @default {false}
   */
  allOrNone?: boolean;
  /**
   * Let Salesforce group independent subrequests to run them faster (their
   * order is then not guaranteed).
   *
   * @default {true}
   */
  collateSubrequests?: boolean;
  /**
   * After `execute()`, throw an `AggregateError` of every failed subrequest's error.
   *
   * @default {false}
   */
  autoraise?: boolean;
}

/**
 * A Composite request: up to 25 subrequests in one `/composite` call, where
 * later subrequests may use earlier results through `ref()`. Reference ids are
 * generated: `Account_create_0`, `Contact_create_1`, `query_2`, ...
 *
 * @example Create an account and its contact in one call
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const composite = sf.composite.request({ allOrNone: true });
 * const account = composite.sobject.create("Account", { Name: "Acme" });
 * const contact = composite.sobject.create("Contact", { LastName: "Doe", AccountId: account.ref("id") });
 * await composite.execute();
 * assert.equal(org.records("Contact")[0].AccountId, account.id);
 * assert.equal(contact.referenceId, "Contact_create_1");
 * ```
 */
export class CompositeRequest extends SubrequestBuilder {
  #allOrNone: boolean;
  #collateSubrequests: boolean;
  #autoraise: boolean;

  /**
   * Use `sf.composite.request()`.
   *
   * @param client The client that sends the call.
   * @param options `allOrNone`, `collateSubrequests`, `autoraise`.
   * @throws {TypeError} When an option is not a boolean.
   */
  constructor(client: Salesforce, options: CompositeRequestOptions = {}) {
    const context = "Cannot create composite request";
    const checked = checkOptions(context, options);
    super(client, {
      name: "composite request",
      referable: true,
      maxSubrequests: MAX_SUBREQUESTS,
      maxQueries: MAX_QUERIES,
    });
    this.#allOrNone = checkBoolean(context, "allOrNone", checked.allOrNone);
    this.#collateSubrequests = checked.collateSubrequests === undefined ||
      checkBoolean(context, "collateSubrequests", checked.collateSubrequests);
    this.#autoraise = checkBoolean(context, "autoraise", checked.autoraise);
  }

  /**
   * Sends the subrequests in one call and sets their results.
   *
   * @param options `signal` to abort the call.
   * @throws {SalesforceError} When the call itself fails.
   * @throws {AggregateError} With `autoraise`, of every failed subrequest's error.
   * @throws {InvalidStateError} When already executing or executed.
   *
   * @example Follow a query result into a get
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Contact", [{ LastName: "Doe" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const composite = sf.composite.request({ autoraise: true });
   * const query = composite.query("SELECT Id FROM Contact LIMIT 1");
   * const contact = composite.sobject.get<{ LastName: string }>("Contact", query.ref("records[0].Id"));
   * await composite.execute();
   * assert.equal(contact.record.LastName, "Doe");
   * ```
   */
  async execute(options: { signal?: AbortSignal } = {}): Promise<void> {
    const pending = this._begin();
    let executed = false;
    try {
      if (pending.length > 0) await this.#send(pending, options.signal);
      executed = true;
    } finally {
      this._end(executed);
    }
    if (!this.#autoraise) return;
    const failures = aggregateFailures("Composite request", this.subrequests);
    if (failures.errors.length > 0) throw failures;
  }

  async #send(pending: Subrequest[], signal: AbortSignal | undefined): Promise<void> {
    const envelope = await sendEnvelope(this._client, {
      resource: "composite",
      name: "composite",
      body: `{"allOrNone":${this.#allOrNone},"collateSubrequests":${this.#collateSubrequests},` +
        `"compositeRequest":[${pending.map(compositeEntry).join(",")}]}`,
      signal,
    });
    const results = compositeResults(
      envelope.json.compositeResponse,
      pending,
      (subrequest) => envelope.malformed(`no result for subrequest "${subrequest.referenceId}"`),
    );
    await settle(this._client.baseUrl, pending, results);
  }
}

/**
 * Composite resources, available as `sf.composite`.
 *
 * @example Reach the composite builders from a client
 * ```ts
 * import { CompositeClient, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * assert.ok(sf.composite instanceof CompositeClient);
 * ```
 */
export class CompositeClient {
  #client: Salesforce;

  /**
   * Use `sf.composite`; the client creates one.
   *
   * @param client The client that sends the composite calls.
   */
  constructor(client: Salesforce) {
    this.#client = client;
  }

  /**
   * Starts a Composite Batch: independent subrequests, any number of them.
   *
   * @param options `haltOnError`, `autoraise`, `groupErrors`.
   * @returns The batch builder.
   * @throws {TypeError} When an option is not a boolean.
   *
   * @example Create and query in one round trip
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const batch = sf.composite.batch({ autoraise: true });
   * const created = batch.sobject.create("Account", { Name: "Acme" });
   * const count = batch.query("SELECT COUNT() FROM Account");
   * await batch.execute();
   * assert.equal(created.isSuccess, true);
   * assert.equal(count.totalSize, 1);
   * ```
   */
  batch(options: CompositeBatchOptions = {}): CompositeBatch {
    return new CompositeBatch(this.#client, options);
  }

  /**
   * Starts a Composite request: up to 25 subrequests that may reference each other.
   *
   * @param options `allOrNone`, `collateSubrequests`, `autoraise`.
   * @returns The composite request builder.
   * @throws {TypeError} When an option is not a boolean.
   *
   * @example All or nothing
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const composite = sf.composite.request({ allOrNone: true });
   * composite.sobject.create("Account", { Name: "Acme" });
   * const contact = composite.sobject.create("Contact", { FirstName: "No last name" });
   * await composite.execute();
   * assert.equal(contact.error?.errorCode, "REQUIRED_FIELD_MISSING");
   * assert.equal(org.records("Account").length, 0);
   * ```
   */
  request(options: CompositeRequestOptions = {}): CompositeRequest {
    return new CompositeRequest(this.#client, options);
  }

  /**
   * Starts a Composite Graph: several graphs, each an all-or-nothing composite
   * request of up to 500 sObject subrequests, sent in one call; see
   * {@linkcode CompositeGraph}.
   *
   * @returns The graph call builder; add graphs with `request()`.
   *
   * @example One graph with a reference
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const graphs = sf.composite.graph();
   * const graph = graphs.request();
   * const account = graph.sobject.create("Account", { Name: "Acme" });
   * graph.sobject.create("Contact", { LastName: "Doe", AccountId: account.ref("id") });
   * await graphs.execute();
   * assert.equal(graph.isSuccessful, true);
   * ```
   */
  graph(): CompositeGraph {
    return new CompositeGraph(this.#client);
  }

  /**
   * Creates trees of nested records in one all-or-nothing call
   * (`/composite/tree`); see {@linkcode createTree} for the rules.
   *
   * @param sobject The type of the root records, e.g. `Account`.
   * @param records The root records, child relationships as arrays.
   * @param options `signal`.
   * @returns One `{ referenceId, id }` per record, in input order (a parent before its children).
   * @throws {TypeError} For a bad name or record, an unknown child relationship, or a bad reference id.
   * @throws {RangeError} For more than 200 records, 5 levels or 5 object types.
   * @throws {SalesforceError} When Salesforce refuses the tree (nothing is created).
   *
   * @example An account with two contacts
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const [acme, doe] = await sf.composite.tree("Account", [
   *   { Name: "Acme", Contacts: [{ LastName: "Doe" }, { LastName: "Roe" }] },
   * ]);
   * assert.equal(org.records("Contact").find((c) => c.Id === doe.id)?.AccountId, acme.id);
   * ```
   */
  tree(
    sobject: string,
    records: Iterable<TreeRecord>,
    options?: TreeOptions,
  ): Promise<TreeResult[]> {
    return createTree(this.#client, sobject, records, options);
  }
}
