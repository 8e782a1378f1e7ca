// Records to CSV rows for a fixed column list: relationships (`Rel.Field` columns, `__c` keys
// written `__r`), column inference from a record, and the checks that name a record's index.

import { formatCsvCell, formatCsvDate, formatCsvNumber, formatCsvRow } from "./_csv_format.ts";

/** The values a record may hold in a cell; a plain object is a relationship (one level). */
export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

const ENCODER = new TextEncoder();

/** Whether `value` was made by an object literal, `JSON.parse` or `Object.create(null)`. */
export function hasPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Names a value that is not a cell, for error messages: `an instance of Map`, `a symbol`. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "an invalid Date";
  if (typeof value === "number") return String(value);
  if (typeof value === "object") {
    const name = hasPlainPrototype(value) ? undefined : value.constructor?.name;
    return name ? `an instance of ${name}` : "an object";
  }
  return `a ${typeof value}`;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((name) => JSON.stringify(name)).join(", ");
  return names.length > 10 ? `${shown}, ...` : shown;
}

/**
 * Returns the columns of `record` in key order: a plain-object value is a relationship and
 * becomes `Rel.Field` columns, and a custom relationship key ending in `__c` is written `__r`
 * (`{ Parent__c: { ExtId__c: "x" } }` → `Parent__r.ExtId__c`). Keys holding undefined are skipped.
 */
export function inferColumns(record: object): string[] {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new TypeError(
      `Cannot infer CSV columns: "record" must be a plain object: received ${
        describeValue(record)
      }`,
    );
  }
  const columns: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (typeof value === "object" && value !== null && hasPlainPrototype(value)) {
      const relationship = key.endsWith("__c") ? `${key.slice(0, -3)}__r` : key;
      for (const [field, inner] of Object.entries(value)) {
        if (inner !== undefined) columns.push(`${relationship}.${field}`);
      }
    } else {
      columns.push(key);
    }
  }
  return columns;
}

interface KeySpec {
  /** Column index when the key is a column by itself, else -1. */
  column: number;
  /** Field name → column index when the key is a relationship (`Rel.Field` columns). */
  fields: Map<string, number> | undefined;
}

// One entry per distinct top-level key the columns read, for the fast path.
interface PlanEntry {
  key: string;
  column: number;
  fieldNames: string[];
  fieldColumns: number[];
}

function isRelationship(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Date) &&
    hasPlainPrototype(value);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function countDefined(values: Record<string, unknown>): number {
  let count = 0;
  for (const key in values) {
    if (values[key] !== undefined) count++;
  }
  return count;
}

/**
 * Turns records into CSV rows for a fixed column list, one row at a time, so a caller can
 * measure each row before deciding which upload it goes into.
 */
export class CsvRecordEncoder {
  /** The column list, in output order. */
  readonly columns: readonly string[];
  #keys = new Map<string, KeySpec>();
  #plan: PlanEntry[] = [];
  /** Whether some key is also an Object.prototype member, which the fast paths cannot tell apart. */
  #exactOnly = false;
  #slots: unknown[];
  #shapeKeys: readonly string[] | undefined;
  #shapeMap: number[] | undefined;
  #header: string;

