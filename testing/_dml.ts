// Create and update with Salesforce's validation: unknown and read-only fields,
// value types, required fields, lookups (by id or external id), unique fields and
// duplicate rules. Routes (REST today, composite and bulk later) share it.

import { isSalesforceId, normalizeId } from "../client/_ids.ts";
import { isPlainObject } from "../client/_validate.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "./_schema.ts";
import { type RecordStore, UndoLog, type WriteStamp } from "./_store.ts";
import {
  coerceValue,
  type CoercionContext,
  type FieldValue,
  type RestError,
  restError,
} from "./_values.ts";

/** A duplicate rule resolved against the schema. */
export interface ResolvedDuplicateRule {
  object: ObjectDef;
  field: FieldDef;
}

/** What a write needs from the org. */
export interface DmlContext {
  store: RecordStore;
  stamp: WriteStamp;
  duplicateRules: readonly ResolvedDuplicateRule[];
  /** `Sforce-Duplicate-Rule-Header: allowSave=true` lets a save pass an alerting duplicate rule. */
  allowSave: boolean;
  /** API version for record URLs in error details, e.g. "66.0". */
  version: string;
}

/** A write's outcome: the stored record, or the status and error Salesforce would answer. */
export type DmlResult = { record: StoredRecord } | { status: number; error: RestError };

/** How values are checked: REST create/update, or `org.insert` seeding (lenient, no rules). */
export type WriteMode = "create" | "update" | "seed";

/** System fields seeding may set, so tests can build history (`CreatedDate`, soft-deleted rows). */
const SEEDABLE = new Set([
  "IsDeleted",
  "CreatedDate",
  "CreatedById",
  "LastModifiedDate",
  "LastModifiedById",
  "SystemModstamp",
]);

const coercionContexts = new WeakMap<RecordStore, CoercionContext>();

function coercionContext(store: RecordStore): CoercionContext {
  let context = coercionContexts.get(store);
  if (context === undefined) {
    context = {
      prefixesOf(def: FieldDef): string[] {
        return (def.referenceTo ?? []).flatMap((name) => {
          const target = store.schema.object(name);
          return target === undefined ? [] : [target.keyPrefix];
        });
      },
    };
    coercionContexts.set(store, context);
  }
  return context;
}

function invalid(error: RestError, status = 400): { status: number; error: RestError } {
  return { status, error };
}

/** Resolves `{"Account": {"ExtId__c": "x"}}` to the parent's id. */
function resolveForeignKey(
  store: RecordStore,
  def: FieldDef,
  raw: Record<string, unknown>,
): { value: FieldValue } | { status: number; error: RestError } {
  const target = store.schema.object(def.referenceTo?.[0] ?? "");
  const keys = Object.keys(raw).filter((k) => k !== "attributes");
  const keyField = target !== undefined && keys.length === 1
    ? store.schema.field(target, keys[0])
    : undefined;
  if (
    target === undefined || keyField === undefined ||
    (keyField.externalId !== true && keyField.name !== "Id")
  ) {
    return invalid(
      restError(
        "INVALID_FIELD",
        `The value provided for foreign key reference ${def.relationshipName} is not a nested SObject with a single external ID field`,
      ),
    );
  }
  const value = raw[keys[0]];
  let text = value === null || typeof value === "object" ? "" : String(value);
  if (keyField.name === "Id" && isSalesforceId(text)) text = normalizeId(text);
  const matches = text === "" ? [] : store.find(target, keyField, text);
  if (matches.length !== 1) {
    const what = matches.length === 0 ? "not found" : "matched more than one record";
    // Wording follows salesforce-api.md §5.7 (unverified there); the value is shown lower-cased as captured.
    return invalid(
      restError(
        "INVALID_FIELD",
        `Foreign key external ID: ${text.toLowerCase()} ${what} for field ${keyField.name} in entity ${target.name}`,
      ),
    );
  }
  return { value: matches[0].Id };
}

