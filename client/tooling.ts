/**
 * The Tooling API: SOQL queries and sObject calls on `/services/data/vXX.X/tooling/`,
 * with the same code as the data API (only the base path differs).
 *
 * @module
 */

import type { DescribeGlobal, Salesforce } from "./salesforce.ts";
import { type QueryIterator, type QueryOptions, queryRecords } from "./query.ts";
import { SObjectClient } from "./sobject.ts";
import { cachedDescribe } from "./_describe_cache.ts";
import { optionsOf } from "./_validate.ts";

/** Options for {@linkcode ToolingClient.query}: those of `sf.query` but `includeAllRecords`. */
export type ToolingQueryOptions = Omit<QueryOptions, "includeAllRecords">;

/**
 * The Tooling API, available as `sf.tooling`: `query` iterates like
 * `sf.query`, and `sobject` has every method of `sf.sobject` (create, get,
 * update, delete, upsert, describe), all on `/services/data/vXX.X/tooling/`.
 * Tooling describes are cached like the data API's, in entries of their own.
 *
 * @example List Apex classes on the fake org
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insertTooling("ApexClass", [{ Name: "Greeting", Body: "public class Greeting {}" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const names: string[] = [];
 * for await (const cls of sf.tooling.query<{ Name: string }>("SELECT Name FROM ApexClass")) {
 *   names.push(cls.Name);
 * }
 * assert.deepEqual(names, ["Greeting"]);
 * ```
 */
export class ToolingClient {
  /** sObject calls on Tooling objects (`ApexClass`, `ApexLog`, ...), with the signatures of `sf.sobject`. */
  readonly sobject: SObjectClient;
  #client: Salesforce;
  #basePath: string;

  /**
   * Use `sf.tooling`; there is rarely a need to build one.
   *
   * @param client The client to send requests with.
   */
  constructor(client: Salesforce) {
    this.#client = client;
    this.#basePath = `/services/data/v${client.version}/tooling`;
    this.sobject = new SObjectClient(client, this.#basePath);
  }

  /**
   * Runs a Tooling API SOQL query and iterates over every record, following
   * `nextRecordsUrl` with one page fetched ahead, exactly as `sf.query` does.
   *
   * @param soql The query, e.g. `SELECT Id, Name FROM ApexClass`.
   * @param options `batchSize` (200 to 2,000), `signal`.
   * @returns An async iterable of records; its `totalSize` is the query's row
   *   count (the `COUNT()` value) once the first page has arrived.
   * @throws {TypeError} When `soql` is empty, or `includeAllRecords` is set
   *   (the Tooling API has no queryAll).
   * @throws {SalesforceError} When a page request fails (e.g. `INVALID_TYPE`).
   *
   * @example Find the failed Apex logs
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insertTooling("ApexLog", [
   *   { Operation: "/apex/Home", Status: "Success", LogLength: 120 },
   *   { Operation: "Api", Status: "Assertion Failed", LogLength: 4_096 },
   * ]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const failed = [];
   * for await (const log of sf.tooling.query("SELECT Id, LogLength FROM ApexLog WHERE Status != 'Success'")) {
   *   failed.push(log);
   * }
   * assert.equal(failed.length, 1);
   * ```
   */
  query<T = Record<string, unknown>>(
    soql: string,
    options: ToolingQueryOptions = {},
  ): QueryIterator<T> {
    if ((options as QueryOptions)?.includeAllRecords) {
      throw new TypeError(
        `Cannot run Tooling API query: "includeAllRecords" is not supported (the Tooling API has no queryAll)`,
      );
    }
    return queryRecords<T>(this.#client, soql, options, this.#basePath);
  }

  /**
   * Lists the Tooling API's sObjects (`GET /tooling/sobjects`), cached and
   * revalidated like `sf.describeGlobal()`; the result is frozen.
   *
   * @param options `signal`.
   * @returns The describeGlobal JSON of the Tooling API.
   * @throws {SalesforceError} When the call fails.
   *
   * @example Check that ApexClass is a Tooling object
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const { sobjects } = await sf.tooling.describeGlobal();
   * assert.ok(sobjects.some((sobject) => sobject.name === "ApexClass"));
   * ```
   */
  describeGlobal(options: { signal?: AbortSignal } = {}): Promise<DescribeGlobal> {
    options = optionsOf("Cannot describe the Tooling API", options);
    return cachedDescribe<DescribeGlobal>(
      this.#client,
      `${this.#basePath}/sobjects`,
      options.signal,
    );
  }
}
