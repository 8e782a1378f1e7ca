/**
 * sObject Tree: create nested parent and child records in one all-or-nothing call.
 *
 * @module
 */

import { SalesforceError } from "./errors.ts";
import type { Salesforce } from "./salesforce.ts";
import { checkApiName, isPlainObject, optionsOf, received, toArray } from "./_validate.ts";
import { readBody } from "./_body_deadline.ts";

/** Records across all trees of one call (the platform's limit). */
const MAX_TREE_RECORDS = 200;
/** Levels of one tree, the root being level 1. */
const MAX_TREE_DEPTH = 5;
/** Different object types in one call. */
const MAX_TREE_TYPES = 5;
const REFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9_]*$/;

/**
 * A record of an sObject tree: field values, plus child relationships (e.g.
 * `Contacts`) holding arrays of child records. A child's type is looked up in the
 * parent's describe unless it names it in `attributes.type`; `attributes.referenceId`
 * is generated unless given.
 *
 * @example An account with two contacts
 * ```ts
 * import type { TreeRecord } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const acme: TreeRecord = {
 *   Name: "Acme",
 *   Contacts: [{ LastName: "Doe" }, { LastName: "Roe", attributes: { referenceId: "roe" } }],
 * };
 * assert.equal(Array.isArray(acme.Contacts), true);
 * ```
 */
export type TreeRecord = Record<string, unknown>;

/**
 * The id Salesforce gave one record of a tree.
 *
 * @example A result of a tree call
 * ```ts
 * import type { TreeResult } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const result: TreeResult = { referenceId: "ref1", id: "001000000000001AAA" };
 * assert.equal(result.id.slice(0, 3), "001");
 * ```
 */
export interface TreeResult {
  /** The record's reference id: yours from `attributes.referenceId`, or `ref1`, `ref2`, ... */
  referenceId: string;
  /** The new record's id. */
  id: string;
}

/**
 * Options for {@linkcode createTree}.
 *
 * @example Give the call a deadline
 * ```ts
 * import type { TreeOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: TreeOptions = { signal: AbortSignal.timeout(30_000) };
 * assert.ok(options.signal instanceof AbortSignal);
 * ```
 */
export interface TreeOptions {
  /** Aborts the call (and the describe calls that find child types). */
  signal?: AbortSignal;
}

/** One record of the request, in input (depth-first) order. */
interface Node {
  path: string;
  fields: Record<string, unknown>;
  type: string | undefined;
  referenceId: string | undefined;
  /** Child relationships in field order: name and child nodes. */
  children: { name: string; nodes: Node[] }[];
  depth: number;
}

/** The child records of a relationship value: an array, or the wire's `{ records: [...] }`. */
function childList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (
    isPlainObject(value) && Array.isArray(value.records) &&
    Object.keys(value).every((key) => key === "records")
  ) {
    return value.records;
  }
  return undefined;
}

/** Reads the records into nodes, checking shapes, limits and reference ids. */
function readNodes(context: string, records: unknown[]): Node[] {
  const all: Node[] = [];
  const read = (raw: unknown, path: string, depth: number): Node => {
    if (!isPlainObject(raw)) {
      throw new TypeError(`${context}: "${path}" must be an object: received ${received(raw)}`);
    }
    if (depth > MAX_TREE_DEPTH) {
      throw new RangeError(
        `${context}: a tree can be at most ${MAX_TREE_DEPTH} levels deep: "${path}" is on level ${depth}`,
      );
    }
    const { attributes, ...rest } = raw;
    if (attributes !== undefined && !isPlainObject(attributes)) {
      throw new TypeError(
        `${context}: "${path}.attributes" must be an object: received ${received(attributes)}`,
      );
    }
    const type = attributes?.type === undefined
      ? undefined
      : checkApiName(context, `${path}.attributes.type`, attributes.type);
    const referenceId = attributes?.referenceId;
    if (
      referenceId !== undefined &&
      (typeof referenceId !== "string" || !REFERENCE_ID.test(referenceId))
    ) {
      throw new TypeError(
        `${context}: "${path}.attributes.referenceId" must be letters, digits and underscores, starting with a letter or digit: received ${
          received(referenceId)
        }`,
      );
    }
    const node: Node = { path, fields: {}, type, referenceId, children: [], depth };
    all.push(node);
    if (all.length > MAX_TREE_RECORDS) {
      throw new RangeError(
        `${context}: a tree call can create at most ${MAX_TREE_RECORDS} records: "${path}" is record ${all.length}`,
      );
    }
    for (const [key, value] of Object.entries(rest)) {
      const list = childList(value);
      if (list === undefined) {
        node.fields[key] = value;
      } else if (list.length > 0) {
        checkApiName(context, `${path}.${key} (a child relationship)`, key);
        node.children.push({
          name: key,
          nodes: list.map((child, i) => read(child, `${path}.${key}[${i}]`, depth + 1)),
        });
      }
    }
    return node;
  };
  records.forEach((record, i) => read(record, `records[${i}]`, 1));
  return all;
}

