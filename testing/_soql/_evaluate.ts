// SOQL evaluator: resolves a parsed query against the schema (errors as Salesforce words them),
// compiles WHERE into closures once, then scans, sorts, pages and projects records.

import type { FieldDef, FieldType, ObjectDef, SoqlDataSource, StoredRecord } from "../_schema.ts";
import {
  parseSoql,
  type SoqlCondition,
  type SoqlFieldPath,
  type SoqlLiteral,
  type SoqlOperator,
  type SoqlQuery,
} from "./_parser.ts";
import { soqlErrorAt } from "./soql_error.ts";
import { recordBytes } from "../_text_cache.ts";
import {
  dateKeywordRange,
  dateTimeKey,
  DAY_MILLIS,
  formatDay,
  formatStoredDateTime,
  likePatternToRegExp,
  normalizeIdLiteral,
} from "./_literals.ts";

/** How to run a query. */
export interface SoqlRunOptions {
  /** true for `queryAll` / bulk `queryAll`: include soft-deleted records. */
  includeDeleted: boolean;
  /** API version for `attributes.url`, e.g. `"64.0"`. */
  apiVersion: string;
  /** "Now" for date keywords such as TODAY (UTC days). Default: the current time. */
  now?: Date;
}

/** The outcome of a query, before paging. */
export interface SoqlResult {
  /** Number of rows (after LIMIT/OFFSET), or the COUNT() value. */
  totalSize: number;
  /** REST JSON records; empty for COUNT(). Built on first access (then cached). */
  readonly records: Record<string, unknown>[];
  /** Canonical name of the FROM object. */
  objectName: string;
  /** Selected field paths in canonical casing, e.g. `["Id", "Account.Name"]`; empty for COUNT(). */
  columns: string[];
  /**
   * Records `[start, end)` (clamped like Array#slice), projecting only those rows: a page of a
   * large result without building all of it. Rows are chosen at query time; field values are
   * read from the store when projected.
   */
  slice(start: number, end: number): Record<string, unknown>[];
  /**
   * The UTF-8 bytes of `before + JSON.stringify(slice(start, end)) + after`, byte for byte: a
   * REST query page. When the query reads only the records' own fields (no relationships),
   * each record's JSON is kept and reused until a record of the store changes, so serving
   * those records again costs a copy.
   */
  jsonPage(start: number, end: number, before: string, after: string): Uint8Array<ArrayBuffer>;
  /** The selected stored records, unprojected, for writers that read values themselves (bulk CSV). */
  readonly rows: readonly StoredRecord[];
}

const ENCODER = new TextEncoder();

/** Maximum OFFSET Salesforce allows. */
const MAX_OFFSET = 2000;

type Getter = (record: StoredRecord) => unknown;
type Predicate = (record: StoredRecord) => boolean;
type Category = "text" | "id" | "number" | "boolean" | "date" | "datetime" | "time";

interface Hop {
  /** Canonical name of the reference field holding the parent id, e.g. `AccountId`. */
  idField: string;
  /** Canonical relationship name, e.g. `Account`. */
  relationshipName: string;
  targets: ObjectDef[];
}

interface ResolvedPath {
  hops: Hop[];
  field: FieldDef;
  /** Canonical dotted path, e.g. `Account.Owner.Email`. */
  canonical: string;
  /** The path as written (minus an alias prefix), for messages. */
  written: string;
}

function categoryOf(type: FieldType): Category {
  switch (type) {
    case "id":
    case "reference":
      return "id";
    case "int":
    case "double":
    case "currency":
    case "percent":
      return "number";
    case "boolean":
    case "date":
    case "datetime":
    case "time":
      return type;
    default:
      return "text";
  }
}

// The type word Salesforce uses in "must be of type <t>" messages (partly unverified).
function typeWord(type: FieldType): string {
  switch (type) {
    case "id":
    case "reference":
      return "id";
    case "int":
      return "integer";
    case "double":
    case "currency":
    case "percent":
      return "double";
    case "datetime":
      return "dateTime";
    case "boolean":
    case "date":
    case "time":
      return type;
    default:
      return "string";
  }
}

