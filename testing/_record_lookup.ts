// Finding the record a write names, shared by sObject Collections and Bulk API ingest:
// by id (update, delete) with Salesforce's errors, or by external id (upsert).

import { isSalesforceId, normalizeId } from "../client/_ids.ts";
import { createRecord, type DmlContext, updateRecord } from "./_dml.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "./_schema.ts";
import type { RecordStore } from "./_store.ts";
import { coerceValue, type FieldValue, type RestError, restError } from "./_values.ts";

/** Key values are compared, not stored as lookups: no reference prefixes to check. */
const NO_REFERENCES = { prefixesOf: () => [] };

/** An external-id value from a path or a row, in the field's type. */
export function coerceKey(
  def: FieldDef,
  raw: unknown,
): { value: FieldValue } | { error: RestError } {
  return coerceValue(def, raw, NO_REFERENCES);
}

/**
 * The live record `raw` names, or the error Salesforce reports with the id when it is
 * well formed. Without `object` the id's key prefix chooses it (collections delete).
 */
export function liveRecord(
  store: RecordStore,
  object: ObjectDef | undefined,
  raw: unknown,
): { record: StoredRecord; object: ObjectDef } | { error: RestError; id?: string } {
  if (raw === undefined || raw === null || raw === "") {
    return { error: restError("MISSING_ARGUMENT", "Id not specified in an update call", []) };
  }
  const text = String(raw);
  const target = object ??
    (isSalesforceId(text) ? store.schema.byPrefix(text.slice(0, 3)) : undefined);
  if (!isSalesforceId(text) || target === undefined || !text.startsWith(target.keyPrefix)) {
    const message = object === undefined
      ? `malformed id ${text}`
      : `${object.label} ID: id value of incorrect type: ${text}`;
    return { error: restError("MALFORMED_ID", message, object === undefined ? [] : ["Id"]) };
  }
  const id = normalizeId(text);
  const record = store.byId(id);
  if (record === undefined) {
    // Code unverified: a well-formed id that names no record.
    return {
      error: restError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []),
      id,
    };
  }
  if (record.IsDeleted === true) {
    return { error: restError("ENTITY_IS_DELETED", "entity is deleted", []), id };
  }
  return { record, object: target };
}

/**
 * Upserts `body` on external id `def` = `raw`: updates the one live match, creates when
 * there is none; several matches are DUPLICATE_EXTERNAL_ID.
 */
export function upsertRecord(
  ctx: DmlContext,
  object: ObjectDef,
  def: FieldDef,
  raw: unknown,
  body: Record<string, unknown>,
): { record: StoredRecord; created: boolean } | { status: number; error: RestError } {
  const invalid = (error: RestError) => ({ status: 400, error });
  if (raw === undefined || raw === null || raw === "") {
    return invalid(restError("MISSING_ARGUMENT", `${def.name} not specified`, [def.name]));
  }
  const key = coerceKey(def, raw);
  if ("error" in key) return invalid(key.error);
  const matches = key.value === null ? [] : ctx.store.find(object, def, key.value);
  if (matches.length > 1) {
    return invalid(
      restError(
        "DUPLICATE_EXTERNAL_ID",
        `${def.name}: more than one record found for external id field: [${
          matches.map((r) => r.Id).join(", ")
        }]`,
        [def.name],
      ),
    );
  }
  const result = matches.length === 1
    ? updateRecord(ctx, object, matches[0], body)
    : createRecord(ctx, object, body);
  return "error" in result ? result : { record: result.record, created: matches.length === 0 };
}
