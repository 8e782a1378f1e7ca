// SOQL over REST: /query, /queryAll and their nextRecordsUrl pages (salesforce-api.md §6).

import type { PagedResult } from "../_cursors.ts";
import { fail, JSON_TYPE, pageResponse } from "../_http.ts";
import type { Route, RouteContext } from "../_router.ts";
import { runSoql, SoqlError } from "../_soql/mod.ts";

const JSON_HEADERS = { "Content-Type": JSON_TYPE };

/** Page size: the org's, lowered by `Sforce-Query-Options: batchSize=N` (clamped to 200..2000). */
function pageSize(context: RouteContext): number {
  const own = context.org.options.pageSize;
  const header = context.request.headers.get("Sforce-Query-Options");
  const match = header === null ? null : /batchSize\s*=\s*(\d+)/i.exec(header);
  if (match === null) return own;
  return Math.min(own, Math.min(2000, Math.max(200, Number(match[1]))));
}

/** One page from `offset`; opens a cursor when more pages follow. */
function page(
  context: RouteContext,
  result: PagedResult,
  locator: string | undefined,
  offset: number,
): Response {
  const size = pageSize(context);
  // Written as bytes (SoqlResult.jsonPage), keys in Salesforce's order.
  const count = Math.max(0, Math.min(result.rows.length, offset + size) - offset);
  const next = offset + count;
  if (count < size || next >= result.totalSize) {
    return pageResponse(
      context.served,
      result.jsonPage(
        offset,
        offset + size,
        `{"totalSize":${result.totalSize},"done":true,"records":`,
        "}",
      ),
      JSON_HEADERS,
    );
  }
  locator ??= context.org.cursors.open(result);
  // For queryAll too the URL says /query/ (§6.2); both resources accept it.
  const url = `/services/data/v${context.version}/query/${locator}-${next}`;
  return pageResponse(
    context.served,
    result.jsonPage(
      offset,
      offset + size,
      `{"totalSize":${result.totalSize},"done":false,"nextRecordsUrl":${
        JSON.stringify(url)
      },"records":`,
      "}",
    ),
    JSON_HEADERS,
  );
}

function runner(includeDeleted: boolean): (context: RouteContext) => Response {
  return (context) => {
    const q = context.url.searchParams.get("q");
    if (q === null || q.trim() === "") {
      // Code per §6.1 (unverified), wording ours.
      return fail(400, "MALFORMED_QUERY", "A query string has to be specified");
    }
    let result;
    try {
      result = runSoql(q, context.org.store, {
        includeDeleted,
        apiVersion: context.version,
        now: new Date(context.org.now()),
      });
    } catch (error) {
      if (error instanceof SoqlError) return fail(400, error.errorCode, error.message);
      throw error;
    }
    return page(context, result, undefined, 0);
  };
}

/** `/query/01gxx...-2000`: the locator, a dash, and the number of rows already delivered. */
function more(context: RouteContext): Response {
  const text = context.params.locator;
  const dash = text.lastIndexOf("-");
  const locator = text.slice(0, dash);
  const offsetText = text.slice(dash + 1);
  const result = dash === -1 || !/^\d{1,10}$/.test(offsetText)
    ? undefined
    : context.org.cursors.get(locator);
  const offset = Number(offsetText);
  if (result === undefined || offset <= 0 || offset >= result.totalSize) {
    return fail(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  }
  return page(context, result, locator, offset);
}

/** Query routes. */
export const queryRoutes: Route[] = [
  {
    pattern: "/services/data/:version/query",
    name: "query",
    kind: "data",
    methods: { GET: runner(false) },
  },
  {
    pattern: "/services/data/:version/queryAll",
    name: "queryAll",
    kind: "data",
    methods: { GET: runner(true) },
  },
  {
    pattern: "/services/data/:version/query/:locator",
    name: "queryMore",
    kind: "data",
    methods: { GET: more },
  },
  {
    pattern: "/services/data/:version/queryAll/:locator",
    name: "queryMore",
    kind: "data",
    methods: { GET: more },
  },
];
