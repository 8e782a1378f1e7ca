// The Tooling API: `/services/data/vNN.0/tooling/{query,sobjects}` answered by the
// data API's own handlers, run against a view of the org whose schema and store
// hold the Tooling objects (ApexClass, ApexLog) instead of the data objects, with
// the URLs in their JSON answers moved under `/tooling/`. So the two APIs never
// see each other's objects: a data query of ApexClass is INVALID_TYPE, as in Salesforce.

import { JSON_TYPE } from "../_http.ts";
import { Schema, toolingObjects } from "../_objects.ts";
import type { OrgState } from "../_org.ts";
import type { Handler, Route, RouteContext } from "../_router.ts";
import { RecordStore } from "../_store.ts";
import { queryRoutes } from "./query.ts";
import { restRoutes } from "./rest.ts";
import { sobjectRoutes } from "./sobjects.ts";

const DATA_ROOT = "/services/data/:version/";

// One Tooling store per data store: org.reset() replaces the data store, and with it
// the Tooling records. The schema never changes, so one serves every org.
const SCHEMA = new Schema(toolingObjects());
const STORES = new WeakMap<RecordStore, RecordStore>();
const VIEWS = new WeakMap<RecordStore, OrgState>();

/** The org's Tooling records. */
export function toolingStore(org: OrgState): RecordStore {
  let store = STORES.get(org.store);
  if (store === undefined) {
    store = new RecordStore(SCHEMA);
    STORES.set(org.store, store);
  }
  return store;
}

/**
 * The org as the Tooling handlers see it: everything shared (sessions, cursors,
 * clock, counters) but `schema` and `store`, which are the Tooling ones. `dml()`
 * reads `this.store`, so writes land in the Tooling store too.
 */
function toolingView(org: OrgState): OrgState {
  let view = VIEWS.get(org.store);
  if (view === undefined) {
    view = Object.create(org, {
      schema: { value: SCHEMA },
      store: { value: toolingStore(org) },
    }) as OrgState;
    VIEWS.set(org.store, view);
  }
  return view;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Moves `/services/data/vNN.0/{sobjects,query}` URLs in a JSON answer under `/tooling/`. */
async function underTooling(response: Response, version: string): Promise<Response> {
  if (response.body === null || !response.headers.get("Content-Type")?.startsWith(JSON_TYPE)) {
    return response;
  }
  const root = `/services/data/v${version}/`;
  const pattern = new RegExp(`"${escapeRegExp(root)}(sobjects|query)\\b`, "g");
  const text = (await response.text()).replace(pattern, `"${root}tooling/$1`);
  return new Response(text, { status: response.status, headers: response.headers });
}

function toolingHandler(handler: Handler): Handler {
  return async (context: RouteContext) => {
    const response = await handler({ ...context, org: toolingView(context.org) });
    return await underTooling(response, context.version);
  };
}

/** The data routes the Tooling API has too (it has no queryAll). */
const SHARED = [...restRoutes, ...sobjectRoutes, ...queryRoutes].filter((route) =>
  route.pattern.startsWith(DATA_ROOT) &&
  ["sobjects", "query"].includes(route.pattern.slice(DATA_ROOT.length).split("/")[0])
);

/** Tooling routes: the shared data routes below `/tooling/`, named "tooling <name>". */
export const toolingRoutes: Route[] = SHARED.map((route) => ({
  ...route,
  pattern: route.pattern.replace(DATA_ROOT, `${DATA_ROOT}tooling/`),
  name: `tooling ${route.name}`,
  methods: Object.fromEntries(
    Object.entries(route.methods).map(([method, handler]) => [method, toolingHandler(handler!)]),
  ),
}));
