// Composite Batch (`/composite/batch`) and Composite (`/composite`), salesforce-api.md
// §7.1 and §7.2. Subrequests run through the org's own router with the caller's
// session; the whole call counts as one API request. The Composite Graph route reuses
// `parseCompositeSubrequests`, `executeComposite` and `compositeJson`.

import { mapStrings } from "../../client/_composite_wire.ts";
import { isPlainObject } from "../../client/_validate.ts";
import { fail, json, readJson } from "../_http.ts";
import type { OrgState } from "../_org.ts";
import type { Route, RouteContext } from "../_router.ts";
import type { Session } from "../_sessions.ts";
import { UndoLog } from "../_store.ts";

/**
 * Runs one subrequest inside the org: routed, with a session, not counted, no faults;
 * its writes recorded in `undo` when given.
 */
export type RunSubrequest = (
  org: OrgState,
  request: Request,
  session: Session,
  undo?: UndoLog,
) => Promise<Response>;

/** One subrequest of `/composite` (and a node of a Composite Graph), checked. */
export interface CompositeSubrequest {
  method: string;
  /** As sent: `/services/data/vNN.0/...`, possibly holding `@{ref.path}` references. */
  url: string;
  referenceId: string;
  /** The JSON body; undefined when absent. */
  body: unknown;
  httpHeaders: Record<string, string>;
}