/** Gives every node a unique reference id: its own, or `ref<n>` in input order. */
function assignReferenceIds(context: string, nodes: Node[]): string[] {
  const taken = new Map<string, string>();
  for (const node of nodes) {
    if (node.referenceId === undefined) continue;
    const other = taken.get(node.referenceId);
    if (other !== undefined) {
      throw new TypeError(
        `${context}: "${node.path}.attributes.referenceId" must be unique: ${
          JSON.stringify(node.referenceId)
        } is also used by "${other}"`,
      );
    }
    taken.set(node.referenceId, node.path);
  }
  let next = 1;
  return nodes.map((node) => {
    if (node.referenceId !== undefined) return node.referenceId;
    while (taken.has(`ref${next}`)) next++;
    const id = `ref${next++}`;
    taken.set(id, node.path);
    return id;
  });
}

/** Child relationship name (lower case) → child sObject, from a describe's `childRelationships`. */
async function childTypes(
  client: Salesforce,
  sobject: string,
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const describe = await client.sobject.describe(sobject, { signal });
  const types = new Map<string, string>();
  const relationships = Array.isArray(describe.childRelationships)
    ? describe.childRelationships
    : [];
  for (const relationship of relationships) {
    if (!isPlainObject(relationship)) continue;
    const { relationshipName, childSObject } = relationship;
    if (typeof relationshipName === "string" && typeof childSObject === "string") {
      types.set(relationshipName.toLowerCase(), childSObject);
    }
  }
  return types;
}

/**
 * Fills in each child's type, level by level: from its `attributes.type`, else from
 * the parent's describe (one describe per parent type, only when needed).
 */
async function resolveTypes(
  context: string,
  client: Salesforce,
  roots: Node[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const described = new Map<string, Promise<Map<string, string>>>();
  let level = roots;
  while (level.length > 0) {
    const next: Node[] = [];
    for (const parent of level) {
      for (const { name, nodes } of parent.children) {
        let inferred: string | undefined;
        if (nodes.some((node) => node.type === undefined)) {
          const key = parent.type!.toLowerCase();
          if (!described.has(key)) described.set(key, childTypes(client, parent.type!, signal));
          inferred = (await described.get(key)!).get(name.toLowerCase());
          if (inferred === undefined) {
            throw new TypeError(
              `${context}: "${parent.path}.${name}" must be a child relationship of ${parent.type}, or its records must name their type in "attributes.type"`,
            );
          }
        }
        for (const node of nodes) node.type ??= inferred;
        next.push(...nodes);
      }
    }
    level = next;
  }
}

function toWire(node: Node, referenceIds: Map<Node, string>): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    attributes: { type: node.type, referenceId: referenceIds.get(node) },
    ...node.fields,
  };
  for (const { name, nodes } of node.children) {
    wire[name] = { records: nodes.map((child) => toWire(child, referenceIds)) };
  }
  return wire;
}