// Case-insensitive equality of `value` with a literal whose lower-case form is `lower`,
// without allocating for ASCII text.
function equalsIgnoreCase(value: string, literal: string, lower: string): boolean {
  if (value === literal) return true;
  const n = value.length;
  if (n !== lower.length) return false;
  for (let i = 0; i < n; i++) {
    const a = value.charCodeAt(i);
    const b = lower.charCodeAt(i);
    if (a === b) continue;
    if (a >= 65 && a <= 90) {
      if (a + 32 === b) continue;
      return false;
    }
    if (a > 127) return value.toLowerCase() === lower;
    return false;
  }
  return true;
}

class Compiler {
  readonly query: SoqlQuery;
  readonly source: SoqlDataSource;
  readonly root: ObjectDef;
  readonly now: Date;
  #fieldMaps = new Map<ObjectDef, Map<string, FieldDef>>();
  #relationshipMaps = new Map<ObjectDef, Map<string, FieldDef>>();

  constructor(query: SoqlQuery, source: SoqlDataSource, now: Date, root: ObjectDef) {
    this.query = query;
    this.source = source;
    this.now = now;
    this.root = root;
  }

  #fields(object: ObjectDef): Map<string, FieldDef> {
    let map = this.#fieldMaps.get(object);
    if (map === undefined) {
      map = new Map();
      for (const f of object.fields) map.set(f.name.toLowerCase(), f);
      this.#fieldMaps.set(object, map);
    }
    return map;
  }

  #relationships(object: ObjectDef): Map<string, FieldDef> {
    let map = this.#relationshipMaps.get(object);
    if (map === undefined) {
      map = new Map();
      for (const f of object.fields) {
        if (f.type === "reference" && f.relationshipName) {
          map.set(f.relationshipName.toLowerCase(), f);
        }
      }
      this.#relationshipMaps.set(object, map);
    }
    return map;
  }

  resolve(path: SoqlFieldPath): ResolvedPath {
    let segments = path.segments;
    const alias = this.query.from.alias;
    if (
      alias !== undefined && segments.length > 1 &&
      segments[0].toLowerCase() === alias.toLowerCase()
    ) {
      segments = segments.slice(1);
    }
    const text = this.query.text;
    let object = this.root;
    const hops: Hop[] = [];
    const canonical: string[] = [];
    for (let i = 0; i < segments.length - 1; i++) {
      const ref = this.#relationships(object).get(segments[i].toLowerCase());
      const targets: ObjectDef[] = [];
      for (const name of ref?.referenceTo ?? []) {
        const target = this.source.object(name);
        if (target !== undefined) targets.push(target);
      }
      if (ref === undefined || targets.length === 0) {
        throw soqlErrorAt(
          text,
          path.start,
          "INVALID_FIELD",
          `Didn't understand relationship '${
            segments[i]
          }' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      hops.push({ idField: ref.name, relationshipName: ref.relationshipName!, targets });
      canonical.push(ref.relationshipName!);
      object = targets[0];
    }
    const last = segments[segments.length - 1];
    const field = this.#fields(object).get(last.toLowerCase());
    if (field === undefined) {
      throw soqlErrorAt(
        text,
        path.start,
        "INVALID_FIELD",
        `No such column '${last}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    canonical.push(field.name);
    return { hops, field, canonical: canonical.join("."), written: segments.join(".") };
  }

  getter(resolved: ResolvedPath): Getter {
    const name = resolved.field.name;
    const hops = resolved.hops;
    const source = this.source;
    if (hops.length === 0) return (r) => r[name] ?? null;
    if (hops.length === 1) {
      const idField = hops[0].idField;
      return (r) => {
        const id = r[idField];
        if (typeof id !== "string") return null;
        const parent = source.byId(id);
        return parent === undefined ? null : parent[name] ?? null;
      };
    }
    const idFields = hops.map((h) => h.idField);
    return (r) => {
      let current: StoredRecord | undefined = r;
      for (let i = 0; i < idFields.length; i++) {
        const id: unknown = current[idFields[i]];
        if (typeof id !== "string") return null;
        current = source.byId(id);
        if (current === undefined) return null;
      }
      return current[name] ?? null;
    };
  }

  // ---- WHERE ----------------------------------------------------------------------------

  predicate(condition: SoqlCondition): Predicate {
    switch (condition.kind) {
      case "and": {
        const a = this.predicate(condition.left);
        const b = this.predicate(condition.right);
        return (r) => a(r) && b(r);
      }
      case "or": {
        const a = this.predicate(condition.left);
        const b = this.predicate(condition.right);
        return (r) => a(r) || b(r);
      }
      case "not": {
        const a = this.predicate(condition.operand);
        return (r) => !a(r);
      }
      case "compare": {
        const resolved = this.resolve(condition.field);
        return this.#compare(resolved, condition.op, condition.value);
      }
      case "in": {
        const resolved = this.resolve(condition.field);
        const p = this.#in(resolved, condition.values);
        return condition.negated ? (r) => !p(r) : p;
      }
      case "like": {
        const resolved = this.resolve(condition.field);
        const category = categoryOf(resolved.field.type);
        if (category !== "text" && category !== "id") {
          this.#typeError(resolved, condition.pattern);
        }
        const re = likePatternToRegExp(condition.pattern.raw);
        if (!(re instanceof RegExp)) throw new Error("unreachable: pattern checked by the parser");
        const get = this.getter(resolved);
        return (r) => {
          const v = get(r);
          return typeof v === "string" && re.test(v);
        };
      }
    }
  }

  #typeError(resolved: ResolvedPath, literal: SoqlLiteral): never {
    const category = categoryOf(resolved.field.type);
    const quoted = category === "text" || category === "id";
    throw soqlErrorAt(
      this.query.text,
      literal.start,
      "INVALID_QUERY_FILTER_OPERATOR",
      `value of filter criterion for field '${resolved.written}' must be of type ${
        typeWord(resolved.field.type)
      } and should ${quoted ? "" : "not "}be enclosed in quotes`,
    );
  }

  /**
   * The literal as an inclusive key range [lo, hi] comparable with `key()` of field values,
   * or null for the null literal. Throws the Salesforce type errors.
   */
  #bounds(resolved: ResolvedPath, literal: SoqlLiteral): [unknown, unknown] | null {
    const category = categoryOf(resolved.field.type);
    if (literal.kind === "null") return category === "boolean" ? [0, 0] : null;
    switch (category) {
      case "text":
        if (literal.kind === "string") return [literal.value, literal.value];
        break;
      case "id":
        if (literal.kind === "string") {
          const id = normalizeIdLiteral(literal.value);
          if (id === undefined) {
            throw soqlErrorAt(
              this.query.text,
              literal.start,
              "INVALID_QUERY_FILTER_OPERATOR",
              `invalid ID field: ${literal.value}`,
            );
          }
          return [id, id];
        }
        break;
      case "number":
        if (literal.kind === "number") return [literal.value, literal.value];
        break;
      case "boolean":
        if (literal.kind === "boolean") return literal.value ? [1, 1] : [0, 0];
        break;
      case "date":
        if (literal.kind === "date") return [literal.value, literal.value];
        if (literal.kind === "dateKeyword") {
          const [a, b] = dateKeywordRange(literal.name, literal.n, this.now);
          return [formatDay(a), formatDay(b)];
        }
        break;
      case "datetime":
        if (literal.kind === "datetime") {
          const key = formatStoredDateTime(literal.millis);
          return [key, key];
        }
        if (literal.kind === "dateKeyword") {
          const [a, b] = dateKeywordRange(literal.name, literal.n, this.now);
          return [
            formatStoredDateTime(a * DAY_MILLIS),
            formatStoredDateTime((b + 1) * DAY_MILLIS - 1),
          ];
        }
        break;
    }
    this.#typeError(resolved, literal);
  }

  // Maps a stored value to the comparable key of its field's category (null when absent).
  #keyer(category: Category): (v: unknown) => unknown {
    switch (category) {
      case "text":
        return (v) => (typeof v === "string" ? v.toLowerCase() : null);
      case "id":
        return (v) => (typeof v === "string" ? (v.length > 15 ? v.slice(0, 15) : v) : null);
      case "number":
        return (v) => (typeof v === "number" ? v : null);
      case "boolean":
        return (v) => (v === true ? 1 : 0);
      case "datetime":
        return (v) => (typeof v === "string" ? dateTimeKey(v) ?? null : null);
      default:
        return (v) => (typeof v === "string" ? v : null);
    }
  }

  #compare(resolved: ResolvedPath, op: SoqlOperator, literal: SoqlLiteral): Predicate {
    const get = this.getter(resolved);
    const bounds = this.#bounds(resolved, literal);
    if (bounds === null) {
      if (op === "=") return (r) => get(r) === null;
      if (op === "!=") return (r) => get(r) !== null;
      return () => false;
    }
    const category = categoryOf(resolved.field.type);
    // Fast paths for the common equality filters.
    if (category === "text" && (op === "=" || op === "!=")) {
      const literalValue = bounds[0] as string;
      const lower = literalValue.toLowerCase();
      if (op === "=") {
        return (r) => {
          const v = get(r);
          return typeof v === "string" && equalsIgnoreCase(v, literalValue, lower);
        };
      }
      return (r) => {
        const v = get(r);
        return typeof v !== "string" || !equalsIgnoreCase(v, literalValue, lower);
      };
    }
    if (category === "id" && (op === "=" || op === "!=")) {
      const id = bounds[0] as string;
      const eq = (v: unknown) =>
        typeof v === "string" && (v.length === 15 || v.length === 18) && v.startsWith(id);
      return op === "=" ? (r) => eq(get(r)) : (r) => !eq(get(r));
    }
    const key = this.#keyer(category);
    let [lo, hi] = bounds as [string | number, string | number];
    if (category === "text") {
      lo = (lo as string).toLowerCase();
      hi = (hi as string).toLowerCase();
    }
    const point = lo === hi;
    switch (op) {
      case "=":
        if (point) return (r) => key(get(r)) === lo;
        return (r) => {
          const k = key(get(r)) as string | number | null;
          return k !== null && k >= lo && k <= hi;
        };
      case "!=":
        return (r) => {
          const k = key(get(r)) as string | number | null;
          return k === null || k < lo || k > hi;
        };
      case "<":
        return (r) => {
          const k = key(get(r)) as string | number | null;
          return k !== null && k < lo;
        };
      case "<=":
        return (r) => {
          const k = key(get(r)) as string | number | null;
          return k !== null && k <= hi;
        };
      case ">":
        return (r) => {
          const k = key(get(r)) as string | number | null;
          return k !== null && k > hi;
        };
      case ">=":
        return (r) => {
          const k = key(get(r)) as string | number | null;
          return k !== null && k >= lo;
        };
    }
  }

  #in(resolved: ResolvedPath, values: SoqlLiteral[]): Predicate {
    const category = categoryOf(resolved.field.type);
    const ranges: [unknown, unknown][] = [];
    let matchNull = false;
    for (const literal of values) {
      const b = this.#bounds(resolved, literal);
      if (b === null) matchNull = true;
      else ranges.push(b);
    }
    if (ranges.some(([lo, hi]) => lo !== hi)) {
      // A date keyword in the list: test each value as `=`.
      const parts = values.map((v) => this.#compare(resolved, "=", v));
      return (r) => parts.some((p) => p(r));
    }
    const get = this.getter(resolved);
    const key = this.#keyer(category);
    const set = new Set<unknown>(
      ranges.map(([lo]) => (category === "text" ? (lo as string).toLowerCase() : lo)),
    );
    if (category === "text") {
      return (r) => {
        const v = get(r);
        if (typeof v !== "string") return matchNull;
        return set.has(v) || set.has(v.toLowerCase());
      };
    }
    return (r) => {
      const v = get(r);
      if (v === null && category !== "boolean") return matchNull;
      return set.has(key(v));
    };
  }

  // ---- ORDER BY -------------------------------------------------------------------------

  sortKey(resolved: ResolvedPath): Getter {
    const get = this.getter(resolved);
    const category = categoryOf(resolved.field.type);
    if (category === "boolean") {
      return (r) => {
        const v = get(r);
        return v === true ? 1 : v === false ? 0 : null;
      };
    }
    if (category === "id") return get;
    const key = this.#keyer(category);
    return (r) => key(get(r));
  }
}

