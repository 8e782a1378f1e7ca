// The fake org's records: one array per object in Id (= insertion) order, a global id
// index, and value indexes on external-id, unique and duplicate-rule fields. `delete` is
// soft (IsDeleted); a bulk `hardDelete` purges. Writes made with an UndoLog in their stamp
// can be rolled back, which is how every all-or-nothing operation undoes its writes.

import { toId18 } from "../client/_ids.ts";
import { type Schema, STATIC_DEFAULTS } from "./_objects.ts";
import type { FieldDef, ObjectDef, SoqlDataSource, StoredRecord } from "./_schema.ts";
import { type FieldValue, formatDateTime } from "./_values.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** The "pod" characters after the key prefix; real ids carry an instance marker there. */
const POD = "5g";

/** `<prefix><pod><sequence in base 62, 10 chars>` plus checksum; ids sort in creation order. */
export function makeId(prefix: string, sequence: number): string {
  let digits = "";
  let n = sequence;
  for (let i = 0; i < 10; i++) {
    digits = BASE62[n % 62] + digits;
    n = Math.floor(n / 62);
  }
  return toId18(prefix + POD + digits);
}

function indexKey(value: FieldValue): string | undefined {
  return value === null ? undefined : String(value).toLowerCase();
}

/** One write an UndoLog can undo: an insert (no `before`), or an update or delete. */
interface UndoEntry {
  object: ObjectDef;
  record: StoredRecord;
  /** The record's fields before the write; undefined for an insert. */
  before?: StoredRecord;
}

/**
 * The writes of one all-or-nothing operation (composite `allOrNone`, sObject Collections
 * `allOrNone`, sObject Tree, a Composite Graph), in order. Writes whose stamp carries the
 * log are recorded; `RecordStore.rollback` undoes them in reverse. An operation nested in
 * another (collections inside `/composite`) shares the outer log and rolls back to its mark.
 */
export class UndoLog {
  readonly entries: UndoEntry[] = [];

  /** A position to roll back to: the number of writes recorded so far. */
  mark(): number {
    return this.entries.length;
  }
}

/** Who and when, for the audit fields of a write; `undo` records it for a rollback. */
export interface WriteStamp {
  userId: string;
  now: number;
  undo?: UndoLog;
}

/** One object's records and what the store keeps about them. */
interface Table {
  /** Insertion order; may still hold removed records until the next read (`removed`). */
  rows: StoredRecord[];
  /** Soft-deleted records among `rows`. */
  deleted: number;
  /** Records removed from the store (purged, or undone inserts) still in `rows`. */
  removed: number;
  /** Fields with a value index. */
  indexed: FieldDef[];
  /** A record of defaults in field order; copies of it start every insert. */
  template: StoredRecord | undefined;
}

/** Records of every object, implementing what the SOQL engine reads. */
export class RecordStore implements SoqlDataSource {
  readonly schema: Schema;
  #tables = new Map<ObjectDef, Table>();
  #all = new Map<string, StoredRecord>();
  #sequences = new Map<string, number>();
  #indexes = new Map<FieldDef, Map<string, Set<string>>>();
  #caseNumber = 1000;
  #writes = 0;
  #mutations = 0;

  /** `extraIndexed` lists fields to index besides external-id and unique ones (duplicate rules). */
  constructor(schema: Schema, extraIndexed: FieldDef[] = []) {
    this.schema = schema;
    for (const object of schema.objects) {
      const indexed = object.fields.filter((f) =>
        f.externalId === true || f.unique === true || extraIndexed.includes(f)
      );
      this.#tables.set(object, { rows: [], deleted: 0, removed: 0, indexed, template: undefined });
      for (const def of indexed) this.#indexes.set(def, new Map());
    }
  }

  /**
   * Records written so far: each insert, update, delete and purge, and each write a
   * rollback undoes. Tests read it to check what an operation cost.
   */
  get writes(): number {
    return this.#writes;
  }

