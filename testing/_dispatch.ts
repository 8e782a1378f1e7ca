// The request pipeline of the fake org: route, count, apply faults, check the
// session and the daily limit, call the handler, stamp Sforce-Limit-Info.

import { type ResolvedFault, restFaultError } from "./_faults.ts";
import { errorList, fail, json, methodNotAllowed, notFound, unknownException } from "./_http.ts";
import { OLDEST_VERSION, type OrgState } from "./_org.ts";
import { type Match, type Route, Router, segments } from "./_router.ts";
import { apexRoutes } from "./_routes/apex.ts";
import { compositeRoutes } from "./_routes/composite.ts";
import { collectionRoutes } from "./_routes/collections.ts";
import { bulkRoutes } from "./_routes/bulk.ts";
import { graphRoutes } from "./_routes/graph.ts";
import { oauthRoutes } from "./_routes/oauth.ts";
import { queryRoutes } from "./_routes/query.ts";
import { restRoutes } from "./_routes/rest.ts";
import { soapFault, soapRoutes } from "./_routes/soap.ts";
import { sobjectRoutes } from "./_routes/sobjects.ts";
import { toolingRoutes } from "./_routes/tooling.ts";
import { treeRoutes } from "./_routes/tree.ts";
import type { Session } from "./_sessions.ts";
import type { UndoLog } from "./_store.ts";
import { restError } from "./_values.ts";

/** Every route the org serves; first match wins. */
const ROUTER = new Router([
  ...soapRoutes,
  ...oauthRoutes,
  ...restRoutes,
  ...sobjectRoutes,
  ...queryRoutes,
  ...bulkRoutes,
  ...collectionRoutes,
  ...treeRoutes,
  ...compositeRoutes(dispatchInternal),
  ...graphRoutes(dispatchInternal),
  ...toolingRoutes,
  ...apexRoutes,
]);

const DROPPED = "fetch failed: connection dropped by FakeSalesforce";

