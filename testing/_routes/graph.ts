// Composite Graph (`POST /composite/graph`): several graphs in one call, each an
// all-or-nothing composite request of sObject subrequests (nodes) that commits or
// rolls back on its own. Subrequests are checked and run by composite.ts.

import { isPlainObject } from "../../client/_validate.ts";
import { fail, readJson } from "../_http.ts";
import type { Route, RouteContext } from "../_router.ts";
import {
  compositeJson,
  type CompositeSubrequest,
  executeComposite,
  haltedEntry,
  parseCompositeSubrequests,
  type RunSubrequest,
} from "./composite.ts";

// The platform's limits (REST API guide, "Composite Graph Limits").
const MAX_GRAPHS = 75;
const MAX_NODES = 500;
const MAX_DEPTH = 15;
/** After this many failed graphs, the rest are not processed. */
const MAX_FAILURES = 14;
const GRAPH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$/;
const REFERENCE_START = /@\{([A-Za-z][A-Za-z0-9_]*)/g;
/** Resources a node may call: `sobjects/{Object}[/...]` only. */
const NODE_PATH = /^\/services\/data\/v\d+\.0\/sobjects\/[^/?]+(\/[^?]*)?(\?.*)?$/;

// Codes and wording of these envelope errors are unverified.
const INVALID = "INVALID_INPUT";
const NOT_PROCESSED = "The graph was not processed: too many graphs in this request failed.";

function depthOf(nodes: CompositeSubrequest[]): number {
  const depths = new Map<string, number>();
  let deepest = 0;
  for (const node of nodes) {
    const text = `${node.url} ${JSON.stringify(node.body ?? null)}`;
    const referenced = Array.from(text.matchAll(REFERENCE_START), (m) => depths.get(m[1]) ?? 0);
    const depth = 1 + Math.max(0, ...referenced);
    depths.set(node.referenceId, depth);
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

async function graph(context: RouteContext, run: RunSubrequest): Promise<Response> {
  const read = await readJson(context.request);
  if ("response" in read) return read.response;
  const value = read.value;
  if (!isPlainObject(value) || !Array.isArray(value.graphs) || value.graphs.length === 0) {
    return fail(400, INVALID, "The request must be an object with a non-empty graphs array");
  }
  if (value.graphs.length > MAX_GRAPHS) {
    return fail(400, INVALID, `A composite graph request can hold at most ${MAX_GRAPHS} graphs`);
  }
  const graphs: { graphId: string; nodes: CompositeSubrequest[] }[] = [];
  let total = 0;
  for (const [i, entry] of value.graphs.entries()) {
    const graphId = isPlainObject(entry) ? entry.graphId : undefined;
    if (typeof graphId !== "string" || !GRAPH_ID.test(graphId)) {
      return fail(
        400,
        INVALID,
        `graphs[${i}].graphId must start with a letter or digit, hold only letters, digits, _ and -, and be under 40 characters`,
      );
    }
    if (graphs.some((other) => other.graphId === graphId)) {
      return fail(400, INVALID, `Duplicate graphId provided in the request: ${graphId}`);
    }
    const parsed = parseCompositeSubrequests(
      (entry as Record<string, unknown>).compositeRequest,
      context.version,
      `graphs[${i}].compositeRequest`,
    );
    if ("response" in parsed) return parsed.response;
    const nodes = parsed.value;
    const other = nodes.find((node) => !NODE_PATH.test(node.url));
    if (other !== undefined) {
      return fail(
        400,
        INVALID,
        `Composite graph nodes must call sObject resources: received ${other.method} ${other.url}`,
      );
    }
    total += nodes.length;
    if (total > MAX_NODES) {
      return fail(400, INVALID, `A composite graph request can hold at most ${MAX_NODES} nodes`);
    }
    if (depthOf(nodes) > MAX_DEPTH) {
      return fail(400, INVALID, `Graph ${graphId} is deeper than ${MAX_DEPTH} nodes`);
    }
    graphs.push({ graphId, nodes });
  }
  const results = [];
  let failures = 0;
  for (const { graphId, nodes } of graphs) {
    if (failures >= MAX_FAILURES) {
      results.push({
        graphId,
        graphResponse: {
          compositeResponse: nodes.map((node) => haltedEntry(node.referenceId, NOT_PROCESSED)),
        },
        isSuccessful: false,
      });
      continue;
    }
    const compositeResponse = await executeComposite(context, run, nodes, true);
    const isSuccessful = compositeResponse.every((entry) => entry.httpStatusCode < 400);
    if (!isSuccessful) failures++;
    results.push({ graphId, graphResponse: { compositeResponse }, isSuccessful });
  }
  return compositeJson(context.org, { graphs: results });
}

/** The Composite Graph route; `run` executes a node inside the org (see `dispatchInternal`). */
export function graphRoutes(run: RunSubrequest): Route[] {
  return [{
    pattern: "/services/data/:version/composite/graph",
    name: "compositeGraph",
    kind: "data",
    methods: { POST: (context) => graph(context, run) },
  }];
}