  /** Writes that changed an existing record's fields (see SoqlDataSource.mutations). */
  get mutations(): number {
    return this.#mutations;
  }

  object(name: string): ObjectDef | undefined {
    return this.schema.object(name);
  }

  records(objectName: string, includeDeleted: boolean): Iterable<StoredRecord> {
    const object = this.schema.object(objectName);
    if (object === undefined) return [];
    const table = this.#tables.get(object)!;
    if (table.removed > 0) {
      // A new array, so a reader still holding the old one is not disturbed.
      table.rows = table.rows.filter((record) => this.#all.get(record.Id as string) === record);
      table.removed = 0;
    }
    if (includeDeleted || table.deleted === 0) return table.rows;
    return live(table.rows);
  }

  byId(id: string): StoredRecord | undefined {
    return this.#all.get(id);
  }

  /** Lookups pointing at an object, for parent-to-child subqueries (`SoqlChildRelationships`). */
  children(objectName: string): { child: ObjectDef; field: FieldDef }[] {
    const object = this.schema.object(objectName);
    return object === undefined ? [] : this.schema.children(object);
  }

  /** Non-deleted records whose `def` equals `value` (case-insensitive for text), by index when there is one. */
  find(object: ObjectDef, def: FieldDef, value: FieldValue): StoredRecord[] {
    if (def.name === "Id") {
      const record = typeof value === "string" ? this.#all.get(value) : undefined;
      return record !== undefined && !record.IsDeleted &&
          (record.Id as string).startsWith(object.keyPrefix)
        ? [record]
        : [];
    }
    const key = indexKey(value);
    if (key === undefined) return [];
    const index = this.#indexes.get(def);
    if (index !== undefined) {
      return [...(index.get(key) ?? [])].map((id) => this.#all.get(id)!);
    }
    const found: StoredRecord[] = [];
    for (const record of this.records(object.name, false)) {
      if (indexKey(record[def.name]) === key) found.push(record);
    }
    return found;
  }

  nextId(object: ObjectDef): string {
    const sequence = (this.#sequences.get(object.keyPrefix) ?? 0) + 1;
    this.#sequences.set(object.keyPrefix, sequence);
    return makeId(object.keyPrefix, sequence);
  }

  #template(object: ObjectDef, table: Table): StoredRecord {
    if (table.template === undefined) {
      const template: StoredRecord = {};
      const defaults = STATIC_DEFAULTS[object.name];
      for (const def of object.fields) {
        template[def.name] = defaults?.[def.name] ?? (def.type === "boolean" ? false : null);
      }
      table.template = template;
    }
    return table.template;
  }

  /**
   * Stores a new record. `values` hold canonical names and coerced values; fields not
   * given are null, system fields and defaults are filled. Returns the stored record.
   */
  insert(object: ObjectDef, values: Map<FieldDef, FieldValue>, stamp: WriteStamp): StoredRecord {
    const table = this.#tables.get(object)!;
    // Copying a template keeps every record of an object on one hidden class: seeding a
    // million rows is several times faster than adding the keys one by one.
    const record: StoredRecord = { ...this.#template(object, table) };
    const id = this.nextId(object);
    const stampText = formatDateTime(stamp.now);
    record.Id = id;
    record.CreatedDate = record.LastModifiedDate = record.SystemModstamp = stampText;
    record.CreatedById = record.LastModifiedById = stamp.userId;
    if ("OwnerId" in record) record.OwnerId = stamp.userId;
    if ("CaseNumber" in record) record.CaseNumber = String(++this.#caseNumber).padStart(8, "0");
    for (const [def, value] of values) record[def.name] = value;
    completeName(object, record);
    table.rows.push(record);
    this.#all.set(id, record);
    if (record.IsDeleted === true) table.deleted++;
    else this.#index(table, record, true);
    this.#writes++;
    stamp.undo?.entries.push({ object, record });
    return record;
  }

  /** Applies coerced values to a stored, non-deleted record and stamps it. */
  update(
    object: ObjectDef,
    record: StoredRecord,
    values: Map<FieldDef, FieldValue>,
    stamp: WriteStamp,
  ): void {
    const table = this.#tables.get(object)!;
    stamp.undo?.entries.push({ object, record, before: { ...record } });
    this.#mutations++;
    this.#index(table, record, false);
    for (const [def, value] of values) record[def.name] = value;
    const stampText = formatDateTime(stamp.now);
    record.LastModifiedDate = stampText;
    record.SystemModstamp = stampText;
    record.LastModifiedById = stamp.userId;
    completeName(object, record);
    this.#index(table, record, true);
    this.#writes++;
  }

  /** Moves a record to the recycle bin: IsDeleted = true, still visible to queryAll. */
  softDelete(object: ObjectDef, record: StoredRecord, stamp: WriteStamp): void {
    const table = this.#tables.get(object)!;
    stamp.undo?.entries.push({ object, record, before: { ...record } });
    this.#mutations++;
    this.#index(table, record, false);
    record.IsDeleted = true;
    record.SystemModstamp = formatDateTime(stamp.now);
    table.deleted++;
    this.#writes++;
  }

  /**
   * Removes a record for good (Bulk API `hardDelete`): gone from every read, `queryAll`
   * included. Its id stays used. Not undoable.
   */
  purge(object: ObjectDef, record: StoredRecord): void {
    this.#remove(this.#tables.get(object)!, record);
  }

  /**
   * Undoes the writes `log` recorded after `mark`, newest first, and forgets them: inserted
   * records are removed (their ids stay used, as in Salesforce), updated and deleted ones
   * get their fields back. Costs one step per write undone, whatever the org's size.
   */
  rollback(log: UndoLog, mark = 0): void {
    const entries = log.entries;
    for (let i = entries.length - 1; i >= mark; i--) {
      const { object, record, before } = entries[i];
      const table = this.#tables.get(object)!;
      // A record purged meanwhile (a bulk hardDelete) stays purged.
      if (this.#all.get(record.Id as string) !== record) continue;
      if (before === undefined) {
        this.#remove(table, record);
        continue;
      }
      this.#mutations++;
      if (record.IsDeleted === true) table.deleted--;
      else this.#index(table, record, false);
      Object.assign(record, before);
      if (record.IsDeleted === true) table.deleted++;
      else this.#index(table, record, true);
      this.#writes++;
    }
    entries.length = Math.min(entries.length, mark);
  }

  #remove(table: Table, record: StoredRecord): void {
    const id = record.Id as string;
    if (this.#all.get(id) !== record) return;
    this.#all.delete(id);
    if (record.IsDeleted === true) table.deleted--;
    else this.#index(table, record, false);
    // The newest record (an undone insert, usually) leaves at once; others on the next read.
    if (table.rows[table.rows.length - 1] === record) table.rows.pop();
    else table.removed++;
    this.#writes++;
  }

  #index(table: Table, record: StoredRecord, add: boolean): void {
    for (const def of table.indexed) {
      const key = indexKey(record[def.name]);
      if (key === undefined) continue;
      const index = this.#indexes.get(def)!;
      let ids = index.get(key);
      if (add) {
        if (ids === undefined) index.set(key, ids = new Set());
        ids.add(record.Id as string);
      } else if (ids !== undefined) {
        ids.delete(record.Id as string);
        if (ids.size === 0) index.delete(key);
      }
    }
  }
}

function* live(records: Iterable<StoredRecord>): Generator<StoredRecord> {
  for (const record of records) if (record.IsDeleted !== true) yield record;
}

/** Contact, Lead and User names are computed; a custom object's Name defaults to its Id. */
function completeName(object: ObjectDef, record: StoredRecord): void {
  if (object.custom) {
    record.Name ??= record.Id;
    return;
  }
  if (!("FirstName" in record) || !("LastName" in record)) return;
  const parts = [record.FirstName, record.LastName].filter((p) => p !== null && p !== "");
  record.Name = parts.length === 0 ? null : parts.join(" ");
}