/**
 * Checks and coerces a body against `object`. Returns the values to store (canonical
 * fields) or the first error, in the order Salesforce reports them.
 */
export function prepareValues(
  store: RecordStore,
  object: ObjectDef,
  body: Record<string, unknown>,
  mode: WriteMode,
): { values: Map<FieldDef, FieldValue> } | { status: number; error: RestError } {
  const context = coercionContext(store);
  const values = new Map<FieldDef, FieldValue>();
  const readOnly: string[] = [];
  for (const [key, raw] of Object.entries(body)) {
    if (raw === undefined || (key === "attributes" && mode !== "seed")) continue;
    const def = store.schema.field(object, key);
    if (def === undefined) {
      const relation = mode === "seed" ? undefined : store.schema.relationship(object, key);
      if (relation !== undefined && isPlainObject(raw)) {
        const resolved = resolveForeignKey(store, relation, raw);
        if ("error" in resolved) return resolved;
        values.set(relation, resolved.value);
        continue;
      }
      return invalid(
        restError("INVALID_FIELD", `No such column '${key}' on sobject of type ${object.name}`),
      );
    }
    const writable = mode === "seed"
      ? def.createable !== false || SEEDABLE.has(def.name)
      : mode === "create"
      ? def.createable !== false
      : def.updateable !== false;
    if (!writable) {
      if (!readOnly.includes(def.name)) readOnly.push(def.name);
      continue;
    }
    const coerced = coerceValue(def, raw, context);
    if ("error" in coerced) return invalid(coerced.error);
    values.set(def, coerced.value);
  }
  if (readOnly.length > 0) {
    return invalid(
      restError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        `Unable to create/update fields: ${
          readOnly.join(", ")
        }. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        readOnly,
      ),
    );
  }
  return { values };
}

function checkRequired(
  object: ObjectDef,
  values: Map<FieldDef, FieldValue>,
  mode: "create" | "update",
): RestError | undefined {
  const missing = object.fields.filter((def) => {
    if (def.nillable !== false || def.createable === false || def.defaultedOnCreate === true) {
      return false;
    }
    const value = values.get(def);
    return mode === "create" ? value === undefined || value === null : value === null;
  }).map((def) => def.name);
  if (missing.length === 0) return undefined;
  return restError(
    "REQUIRED_FIELD_MISSING",
    `Required fields are missing: [${missing.join(", ")}]`,
    missing,
  );
}

function checkReferences(
  store: RecordStore,
  values: Map<FieldDef, FieldValue>,
): RestError | undefined {
  for (const [def, value] of values) {
    if (def.type !== "reference" || typeof value !== "string") continue;
    const target = store.byId(value);
    if (target === undefined) {
      return restError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [def.name]);
    }
    if (target.IsDeleted === true) {
      return restError("ENTITY_IS_DELETED", "entity is deleted", [def.name]);
    }
  }
  return undefined;
}

function checkUnique(
  store: RecordStore,
  object: ObjectDef,
  values: Map<FieldDef, FieldValue>,
  selfId: string | undefined,
): RestError | undefined {
  for (const [def, value] of values) {
    if (def.unique !== true || value === null) continue;
    const other = store.find(object, def, value).find((r) => r.Id !== selfId);
    if (other !== undefined) {
      return restError(
        "DUPLICATE_VALUE",
        `duplicate value found: ${def.name} duplicates value on record with id: ${other.Id}`,
        [],
      );
    }
  }
  return undefined;
}

function checkDuplicateRules(
  ctx: DmlContext,
  object: ObjectDef,
  merged: (def: FieldDef) => FieldValue,
  selfId: string | undefined,
): RestError | undefined {
  if (ctx.allowSave) return undefined;
  for (const rule of ctx.duplicateRules) {
    if (rule.object !== object) continue;
    const value = merged(rule.field);
    if (value === null || value === undefined) continue;
    const matches = ctx.store.find(object, rule.field, value).filter((r) => r.Id !== selfId);
    if (matches.length === 0) continue;
    const message = "Use one of these records?";
    // Shape of salesforce-api.md §3.4; rule names follow the standard rules' naming.
    return {
      duplicateResult: {
        allowSave: true,
        duplicateRule: `Standard_${object.name}_Duplicate_Rule`,
        duplicateRuleEntityType: object.name,
        errorMessage: message,
        matchResults: [{
          entityType: object.name,
          errors: [],
          matchEngine: "FuzzyMatchEngine",
          matchRecords: matches.map((r) => ({
            additionalInformation: [],
            fieldDiffs: [],
            matchConfidence: 100,
            record: {
              attributes: {
                type: object.name,
                url: `/services/data/v${ctx.version}/sobjects/${object.name}/${r.Id}`,
              },
              Id: r.Id,
            },
          })),
          rule: `Standard_${object.name}_Match_Rule_v1_1`,
          size: matches.length,
          success: true,
        }],
      },
      errorCode: "DUPLICATES_DETECTED",
      message,
    };
  }
  return undefined;
}

function validate(
  ctx: DmlContext,
  object: ObjectDef,
  values: Map<FieldDef, FieldValue>,
  existing: StoredRecord | undefined,
): RestError | undefined {
  const mode = existing === undefined ? "create" : "update";
  const selfId = existing?.Id as string | undefined;
  return checkRequired(object, values, mode) ??
    checkReferences(ctx.store, values) ??
    checkUnique(ctx.store, object, values, selfId) ??
    checkDuplicateRules(
      ctx,
      object,
      (def) => values.has(def) ? values.get(def)! : existing?.[def.name] ?? null,
      selfId,
    );
}

/**
 * Creates a record from a JSON body. `preset` values (an upsert's external id) are
 * applied after the body's.
 */
export function createRecord(
  ctx: DmlContext,
  object: ObjectDef,
  body: Record<string, unknown>,
  preset?: Map<FieldDef, FieldValue>,
): DmlResult {
  const prepared = prepareValues(ctx.store, object, body, "create");
  if ("error" in prepared) return prepared;
  for (const [def, value] of preset ?? []) prepared.values.set(def, value);
  const error = validate(ctx, object, prepared.values, undefined);
  if (error !== undefined) return invalid(error);
  return { record: ctx.store.insert(object, prepared.values, ctx.stamp) };
}

/** Updates a stored, non-deleted record from a JSON body. */
export function updateRecord(
  ctx: DmlContext,
  object: ObjectDef,
  record: StoredRecord,
  body: Record<string, unknown>,
): DmlResult {
  const prepared = prepareValues(ctx.store, object, body, "update");
  if ("error" in prepared) return prepared;
  const error = validate(ctx, object, prepared.values, record);
  if (error !== undefined) return invalid(error);
  ctx.store.update(object, record, prepared.values, ctx.stamp);
  return { record };
}

/** Moves a stored, non-deleted record to the recycle bin. */
export function deleteRecord(ctx: DmlContext, object: ObjectDef, record: StoredRecord): void {
  ctx.store.softDelete(object, record, ctx.stamp);
}

/**
 * Runs `work` all or nothing: its writes are recorded and rolled back when `failed` says
 * so. Inside an all-or-nothing composite call (the stamp has a log already) it shares
 * that log and rolls back only to where it started.
 */
export function allOrNothing<T>(
  ctx: DmlContext,
  work: (ctx: DmlContext) => T,
  failed: (result: T) => boolean,
): T {
  const undo = ctx.stamp.undo ?? new UndoLog();
  const mark = undo.mark();
  const result = work({ ...ctx, stamp: { ...ctx.stamp, undo } });
  if (failed(result)) ctx.store.rollback(undo, mark);
  return result;
}
