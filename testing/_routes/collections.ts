// sObject Collections (salesforce-api.md §7.3): create, update, upsert and delete up to
// 200 records, and retrieve up to 2,000, in one call; per-record results in request
// order, errors keyed `statusCode`; `allOrNone` rolls everything back on any failure.

import { isSalesforceId, normalizeId } from "../../client/_ids.ts";
import { isPlainObject } from "../../client/_validate.ts";
import {
  allOrNothing,
  createRecord,
  deleteRecord,
  type DmlContext,
  type DmlResult,
  updateRecord,
} from "../_dml.ts";
import { fail, json, notFound, readJson, readRecordsBody } from "../_http.ts";
import type { Route, RouteContext } from "../_router.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "../_schema.ts";
import { liveRecord, upsertRecord } from "../_record_lookup.ts";
import type { RestError } from "../_values.ts";

/** Records per create, update, upsert or delete call. */
export const MAX_COLLECTION_RECORDS = 200;
/** Ids per retrieve call (POST form). */
export const MAX_RETRIEVE_IDS = 2000;
/** Runs of same-type records one create or update call may hold. */
export const MAX_TYPE_CHUNKS = 10;

/** One entry of a SaveResult's `errors`: `statusCode` first, `fields` always present. */
export type SaveError = Record<string, unknown> & { statusCode: string; message: string };

/** What one record's write came to: `errors` undefined means success. */
export interface Outcome {
  /** The record id: the new or updated record's on success; on failure only when the request named it. */
  id?: string;
  errors?: SaveError[];
  created?: boolean;
}

const ROLLED_BACK: SaveError = {
  statusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
  message:
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
  fields: [],
};

/** A REST error as a save-result error: Salesforce keys these `statusCode` (§7.3). */
export function saveError(error: RestError): SaveError {
  const { errorCode, message, fields, ...extra } = error;
  return { statusCode: errorCode, message, fields: fields ?? [], ...extra };
}

function failed(error: RestError, id?: string): Outcome {
  return id === undefined ? { errors: [saveError(error)] } : { id, errors: [saveError(error)] };
}

function fromDml(result: DmlResult, created?: boolean): Outcome {
  if ("error" in result) return failed(result.error);
  const outcome: Outcome = { id: result.record.Id as string };
  if (created !== undefined) outcome.created = created;
  return outcome;
}

/** The wire form of one outcome, keys in Salesforce's order. */
function resultJson(outcome: Outcome, upsert: boolean): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  if (outcome.id !== undefined) entry.id = outcome.id;
  entry.success = outcome.errors === undefined;
  entry.errors = outcome.errors ?? [];
  if (upsert && outcome.errors === undefined) entry.created = outcome.created ?? false;
  return entry;
}

/**
 * Runs `write` for records 0..count-1. With `allOrNone`, if any fails, every write is
 * rolled back: the failures keep their errors and every other record reports
 * ALL_OR_NONE_OPERATION_ROLLED_BACK.
 */
export function writeAll(
  ctx: DmlContext,
  count: number,
  allOrNone: boolean,
  write: (ctx: DmlContext, index: number) => Outcome,
  /** The id a rolled-back entry still shows (the one the request named), if any. */
  namedId: (index: number) => string | undefined = () => undefined,
): Outcome[] {
  const run = (context: DmlContext) => Array.from({ length: count }, (_, i) => write(context, i));
  if (!allOrNone) return run(ctx);
  const failed = (outcome: Outcome) => outcome.errors !== undefined;
  const outcomes = allOrNothing(ctx, run, (all) => all.some(failed));
  if (!outcomes.some(failed)) return outcomes;
  return outcomes.map((outcome, i) => {
    if (outcome.errors !== undefined) return outcome;
    const id = namedId(i);
    return id === undefined ? { errors: [ROLLED_BACK] } : { id, errors: [ROLLED_BACK] };
  });
}

function tooMany(limit: number): Response {
  // Wording and code unverified (salesforce-api.md §7.3).
  return fail(400, "EXCEEDED_ID_LIMIT", `Maximum number of records allowed is ${limit}`);
}

/** A parsed `{allOrNone, records}` envelope with each record's object, or the 400 to answer. */
interface Envelope {
  allOrNone: boolean;
  records: Record<string, unknown>[];
  objects: ObjectDef[];
}