/**
 * Creates one or more trees of nested records (`POST /composite/tree/{sobject}`):
 * each root of type `sobject` with its child records, which are linked to their
 * parent automatically. The call is all or nothing: if any record fails, none is
 * created and the call rejects.
 *
 * Child relationships are plain arrays (`Contacts: [{ LastName: "Doe" }]`); the
 * child type comes from `attributes.type` or, when absent, from the parent
 * object's describe. Reference ids are generated (`ref1`, `ref2`, ... in input
 * order) unless a record gives its own in `attributes.referenceId`. Your
 * records are not changed. Up to 200 records, 5 levels and 5 object types.
 *
 * @param client The client to send the call with.
 * @param sobject The type of the root records, e.g. `Account`.
 * @param records The root records, with their children nested.
 * @param options `signal`.
 * @returns One `{ referenceId, id }` per record, in input order: depth-first, a
 *   parent before its children, trees in the order given.
 * @throws {TypeError} For a bad name, a record that is not an object, an unknown
 *   child relationship, or a duplicate or malformed reference id (messages name
 *   the record, e.g. `records[1].Contacts[0]`).
 * @throws {RangeError} For more than 200 records, 5 levels or 5 object types.
 * @throws {SalesforceError} When Salesforce refuses the tree (nothing is created).
 *
 * @example Create two accounts, one with contacts
 * ```ts
 * import { createTree, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const results = await createTree(sf, "Account", [
 *   { Name: "Acme", Contacts: [{ LastName: "Doe" }, { LastName: "Roe" }] },
 *   { Name: "Globex" },
 * ]);
 * assert.deepEqual(results.map((r) => r.referenceId), ["ref1", "ref2", "ref3", "ref4"]);
 * const [acme, doe] = results;
 * assert.equal(org.records("Contact").find((c) => c.Id === doe.id)?.AccountId, acme.id);
 * ```
 */
export async function createTree(
  client: Salesforce,
  sobject: string,
  records: Iterable<TreeRecord>,
  options: TreeOptions = {},
): Promise<TreeResult[]> {
  options = optionsOf("Cannot create record tree", options);
  const context = `Cannot create ${typeof sobject === "string" ? sobject : "sObject"} tree`;
  checkApiName(context, "sobject", sobject);
  const list = toArray(context, "records", records);
  if (list.length === 0) return [];
  const nodes = readNodes(context, list);
  const roots = nodes.filter((node) => node.depth === 1);
  for (const root of roots) {
    if (root.type !== undefined && root.type.toLowerCase() !== sobject.toLowerCase()) {
      throw new TypeError(
        `${context}: "${root.path}.attributes.type" must be ${
          JSON.stringify(sobject)
        } or left out: received ${received(root.type)}`,
      );
    }
    root.type = sobject;
  }
  const generated = assignReferenceIds(context, nodes);
  const referenceIds = new Map(nodes.map((node, i) => [node, generated[i]]));
  await resolveTypes(context, client, roots, options.signal);
  const types = new Set(nodes.map((node) => node.type!.toLowerCase()));
  if (types.size > MAX_TREE_TYPES) {
    throw new RangeError(
      `${context}: a tree call can hold at most ${MAX_TREE_TYPES} object types: received ${types.size}`,
    );
  }
  const response = await client.request(
    `/services/data/v${client.version}/composite/tree/${sobject}`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ records: roots.map((root) => toWire(root, referenceIds)) }),
      signal: options.signal,
    },
  );
  const body = await readBody(response, (answer) => answer.json()) as {
    results?: Array<{ referenceId?: unknown; id?: unknown }>;
  };
  const ids = new Map<unknown, unknown>();
  for (const result of Array.isArray(body?.results) ? body.results : []) {
    ids.set(result?.referenceId, result?.id);
  }
  return generated.map((referenceId) => {
    const id = ids.get(referenceId);
    if (typeof id !== "string") {
      throw new SalesforceError(
        `${context}: the response has no id for reference id ${JSON.stringify(referenceId)}`,
        { response },
      );
    }
    return { referenceId, id };
  });
}