// ---- plans --------------------------------------------------------------------------------

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

interface ProjectionNode {
  items: ProjectionItem[];
}

type ProjectionItem =
  | { kind: "field"; key: string }
  | { kind: "parent"; key: string; child: ProjectionNode; idField: string; targets: ObjectDef[] }
  | { kind: "children"; key: string; children: ChildQuery };

/** A parent-to-child subquery: its plan, the lookup on the child, and rows grouped by parent. */
interface ChildQuery {
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

function buildPlan(
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
  const sortKeys = query.orderBy.map((o) => compiler.sortKey(compiler.resolve(o.field)));
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
function orderAndPage(plan: Plan, matched: StoredRecord[]): StoredRecord[] {
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
function selectRows(plan: Plan, records: Iterable<StoredRecord>): StoredRecord[] {
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

// ---- projection ---------------------------------------------------------------------------

function parentType(targets: ObjectDef[], id: string): string {
  if (targets.length > 1) {
    const prefix = id.slice(0, 3);
    for (const t of targets) if (t.keyPrefix === prefix) return t.name;
  }
  return targets[0].name;
}

function makeProjector(
  source: SoqlDataSource,
  options: SoqlRunOptions,
): (node: ProjectionNode, record: StoredRecord, type: string) => Record<string, unknown> {
  const urlBase = `/services/data/v${options.apiVersion.replace(/^v/, "")}/sobjects/`;
  function groups(children: ChildQuery): Map<string, StoredRecord[]> {
    if (children.groups !== undefined) return children.groups;
    const { plan, idField } = children;
    const where = plan.where;
    const grouped = new Map<string, StoredRecord[]>();
    for (const r of source.records(plan.root.name, options.includeDeleted)) {
      const parentId = r[idField];
      if (typeof parentId !== "string" || (where !== undefined && !where(r))) continue;
      const list = grouped.get(parentId);
      if (list === undefined) grouped.set(parentId, [r]);
      else list.push(r);
    }
    for (const [parentId, list] of grouped) {
      const rows = orderAndPage(plan, list);
      if (rows.length === 0) grouped.delete(parentId);
      else grouped.set(parentId, rows);
    }
    children.groups = grouped;
    return grouped;
  }
  function project(
    node: ProjectionNode,
    record: StoredRecord,
    type: string,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {
      attributes: { type, url: urlBase + type + "/" + record.Id },
    };
    const items = node.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind === "field") {
        out[item.key] = record[item.key] ?? null;
      } else if (item.kind === "parent") {
        const id = record[item.idField];
        const parent = typeof id === "string" ? source.byId(id) : undefined;
        out[item.key] = parent === undefined
          ? null
          : project(item.child, parent, parentType(item.targets, id as string));
      } else {
        const rows = groups(item.children).get(record.Id as string);
        if (rows === undefined) {
          out[item.key] = null;
        } else {
          const plan = item.children.plan;
          const records = new Array(rows.length);
          for (let j = 0; j < rows.length; j++) {
            records[j] = project(plan.projection, rows[j], plan.root.name);
          }
          out[item.key] = { totalSize: rows.length, done: true, records };
        }
      }
    }
    return out;
  }
  return project;
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

// ---- entry points -------------------------------------------------------------------------

/**
 * Parses, validates against the schema and evaluates a query. Throws SoqlError with the
 * Salesforce errorCode and caret-diagram message. Child subqueries need `source.children`.
 */
export function runSoql(
  text: string,
  source: SoqlDataSource & SoqlChildRelationships,
  options: SoqlRunOptions,
): SoqlResult {
  const query = parseSoql(text);
  const root = source.object(query.from.name);
  if (root === undefined) {
    throw soqlErrorAt(
      text,
      query.from.start,
      "INVALID_TYPE",
      `sObject type '${query.from.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const plan = buildPlan(query, source, options.now ?? new Date(), root);
  const records = source.records(root.name, options.includeDeleted);

  if (query.count) {
    const { where, offset, limit } = plan;
    const stopAt = limit === undefined ? Infinity : offset + limit;
    let matched = 0;
    if (stopAt > 0) {
      for (const r of records) {
        if (where === undefined || where(r)) {
          if (++matched >= stopAt) break;
        }
      }
    }
    return {
      totalSize: Math.max(0, matched - offset),
      records: [],
      objectName: root.name,
      columns: [],
      slice: () => [],
      jsonPage: (_start, _end, before, after) => ENCODER.encode(`${before}[]${after}`),
      rows: [],
    };
  }

  const rows = selectRows(plan, records);
  const project = makeProjector(source, options);
  let all: Record<string, unknown>[] | undefined;
  const slice = (start: number, end: number): Record<string, unknown>[] => {
    if (all !== undefined) return all.slice(start, end);
    const n = rows.length;
    let from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const to = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
    const out: Record<string, unknown>[] = [];
    for (; from < to; from++) out.push(project(plan.projection, rows[from], root.name));
    return out;
  };
  // Only a record's own fields: its text changes only when the record does (_text_cache.ts).
  const cacheKey = plan.projection.items.every((item) => item.kind === "field")
    ? `json ${options.apiVersion} ${root.name} ${
      plan.projection.items.map((item) => item.key).join(",")
    }`
    : undefined;
  const textOf = (record: StoredRecord) =>
    JSON.stringify(project(plan.projection, record, root.name));
  const jsonPage = (
    start: number,
    end: number,
    before: string,
    after: string,
  ): Uint8Array<ArrayBuffer> => {
    const n = rows.length;
    const from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const to = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
    const cache = all !== undefined || cacheKey === undefined || from >= to
      ? undefined
      : recordBytes(source, cacheKey, ",");
    if (cache === undefined) {
      return ENCODER.encode(before + JSON.stringify(slice(start, end)) + after);
    }
    return cache.page(rows, from, to, textOf, `${before}[`, `]${after}`);
  };

  return {
    totalSize: rows.length,
    get records() {
      all ??= slice(0, rows.length);
      return all;
    },
    objectName: root.name,
    columns: plan.columns,
    slice,
    jsonPage,
    rows,
  };
}

/**
 * Flattens a REST record to one value per column (for CSV): `Account.Name` walks the nested
 * `Account` object; a null or missing parent gives null.
 */
export function rowValues(
  record: Record<string, unknown>,
  columns: string[],
): (string | number | boolean | null)[] {
  const values: (string | number | boolean | null)[] = new Array(columns.length);
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c];
    let current: unknown = record;
    let from = 0;
    for (;;) {
      const dot = column.indexOf(".", from);
      const key = dot === -1 ? column.slice(from) : column.slice(from, dot);
      current = current !== null && typeof current === "object"
        ? (current as Record<string, unknown>)[key]
        : null;
      if (dot === -1) break;
      from = dot + 1;
    }
    values[c] = typeof current === "string" || typeof current === "number" ||
        typeof current === "boolean"
      ? current
      : null;
  }
  return values;
}
