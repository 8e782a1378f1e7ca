/**
 * SOQL queries as async iterables over every record, following
 * `nextRecordsUrl` with one page fetched ahead.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { concatBytes } from "./_bytes.ts";
import { bodyChunks } from "./_body_deadline.ts";
import { SalesforceError } from "./errors.ts";
import { checkBoolean, checkInteger, checkSignal, checkSoql, optionsOf } from "./_validate.ts";

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

/**
 * What {@linkcode Salesforce.query} returns: an async generator of the records,
 * which also tells the query's `totalSize` once the first page has arrived. For
 * `SELECT COUNT() FROM …`, which yields no records, `totalSize` is the count.
 *
 * @example Count records with SELECT COUNT()
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("Account", [{ Name: "Acme" }, { Name: "Globex" }, { Name: "Initech" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const query = sf.query("SELECT COUNT() FROM Account");
 * assert.equal(query.totalSize, undefined); // nothing fetched yet
 * let yielded = 0;
 * for await (const _ of query) yielded++;
 * assert.equal(yielded, 0); // COUNT() yields no records
 * assert.equal(query.totalSize, 3);
 * ```
 */
export interface QueryIterator<T> extends AsyncGenerator<T, void, undefined> {
  /**
   * The number of rows the whole query matches (the `COUNT()` value for
   * `SELECT COUNT()`), from the first page; `undefined` until it has arrived.
   */
  readonly totalSize: number | undefined;
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
 * caller consumes one page, the next one is already being fetched (requested
 * as soon as the head of the current page names it); at most one page is
 * fetched ahead, so memory holds two pages at most. Breaking out of the loop
 * aborts the prefetch and fetches nothing more.
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
): QueryIterator<T> {
  const context = "Cannot run query";
  options = optionsOf(context, options);
  checkSoql(context, soql);
  checkBoolean(context, "includeAllRecords", options.includeAllRecords);
  checkSignal(context, options.signal);
  let headers: Record<string, string> | undefined;
  if (options.batchSize !== undefined) {
    checkInteger(context, "batchSize", options.batchSize, 200, 2000);
    headers = { "Sforce-Query-Options": `batchSize=${options.batchSize}` };
  }
  const resource = options.includeAllRecords ? "queryAll" : "query";
  const first = `${basePath}/${resource}?q=${encodeURIComponent(soql)}`;
  const seen: { totalSize?: number } = {};
  const iterator = pages<T>(client, first, headers, options.signal, seen);
  return Object.defineProperty(iterator, "totalSize", {
    get: () => seen.totalSize,
    enumerable: true,
  }) as QueryIterator<T>;
}

// The keys Salesforce sends before `records`, in its order (salesforce-api.md §6.2);
// the URL group matches only a string without escapes, whose JSON value is its text.
const HEAD =
  /^\s*\{\s*"totalSize"\s*:\s*\d+\s*,\s*"done"\s*:\s*(?:true|false)\s*,\s*(?:"nextRecordsUrl"\s*:\s*"([^"\\]*)"\s*,\s*)?"records"\s*:/;
// Past this many characters without a match, the head is not in that form.
const HEAD_MAX = 2_048;
// Decodes whole pages (no stream state), so one serves them all.
const DECODER = new TextDecoder();

/** A page request in flight. */
interface PendingPage<T> {
  /**
   * The next page's URL (undefined on the last page), known from the head of
   * the body, before the rest arrives; from the parsed page when the head is
   * in another form.
   */
  next: Promise<string | undefined>;
  /** The whole page. */
  page: Promise<QueryPage<T>>;
  /** Cancels the request. */
  stop(): void;
}

/**
 * Reads a page body, announcing the next page's URL as soon as the head of the
 * body shows it: the request for the next page then overlaps with the transfer
 * and the parsing of this one.
 */
