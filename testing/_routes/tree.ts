// sObject Tree (`POST /composite/tree/{Object}`): nested parent-child records created
// in one transaction. Up to 200 records, 5 levels and 5 object types; records are
// created level by level (roots of every tree first, then their children, ...); any
// failure rolls the whole request back and reports the record that caused it.

import { isPlainObject } from "../../client/_validate.ts";
import { allOrNothing, createRecord, type DmlContext } from "../_dml.ts";
import { fail, json, notFound, readRecordsBody } from "../_http.ts";
import type { Route, RouteContext } from "../_router.ts";
import type { FieldDef, ObjectDef } from "../_schema.ts";
import { type RestError, restError } from "../_values.ts";
import { saveError } from "./collections.ts";

/** Records across all trees of one request. */
export const MAX_TREE_RECORDS = 200;
/** Levels of one tree, the root being level 1. */
export const MAX_TREE_DEPTH = 5;
/** Different object types in one request. */
export const MAX_TREE_TYPES = 5;

const REFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9_]*$/;

/** One record of the request, flattened. */
interface Node {
  object: ObjectDef;
  referenceId: string;
  fields: Record<string, unknown>;
  parent: Node | undefined;
  /** The child's lookup to `parent`. */
  link: FieldDef | undefined;
  level: number;
}

/** A request the platform refuses before creating anything: `{hasErrors, results}` with 400. */
function treeFailure(referenceId: string, error: RestError): Response {
  return json(400, { hasErrors: true, results: [{ referenceId, errors: [saveError(error)] }] });
}

/** Flattens the request into level order, or answers the 400 it deserves. */
function flatten(
  context: RouteContext,
  root: ObjectDef,
  records: unknown[],
): Node[] | Response {
  const { schema } = context.org;
  const nodes: Node[] = [];
  const seen = new Set<string>();
  const types = new Set<ObjectDef>();
  let level: { raw: unknown; expected: ObjectDef; parent?: Node; link?: FieldDef }[] = records.map(
    (raw) => ({ raw, expected: root }),
  );
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > MAX_TREE_DEPTH) {
      // Code and wording unverified.
      return fail(
        400,
        "INVALID_INPUT",
        `sObject trees can be at most ${MAX_TREE_DEPTH} levels deep`,
      );
    }
    const next: typeof level = [];
    for (const { raw, expected, parent, link } of level) {
      if (!isPlainObject(raw)) {
        return fail(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of SObject");
      }
      const attributes = isPlainObject(raw.attributes) ? raw.attributes : {};
      const referenceId = attributes.referenceId;
      if (typeof referenceId !== "string" || !REFERENCE_ID.test(referenceId)) {
        return treeFailure(
          String(referenceId ?? ""),
          restError(
            "INVALID_INPUT",
            "Each record needs a referenceId of letters, digits and underscores that starts with a letter or digit",
          ),
        );
      }
      if (seen.has(referenceId)) {
        return treeFailure(
          referenceId,
          restError(
            "INVALID_INPUT",
            `Duplicate ReferenceId provided in the request: ${referenceId}`,
          ),
        );
      }
      seen.add(referenceId);
      const object = typeof attributes.type === "string"
        ? schema.object(attributes.type)
        : undefined;
      if (object !== expected) {
        return treeFailure(
          referenceId,
          restError(
            "INVALID_TYPE",
            `Record type ${String(attributes.type)} does not match the expected ${expected.name}`,
          ),
        );
      }
      types.add(object);
      const fields: Record<string, unknown> = {};
      const node: Node = { object, referenceId, fields, parent, link, level: depth };
      for (const [key, value] of Object.entries(raw)) {
        if (key === "attributes") continue;
        const relation = isPlainObject(value) && Array.isArray(value.records)
          ? schema.children(object).find(({ field }) =>
            field.childRelationshipName?.toLowerCase() === key.toLowerCase()
          )
          : undefined;
        if (relation === undefined) {
          fields[key] = value;
          continue;
        }
        for (const child of (value as { records: unknown[] }).records) {
          next.push({ raw: child, expected: relation.child, parent: node, link: relation.field });
        }
      }
      nodes.push(node);
      if (nodes.length > MAX_TREE_RECORDS) {
        return fail(
          400,
          "INVALID_INPUT",
          `An sObject tree request can create at most ${MAX_TREE_RECORDS} records`,
        );
      }
    }
    level = next;
  }
  if (types.size > MAX_TREE_TYPES) {
    return fail(
      400,
      "INVALID_INPUT",
      `An sObject tree request can hold at most ${MAX_TREE_TYPES} object types`,
    );
  }
  return nodes;
}

/** Creates every node in order; stops at the first failure. */
function createAll(
  ctx: DmlContext,
  nodes: Node[],
): { ids: Map<Node, string> } | { failed: Node; error: RestError } {
  const ids = new Map<Node, string>();
  for (const node of nodes) {
    const body = { ...node.fields };
    if (node.parent !== undefined && node.link !== undefined) {
      body[node.link.name] = ids.get(node.parent)!;
    }
    const result = createRecord(ctx, node.object, body);
    if ("error" in result) return { failed: node, error: result.error };
    ids.set(node, result.record.Id as string);
  }
  return { ids };
}

async function createTree(context: RouteContext): Promise<Response> {
  const root = context.org.schema.object(context.params.object);
  if (root === undefined) return notFound();
  const read = await readRecordsBody(context.request);
  if ("response" in read) return read.response;
  const nodes = flatten(context, root, read.value.records);
  if (nodes instanceof Response) return nodes;
  // Any failure rolls back the whole request.
  const done = allOrNothing(
    context.org.dml(context),
    (ctx) => createAll(ctx, nodes),
    (result) => "failed" in result,
  );
  if ("failed" in done) return treeFailure(done.failed.referenceId, done.error);
  return json(201, {
    hasErrors: false,
    results: nodes.map((node) => ({ referenceId: node.referenceId, id: done.ids.get(node) })),
  });
}

/** sObject Tree routes. */
export const treeRoutes: Route[] = [
  {
    pattern: "/services/data/:version/composite/tree/:object",
    name: "compositeTree",
    kind: "data",
    methods: { POST: createTree },
  },
];
