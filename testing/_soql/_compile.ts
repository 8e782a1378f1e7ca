// SOQL compiler: resolves field paths against the schema (errors as Salesforce words them) and
// compiles WHERE conditions and ORDER BY keys into closures over stored records, once per query.

import type { FieldDef, FieldType, ObjectDef, SoqlDataSource, StoredRecord } from "../_schema.ts";
import type {
  SoqlCondition,
  SoqlFieldPath,
  SoqlLiteral,
  SoqlOperator,
  SoqlQuery,
} from "./_parser.ts";
import { soqlErrorAt } from "./soql_error.ts";
import {
  dateKeywordRange,
  dateTimeKey,
  DAY_MILLIS,
  formatDay,
  formatStoredDateTime,
  likePatternToRegExp,
  normalizeIdLiteral,
} from "./_literals.ts";

export type Getter = (record: StoredRecord) => unknown;
export type Predicate = (record: StoredRecord) => boolean;
type Category = "text" | "id" | "number" | "boolean" | "date" | "datetime" | "time";

interface Hop {
  /** Canonical name of the reference field holding the parent id, e.g. `AccountId`. */
  idField: string;
  /** Canonical relationship name, e.g. `Account`. */
  relationshipName: string;
  targets: ObjectDef[];
}

export interface ResolvedPath {
  hops: Hop[];
  field: FieldDef;
  /** Canonical dotted path, e.g. `Account.Owner.Email`. */
  canonical: string;
  /** The path as written (minus an alias prefix), for messages. */
  written: string;
}

/** A long text area (more than 255 characters): neither filterable nor sortable. */
export function isLongText(field: FieldDef): boolean {
  return field.type === "textarea" && (field.length ?? 0) > 255;
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

export class Compiler {
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
        const resolved = this.#filterable(condition.field);
        return this.#compare(resolved, condition.op, condition.value);
      }
      case "in": {
        const resolved = this.#filterable(condition.field);
        const p = this.#in(resolved, condition.values);
        return condition.negated ? (r) => !p(r) : p;
      }
      case "like": {
        const resolved = this.#filterable(condition.field);
        const category = categoryOf(resolved.field.type);
        if (category === "id") {
          // LIKE is for string fields only (SOQL comparison operators); Salesforce answers
          // "invalid operator on <type> field", as it does for a multi-select picklist.
          throw soqlErrorAt(
            this.query.text,
            condition.pattern.start,
            "INVALID_QUERY_FILTER_OPERATOR",
            `invalid operator on ${typeWord(resolved.field.type)} field`,
          );
        }
        if (category !== "text") this.#typeError(resolved, condition.pattern);
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

  /** A WHERE field: Salesforce refuses to filter on a long text area. */
  #filterable(path: SoqlFieldPath): ResolvedPath {
    return this.#notLongText(path, "can not be filtered in query call");
  }

  /** `path` resolved, or INVALID_FIELD with `refusal` when it is a long text area. */
  #notLongText(path: SoqlFieldPath, refusal: string): ResolvedPath {
    const resolved = this.resolve(path);
    if (isLongText(resolved.field)) {
      throw soqlErrorAt(
        this.query.text,
        path.start,
        "INVALID_FIELD",
        `field '${resolved.field.name}' ${refusal}`,
      );
    }
    return resolved;
  }

  // ---- ORDER BY -------------------------------------------------------------------------

  /** An ORDER BY key of `path`: Salesforce refuses to sort on a long text area. */
  orderKey(path: SoqlFieldPath): Getter {
    return this.sortKey(this.#notLongText(path, "can not be sorted in a query call"));
  }

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