async function readPage<T>(
  response: Response,
  announce: (next: string | undefined) => void,
): Promise<QueryPage<T>> {
  if (response.body === null) return await response.json();
  const chunks: Uint8Array[] = [];
  let head: string | undefined = "";
  const headDecoder = new TextDecoder();
  for await (const value of bodyChunks(response)) {
    chunks.push(value);
    if (head !== undefined) {
      head += headDecoder.decode(value.subarray(0, HEAD_MAX), { stream: true });
      const match = HEAD.exec(head);
      if (match !== null) {
        // An empty URL names no page, as in the parsed page.
        announce(match[1] || undefined);
        head = undefined;
      } else if (head.length >= HEAD_MAX || value.length > HEAD_MAX) {
        // Past the head's longest form, or a chunk only partly decoded: the next chunk's text
        // would not follow this one's, so the head is left to the parsed page.
        head = undefined;
      }
    }
  }
  return JSON.parse(DECODER.decode(concatBytes(chunks))) as QueryPage<T>;
}

/** The page, checked: its records are an array, and a page that is not the last names the next. */
function checkedPage<T>(page: QueryPage<T>, url: string): QueryPage<T> {
  if (typeof page !== "object" || page === null || !Array.isArray(page.records)) {
    throw new SalesforceError(`Cannot run query: the page at ${url} holds no records array`);
  }
  if (page.done === false && !page.nextRecordsUrl) {
    throw new SalesforceError(
      `Cannot run query: the page at ${url} is not the last but names no nextRecordsUrl`,
    );
  }
  return page;
}

function requestPage<T>(
  client: Salesforce,
  url: string,
  headers: Record<string, string> | undefined,
  callerSignal: AbortSignal | undefined,
): PendingPage<T> {
  const stop = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, stop.signal]) : stop.signal;
  let announce!: (next: string | undefined) => void;
  let fail!: (error: unknown) => void;
  const next = new Promise<string | undefined>((resolve, reject) => {
    announce = resolve;
    fail = reject;
  });
  const page = (async () => {
    const response = await client.request(url, { headers, signal });
    const page = checkedPage(await readPage<T>(response, announce), url);
    // No-op when the head already announced it.
    announce(page.nextRecordsUrl || undefined);
    return page;
  })();
  // Both may be dropped unawaited (the iteration ended): keep their failures handled.
  page.catch(fail);
  next.catch(() => {});
  return {
    next,
    page,
    stop: () => stop.abort(new DOMException("The query iteration ended", "AbortError")),
  };
}

async function* pages<T>(
  client: Salesforce,
  firstUrl: string,
  headers: Record<string, string> | undefined,
  callerSignal: AbortSignal | undefined,
  seen: { totalSize?: number },
): AsyncGenerator<T, void, undefined> {
  let following: PendingPage<T> | undefined = requestPage<T>(
    client,
    firstUrl,
    headers,
    callerSignal,
  );
  try {
    while (following !== undefined) {
      const current: PendingPage<T> = following;
      following = undefined;
      // Request the next page as soon as its URL shows, before this one has fully
      // arrived: the caller is done with the previous page, so at most this page
      // and the next are held, and the wait for the next overlaps with the caller's work.
      const nextUrl = await current.next;
      if (nextUrl !== undefined) following = requestPage<T>(client, nextUrl, headers, callerSignal);
      const page = await current.page;
      seen.totalSize ??= page.totalSize;
      const parsedNext = page.nextRecordsUrl || undefined;
      if (parsedNext !== nextUrl) {
        // The parsed page disagrees with its head (a repeated key, say): trust the parse.
        following?.stop();
        following = parsedNext === undefined
          ? undefined
          : requestPage<T>(client, parsedNext, headers, callerSignal);
      }
      // A loop, not `yield*`: an async generator delegating to an array is slower per record.
      for (const record of page.records) {
        // Nothing more once the caller aborts, even from a page already read.
        if (callerSignal !== undefined && callerSignal.aborted) throw callerSignal.reason;
        yield record;
      }
    }
  } finally {
    // The caller broke out or a page failed: cancel the prefetch (its failure is handled).
    following?.stop();
  }
}
