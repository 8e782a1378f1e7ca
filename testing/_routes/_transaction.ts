// All-or-none writes for the fake org. The store cannot undo a write, so an
// all-or-none request first runs against a TransactionStore: an overlay that
// buffers inserts, updates and deletes and answers reads as if they had happened.
// When every write succeeds there, the route runs the same writes on the real
// store; the handlers are synchronous once the body is read, so the second run
// sees the same state and succeeds the same way. When one fails, nothing is written.

import type { DmlContext } from "../_dml.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "../_schema.ts";
import { makeId, type RecordStore, type WriteStamp } from "../_store.ts";
import type { FieldValue } from "../_values.ts";

/** Overlay ids start far above any real sequence, so they never name a real record. */
const OVERLAY_SEQUENCE = 1_000_000_000_000_000;

function keyOf(value: FieldValue | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value).toLowerCase();
}

/** The part of RecordStore that `_dml.ts` and the write routes use, over a buffer of changes. */
export class TransactionStore {
  readonly schema: RecordStore["schema"];
  #real: RecordStore;
  /** Records inserted, updated or deleted in the overlay, by id: copies, never the real rows. */
  #changed = new Map<string, { object: ObjectDef; record: StoredRecord }>();
  #sequence = OVERLAY_SEQUENCE;

  constructor(real: RecordStore) {
    this.#real = real;
    this.schema = real.schema;
  }

  byId(id: string): StoredRecord | undefined {
    return this.#changed.get(id)?.record ?? this.#real.byId(id);
  }

  find(object: ObjectDef, def: FieldDef, value: FieldValue): StoredRecord[] {
    if (def.name === "Id") {
      const record = typeof value === "string" ? this.byId(value) : undefined;
      return record !== undefined && record.IsDeleted !== true &&
          String(record.Id).startsWith(object.keyPrefix)
        ? [record]
        : [];
    }
    const key = keyOf(value);
    if (key === undefined) return [];
    const found = this.#real.find(object, def, value).filter((r) =>
      !this.#changed.has(r.Id as string)
    );
    for (const change of this.#changed.values()) {
      const record = change.record;
      if (
        change.object === object && record.IsDeleted !== true && keyOf(record[def.name]) === key
      ) {
        found.push(record);
      }
    }
    return found;
  }

  insert(object: ObjectDef, values: Map<FieldDef, FieldValue>, _stamp: WriteStamp): StoredRecord {
    const record: StoredRecord = {
      Id: makeId(object.keyPrefix, ++this.#sequence),
      IsDeleted: false,
    };
    for (const [def, value] of values) record[def.name] = value;
    this.#changed.set(record.Id as string, { object, record });
    return record;
  }

  update(
    object: ObjectDef,
    record: StoredRecord,
    values: Map<FieldDef, FieldValue>,
    _stamp: WriteStamp,
  ): void {
    const copy = { ...record };
    for (const [def, value] of values) copy[def.name] = value;
    this.#changed.set(copy.Id as string, { object, record: copy });
  }

  softDelete(object: ObjectDef, record: StoredRecord, _stamp: WriteStamp): void {
    this.#changed.set(record.Id as string, { object, record: { ...record, IsDeleted: true } });
  }
}

/** A write context whose store is a fresh overlay over `ctx.store`. */
export function dryRun(ctx: DmlContext): DmlContext {
  // TransactionStore has every member _dml.ts and the routes call; RecordStore's
  // private fields make the class nominal, hence the cast.
  return { ...ctx, store: new TransactionStore(ctx.store) as unknown as RecordStore };
}
