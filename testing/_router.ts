// A tiny router: paths are split into decoded segments and compared with route
// patterns segment by segment (`:name` captures one segment, a trailing `*` the
// rest of the path). First match wins.

import type { OrgState } from "./_org.ts";
import type { Session } from "./_sessions.ts";
import type { UndoLog } from "./_store.ts";

/** What a handler gets for one request. */
export interface RouteContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  org: OrgState;
  /** The caller's session on `data` routes; undefined on open routes. */
  session: Session | undefined;
  /** API version of a `data` route without the `v`, e.g. "66.0"; "" elsewhere. */
  version: string;
  /**
   * True when the answer goes out over HTTP (`org.serve()`, `org.listen()`): a body may then
   * share the org's own bytes (see `pageResponse`). False for `org.fetch` and subrequests.
   */
  served: boolean;
  /** The undo log of the all-or-nothing call this request runs inside (a composite subrequest). */
  undo?: UndoLog;
}

/** Answers one method of one resource. */
export type Handler = (context: RouteContext) => Response | Promise<Response>;

/** One resource: a path pattern and the methods it answers. */
export interface Route {
  /** e.g. `/services/data/:version/sobjects/:object`. */
  pattern: string;
  /** Name in `org.stats.requests`, after the method: "GET sobject". */
  name: string;
  /**
   * `data`: under `/services/data/vNN.0/`, needs a session, counts toward the daily limit.
   * `open`: answers without a session and is not counted (versions list, logins).
   */
  kind: "data" | "open";
  /** How an injected fault's error body is shaped on this route. Default "rest". */
  errorShape?: "rest" | "oauth" | "soap";
  methods: Partial<Record<string, Handler>>;
}

/** The result of matching a request. */
export type Match =
  | { route: Route; handler: Handler; params: Record<string, string> }
  | { route: Route; handler: undefined; params: Record<string, string> }
  | { route: undefined; handler: undefined; params: Record<string, string> };

/** Splits a path into decoded segments, dropping empty ones; undefined when a segment won't decode. */
export function segments(pathname: string): string[] | undefined {
  try {
    return pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
  } catch {
    return undefined; // a malformed %-escape: no route can match it
  }
}

/** Routes compiled to segment lists. */
export class Router {
  #routes: { route: Route; parts: string[] }[] = [];

  constructor(routes: Iterable<Route>) {
    for (const route of routes) {
      this.#routes.push({ route, parts: route.pattern.split("/").filter(Boolean) });
    }
  }

  /** Finds the resource for a path, then the handler for the method (HEAD falls back to GET). */
  match(method: string, pathname: string): Match {
    const path = segments(pathname);
    if (path === undefined) return { route: undefined, handler: undefined, params: {} };
    for (const { route, parts } of this.#routes) {
      // A trailing `*` matches one or more remaining segments, captured as params["*"].
      const rest = parts.at(-1) === "*";
      const fixed = rest ? parts.length - 1 : parts.length;
      if (rest ? path.length <= fixed : path.length !== fixed) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < fixed && ok; i++) {
        if (parts[i].startsWith(":")) params[parts[i].slice(1)] = path[i];
        else ok = parts[i] === path[i];
      }
      if (ok && rest) params["*"] = path.slice(fixed).join("/");
      if (!ok) continue;
      const handler = route.methods[method] ?? (method === "HEAD" ? route.methods.GET : undefined);
      return handler === undefined
        ? { route, handler: undefined, params }
        : { route, handler, params };
    }
    return { route: undefined, handler: undefined, params: {} };
  }
}
