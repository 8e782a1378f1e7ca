// What composite builders put on the wire and read back: query specs and the
// rules that turn sObject specs (_sobject_spec.ts) into subrequests, references,
// the JSON entries of the envelopes, sending an envelope and reading its answer
// (HTML escaping undone), and settling each subrequest with its result and the
// error a failure maps to.

import { createSalesforceError, SalesforceError } from "./errors.ts";
import type { Salesforce } from "./salesforce.ts";
import type { Subrequest } from "./subrequest.ts";
import { objectJson, type SObjectSpec, type SpecRules } from "./_sobject_spec.ts";
import { checkBoolean, checkSoql, isPlainObject, received } from "./_validate.ts";
import { readBody } from "./_body_deadline.ts";
import { decodeReferences } from "./_entities.ts";

/** One subrequest before it has a reference id; `path` is below the versioned data API. */
export type SubrequestSpec = SObjectSpec<string>;

/** A subrequest's result as the envelope reported it, with the error it maps to. */
export interface SubrequestOutcome {
  statusCode: number;
  body: unknown;
  httpHeaders: Record<string, string>;
  error: SalesforceError | undefined;
}

/**
 * Friend access to subrequest state: `Subrequest` installs these in a static block so
 * builders (composite, batch, graph) can read the request body and settle results
 * without public setters.
 */
export const subrequestAccess = {} as {
  requestBody(subrequest: Subrequest): string | undefined;
  settle(subrequest: Subrequest, outcome: SubrequestOutcome): void;
};

/** `@{refId.path}`, exactly: what `ref()` returns. */
const REFERENCE = /^@\{[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[\d+\])*\}$/;
/** A reference inside URL-encoded text (a SOQL query). */
const ENCODED_REFERENCES = /%40%7B[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|%5B\d+%5D)*%7D/g;
/** `id`, `records[0].Id`, `[0].id`: keys and indexes. */
const REFERENCE_PATH = /^(?:[A-Za-z_][A-Za-z0-9_]*|\[\d+\])(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/;

/** Checks a `ref()` path and returns the reference text. */
export function reference(referenceId: string, path: unknown): string {
  if (typeof path !== "string" || !REFERENCE_PATH.test(path)) {
    throw new TypeError(
      `Cannot reference subrequest "${referenceId}": "path" must be keys and indexes such as "id" or "records[0].Id": received ${
        received(path)
      }`,
    );
  }
  return `@{${referenceId}${path.startsWith("[") ? "" : "."}${path}}`;
}

function isReference(value: unknown): value is string {
  return typeof value === "string" && REFERENCE.test(value);
}

/** JSON text of a record body: an object is serialised now; JSON text or bytes are checked and kept. */
function recordJson(context: string, data: unknown): string {
  if (typeof data === "string" || data instanceof Uint8Array) {
    let value: unknown;
    let text: string;
    try {
      text = typeof data === "string"
        ? data
        : new TextDecoder("utf-8", { fatal: true }).decode(data);
      value = JSON.parse(text);
    } catch (cause) {
      throw new TypeError(
        `${context}: "data" must be JSON text of an object: received ${received(data)}`,
        { cause },
      );
    }
    if (!isPlainObject(value)) {
      throw new TypeError(
        `${context}: "data" must be JSON text of an object: received ${received(value)}`,
      );
    }
    return text;
  }
  return objectJson(context, data);
}

/**
 * How builders turn sObject calls into subrequests: bodies become JSON text for
 * the envelope, and inside a composite request an id may be a reference.
 */
export function subrequestRules(referable: boolean): SpecRules<string> {
  return referable ? { encode: recordJson, isReference } : { encode: recordJson };
}

/** A query; inside a composite request, references in the SOQL stay readable for Salesforce. */
export function querySpec(
  soql: unknown,
  includeAllRecords: unknown,
  referable: boolean,
): SubrequestSpec {
  const context = "Cannot add query";
  const text = checkSoql(context, soql);
  checkBoolean(context, "includeAllRecords", includeAllRecords);
  let q = encodeURIComponent(text);
  // Salesforce resolves `@{...}` in the URL text before decoding it: keep references as they are.
  if (referable) q = q.replace(ENCODED_REFERENCES, decodeURIComponent);
  const resource = includeAllRecords === true ? "queryAll" : "query";
  return { method: "GET", path: `${resource}?q=${q}`, name: "query" };
}

/** One `batchRequests` entry; the url is relative to `/services/data/`. */
export function batchEntry(subrequest: Subrequest): string {
  const body = subrequestAccess.requestBody(subrequest);
  const url = subrequest.url.slice("/services/data/".length);
  return `{"method":${JSON.stringify(subrequest.method)},"url":${JSON.stringify(url)}${
    body === undefined ? "" : `,"richInput":${body}`
  }}`;
}

/** One `compositeRequest` entry (also a Composite Graph node). */
export function compositeEntry(subrequest: Subrequest): string {
  const body = subrequestAccess.requestBody(subrequest);
  return `{"method":${JSON.stringify(subrequest.method)},"url":${
    JSON.stringify(subrequest.url)
  },"referenceId":${JSON.stringify(subrequest.referenceId)}${
    body === undefined ? "" : `,"body":${body}`
  }}`;
}

/** A copy of a JSON value with `map` applied to every string value (not to keys). */
export function mapStrings(value: unknown, map: (text: string) => unknown): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = mapStrings(item, map);
    return copy;
  }
  return value;
}

