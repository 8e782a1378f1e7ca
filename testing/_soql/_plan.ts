// SOQL plans: a parsed query compiled into which rows, in which order, and what to output for
// each (buildPlan), and the scan, sort (top-k when LIMIT is small) and paging of rows.

import type { FieldDef, ObjectDef, SoqlDataSource, StoredRecord } from "../_schema.ts";
import type { SoqlQuery } from "./_parser.ts";
import { soqlErrorAt } from "./soql_error.ts";
import { Compiler, type Getter, type Predicate, type ResolvedPath } from "./_compile.ts";

/** Maximum OFFSET Salesforce allows. */
const MAX_OFFSET = 2000;

/** A compiled (sub)query: which rows, in which order, and what to output for each. */
interface Plan {
  root: ObjectDef;
  where?: Predicate;
  sortKeys: Getter[];
  descending: boolean[];
  nullsFirst: boolean[];
  offset: number;
  limit?: number;
  projection: ProjectionNode;
  columns: string[];
}

export interface ProjectionNode {
  items: ProjectionItem[];
}

type ProjectionItem =
  | { kind: "field"; key: string }
  | { kind: "parent"; key: string; child: ProjectionNode; idField: string; targets: ObjectDef[] }
  | { kind: "children"; key: string; children: ChildQuery };

/** A parent-to-child subquery: its plan, the lookup on the child, and rows grouped by parent. */
export interface ChildQuery {
  plan: Plan;
  /** Canonical name of the child's lookup field pointing at the parent, e.g. `AccountId`. */
  idField: string;
  /** Child rows per parent id (18 chars), built on first projection. */
  groups?: Map<string, StoredRecord[]>;
}

/** A source that can also list child relationships, for `(SELECT ... FROM Contacts)`. */
export interface SoqlChildRelationships {
  /** Every lookup that points at `objectName`, with the child object holding it. */
  children?(objectName: string): { child: ObjectDef; field: FieldDef }[];
}

function addToProjection(node: ProjectionNode, resolved: ResolvedPath): void {
  for (const hop of resolved.hops) {
    let item = node.items.find((i) => i.kind === "parent" && i.key === hop.relationshipName);
    if (item === undefined) {
      item = {
        kind: "parent",
        key: hop.relationshipName,
        child: { items: [] },
        idField: hop.idField,
        targets: hop.targets,
      };
      node.items.push(item);
    }
    node = (item as { child: ProjectionNode }).child;
  }
  node.items.push({ kind: "field", key: resolved.field.name });
}

const CUSTOM_RELATIONSHIP_HINT =
  "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";

export function buildPlan(
  query: SoqlQuery,
  source: SoqlDataSource & SoqlChildRelationships,
  now: Date,
  root: ObjectDef,
): Plan {
  const compiler = new Compiler(query, source, now, root);
  const projection: ProjectionNode = { items: [] };
  const columns: string[] = [];
  const seen = new Set<string>();
  const duplicate = (name: string, start: number) => {
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      throw soqlErrorAt(query.text, start, "INVALID_FIELD", `duplicate field selected: ${name}`);
    }
    seen.add(lower);
  };
  for (const item of query.select) {
    if (item.kind === "field") {
      const resolved = compiler.resolve(item.path);
      duplicate(resolved.canonical, item.path.start);
      columns.push(resolved.canonical);
      addToProjection(projection, resolved);
    } else if (item.kind === "subquery") {
      const sub = item.query;
      const wanted = sub.from.name.toLowerCase();
      const relation = (source.children?.(root.name) ?? []).find((c) =>
        c.field.childRelationshipName?.toLowerCase() === wanted
      );
      if (relation === undefined) {
        throw soqlErrorAt(
          query.text,
          sub.from.start,
          "INVALID_TYPE",
          `Didn't understand relationship '${sub.from.name}' in FROM part of query call. ${CUSTOM_RELATIONSHIP_HINT}`,
        );
      }
      const key = relation.field.childRelationshipName!;
      duplicate(key, item.start);
      const plan = buildPlan(sub, source, now, relation.child);
      projection.items.push({
        kind: "children",
        key,
        children: { plan, idField: relation.field.name },
      });
    }
  }
  const sortKeys = query.orderBy.map((o) => compiler.orderKey(o.field));
  const plan: Plan = {
    root,
    where: query.where === undefined ? undefined : compiler.predicate(query.where),
    sortKeys,
    descending: query.orderBy.map((o) => o.descending),
    nullsFirst: query.orderBy.map((o) => o.nullsFirst),
    offset: query.offset ?? 0,
    limit: query.limit,
    projection,
    columns,
  };
  if (query.offset !== undefined && query.offset > MAX_OFFSET) {
    throw soqlErrorAt(
      query.text,
      query.offsetStart!,
      "NUMBER_OUTSIDE_VALID_RANGE",
      `Maximum SOQL offset allowed is ${MAX_OFFSET}`,
    );
  }
  return plan;
}

