// Apex REST: `/services/apexrest/...` answered by handlers tests register with
// `org.apex(method, urlMapping, handler)`, the fake's stand-in for deploying an
// `@RestResource(urlMapping='/MyService/*')` class. Like deployed code (and JWT
// keys), registrations survive `org.reset()`.

import { errorList, fail, json, methodNotAllowed } from "../_http.ts";
import type { OrgState } from "../_org.ts";
import { type Route, type RouteContext, segments } from "../_router.ts";
import { restError } from "../_values.ts";

/** What a registered Apex REST handler may return: a Response, or a JSON-able value. */
export type ApexHandler = (request: Request) => unknown | Promise<unknown>;

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type ApexMethod = typeof METHODS[number];

interface Mapping {
  method: ApexMethod;
  /** The URL mapping split into segments; `*` matches one segment, or any rest when last. */
  parts: string[];
  handler: ApexHandler;
}

const MAPPINGS = new WeakMap<OrgState, Mapping[]>();

/** Splits and checks a URL mapping such as `/MyService/*`; throws a TypeError naming the form. */
function mappingParts(context: string, pattern: unknown): string[] {
  const parts = typeof pattern === "string" && pattern.startsWith("/")
    ? pattern.slice(1).split("/")
    : undefined;
  if (
    parts === undefined || parts.some((part) => part === "" || part === "." || part === "..") ||
    parts.some((part) => part.includes("*") && part !== "*") || /[?#\\]/.test(String(pattern))
  ) {
    throw new TypeError(
      `${context}: "urlMapping" must be a path such as "/MyService/*" ("*" standing for whole segments): received ${
        JSON.stringify(pattern)
      }`,
    );
  }
  return parts;
}

/** Registers a handler; checked here, so a mistake fails at registration, not as a 404 later. */
export function registerApexRoute(
  org: OrgState,
  method: unknown,
  urlMapping: unknown,
  handler: unknown,
): void {
  const context = "Cannot register Apex REST route";
  const upper = typeof method === "string" ? method.toUpperCase() : undefined;
  if (!METHODS.includes(upper as ApexMethod)) {
    throw new TypeError(
      `${context}: "method" must be one of ${METHODS.join(", ")}: received ${
        JSON.stringify(method)
      }`,
    );
  }
  const parts = mappingParts(context, urlMapping);
  if (typeof handler !== "function") {
    throw new TypeError(`${context}: "handler" must be a function`);
  }
  let list = MAPPINGS.get(org);
  if (list === undefined) MAPPINGS.set(org, list = []);
  list.push({ method: upper as ApexMethod, parts, handler: handler as ApexHandler });
}

function matches(parts: string[], path: string[]): boolean {
  for (let i = 0; i < parts.length; i++) {
    // A trailing `*` also matches nothing at all: `/MyService/*` answers `/MyService`.
    if (parts[i] === "*" && i === parts.length - 1) return path.length >= i;
    if (i >= path.length || (parts[i] !== "*" && parts[i] !== path[i])) return false;
  }
  return parts.length === path.length;
}

/** What a handler's value becomes: a Response as it is, undefined an empty 200 (a void method), else JSON. */
function toResponse(value: unknown): Response {
  if (value instanceof Response) return value;
  if (value === undefined) return new Response(null, { status: 200 });
  return json(200, value);
}

async function answer({ org, request, url }: RouteContext): Promise<Response> {
  // Segments after `/services/apexrest/`, each decoded (an encoded "/" stays inside its segment).
  const path = (segments(url.pathname) ?? []).slice(2);
  const method = request.method === "HEAD" ? "GET" : request.method;
  const found = (MAPPINGS.get(org) ?? []).filter((mapping) => matches(mapping.parts, path));
  if (found.length === 0) {
    // Salesforce's answer when no @RestResource mapping matches.
    return fail(404, "NOT_FOUND", `Could not find a match for URL /${path.join("/")}`);
  }
  const mapping = found.find((candidate) => candidate.method === method);
  if (mapping === undefined) {
    return methodNotAllowed(request.method, [...new Set(found.map((m) => m.method))]);
  }
  try {
    return toResponse(await mapping.handler(request));
  } catch (error) {
    // An unhandled Apex exception: 500 APEX_ERROR with the exception's text.
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return errorList(500, restError("APEX_ERROR", text));
  }
}

/** Apex REST: one route for any depth; session-checked and counted like data routes, with no API version. */
export const apexRoutes: Route[] = [{
  pattern: "/services/apexrest/*",
  name: "apex",
  kind: "data" as const,
  methods: Object.fromEntries(METHODS.map((method) => [method, answer])),
}];
