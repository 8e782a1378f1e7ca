/**
 * Composite Graph: several all-or-nothing composite requests in one call.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { SubrequestBuilder } from "./subrequest_builder.ts";
import { InvalidStateError, type Subrequest } from "./subrequest.ts";
import {
  compositeEntry,
  compositeResults,
  sendEnvelope,
  settle,
  subrequestAccess,
} from "./_composite_wire.ts";
import { checkOptions, received } from "./_validate.ts";

// The platform's Composite Graph limits (REST API guide, "Composite Graph Limits").
/** Graphs in one call. */
const MAX_GRAPHS = 75;
/** Nodes in one graph, and in one call. */
const MAX_NODES = 500;
/** Longest chain of nodes, each referencing the one before. */
const MAX_DEPTH = 15;
/** Different kinds of node in one call: method, API version and object. */
const MAX_NODE_KINDS = 15;
/** Letters, digits, `_` and `-`, starting with a letter or digit, under 40 characters, no period. */
const GRAPH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$/;
/** `@{refId` at the start of every reference a node holds. */
const REFERENCE_START = /@\{([A-Za-z][A-Za-z0-9_]*)/g;

/** Friend access from {@linkcode CompositeGraph} to its graphs' protected state. */
interface GraphInternals {
  begin(): Subrequest[];
  end(executed: boolean): void;
  succeeded(value: boolean): void;
}
const internals = new WeakMap<Graph, GraphInternals>();

/**
 * One graph of a {@linkcode CompositeGraph}: an all-or-nothing composite
 * request of up to 500 sObject subrequests that may reference each other with
 * `ref()`. If any node fails, the graph's writes are rolled back and its other
 * nodes report `PROCESSING_HALTED`; the other graphs of the call are not affected.
 * Nodes are sObject operations only (`sobject.create/get/update/delete/upsert`).
 *
 * @example Check one graph's outcome
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const graphs = sf.composite.graph();
 * const graph = graphs.request();
 * const account = graph.sobject.create("Account", { Name: "Acme" });
 * graph.sobject.create("Contact", { LastName: "Doe", AccountId: account.ref("id") });
 * await graphs.execute();
 * assert.equal(graph.isSuccessful, true);
 * assert.equal(org.records("Contact")[0].AccountId, account.id);
 * ```
 */
export class Graph extends SubrequestBuilder {
  /** The graph's id in the call: yours, or `graph_0`, `graph_1`, ... */
  readonly graphId: string;
  #successful: boolean | undefined;

  /**
   * Use `graphs.request()` on a {@linkcode CompositeGraph}.
   *
   * @param client The client that sends the call.
   * @param graphId The graph's id in the call.
   */
  constructor(client: Salesforce, graphId: string) {
    super(client, {
      name: `composite graph "${graphId}"`,
      referable: true,
      maxSubrequests: MAX_NODES,
      maxQueries: 0,
    });
    this.graphId = graphId;
    internals.set(this, {
      begin: () => this._begin(),
      end: (executed) => this._end(executed),
      succeeded: (value) => {
        this.#successful = value;
      },
    });
  }

  /**
   * True when every node of the graph succeeded and its writes were committed;
   * false when the graph was rolled back.
   *
   * @throws {InvalidStateError} Before `execute()` finished.
   */
  get isSuccessful(): boolean {
    if (this.#successful === undefined) {
      throw new InvalidStateError(
        `Cannot read composite graph "${this.graphId}": execute() has not finished`,
      );
    }
    return this.#successful;
  }

  /**
   * Not available: composite graph nodes are sObject operations only.
   *
   * @param _soql Ignored.
   * @param _options Ignored.
   * @throws {TypeError} Always.
   */
  override query(_soql?: string, _options?: { includeAllRecords?: boolean }): never {
    throw new TypeError(
      `Cannot add subrequest to composite graph "${this.graphId}": graph nodes are sObject operations only (use graph.sobject.*)`,
    );
  }
}

/** The graph ids a node references. */
function referencedIds(node: Subrequest): string[] {
  const text = `${node.url} ${subrequestAccess.requestBody(node) ?? ""}`;
  return Array.from(text.matchAll(REFERENCE_START), (match) => match[1]);
}

/** The longest chain of references in a graph, counting nodes (a node alone is depth 1). */
function depthOf(nodes: readonly Subrequest[]): number {
  const depths = new Map<string, number>();
  let deepest = 0;
  for (const node of nodes) {
    // References only point to earlier nodes, so their depths are known.
    const depth = 1 + Math.max(0, ...referencedIds(node).map((id) => depths.get(id) ?? 0));
    depths.set(node.referenceId, depth);
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

/** What makes nodes "different" for the platform: method, API version and object. */
function nodeKind(node: Subrequest): string {
  const [, , , version, , object] = node.url.split("/");
  return `${node.method} ${version} ${object?.toLowerCase()}`;
}

/**
 * A Composite Graph call, from `sf.composite.graph()`: add graphs with
 * `request()`, fill each with sObject subrequests, then `execute()` sends every
 * graph in one `/composite/graph` call. Each graph commits or rolls back on its
 * own; read `graph.isSuccessful` and each node's accessors (`id`, `record`,
 * `error`, ...) afterwards. The platform's limits are checked before sending:
 * 75 graphs, 500 nodes in all (and per graph), chains of at most 15 nodes, and
 * 15 different kinds of node (method and object).
 *
 * @example Two graphs: one fails and rolls back alone
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const graphs = sf.composite.graph();
 * const good = graphs.request();
 * good.sobject.create("Account", { Name: "Acme" });
 * const bad = graphs.request();
 * const globex = bad.sobject.create("Account", { Name: "Globex" });
 * bad.sobject.create("Contact", { AccountId: globex.ref("id") }); // no LastName
 * await graphs.execute();
 * assert.deepEqual([good.isSuccessful, bad.isSuccessful], [true, false]);
 * assert.deepEqual(org.records("Account").map((a) => a.Name), ["Acme"]);
 * ```
 */
export class CompositeGraph {
  #client: Salesforce;
  #graphs: Graph[] = [];
  #state: "open" | "executing" | "executed" = "open";

  /**
   * Use `sf.composite.graph()`.
   *
   * @param client The client that sends the call.
   */
  constructor(client: Salesforce) {
    this.#client = client;
  }

  /** The graphs added so far, in order. */
  get graphs(): readonly Graph[] {
    return [...this.#graphs];
  }

  /**
   * Adds a graph.
   *
   * @param options `graphId`: the graph's id in the call (letters, digits, `_`
   *   and `-`, under 40 characters); `graph_<n>` by default.
   * @returns The graph, to add subrequests to.
   * @throws {TypeError} For a malformed or repeated `graphId`.
   * @throws {RangeError} When the call already holds 75 graphs.
   * @throws {InvalidStateError} After `execute()` was called.
   *
   * @example Name a graph
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const graphs = sf.composite.graph();
   * assert.equal(graphs.request({ graphId: "onboarding-1" }).graphId, "onboarding-1");
   * assert.equal(graphs.request().graphId, "graph_1");
   * ```
   */
  request(options: { graphId?: string } = {}): Graph {
    const context = "Cannot add graph to composite graph";
    if (this.#state !== "open") {
      throw new InvalidStateError(`${context}: execute() was already called; start a new one`);
    }
    checkOptions(context, options);
    if (this.#graphs.length >= MAX_GRAPHS) {
      throw new RangeError(`${context}: one call holds at most ${MAX_GRAPHS} graphs`);
    }
    const graphId = options.graphId ?? `graph_${this.#graphs.length}`;
    if (typeof graphId !== "string" || !GRAPH_ID.test(graphId)) {
      throw new TypeError(
        `${context}: "graphId" must be letters, digits, "_" and "-", starting with a letter or digit, under 40 characters: received ${
          received(graphId)
        }`,
      );
    }
    if (this.#graphs.some((graph) => graph.graphId === graphId)) {
      throw new TypeError(
        `${context}: "graphId" must be unique: ${JSON.stringify(graphId)} is taken`,
      );
    }
    const graph = new Graph(this.#client, graphId);
    this.#graphs.push(graph);
    return graph;
  }

  /**
   * Sends every graph in one call and sets each graph's `isSuccessful` and each
   * node's result. A graph that fails does not make `execute()` throw: check
   * `isSuccessful` (or a node's `error`).
   *
   * @param options `signal` to abort the call.
   * @throws {RangeError} When a limit is exceeded (nothing is sent): a graph
   *   without nodes, more than 500 nodes in all, a chain of more than 15 nodes,
   *   or more than 15 kinds of node.
   * @throws {SalesforceError} When the call itself fails.
   * @throws {InvalidStateError} When already executing or executed.
   *
   * @example Read a node of a successful graph
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const graphs = sf.composite.graph();
   * const graph = graphs.request();
   * const created = graph.sobject.create("Account", { Name: "Acme" });
   * const read = graph.sobject.get<{ Name: string }>("Account", created.ref("id"));
   * await graphs.execute();
   * assert.equal(read.record.Name, "Acme");
   * ```
   */
  async execute(options: { signal?: AbortSignal } = {}): Promise<void> {
    const context = "Cannot execute composite graph";
    if (this.#state !== "open") {
      throw new InvalidStateError(
        `${context}: it is ${
          this.#state === "executing" ? "already executing" : "already executed"
        }; start a new one`,
      );
    }
    this.#checkLimits(context);
    if (this.#graphs.length === 0) return;
    this.#state = "executing";
    const nodes = this.#graphs.map((graph) => internals.get(graph)!.begin());
    let executed = false;
    try {
      await this.#send(nodes, options.signal);
      executed = true;
    } finally {
      this.#state = executed ? "executed" : "open";
      for (const graph of this.#graphs) internals.get(graph)!.end(executed);
    }
  }

  #checkLimits(context: string): void {
    let total = 0;
    const kinds = new Set<string>();
    for (const graph of this.#graphs) {
      const nodes = graph.subrequests;
      if (nodes.length === 0) {
        throw new RangeError(
          `${context}: graph "${graph.graphId}" has no subrequests; add one or leave the graph out`,
        );
      }
      total += nodes.length;
      const depth = depthOf(nodes);
      if (depth > MAX_DEPTH) {
        throw new RangeError(
          `${context}: graph "${graph.graphId}" chains ${depth} nodes by reference; the limit is ${MAX_DEPTH}`,
        );
      }
      for (const node of nodes) kinds.add(nodeKind(node));
    }
    if (total > MAX_NODES) {
      throw new RangeError(
        `${context}: one call holds at most ${MAX_NODES} nodes across its graphs: received ${total}`,
      );
    }
    if (kinds.size > MAX_NODE_KINDS) {
      throw new RangeError(
        `${context}: one call holds at most ${MAX_NODE_KINDS} kinds of node (method and object): received ${kinds.size}`,
      );
    }
  }

  async #send(nodes: Subrequest[][], signal: AbortSignal | undefined): Promise<void> {
    const graphs = this.#graphs.map((graph, i) =>
      `{"graphId":${JSON.stringify(graph.graphId)},"compositeRequest":[${
        nodes[i].map(compositeEntry).join(",")
      }]}`
    );
    const envelope = await sendEnvelope(this.#client, {
      resource: "composite/graph",
      name: "composite graph",
      body: `{"graphs":[${graphs.join(",")}]}`,
      signal,
    });
    const { graphs: entries } = envelope.json;
    const byGraph = new Map<unknown, Record<string, unknown>>();
    for (const entry of Array.isArray(entries) ? entries : []) byGraph.set(entry?.graphId, entry);
    // Read every result before settling any, so a malformed response settles nothing.
    const read = this.#graphs.map((graph, i) => {
      const entry = byGraph.get(graph.graphId);
      if (entry === undefined || typeof entry.isSuccessful !== "boolean") {
        throw envelope.malformed(`no result for graph "${graph.graphId}"`);
      }
      const results = compositeResults(
        (entry.graphResponse as { compositeResponse?: unknown })?.compositeResponse,
        nodes[i],
        (node) =>
          envelope.malformed(
            `no result for node "${node.referenceId}" of graph "${graph.graphId}"`,
          ),
      );
      return { graph, successful: entry.isSuccessful, results };
    });
    for (const [i, { graph, successful, results }] of read.entries()) {
      await settle(this.#client.baseUrl, nodes[i], results);
      internals.get(graph)!.succeeded(successful);
    }
  }
}