function sniffType(body: string): string {
  const start = body.trimStart();
  if (start.startsWith("{") || start.startsWith("[")) return "application/json;charset=UTF-8";
  if (start.startsWith("<?xml")) return "text/xml;charset=UTF-8";
  return "text/html;charset=UTF-8";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  // Server time, not the client's: retries/_clock.ts is what client tests mock, and
  // mocking the client's sleep must not make the server fast.
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function bearer(request: Request): string | undefined {
  const header = request.headers.get("Authorization");
  const match = header === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** True for paths under `/services/data/<something>/`: they need a session and count. */
function isData(route: Route | undefined, path: string[]): boolean {
  if (route !== undefined) return route.kind === "data";
  return path.length >= 3 && path[0] === "services" && path[1] === "data";
}

/** `vNN.0` between the oldest served version and the org's latest. */
function knownVersion(org: OrgState, text: string): boolean {
  const match = /^v(\d{1,3})\.0$/.exec(text);
  if (match === null) return false;
  const major = Number(match[1]);
  return major >= OLDEST_VERSION && major <= Number.parseInt(org.options.apiVersion);
}

function limited(org: OrgState, response: Response): Response {
  response.headers.set(
    "Sforce-Limit-Info",
    `api-usage=${org.apiUsage}/${org.options.dailyApiLimit}`,
  );
  return response;
}

function faultResponse(
  org: OrgState,
  fault: ResolvedFault,
  route: Route | undefined,
  path: string[],
): Response {
  const status = fault.status!;
  if (fault.body !== undefined) {
    return new Response(fault.body, {
      status,
      headers: { "Content-Type": fault.contentType ?? sniffType(fault.body) },
    });
  }
  const shape = route?.errorShape ?? "rest";
  if (shape === "oauth") {
    return json(status, {
      error: fault.errorCode ?? "invalid_grant",
      error_description: fault.message ?? "authentication failure",
    });
  }
  const { errorCode, message } = restFaultError(fault);
  if (shape === "soap") return soapFault(errorCode, message, status);
  const response = errorList(status, restError(errorCode, message));
  if (!isData(route, path)) return response;
  // Salesforce answered this one itself, so it counted.
  org.apiUsage++;
  return limited(org, response);
}

async function respond(
  org: OrgState,
  request: Request,
  url: URL,
  path: string[],
  match: Match,
  served: boolean,
): Promise<Response> {
  const { route, handler, params } = match;
  const data = isData(route, path);
  let session;
  if (data) {
    session = org.sessions.check(bearer(request));
    if (session === undefined) {
      return fail(401, "INVALID_SESSION_ID", "Session expired or invalid");
    }
    if (org.apiUsage >= org.options.dailyApiLimit) {
      return limited(org, fail(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
    }
    org.apiUsage++;
  }
  // Apex REST (`/services/apexrest/...`) is a data route without an API version.
  const versioned = data && path[1] === "data";
  let response: Response;
  if (versioned && !knownVersion(org, path[2])) response = notFound();
  else if (route === undefined) response = notFound();
  else if (handler === undefined) {
    response = methodNotAllowed(request.method, Object.keys(route.methods));
  } else {
    const version = versioned ? path[2].slice(1) : "";
    response = await handler({ request, url, params, org, session, version, served });
    if (request.method === "HEAD") {
      response = new Response(null, { status: response.status, headers: response.headers });
    }
  }
  return data ? limited(org, response) : response;
}

/** How a request reaches the org. */
export interface DispatchOptions {
  /** The answer goes out over HTTP (see RouteContext.served). */
  served?: boolean;
}

/** The options of a request an org's server passes on. */
export const SERVED: DispatchOptions = { served: true };

/**
 * Answers one request against `org`. Rejects only as fetch would: a dropped-connection
 * fault (TypeError), an abort (the signal's reason), or input `new Request` refuses.
 */
export async function dispatch(
  org: OrgState,
  input: RequestInfo | URL,
  init?: RequestInit,
  { served }: DispatchOptions = {},
): Promise<Response> {
  const relative = typeof input === "string" && input.startsWith("/");
  const request = new Request(relative ? org.baseUrl + input : input, init);
  request.signal.throwIfAborted();
  const url = new URL(request.url);
  const method = request.method;
  const match = ROUTER.match(method, url.pathname);
  const path = segments(url.pathname) ?? [];
  const key = `${method} ${match.route?.name ?? "notFound"}`;
  org.requests[key] = (org.requests[key] ?? 0) + 1;

  const fault = org.faults.take(method, url);
  if (fault !== undefined) {
    if (fault.latencyMs > 0) await sleep(fault.latencyMs, request.signal);
    if (fault.drop) throw new TypeError(DROPPED);
    if (fault.expireToken) org.sessions.expire(bearer(request));
    if (fault.status !== undefined) {
      return withHeaders(faultResponse(org, fault, match.route, path), fault.headers);
    }
  }
  let response: Response;
  try {
    response = await respond(org, request, url, path, match, served === true);
  } catch {
    if (request.signal.aborted) throw request.signal.reason;
    response = unknownException(++org.exceptions);
  }
  return withHeaders(response, fault?.headers);
}

/** Sets a fault's extra headers on the response it hits, last, replacing any of the same name. */
function withHeaders(response: Response, headers: Headers | undefined): Response {
  if (headers !== undefined) {
    for (const [name, value] of headers) response.headers.set(name, value);
  }
  return response;
}

/**
 * Answers a composite subrequest inside the org: routed like any request and run
 * with the caller's session, but with no faults, no count toward the daily limit
 * (the composite call counted once) and no Sforce-Limit-Info. Its writes go to `undo`
 * when the composite call is all-or-nothing.
 */
export async function dispatchInternal(
  org: OrgState,
  request: Request,
  session: Session,
  undo?: UndoLog,
): Promise<Response> {
  const url = new URL(request.url);
  const { route, handler, params } = ROUTER.match(request.method, url.pathname);
  const path = segments(url.pathname) ?? [];
  if (route === undefined || !isData(route, path) || !knownVersion(org, path[2])) {
    return notFound();
  }
  if (handler === undefined) return methodNotAllowed(request.method, Object.keys(route.methods));
  try {
    const version = path[2].slice(1);
    return await handler({ request, url, params, org, session, version, served: false, undo });
  } catch {
    return unknownException(++org.exceptions);
  }
}
