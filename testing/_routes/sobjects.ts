// sObject rows: create, read, update, delete by id, and read / upsert / delete by
// external id (salesforce-api.md §5.3–§5.7).

import { isSalesforceId, normalizeId } from "../../client/_ids.ts";
import { createRecord, deleteRecord, updateRecord } from "../_dml.ts";
import {
  errorList,
  fail,
  json,
  methodNotAllowed,
  noContent,
  notFound,
  readJsonObject,
} from "../_http.ts";
import type { Route, RouteContext } from "../_router.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "../_schema.ts";
import { coerceKey } from "../_record_lookup.ts";
import type { FieldValue, RestError } from "../_values.ts";
import { basicInfo } from "./rest.ts";

function recordUrl(object: ObjectDef, id: unknown, version: string): string {
  return `/services/data/v${version}/sobjects/${object.name}/${id}`;
}

/** A stored record as REST returns it: `attributes` first, every field, nulls present. */
function recordJson(
  object: ObjectDef,
  record: StoredRecord,
  version: string,
): Record<string, unknown> {
  return {
    attributes: { type: object.name, url: recordUrl(object, record.Id, version) },
    ...record,
  };
}

const NO_SUCH_COLUMN_TAIL =
  "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

/** `?fields=Id,Name,Owner.Email` → nested record JSON, or the error response. */
function selectFields(
  context: RouteContext,
  object: ObjectDef,
  record: StoredRecord,
  list: string,
): Response | Record<string, unknown> {
  const { org, version } = context;
  const picked: Record<string, unknown> = {
    attributes: { type: object.name, url: recordUrl(object, record.Id, version) },
  };
  const names = list.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const path of names) {
    const parts = path.split(".");
    let owner = object;
    let source: StoredRecord | undefined = record;
    let target = picked;
    for (let i = 0; i < parts.length - 1; i++) {
      const relation = org.schema.relationship(owner, parts[i]);
      const parent = relation && org.schema.object(relation.referenceTo?.[0] ?? "");
      if (relation === undefined || parent === undefined) {
        return fail(
          400,
          "INVALID_FIELD",
          `Didn't understand relationship '${
            parts[i]
          }' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      const parentId: unknown = source?.[relation.name];
      source = typeof parentId === "string" ? org.store.byId(parentId) : undefined;
      const key = relation.relationshipName!;
      if (source === undefined) {
        target[key] = null;
        target = {}; // later parts of a null path have nowhere to go
      } else {
        if (typeof target[key] !== "object" || target[key] === null) {
          target[key] = {
            attributes: { type: parent.name, url: recordUrl(parent, source.Id, version) },
          };
        }
        target = target[key] as Record<string, unknown>;
      }
      owner = parent;
    }
    const last = parts[parts.length - 1];
    const def = org.schema.field(owner, last);
    if (def === undefined) {
      return fail(
        400,
        "INVALID_FIELD",
        `No such column '${last}' on entity '${owner.name}'. ${NO_SUCH_COLUMN_TAIL}`,
      );
    }
    if (source !== undefined) target[def.name] = source[def.name];
  }
  // Salesforce adds the Id when the list did not ask for it.
  if (!("Id" in picked)) picked.Id = record.Id;
  return picked;
}

function readResponse(context: RouteContext, object: ObjectDef, record: StoredRecord): Response {
  const fields = context.url.searchParams.get("fields");
  if (fields === null) return json(200, recordJson(object, record, context.version));
  const body = selectFields(context, object, record, fields);
  return body instanceof Response ? body : json(200, body);
}

function knownObject(context: RouteContext): ObjectDef | undefined {
  return context.org.schema.object(context.params.object);
}

/** The object and record a `/sobjects/{Object}/{id}` path names, or the error Salesforce answers for the method. */
function recordById(
  context: RouteContext,
): { object: ObjectDef; record: StoredRecord } | { response: Response } {
  const object = knownObject(context);
  if (object === undefined) return { response: notFound() };
  const rawId = context.params.id;
  if (!isSalesforceId(rawId)) {
    return {
      response: fail(
        400,
        "MALFORMED_ID",
        `${object.label} ID: id value of incorrect type: ${rawId}`,
        ["Id"],
      ),
    };
  }
  const id = normalizeId(rawId);
  const record = id.startsWith(object.keyPrefix) ? context.org.store.byId(id) : undefined;
  if (record === undefined) return { response: notFound() };
  if (record.IsDeleted === true) {
    // A read or delete of a record in the recycle bin is a 404; an update is a 400 (§5.6).
    const status = context.request.method === "PATCH" ? 400 : 404;
    return { response: fail(status, "ENTITY_IS_DELETED", "entity is deleted", []) };
  }
  return { object, record };
}

async function create(context: RouteContext): Promise<Response> {
  const object = knownObject(context);
  if (object === undefined) return notFound();
  const body = await readJsonObject(context.request);
  if ("response" in body) return body.response;
  const result = createRecord(context.org.dml(context), object, body.value);
  if ("error" in result) return errorList(result.status, result.error);
  return json(201, { id: result.record.Id, success: true, errors: [] });
}

function getById(context: RouteContext): Response {
  const found = recordById(context);
  return "response" in found ? found.response : readResponse(context, found.object, found.record);
}

async function updateById(context: RouteContext): Promise<Response> {
  const found = recordById(context);
  if ("response" in found) return found.response;
  const body = await readJsonObject(context.request);
  if ("response" in body) return body.response;
  const result = updateRecord(context.org.dml(context), found.object, found.record, body.value);
  return "error" in result ? errorList(result.status, result.error) : noContent();
}

function deleteById(context: RouteContext): Response {
  const found = recordById(context);
  if ("response" in found) return found.response;
  deleteRecord(context.org.dml(context), found.object, found.record);
  return noContent();
}

/** `POST /sobjects/Account/Id` creates (API ≥ 37.0); any other POST on a row is not allowed. */
function postOnRow(context: RouteContext): Promise<Response> | Response {
  if (context.params.id === "Id") return create(context);
  return methodNotAllowed("POST", ["GET", "PATCH", "DELETE"]);
}

/** The external-id field of a `/sobjects/{Object}/{field}/{value}` path, or undefined (404). */
function externalIdField(context: RouteContext, object: ObjectDef): FieldDef | undefined {
  const def = context.org.schema.field(object, context.params.field);
  return def !== undefined && (def.externalId === true || def.name === "Id") ? def : undefined;
}

/** The path's external-id value in the field's type; a malformed Id matches nothing. */
function pathValue(
  context: RouteContext,
  def: FieldDef,
): { value: FieldValue } | { error: RestError } {
  const raw = context.params.value;
  if (def.name === "Id") return { value: isSalesforceId(raw) ? normalizeId(raw) : null };
  return coerceKey(def, raw);
}

/** Live records whose external id equals the path value (none for a value of the wrong type). */
function matchesOf(context: RouteContext, object: ObjectDef, def: FieldDef): StoredRecord[] {
  const parsed = pathValue(context, def);
  if ("error" in parsed || parsed.value === null) return [];
  return context.org.store.find(object, def, parsed.value);
}

function multipleChoices(
  context: RouteContext,
  object: ObjectDef,
  records: StoredRecord[],
): Response {
  // Salesforce answers 300 with the matching records' URLs when an external id is ambiguous.
  return json(300, records.map((r) => recordUrl(object, r.Id, context.version)));
}

/** The one live record `/sobjects/{Object}/{field}/{value}` names, or the 404 or 300 to answer. */
function oneByExternalId(
  context: RouteContext,
): { object: ObjectDef; record: StoredRecord } | Response {
  const object = knownObject(context);
  const def = object && externalIdField(context, object);
  if (object === undefined || def === undefined) return notFound();
  const matches = matchesOf(context, object, def);
  if (matches.length === 0) return notFound();
  if (matches.length > 1) return multipleChoices(context, object, matches);
  return { object, record: matches[0] };
}

function getByExternalId(context: RouteContext): Response {
  const found = oneByExternalId(context);
  return found instanceof Response ? found : readResponse(context, found.object, found.record);
}

function deleteByExternalId(context: RouteContext): Response {
  const found = oneByExternalId(context);
  if (found instanceof Response) return found;
  deleteRecord(context.org.dml(context), found.object, found.record);
  return noContent();
}

async function upsert(context: RouteContext): Promise<Response> {
  const object = knownObject(context);
  const def = object && externalIdField(context, object);
  if (object === undefined || def === undefined) return notFound();
  const body = await readJsonObject(context.request);
  if ("response" in body) return body.response;
  const repeated = Object.keys(body.value).find((key) =>
    key.toLowerCase() === def.name.toLowerCase()
  );
  if (repeated !== undefined) {
    // Code and wording unverified (§5.7); aiosalesforce strips the field to avoid this error.
    return fail(
      400,
      "INVALID_FIELD",
      `The external ID field ${def.name} must not be set in the request body when upserting by ${def.name}`,
      [def.name],
    );
  }
  const parsed = pathValue(context, def);
  if ("error" in parsed) return errorList(400, parsed.error);
  const matches = matchesOf(context, object, def);
  if (matches.length > 1) return multipleChoices(context, object, matches);
  const dml = context.org.dml(context);
  if (matches.length === 1) {
    const result = updateRecord(dml, object, matches[0], body.value);
    if ("error" in result) return errorList(result.status, result.error);
    // Before API 46.0 an upsert that updated answered 204 with no body.
    if (Number.parseFloat(context.version) < 46) return noContent();
    return json(200, { id: result.record.Id, success: true, errors: [], created: false });
  }
  const updateOnly = context.url.searchParams.get("updateOnly") === "true";
  if (def.name === "Id" || updateOnly || parsed.value === null) return notFound();
  const preset = new Map<FieldDef, FieldValue>([[def, parsed.value]]);
  const result = createRecord(dml, object, body.value, preset);
  if ("error" in result) return errorList(result.status, result.error);
  return json(201, { id: result.record.Id, success: true, errors: [], created: true });
}

/** sObject row routes. */
export const sobjectRoutes: Route[] = [
  {
    pattern: "/services/data/:version/sobjects/:object",
    name: "sobjects",
    kind: "data",
    methods: { GET: basicInfo, POST: create },
  },
  {
    pattern: "/services/data/:version/sobjects/:object/:id",
    name: "sobject",
    kind: "data",
    methods: { GET: getById, PATCH: updateById, DELETE: deleteById, POST: postOnRow },
  },
  {
    pattern: "/services/data/:version/sobjects/:object/:field/:value",
    name: "sobjectByExternalId",
    kind: "data",
    methods: { GET: getByExternalId, PATCH: upsert, DELETE: deleteByExternalId },
  },
];