/** The envelope of a create, update or upsert; `chunked` checks the runs of types (create, update). */
async function readEnvelope(context: RouteContext, chunked: boolean): Promise<Envelope | Response> {
  const read = await readRecordsBody(context.request);
  if ("response" in read) return read.response;
  const body = read.value;
  if (body.allOrNone !== undefined && typeof body.allOrNone !== "boolean") {
    return fail(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean");
  }
  const records = body.records;
  if (records.length > MAX_COLLECTION_RECORDS) return tooMany(MAX_COLLECTION_RECORDS);
  const objects: ObjectDef[] = [];
  for (const record of records) {
    if (!isPlainObject(record)) {
      return fail(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of SObject");
    }
    const attributes = record.attributes;
    const type = isPlainObject(attributes) ? attributes.type : undefined;
    if (typeof type !== "string" || type === "") {
      // Collections need the type on every record (§5.3); code and wording unverified.
      return fail(400, "INVALID_TYPE", "Each record must have attributes with a type");
    }
    const object = context.org.schema.object(type);
    if (object === undefined) {
      return fail(400, "INVALID_TYPE", `sObject type '${type}' is not supported.`);
    }
    objects.push(object);
  }
  if (chunked && typeChunks(objects) > MAX_TYPE_CHUNKS) return tooManyChunks();
  return {
    allOrNone: body.allOrNone === true,
    records: records as Record<string, unknown>[],
    objects,
  };
}

/** Runs of consecutive same-type records: Salesforce processes at most 10 per call. */
function typeChunks(objects: ObjectDef[]): number {
  let chunks = 0;
  for (let i = 0; i < objects.length; i++) if (i === 0 || objects[i] !== objects[i - 1]) chunks++;
  return chunks;
}

function tooManyChunks(): Response {
  // The message is the platform's (as Apex reports it); the code is unverified.
  return fail(
    400,
    "INVALID_BATCH_REQUEST",
    "Cannot have more than 10 chunks in a single operation. Please rearrange the data to reduce chunking.",
  );
}

/** The record's fields without `attributes` and, for updates, without its id keys. */
function fieldsOf(record: Record<string, unknown>, dropId: boolean): Record<string, unknown> {
  const { attributes: _, ...fields } = record;
  if (dropId) {
    delete fields.Id;
    delete fields.id;
  }
  return fields;
}

async function create(context: RouteContext): Promise<Response> {
  const envelope = await readEnvelope(context, true);
  if (envelope instanceof Response) return envelope;
  const { records, objects, allOrNone } = envelope;
  const outcomes = writeAll(context.org.dml(context), records.length, allOrNone, (ctx, i) =>
    // An Id in the body fails in createRecord (INVALID_FIELD_FOR_INSERT_UPDATE), as in Salesforce.
    fromDml(createRecord(ctx, objects[i], fieldsOf(records[i], false))));
  return json(200, outcomes.map((outcome) => resultJson(outcome, false)));
}

/** The live record an update or delete names, or the outcome Salesforce reports instead. */
function existing(
  ctx: DmlContext,
  object: ObjectDef | undefined,
  raw: unknown,
): { record: StoredRecord; object: ObjectDef } | Outcome {
  const found = liveRecord(ctx.store, object, raw);
  return "error" in found ? failed(found.error, found.id) : found;
}

function namedIdOf(raw: unknown): string | undefined {
  return typeof raw === "string" && isSalesforceId(raw) ? normalizeId(raw) : undefined;
}

async function update(context: RouteContext): Promise<Response> {
  const envelope = await readEnvelope(context, true);
  if (envelope instanceof Response) return envelope;
  const { records, objects, allOrNone } = envelope;
  const idOf = (i: number) => records[i].id ?? records[i].Id;
  const outcomes = writeAll(context.org.dml(context), records.length, allOrNone, (ctx, i) => {
    const found = existing(ctx, objects[i], idOf(i));
    if (!("record" in found)) return found;
    const result = updateRecord(ctx, found.object, found.record, fieldsOf(records[i], true));
    return "error" in result ? failed(result.error, found.record.Id as string) : fromDml(result);
  }, (i) => namedIdOf(idOf(i)));
  return json(200, outcomes.map((outcome) => resultJson(outcome, false)));
}

async function upsert(context: RouteContext): Promise<Response> {
  const { org, params } = context;
  const object = org.schema.object(params.object);
  const def = object && org.schema.field(object, params.field);
  if (object === undefined || def === undefined || def.externalId !== true) return notFound();
  const envelope = await readEnvelope(context, false);
  if (envelope instanceof Response) return envelope;
  const { records, objects, allOrNone } = envelope;
  const other = objects.find((o) => o !== object);
  if (other !== undefined) {
    // One object per upsert call; code and wording unverified.
    return fail(
      400,
      "INVALID_TYPE",
      `Record type ${other.name} does not match the upsert object ${object.name}`,
    );
  }
  const outcomes = writeAll(context.org.dml(context), records.length, allOrNone, (ctx, i) => {
    const fields = fieldsOf(records[i], false);
    const key = Object.keys(fields).find((k) => k.toLowerCase() === def.name.toLowerCase());
    const result = upsertRecord(
      ctx,
      object,
      def,
      key === undefined ? undefined : fields[key],
      fields,
    );
    return "error" in result ? failed(result.error) : fromDml(result, result.created);
  });
  return json(200, outcomes.map((outcome) => resultJson(outcome, true)));
}

function remove(context: RouteContext): Response {
  const param = context.url.searchParams.get("ids");
  const ids = (param ?? "").split(",").map((id) => id.trim()).filter((id) => id !== "");
  if (ids.length === 0) {
    // Code and wording unverified.
    return fail(400, "MISSING_ARGUMENT", "ids parameter is required");
  }
  if (ids.length > MAX_COLLECTION_RECORDS) return tooMany(MAX_COLLECTION_RECORDS);
  const allOrNone = context.url.searchParams.get("allOrNone")?.toLowerCase() === "true";
  const outcomes = writeAll(context.org.dml(context), ids.length, allOrNone, (ctx, i) => {
    const found = existing(ctx, undefined, ids[i]);
    if (!("record" in found)) return found;
    deleteRecord(ctx, found.object, found.record);
    return { id: found.record.Id as string };
  }, (i) => namedIdOf(ids[i]));
  return json(200, outcomes.map((outcome) => resultJson(outcome, false)));
}

/** The `fields` list resolved against the object, or the 400 for an unknown one. */
function resolveFields(object: ObjectDef, names: string[], context: RouteContext) {
  const defs: FieldDef[] = [];
  for (const name of names) {
    const def = context.org.schema.field(object, name);
    if (def === undefined) {
      // Plain field names only: the fake does not follow relationship paths here.
      return fail(400, "INVALID_FIELD", `No such column '${name}' on entity '${object.name}'`);
    }
    if (!defs.includes(def)) defs.push(def);
  }
  return defs;
}

function retrieved(
  context: RouteContext,
  object: ObjectDef,
  ids: unknown[],
  names: string[],
): Response {
  if (names.length === 0) return fail(400, "MISSING_ARGUMENT", "fields parameter is required");
  if (ids.length === 0) return fail(400, "MISSING_ARGUMENT", "ids parameter is required");
  if (ids.length > MAX_RETRIEVE_IDS) return tooMany(MAX_RETRIEVE_IDS);
  const defs = resolveFields(object, names, context);
  if (defs instanceof Response) return defs;
  const store = context.org.store;
  return json(
    200,
    ids.map((raw) => {
      // Ids that are malformed, of another object, unknown or deleted come back as null.
      const text = typeof raw === "string" ? raw : "";
      if (!isSalesforceId(text) || !text.startsWith(object.keyPrefix)) return null;
      const record = store.byId(normalizeId(text));
      if (record === undefined || record.IsDeleted === true) return null;
      const entry: Record<string, unknown> = {
        attributes: {
          type: object.name,
          url: `/services/data/v${context.version}/sobjects/${object.name}/${record.Id}`,
        },
      };
      for (const def of defs) entry[def.name] = record[def.name];
      // As with ?fields= on a row, the Id comes back even when not asked for.
      if (!("Id" in entry)) entry.Id = record.Id;
      return entry;
    }),
  );
}

function list(text: string | null): string[] {
  return (text ?? "").split(",").map((part) => part.trim()).filter((part) => part !== "");
}

function retrieveByQuery(context: RouteContext): Response {
  const object = context.org.schema.object(context.params.object);
  if (object === undefined) return notFound();
  const params = context.url.searchParams;
  return retrieved(context, object, list(params.get("ids")), list(params.get("fields")));
}

async function retrieveByBody(context: RouteContext): Promise<Response> {
  const object = context.org.schema.object(context.params.object);
  if (object === undefined) return notFound();
  const read = await readJson(context.request);
  if ("response" in read) return read.response;
  const body = read.value;
  if (!isPlainObject(body) || !Array.isArray(body.ids) || !Array.isArray(body.fields)) {
    return fail(400, "JSON_PARSER_ERROR", "The request body must be an object with ids and fields");
  }
  const names = (body.fields as unknown[]).filter((name): name is string =>
    typeof name === "string"
  );
  return retrieved(context, object, body.ids as unknown[], names);
}

/** sObject Collections routes. */
export const collectionRoutes: Route[] = [
  {
    pattern: "/services/data/:version/composite/sobjects",
    name: "compositeSObjects",
    kind: "data",
    methods: { POST: create, PATCH: update, DELETE: remove },
  },
  {
    pattern: "/services/data/:version/composite/sobjects/:object",
    name: "compositeSObjectsRetrieve",
    kind: "data",
    methods: { GET: retrieveByQuery, POST: retrieveByBody },
  },
  {
    pattern: "/services/data/:version/composite/sobjects/:object/:field",
    name: "compositeSObjectsUpsert",
    kind: "data",
    methods: { PATCH: upsert },
  },
];
