/**
 * SOQL queries as async iterables over every record, following
 * `nextRecordsUrl` with one page fetched ahead.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { checkInteger, checkSoql } from "./_validate.ts";

/** Options for {@linkcode Salesforce.query}. */
export interface QueryOptions {
  /**
   * Include deleted and archived records (`queryAll`).
   *
   * @default {false}
   */
  includeAllRecords?: boolean;
  /**
   * Records per page, 200 to 2,000, sent as `Sforce-Query-Options: batchSize=N`.
   * Salesforce treats it as a hint and may return fewer.
   */
  batchSize?: number;
  /** Aborts the pending page request and ends the iteration with the signal's reason. */
  signal?: AbortSignal;
}

/** One page of a REST query result. */
export interface QueryPage<T> {
  /** Rows of the whole query (the `COUNT()` value for `SELECT COUNT()`). */
  totalSize: number;
  /** True on the last page. */
  done: boolean;
  /** Where the next page is, present only when `done` is false. */
  nextRecordsUrl?: string;
  /** This page's records. */
  records: T[];
}

/**
 * Iterates over every record a SOQL query returns, page by page. While the
 * caller consumes one page, the next one is already being fetched; at most
 * one page is fetched ahead, so memory holds two pages at most. Breaking out
 * of the loop aborts the prefetch and fetches nothing more.
 *
 * @param client The client to send the page requests with.
 * @param soql The query text.
 * @param options `includeAllRecords`, `batchSize`, `signal`.
 * @param basePath Where `query`/`queryAll` live: the data API, or the Tooling API.
 * @returns An async iterable of records.
 * @throws {TypeError} When `soql` is not a non-empty string.
 * @throws {RangeError} When `batchSize` is outside 200 to 2,000.
 *
 * @example Page through a query on the fake org
 * ```ts
 * import { Salesforce, queryRecords } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("Account", [{ Name: "Acme" }, { Name: "Globex" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const names: string[] = [];
 * for await (const account of queryRecords<{ Name: string }>(sf, "SELECT Name FROM Account ORDER BY Name")) {
 *   names.push(account.Name);
 * }
 * assert.deepEqual(names, ["Acme", "Globex"]);
 * ```
 */
export function queryRecords<T = Record<string, unknown>>(
  client: Salesforce,
  soql: string,
  options: QueryOptions = {},
  basePath = `/services/data/v${client.version}`,
): AsyncGenerator<T, void, undefined> {
  const context = "Cannot run query";
  checkSoql(context, soql);
  const headers = new Headers();
  if (options.batchSize !== undefined) {
    checkInteger(context, "batchSize", options.batchSize, 200, 2000);
    headers.set("Sforce-Query-Options", `batchSize=${options.batchSize}`);
  }
  const resource = options.includeAllRecords ? "queryAll" : "query";
  const first = `${basePath}/${resource}?q=${encodeURIComponent(soql)}`;
  return pages<T>(client, first, headers, options.signal);
}

async function* pages<T>(
  client: Salesforce,
  firstUrl: string,
  headers: Headers,
  callerSignal: AbortSignal | undefined,
): AsyncGenerator<T, void, undefined> {
  const stop = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, stop.signal]) : stop.signal;
  const fetchPage = async (url: string): Promise<QueryPage<T>> => {
    const response = await client.request(url, { headers, signal });
    return await response.json() as QueryPage<T>;
  };
  let next: Promise<QueryPage<T>> | undefined = fetchPage(firstUrl);
  try {
    while (next !== undefined) {
      const page: QueryPage<T> = await next;
      // Start the next page before handing out this one: the wait for it overlaps
      // with the caller's work. A rejection is kept for the loop to rethrow.
      next = page.nextRecordsUrl ? fetchPage(page.nextRecordsUrl) : undefined;
      void next?.catch(() => {});
      yield* page.records;
    }
  } finally {
    // The caller broke out or failed: cancel the prefetch; its rejection was handled above.
    stop.abort(new DOMException("The query iteration ended", "AbortError"));
  }
}
