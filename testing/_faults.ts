// Fault injection: a queue of faults matched by method and path, consumed in the
// order they were registered.

import { checkDuration, checkInteger, received } from "../client/_validate.ts";
import type { FakeFault, PendingFault } from "./fake_salesforce.ts";

/** Typical status and message per error code (salesforce-api.md §3.3), for faults that name only a code. */
const KNOWN_ERRORS: Record<string, [number, string]> = {
  INVALID_SESSION_ID: [401, "Session expired or invalid"],
  REQUEST_LIMIT_EXCEEDED: [403, "TotalRequests Limit exceeded."],
  API_DISABLED_FOR_ORG: [403, "API is not enabled for this Organization or Partner"],
  NOT_FOUND: [404, "The requested resource does not exist"],
  UNABLE_TO_LOCK_ROW: [400, "unable to obtain exclusive access to this record"],
  QUERY_TIMEOUT: [400, "Your query request was running for too long."],
  INVALID_QUERY_LOCATOR: [400, "invalid query locator"],
  ENTITY_IS_DELETED: [400, "entity is deleted"],
  UNKNOWN_EXCEPTION: [
    500,
    "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)",
  ],
};

const CODE_BY_STATUS: Record<number, string> = {
  401: "INVALID_SESSION_ID",
  403: "REQUEST_LIMIT_EXCEEDED",
  404: "NOT_FOUND",
};

/** A fault with every default filled in. */
export interface ResolvedFault {
  method: string | undefined;
  path: string | RegExp | undefined;
  remaining: number;
  latencyMs: number;
  drop: boolean;
  expireToken: boolean;
  /** undefined: the fault answers nothing itself (latency or token expiry only). */
  status: number | undefined;
  errorCode: string | undefined;
  message: string | undefined;
  body: string | undefined;
  contentType: string | undefined;
  /** Extra headers set last on the response the fault hits. */
  headers: Headers | undefined;
  original: FakeFault;
}

const CONTEXT = "Cannot inject fault";

function check(condition: boolean, text: string, value: unknown): void {
  if (!condition) throw new TypeError(`${CONTEXT}: ${text}: received ${received(value)}`);
}

/** Validates a fault and fills its defaults. */
export function resolveFault(fault: FakeFault): ResolvedFault {
  check(typeof fault === "object" && fault !== null, "expected an object", fault);
  const { method, path, times = 1, status, errorCode, message, body, contentType } = fault;
  const latencyMs = fault.latencyMs ?? 0;
  check(method === undefined || typeof method === "string", `"method" must be a string`, method);
  check(
    path === undefined || typeof path === "string" || path instanceof RegExp,
    `"path" must be a string or a RegExp`,
    path,
  );
  checkInteger(CONTEXT, "times", times, 1);
  if (status !== undefined) checkInteger(CONTEXT, "status", status, 200, 599);
  checkDuration(CONTEXT, "latencyMs", latencyMs, true);
  for (const [name, value] of Object.entries({ errorCode, message, body, contentType })) {
    check(value === undefined || typeof value === "string", `"${name}" must be a string`, value);
  }
  let headers: Headers | undefined;
  if (fault.headers !== undefined) {
    try {
      headers = new Headers(fault.headers);
    } catch {
      check(
        false,
        `"headers" must be a Headers, an array of [name, value] pairs or a record of header values`,
        fault.headers,
      );
    }
  }
  const answers = status !== undefined || errorCode !== undefined || message !== undefined ||
    body !== undefined;
  check(
    answers || latencyMs > 0 || fault.drop === true || fault.expireToken === true ||
      headers !== undefined,
    `give at least one of "status", "errorCode", "message", "body", "headers", "latencyMs", "drop" or "expireToken"`,
    Object.keys(fault).join(", ") || "no keys",
  );
  const code = errorCode ?? (status !== undefined ? CODE_BY_STATUS[status] : undefined);
  const known = code !== undefined ? KNOWN_ERRORS[code] : undefined;
  return {
    method: method?.toUpperCase(),
    path,
    remaining: times,
    latencyMs,
    drop: fault.drop === true,
    expireToken: fault.expireToken === true,
    status: answers ? status ?? known?.[0] ?? 500 : undefined,
    errorCode,
    message,
    body,
    contentType,
    headers,
    original: fault,
  };
}

/** Pending faults in registration order. */
export class FaultQueue {
  #faults: ResolvedFault[] = [];

  add(fault: FakeFault): void {
    this.#faults.push(resolveFault(fault));
  }

  /** Consumes one use of the first fault matching the request, if any. */
  take(method: string, url: URL): ResolvedFault | undefined {
    const index = this.#faults.findIndex((fault) => matches(fault, method, url));
    if (index === -1) return undefined;
    const fault = this.#faults[index];
    if (--fault.remaining === 0) this.#faults.splice(index, 1);
    return fault;
  }

  list(): PendingFault[] {
    return this.#faults.map((fault) => ({ ...fault.original, times: fault.remaining }));
  }

  clear(): void {
    this.#faults = [];
  }
}

function matches(fault: ResolvedFault, method: string, url: URL): boolean {
  if (fault.method !== undefined && fault.method !== method.toUpperCase()) return false;
  if (fault.path === undefined) return true;
  if (typeof fault.path === "string") return url.pathname.startsWith(fault.path);
  fault.path.lastIndex = 0;
  return fault.path.test(url.pathname + url.search);
}

/** The REST error code and message a fault answers with. */
export function restFaultError(fault: ResolvedFault): { errorCode: string; message: string } {
  const errorCode = fault.errorCode ?? CODE_BY_STATUS[fault.status ?? 500] ?? "UNKNOWN_EXCEPTION";
  return { errorCode, message: fault.message ?? KNOWN_ERRORS[errorCode]?.[1] ?? errorCode };
}