  /**
   * @param columns Column names: field API names, `Rel.Field` for a relationship by external id.
   * @throws {TypeError} When `columns` is empty, holds a non-string or empty name, or a duplicate.
   */
  constructor(columns: readonly string[]) {
    if (!Array.isArray(columns) || columns.length === 0) {
      throw new TypeError(
        `Cannot create CsvRecordEncoder: "columns" must be a non-empty array of field names: received ${
          Array.isArray(columns) ? "an empty array" : describeValue(columns)
        }`,
      );
    }
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i];
      if (typeof column !== "string" || column === "") {
        throw new TypeError(
          `Cannot create CsvRecordEncoder: "columns" must hold non-empty strings: received ${
            typeof column === "string" ? '""' : describeValue(column)
          } at index ${i}`,
        );
      }
      if (!column.isWellFormed()) {
        throw new TypeError(
          `Cannot create CsvRecordEncoder: "columns" must hold valid Unicode: received a lone surrogate at index ${i}`,
        );
      }
      const spec = this.#spec(column);
      if (spec.column !== -1) {
        throw new TypeError(
          `Cannot create CsvRecordEncoder: "columns" must not repeat a name: received ${
            JSON.stringify(column)
          } twice`,
        );
      }
      spec.column = i;
      const dot = column.indexOf(".");
      if (dot > 0 && dot < column.length - 1) {
        const relationship = column.slice(0, dot);
        const field = column.slice(dot + 1);
        this.#relationship(relationship).set(field, i);
        // Records may key a custom relationship by its field name (`Parent__c: { ... }`).
        if (relationship.endsWith("__r")) {
          this.#relationship(`${relationship.slice(0, -3)}__c`).set(field, i);
        }
      }
    }
    for (const [key, spec] of this.#keys) {
      if (key in Object.prototype) this.#exactOnly = true;
      this.#plan.push({
        key,
        column: spec.column,
        fieldNames: [...(spec.fields?.keys() ?? [])],
        fieldColumns: [...(spec.fields?.values() ?? [])],
      });
    }
    this.columns = Object.freeze([...columns]);
    this.#slots = new Array(columns.length).fill(undefined);
    this.#header = formatCsvRow(this.columns);
  }

  #spec(key: string): KeySpec {
    let spec = this.#keys.get(key);
    if (spec === undefined) {
      spec = { column: -1, fields: undefined };
      this.#keys.set(key, spec);
    }
    return spec;
  }

  #relationship(key: string): Map<string, number> {
    const spec = this.#spec(key);
    spec.fields ??= new Map();
    return spec.fields;
  }

  /** Returns the header line, LF included. */
  headerText(): string {
    return this.#header;
  }

  /** Returns the header line as UTF-8 bytes, LF included. */
  header(): Uint8Array {
    return ENCODER.encode(this.#header);
  }

  /**
   * Returns one CSV row for `record`, LF included.
   * @param index The record's position in the caller's input, named in errors.
   * @throws {TypeError} When a field is not in the column list or holds an unsupported value.
   */
  encodeText(record: object, index: number): string {
    this.#fill(record, index);
    const slots = this.#slots;
    let line = this.#cell(slots[0], 0, index);
    for (let i = 1; i < slots.length; i++) line += `,${this.#cell(slots[i], i, index)}`;
    // (Free for text of Latin-1 characters only, which V8 knows holds no surrogate.)
    if (!line.isWellFormed()) this.#illFormed(index);
    return `${line}\n`;
  }

  /**
   * Returns the cells of `record`, one per column, each formatted as in a row.
   * @throws {TypeError} As {@linkcode CsvRecordEncoder.encodeText}.
   */
  encodeCells(record: object, index: number): string[] {
    this.#fill(record, index);
    const slots = this.#slots;
    const cells = new Array<string>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      cells[i] = this.#cell(slots[i], i, index);
      if (!cells[i].isWellFormed()) this.#illFormed(index);
    }
    return cells;
  }

  // A lone surrogate has no UTF-8 form: TextEncoder would write U+FFFD in its place, and the
  // org would store a character the caller never sent. Names the first field that holds one.
  #illFormed(index: number): never {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const value = slots[i];
      if (typeof value === "string" && !value.isWellFormed()) {
        throw new TypeError(
          `Cannot write CSV record at index ${index}: field ${
            JSON.stringify(this.columns[i])
          } holds a lone surrogate (text that is not valid Unicode), which UTF-8 cannot carry`,
        );
      }
    }
    throw new TypeError(`Cannot write CSV record at index ${index}: it is not valid Unicode`);
  }

  // Puts the record's values in #slots, in column order.
  #fill(record: object, index: number): void {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new TypeError(
        `Cannot write CSV record at index ${index}: expected an object: received ${
          describeValue(record)
        }`,
      );
    }
    const values = record as Record<string, unknown>;
    if (this.#exactOnly || (!this.#shapeFill(values) && !this.#fastFill(values))) {
      this.#exactFill(values, index);
    }
  }

  // Records of one shape (same keys, same order, as made by one object literal) are read with
  // two native calls: their keys, checked against the last shape seen, and their values, put
  // in the slots that shape maps them to. False means "ask #fastFill".
  #shapeFill(values: Record<string, unknown>): boolean {
    const keys = Object.keys(values);
    let map = this.#shapeMap;
    const known = this.#shapeKeys;
    if (known === undefined || known.length !== keys.length || !sameKeys(known, keys)) {
      map = this.#mapShape(keys);
      this.#shapeKeys = keys;
      this.#shapeMap = map;
    }
    if (map === undefined) return false;
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) slots[i] = undefined;
    const all = Object.values(values);
    // A getter that deleted or added a key while the values were read: keys and values no
    // longer pair up by position.
    if (all.length !== keys.length) return false;
    for (let i = 0; i < all.length; i++) slots[map[i]] = all[i];
    return true;
  }

  // The slot of each key, when every key is a column of its own (no relationship key).
  #mapShape(keys: readonly string[]): number[] | undefined {
    const map = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const spec = this.#keys.get(keys[i]);
      if (spec === undefined || spec.column === -1 || spec.fields !== undefined) return undefined;
      map[i] = spec.column;
    }
    return map;
  }

  /**
   * Returns one CSV row for `record` as UTF-8 bytes, LF included.
   * @throws {TypeError} As {@linkcode CsvRecordEncoder.encodeText}.
   */
  encode(record: object, index: number): Uint8Array {
    return ENCODER.encode(this.encodeText(record, index));
  }

  // Reads the columns' keys straight from the record, then checks that the record has no other
  // key by counting: cheaper than looking up each of its keys. False means "ask #exactFill".
  #fastFill(values: Record<string, unknown>): boolean {
    const slots = this.#slots;
    const plan = this.#plan;
    // A loop, not slots.fill(): fill() costs more than the whole rest of a small row.
    for (let i = 0; i < slots.length; i++) slots[i] = undefined;
    let found = 0;
    for (let p = 0; p < plan.length; p++) {
      const entry = plan[p];
      const value = values[entry.key];
      const names = entry.fieldNames;
      if (value === undefined) continue;
      found++;
      if (names.length > 0 && isRelationship(value)) {
        let foundInner = 0;
        for (let f = 0; f < names.length; f++) {
          const inner = value[names[f]];
          if (inner === undefined) continue;
          foundInner++;
          slots[entry.fieldColumns[f]] = inner;
        }
        if (foundInner !== countDefined(value)) return false;
      } else if (entry.column !== -1) {
        slots[entry.column] = value;
      } else if (value !== null) {
        return false; // a scalar under a relationship-only key: #exactFill names it
      }
    }
    return found === countDefined(values);
  }

  // Looks up every key of the record; throws on the first one that has no column.
  #exactFill(values: Record<string, unknown>, index: number): void {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) slots[i] = undefined;
    for (const key in values) {
      const value = values[key];
      if (value === undefined) continue;
      const spec = this.#keys.get(key);
      if (isRelationship(value)) {
        for (const field in value) {
          const inner = value[field];
          if (inner === undefined) continue;
          const column = spec?.fields?.get(field);
          if (column === undefined) throw this.#unknownField(`${key}.${field}`, index);
          slots[column] = inner;
        }
        continue;
      }
      const column = spec?.column ?? -1;
      if (column !== -1) {
        slots[column] = value;
      } else if (value !== null || spec?.fields === undefined) {
        // null under a relationship key means "no parent": its columns stay empty.
        throw this.#unknownField(key, index);
      }
    }
  }

  #cell(value: unknown, column: number, index: number): string {
    // typeof comparisons, not a switch on typeof: V8 compiles these to type checks.
    if (typeof value === "string") return formatCsvCell(value);
    if (value === undefined || value === null) return "";
    if (typeof value === "number") {
      if (Number.isFinite(value)) return formatCsvNumber(value);
    } else if (typeof value === "boolean") {
      return value ? "true" : "false";
    } else if (value instanceof Date) {
      if (!Number.isNaN(value.getTime())) return formatCsvDate(value);
    } else if (typeof value === "bigint") {
      return String(value);
    }
    const name = this.columns[column];
    if (!name.includes(".") && isRelationship(value)) {
      // A relationship object under a key that has no `Rel.Field` column.
      for (const field in value) {
        if (value[field] !== undefined) throw this.#unknownField(`${name}.${field}`, index);
      }
      return "";
    }
    throw new TypeError(
      `Cannot write CSV record at index ${index}: field ${
        JSON.stringify(name)
      } must be a string, finite number, bigint, boolean, null or valid Date: received ${
        describeValue(value)
      }`,
    );
  }

  #unknownField(field: string, index: number): TypeError {
    return new TypeError(
      `Cannot write CSV record at index ${index}: field ${
        JSON.stringify(field)
      } is not in the column list (${list(this.columns)})`,
    );
  }
}