/** One entry of `compositeResponse`, keys in Salesforce's order. */
export interface CompositeSubresponse {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

/** Salesforce's subrequest limit for both resources. */
const MAX_SUBREQUESTS = 25;
/** At most this many query or sObject Collections subrequests in one `/composite` call. */
const MAX_QUERIES = 5;
const METHODS = new Set(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]);
const REFERENCE_ID = /^[A-Za-z][A-Za-z0-9_]*$/;
/** `@{refId.path}`: `.key` steps and `[n]` indexes after the reference id. */
const REFERENCE = /@\{([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;
const STEP = /\.([A-Za-z0-9_]+)|\[(\d+)\]/g;

// Codes and wording of envelope errors are unverified (salesforce-api.md §7.1, §7.2).
const BATCH_INVALID = "INVALID_BATCH_REQUEST";
const COMPOSITE_INVALID = "INVALID_INPUT";
const ROLLED_BACK =
  "The transaction was rolled back since another operation in the same transaction failed.";

/** An error entry with the code first, as the composite examples show it. */
function codeFirst(errorCode: string, message: string): Record<string, string>[] {
  return [{ errorCode, message }];
}

/** The 400 PROCESSING_HALTED entry of a subrequest that did not run or was rolled back. */
export function haltedEntry(referenceId: string, message: string): CompositeSubresponse {
  return {
    body: codeFirst("PROCESSING_HALTED", message),
    httpHeaders: {},
    httpStatusCode: 400,
    referenceId,
  };
}

// ---------------------------------------------------------------------------
// HTML escaping of composite responses

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * A composite response. Salesforce HTML-escapes string values in composite
 * responses (aiosalesforce's note, §7.2); the org does too unless the option
 * `realisticEscaping` is false.
 */
export function compositeJson(org: OrgState, body: unknown): Response {
  return json(200, org.options.realisticEscaping ? mapStrings(body, escapeText) : body);
}

// ---------------------------------------------------------------------------
// Envelope checks

type Checked<T> = { value: T } | { response: Response };

/** `vNN.N` no later than the outer call's version, or undefined. */
function subrequestVersion(text: string, outer: string): string | undefined {
  const match = /^v(\d{2,3})\.(\d)$/.exec(text);
  if (match === null || Number.parseFloat(`${match[1]}.${match[2]}`) > Number(outer)) {
    return undefined;
  }
  return text;
}

/** The resource a subrequest path names, after `/services/data/vNN.N/`. */
function resourceOf(path: string): string[] {
  const [pathname] = path.split("?");
  return pathname.split("/").filter((s) => s !== "").slice(3);
}

/** Composite resources other than sObject Collections may not nest. */
function isNestedComposite(path: string): boolean {
  const resource = resourceOf(path);
  return resource[0] === "composite" && resource[1] !== "sobjects";
}

function isQuery(path: string): boolean {
  const resource = resourceOf(path);
  return resource[0] === "query" || resource[0] === "queryAll" ||
    (resource[0] === "composite" && resource[1] === "sobjects");
}

/** `/services/data/vNN.N/rest...` when `url` is that (or, for a batch, `vNN.N/rest...`). */
function dataPath(url: unknown, outer: string, relativeAllowed: boolean): string | undefined {
  if (typeof url !== "string") return undefined;
  const absolute = url.startsWith("/services/data/")
    ? url
    : relativeAllowed
    ? `/services/data/${url}`
    : undefined;
  const version = absolute?.split("/")[3];
  if (absolute === undefined || version === undefined) return undefined;
  if (subrequestVersion(version, outer) === undefined) return undefined;
  if (absolute.split(/[?#]/)[0].split("/").length < 5) return undefined;
  return absolute;
}

interface BatchEnvelope {
  haltOnError: boolean;
  requests: { method: string; path: string; body: unknown }[];
}

function parseBatch(value: unknown, outer: string): Checked<BatchEnvelope> {
  const invalid = (message: string) => ({ response: fail(400, BATCH_INVALID, message) });
  if (!isPlainObject(value) || !Array.isArray(value.batchRequests)) {
    return invalid("The request must be an object with a batchRequests array");
  }
  const haltOnError = value.haltOnError ?? false;
  if (typeof haltOnError !== "boolean") return invalid("haltOnError must be a boolean");
  const list = value.batchRequests;
  if (list.length === 0) return invalid("batchRequests must hold at least one subrequest");
  if (list.length > MAX_SUBREQUESTS) {
    return invalid("Composite batch request limit exceeded: maximum 25 subrequests");
  }
  const requests: BatchEnvelope["requests"] = [];
  for (const [i, entry] of list.entries()) {
    const method = isPlainObject(entry) ? entry.method : undefined;
    if (typeof method !== "string" || !METHODS.has(method)) {
      return invalid(`batchRequests[${i}].method must be one of ${[...METHODS].join(", ")}`);
    }
    const path = dataPath(entry.url, outer, true);
    if (path === undefined || isNestedComposite(path)) {
      return invalid(
        `batchRequests[${i}].url must be a data API path no later than v${outer}, such as "v${outer}/sobjects/Account"`,
      );
    }
    requests.push({ method, path, body: entry.richInput });
  }
  return { value: { haltOnError, requests } };
}

/**
 * Checks the `compositeRequest` list of `/composite` (or of one Composite Graph).
 * Any problem is a top-level 400 and nothing runs. The caller checks the count.
 */
export function parseCompositeSubrequests(
  list: unknown,
  outer: string,
  field = "compositeRequest",
): Checked<CompositeSubrequest[]> {
  const invalid = (message: string) => ({ response: fail(400, COMPOSITE_INVALID, message) });
  if (!Array.isArray(list) || list.length === 0) {
    return invalid(`${field} must be an array with at least one subrequest`);
  }
  const requests: CompositeSubrequest[] = [];
  const seen = new Set<string>();
  let queries = 0;
  for (const [i, entry] of list.entries()) {
    const where = `${field}[${i}]`;
    if (!isPlainObject(entry)) return invalid(`${where} must be an object`);
    const { method, referenceId, body } = entry;
    if (typeof method !== "string" || !METHODS.has(method)) {
      return invalid(`${where}.method must be one of ${[...METHODS].join(", ")}`);
    }
    const url = dataPath(entry.url, outer, false);
    if (url === undefined || isNestedComposite(url)) {
      return invalid(
        `${where}.url must be a data API path no later than v${outer}, such as "/services/data/v${outer}/sobjects/Account"`,
      );
    }
    if (typeof referenceId !== "string" || !REFERENCE_ID.test(referenceId)) {
      return invalid(
        `${where}.referenceId must start with a letter and hold only letters, digits and underscores`,
      );
    }
    if (seen.has(referenceId)) {
      return invalid(`Duplicate referenceId provided in the request: ${referenceId}`);
    }
    seen.add(referenceId);
    const headers = entry.httpHeaders ?? {};
    if (!isPlainObject(headers) || Object.values(headers).some((v) => typeof v !== "string")) {
      return invalid(`${where}.httpHeaders must be an object of strings`);
    }
    if (isQuery(url) && ++queries > MAX_QUERIES) {
      return invalid(
        `${field} can hold at most ${MAX_QUERIES} query or sObject Collections subrequests`,
      );
    }
    requests.push({
      method,
      url,
      referenceId,
      body,
      httpHeaders: headers as Record<string, string>,
    });
  }
  return { value: requests };
}

// ---------------------------------------------------------------------------
// Running subrequests

interface Outcome {
  status: number;
  body: unknown;
}

async function runOne(
  context: RouteContext,
  run: RunSubrequest,
  sub: { method: string; path: string; body: unknown; headers?: Record<string, string> },
  undo?: UndoLog,
): Promise<Outcome> {
  const headers = new Headers(sub.headers);
  const init: RequestInit = { method: sub.method, headers };
  if (sub.body !== undefined && sub.method !== "GET" && sub.method !== "HEAD") {
    headers.set("Content-Type", "application/json");
    init.body = JSON.stringify(sub.body);
  }
  const request = new Request(new URL(sub.path, context.url), init);
  const response = await run(context.org, request, context.session!, undo);
  const text = await response.text();
  let body: unknown = null;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, body };
}

async function batch(context: RouteContext, run: RunSubrequest): Promise<Response> {
  const read = await readJson(context.request);
  if ("response" in read) return read.response;
  const parsed = parseBatch(read.value, context.version);
  if ("response" in parsed) return parsed.response;
  const results: { statusCode: number; result: unknown }[] = [];
  let halt = false;
  for (const sub of parsed.value.requests) {
    if (halt) {
      // Message text unverified (§7.1).
      results.push({
        statusCode: 412,
        result: codeFirst("BATCH_PROCESSING_HALTED", "Batch processing halted per request"),
      });
      continue;
    }
    const outcome = await runOne(context, run, sub);
    results.push({ statusCode: outcome.status, result: outcome.body });
    halt = parsed.value.haltOnError && outcome.status >= 400;
  }
  return compositeJson(context.org, {
    hasErrors: results.some((r) => r.statusCode >= 400),
    results,
  });
}

/** Walks `.key` and `[n]` steps through an earlier subrequest's body. */
function lookup(
  done: Map<string, CompositeSubresponse>,
  referenceId: string,
  path: string,
): { value: unknown } | undefined {
  const source = done.get(referenceId);
  if (source === undefined || source.httpStatusCode >= 400) return undefined;
  let value = source.body;
  for (const [, key, index] of path.matchAll(STEP)) {
    if (index !== undefined && Array.isArray(value)) value = value[Number(index)];
    else if (key !== undefined && isPlainObject(value)) value = value[key];
    else return undefined;
  }
  return value === undefined ? undefined : { value };
}

/** A reference to an absent, later or failed subrequest, or to a missing value. */
class InvalidReference extends Error {
  constructor(referenceId: string, path: string) {
    // Wording unverified (§7.2).
    super(
      `Invalid reference specified. No value for ${referenceId}${path} found in ${referenceId}. Provided referenceId ('${referenceId}') must name an earlier subrequest that succeeded.`,
    );
  }
}

/** Replaces every `@{ref.path}` in `text`; a string that is one reference takes the value as is. */
function substitute(
  text: string,
  done: Map<string, CompositeSubresponse>,
  whole: boolean,
): unknown {
  if (whole) {
    const only = new RegExp(`^${REFERENCE.source}$`).exec(text);
    if (only !== null) {
      const found = lookup(done, only[1], only[2]);
      if (found === undefined) throw new InvalidReference(only[1], only[2]);
      return found.value;
    }
  }
  return text.replace(REFERENCE, (_, referenceId: string, path: string) => {
    const found = lookup(done, referenceId, path);
    if (found === undefined) throw new InvalidReference(referenceId, path);
    return typeof found.value === "string" ? found.value : JSON.stringify(found.value);
  });
}

/** A successful create names the new record in `Location`. */
function responseHeaders(path: string, outcome: Outcome): Record<string, string> {
  const id = isPlainObject(outcome.body) ? outcome.body.id : undefined;
  const [, , , version, resource, object] = path.split("?")[0].split("/");
  if (outcome.status !== 201 || typeof id !== "string" || resource !== "sobjects") return {};
  return { Location: `/services/data/${version}/sobjects/${object}/${id}` };
}

/**
 * Runs `/composite` subrequests in order, resolving references against earlier
 * results. With `allOrNone`, the first failure stops the run and rolls back every
 * write; every other subrequest then reports PROCESSING_HALTED.
 */
export async function executeComposite(
  context: RouteContext,
  run: RunSubrequest,
  requests: readonly CompositeSubrequest[],
  allOrNone: boolean,
): Promise<CompositeSubresponse[]> {
  const undo = allOrNone ? new UndoLog() : undefined;
  const done = new Map<string, CompositeSubresponse>();
  const results: CompositeSubresponse[] = [];
  let failed = -1;
  for (const sub of requests) {
    let entry: CompositeSubresponse;
    try {
      const path = substitute(sub.url, done, false) as string;
      const body = mapStrings(sub.body, (text) => substitute(text, done, true));
      const outcome = await runOne(
        context,
        run,
        { method: sub.method, path, body, headers: sub.httpHeaders },
        undo,
      );
      entry = {
        body: outcome.body,
        httpHeaders: responseHeaders(path, outcome),
        httpStatusCode: outcome.status,
        referenceId: sub.referenceId,
      };
    } catch (error) {
      if (!(error instanceof InvalidReference)) throw error;
      entry = haltedEntry(sub.referenceId, error.message);
    }
    results.push(entry);
    done.set(sub.referenceId, entry);
    if (undo !== undefined && entry.httpStatusCode >= 400) {
      failed = results.length - 1;
      break;
    }
  }
  if (undo === undefined || failed === -1) return results;
  context.org.store.rollback(undo);
  return requests.map((sub, i) =>
    i === failed ? results[i] : haltedEntry(sub.referenceId, ROLLED_BACK)
  );
}

async function composite(context: RouteContext, run: RunSubrequest): Promise<Response> {
  const read = await readJson(context.request);
  if ("response" in read) return read.response;
  const value = read.value;
  const invalid = (message: string) => fail(400, COMPOSITE_INVALID, message);
  if (!isPlainObject(value)) {
    return invalid("The request must be an object with a compositeRequest array");
  }
  const { allOrNone = false, collateSubrequests = true } = value;
  if (typeof allOrNone !== "boolean") return invalid("allOrNone must be a boolean");
  if (typeof collateSubrequests !== "boolean") {
    return invalid("collateSubrequests must be a boolean");
  }
  if (Array.isArray(value.compositeRequest) && value.compositeRequest.length > MAX_SUBREQUESTS) {
    return invalid(`compositeRequest can hold at most ${MAX_SUBREQUESTS} subrequests`);
  }
  const parsed = parseCompositeSubrequests(value.compositeRequest, context.version);
  if ("response" in parsed) return parsed.response;
  // collateSubrequests only lets Salesforce reorder independent subrequests; the org keeps order.
  const compositeResponse = await executeComposite(context, run, parsed.value, allOrNone);
  return compositeJson(context.org, { compositeResponse });
}

/** Composite routes; `run` executes a subrequest inside the org (see `dispatchInternal`). */
export function compositeRoutes(run: RunSubrequest): Route[] {
  return [
    {
      pattern: "/services/data/:version/composite",
      name: "composite",
      kind: "data",
      methods: { POST: (context) => composite(context, run) },
    },
    {
      pattern: "/services/data/:version/composite/batch",
      name: "compositeBatch",
      kind: "data",
      methods: { POST: (context) => batch(context, run) },
    },
  ];
}