// Applies ORDER BY, OFFSET and LIMIT to rows that already passed WHERE.
export function orderAndPage(plan: Plan, matched: StoredRecord[]): StoredRecord[] {
  const { offset, limit } = plan;
  if (plan.sortKeys.length === 0) {
    if (offset === 0 && (limit === undefined || limit >= matched.length)) return matched;
    return matched.slice(offset, limit === undefined ? undefined : offset + limit);
  }
  const take = limit === undefined ? undefined : offset + limit;
  const order = orderIndexes(matched, plan.sortKeys, plan.descending, plan.nullsFirst, take);
  const end = take === undefined ? order.length : Math.min(order.length, take);
  const rows: StoredRecord[] = new Array(Math.max(0, end - offset));
  for (let i = offset; i < end; i++) rows[i - offset] = matched[order[i]];
  return rows;
}

// Scans `records` once: without ORDER BY it stops as soon as OFFSET + LIMIT rows matched.
export function selectRows(plan: Plan, records: Iterable<StoredRecord>): StoredRecord[] {
  const where = plan.where;
  if (plan.sortKeys.length > 0) {
    const matched: StoredRecord[] = [];
    for (const r of records) if (where === undefined || where(r)) matched.push(r);
    return orderAndPage(plan, matched);
  }
  const rows: StoredRecord[] = [];
  const offset = plan.offset;
  const stopAt = plan.limit === undefined ? Infinity : offset + plan.limit;
  if (stopAt === 0) return rows;
  let matched = 0;
  for (const r of records) {
    if (where !== undefined && !where(r)) continue;
    if (matched >= offset) rows.push(r);
    if (++matched >= stopAt) break;
  }
  return rows;
}

// ---- sorting ------------------------------------------------------------------------------

function orderIndexes(
  rows: StoredRecord[],
  keys: Getter[],
  descending: boolean[],
  nullsFirst: boolean[],
  take: number | undefined,
): number[] {
  const m = rows.length;
  const nk = keys.length;
  const flat: unknown[] = new Array(m * nk);
  for (let i = 0; i < m; i++) {
    const r = rows[i];
    for (let j = 0; j < nk; j++) flat[i * nk + j] = keys[j](r);
  }
  const compare = (a: number, b: number): number => {
    for (let j = 0; j < nk; j++) {
      const ka = flat[a * nk + j] as string | number | null;
      const kb = flat[b * nk + j] as string | number | null;
      if (ka === kb) continue;
      if (ka === null) return nullsFirst[j] ? -1 : 1;
      if (kb === null) return nullsFirst[j] ? 1 : -1;
      const c = ka < kb ? -1 : 1;
      return descending[j] ? -c : c;
    }
    return a - b;
  };
  if (take !== undefined && take < m / 4) return topK(m, take, compare);
  const idx = new Array<number>(m);
  for (let i = 0; i < m; i++) idx[i] = i;
  return idx.sort(compare);
}

// The first `k` of `m` indexes in `compare` order, via a bounded max-heap (n log k).
function topK(m: number, k: number, compare: (a: number, b: number) => number): number[] {
  const heap: number[] = [];
  if (k === 0) return heap;
  const siftDown = (i: number) => {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let big = i;
      if (l < n && compare(heap[l], heap[big]) > 0) big = l;
      if (r < n && compare(heap[r], heap[big]) > 0) big = r;
      if (big === i) return;
      [heap[i], heap[big]] = [heap[big], heap[i]];
      i = big;
    }
  };
  for (let x = 0; x < m; x++) {
    if (heap.length < k) {
      heap.push(x);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (compare(heap[i], heap[p]) <= 0) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (compare(x, heap[0]) < 0) {
      heap[0] = x;
      siftDown(0);
    }
  }
  return heap.sort(compare);
}
