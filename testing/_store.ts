// The fake org's records: one array per object in Id (= insertion) order, a global id
// index, and value indexes on external-id, unique and duplicate-rule fields. Deletes
// are soft (IsDeleted), so the arrays only grow.

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

/** Who and when, for the audit fields of a write. */
export interface WriteStamp {
  userId: string;
  now: number;
}

/** Records of every object, implementing what the SOQL engine reads. */
export class RecordStore implements SoqlDataSource {
  readonly schema: Schema;
  #tables = new Map<ObjectDef, StoredRecord[]>();
  #deletedCount = new Map<ObjectDef, number>();
  #all = new Map<string, StoredRecord>();
  #sequences = new Map<string, number>();
  #indexed = new Map<ObjectDef, FieldDef[]>();
  #indexes = new Map<FieldDef, Map<string, Set<string>>>();
  #templates = new Map<ObjectDef, StoredRecord>();
  #caseNumber = 1000;

  /** `extraIndexed` lists fields to index besides external-id and unique ones (duplicate rules). */
  constructor(schema: Schema, extraIndexed: FieldDef[] = []) {
    this.schema = schema;
    for (const object of schema.objects) {
      this.#tables.set(object, []);
      this.#deletedCount.set(object, 0);
      const indexed = object.fields.filter((f) =>
        f.externalId === true || f.unique === true || extraIndexed.includes(f)
      );
      this.#indexed.set(object, indexed);
      for (const def of indexed) this.#indexes.set(def, new Map());
    }
  }

  object(name: string): ObjectDef | undefined {
    return this.schema.object(name);
  }

  records(objectName: string, includeDeleted: boolean): Iterable<StoredRecord> {
    const object = this.schema.object(objectName);
    if (object === undefined) return [];
    const table = this.#tables.get(object)!;
    if (includeDeleted || this.#deletedCount.get(object) === 0) return table;
    return live(table);
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

  /** A record of defaults for `object`, in field order; copies of it start every insert. */
  #template(object: ObjectDef): StoredRecord {
    let template = this.#templates.get(object);
    if (template === undefined) {
      template = {};
      const defaults = STATIC_DEFAULTS[object.name];
      for (const def of object.fields) {
        template[def.name] = defaults?.[def.name] ?? (def.type === "boolean" ? false : null);
      }
      this.#templates.set(object, template);
    }
    return template;
  }

  /**
   * Stores a new record. `values` hold canonical names and coerced values; fields not
   * given are null, system fields and defaults are filled. Returns the stored record.
   */
  insert(object: ObjectDef, values: Map<FieldDef, FieldValue>, stamp: WriteStamp): StoredRecord {
    // Copying a template keeps every record of an object on one hidden class: seeding a
    // million rows is several times faster than adding the keys one by one.
    const record: StoredRecord = { ...this.#template(object) };
    const id = this.nextId(object);
    const stampText = formatDateTime(stamp.now);
    record.Id = id;
    record.CreatedDate = record.LastModifiedDate = record.SystemModstamp = stampText;
    record.CreatedById = record.LastModifiedById = stamp.userId;
    if ("OwnerId" in record) record.OwnerId = stamp.userId;
    if ("CaseNumber" in record) record.CaseNumber = String(++this.#caseNumber).padStart(8, "0");
    for (const [def, value] of values) record[def.name] = value;
    completeName(object, record);
    this.#tables.get(object)!.push(record);
    this.#all.set(id, record);
    if (record.IsDeleted === true) {
      this.#deletedCount.set(object, this.#deletedCount.get(object)! + 1);
    } else this.#index(object, record, true);
    return record;
  }

  /** Applies coerced values to a stored, non-deleted record and stamps it. */
  update(
    object: ObjectDef,
    record: StoredRecord,
    values: Map<FieldDef, FieldValue>,
    stamp: WriteStamp,
  ): void {
    this.#index(object, record, false);
    for (const [def, value] of values) record[def.name] = value;
    const stampText = formatDateTime(stamp.now);
    record.LastModifiedDate = stampText;
    record.SystemModstamp = stampText;
    record.LastModifiedById = stamp.userId;
    completeName(object, record);
    this.#index(object, record, true);
  }

  /** Moves a record to the recycle bin: IsDeleted = true, still visible to queryAll. */
  softDelete(object: ObjectDef, record: StoredRecord, stamp: WriteStamp): void {
    this.#index(object, record, false);
    record.IsDeleted = true;
    record.SystemModstamp = formatDateTime(stamp.now);
    this.#deletedCount.set(object, this.#deletedCount.get(object)! + 1);
  }

  #index(object: ObjectDef, record: StoredRecord, add: boolean): void {
    for (const def of this.#indexed.get(object)!) {
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