/**
 * Undoes the HTML escaping Salesforce applies to string values in composite
 * responses (aiosalesforce's note, salesforce-api.md §7.2). The JSON is parsed
 * first and each string value unescaped, never the raw text: unescaping `&quot;`
 * inside JSON text would break it.
 */
function unescapeHtml(value: unknown): unknown {
  return mapStrings(value, decodeReferences);
}

/** A subrequest's result as an envelope reported it. */
export interface SubrequestResult {
  statusCode: number;
  body: unknown;
  httpHeaders?: Record<string, string>;
}

/** A composite call's answer: its JSON object with HTML escaping undone. */
export interface Envelope {
  json: Record<string, unknown>;
  /** The error for an answer that does not hold what it should, naming the call. */
  malformed(what: string, cause?: unknown): SalesforceError;
}

/** A status code as the envelopes report it: an integer. */
export function isStatus(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/**
 * POSTs a composite envelope (`resource` is `composite`, `composite/batch` or
 * `composite/graph`) and reads the JSON object it answers; `name` ("composite",
 * "composite graph") says whose response could not be read.
 */
export async function sendEnvelope(
  client: Salesforce,
  call: { resource: string; name: string; body: string; signal: AbortSignal | undefined },
): Promise<Envelope> {
  const path = `/services/data/v${client.version}/${call.resource}`;
  const response = await client.request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: call.body,
    signal: call.signal,
  });
  const malformed = (what: string, cause?: unknown) =>
    new SalesforceError(
      `Cannot read ${call.name} response: ${what} (${response.status} POST ${path})`,
      { response, cause },
    );
  const text = await readBody(response, (answer) => answer.text());
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw malformed("the body is not JSON", cause);
  }
  if (typeof json !== "object" || json === null) {
    throw malformed("the body is not a JSON object");
  }
  return { json: unescapeHtml(json) as Record<string, unknown>, malformed };
}

/**
 * Each subrequest's entry of a `compositeResponse` list (Composite, and each
 * graph of Composite Graph), matched by reference id.
 *
 * @throws What `missing` returns, for the first subrequest without an entry that has an integer status.
 */
export function compositeResults(
  list: unknown,
  subrequests: readonly Subrequest[],
  missing: (subrequest: Subrequest) => Error,
): SubrequestResult[] {
  const byId = new Map<unknown, Record<string, unknown> | null>();
  for (const entry of Array.isArray(list) ? list : []) {
    const fields = typeof entry === "object" ? entry as Record<string, unknown> | null : null;
    byId.set(fields?.referenceId, fields);
  }
  return subrequests.map((subrequest) => {
    const entry = byId.get(subrequest.referenceId);
    if (!isStatus(entry?.httpStatusCode)) throw missing(subrequest);
    return {
      statusCode: entry.httpStatusCode,
      body: entry.body ?? null,
      httpHeaders: (entry.httpHeaders ?? {}) as Record<string, string>,
    };
  });
}

/**
 * Sets each subrequest's outcome from its result (same order). A non-2xx status
 * gets the error `createSalesforceError` maps it to, built now so accessors can
 * throw it synchronously; every error is built before any subrequest is settled.
 */
export async function settle(
  baseUrl: string,
  subrequests: readonly Subrequest[],
  results: readonly SubrequestResult[],
): Promise<void> {
  const outcomes = await Promise.all(subrequests.map(async (subrequest, i) => {
    const { statusCode, body, httpHeaders = {} } = results[i];
    const ok = statusCode >= 200 && statusCode < 300;
    const error = ok ? undefined : await subrequestError(baseUrl, subrequest, statusCode, body);
    return { statusCode, body, httpHeaders, error };
  }));
  subrequests.forEach((subrequest, i) => subrequestAccess.settle(subrequest, outcomes[i]));
}

async function subrequestError(
  baseUrl: string,
  subrequest: Subrequest,
  statusCode: number,
  body: unknown,
): Promise<SalesforceError> {
  const text = body === null || body === undefined ? "" : JSON.stringify(body);
  // A Response only takes 200 to 599; anything else is reported as a server error.
  const status = statusCode >= 200 && statusCode <= 599 ? statusCode : 500;
  const response = new Response(text, {
    status,
    headers: { "Content-Type": "application/json;charset=UTF-8" },
  });
  return await createSalesforceError(response, {
    method: subrequest.method,
    url: new URL(subrequest.url, baseUrl).href,
    action: `Composite subrequest "${subrequest.referenceId}" failed`,
  });
}
