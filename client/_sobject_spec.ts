// What each single-record sObject operation sends: method, path below the API
// root and body, with every name, id and field checked and encoded so no value
// can steer the call to another endpoint. sf.sobject sends these as they are;
// composite builders turn them into subrequests (with their own body encoding
// and, inside a composite request, references allowed in place of ids).

import {
  checkApiName,
  checkFieldPath,
  checkRecordId,
  encodeExternalId,
  isPlainObject,
  received,
  toArray,
  withoutExternalId,
} from "./_validate.ts";

/** One sObject call, before it is sent or added to a composite builder. */
export interface SObjectSpec<B> {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Below the API root, e.g. `sobjects/Account/001...`. */
  path: string;
  /** The encoded record data, for calls that send some. */
  body?: B;
  /** Stem of a composite reference id: `Account_create`. */
  name: string;
}

/** How the caller sends specs: its body encoding, and what it accepts in place of an id. */
export interface SpecRules<B> {
  /** Encodes record data, or throws a TypeError naming `"data"` in `context`. */
  encode(context: string, data: unknown): B;
  /** True for a value taken as an id without checks (a composite reference). */
  isReference?(value: unknown): value is string;
}

/** JSON text of an object body; a value that is not an object, JSON text or bytes is refused. */
export function objectJson(context: string, data: unknown): string {
  if (!isPlainObject(data)) {
    throw new TypeError(
      `${context}: "data" must be an object, a JSON string or a Uint8Array: received ${
        received(data)
      }`,
    );
  }
  return JSON.stringify(data);
}

/** A record id, or what the rules accept in its place. */
function recordId<B>(context: string, id: unknown, rules: SpecRules<B>): string {
  return rules.isReference?.(id) ? id : checkRecordId(context, "id", id);
}

/** `sobjects/<name>/<id>`, or `sobjects/<name>/<field>/<external id>` with an external id field. */
function recordPath<B>(
  context: string,
  name: string,
  id: unknown,
  externalIdField: unknown,
  rules: SpecRules<B>,
): string {
  if (externalIdField === undefined) return `sobjects/${name}/${recordId(context, id, rules)}`;
  const field = checkApiName(context, "externalIdField", externalIdField);
  const value = rules.isReference?.(id) ? id : encodeExternalId(context, "id", id);
  return `sobjects/${name}/${field}/${value}`;
}

export function createSpec<B>(
  sobject: unknown,
  data: unknown,
  rules: SpecRules<B>,
): SObjectSpec<B> {
  const context = "Cannot create record";
  const name = checkApiName(context, "sobject", sobject);
  return {
    method: "POST",
    path: `sobjects/${name}`,
    body: rules.encode(context, data),
    name: `${name}_create`,
  };
}

export function getSpec<B>(
  sobject: unknown,
  id: unknown,
  options: { externalIdField?: string; fields?: Iterable<string> },
  rules: SpecRules<B>,
): SObjectSpec<B> {
  const context = "Cannot get record";
  const name = checkApiName(context, "sobject", sobject);
  const path = recordPath(context, name, id, options.externalIdField, rules);
  let query = "";
  if (options.fields !== undefined) {
    // toArray refuses a string, which would otherwise spread into its letters.
    const fields = toArray(context, "fields", options.fields).map((field, i) =>
      checkFieldPath(context, `fields[${i}]`, field)
    );
    if (fields.length > 0) query = `?fields=${fields.join(",")}`;
  }
  return { method: "GET", path: `${path}${query}`, name: `${name}_get` };
}

export function updateSpec<B>(
  sobject: unknown,
  id: unknown,
  data: unknown,
  rules: SpecRules<B>,
): SObjectSpec<B> {
  const context = "Cannot update record";
  const name = checkApiName(context, "sobject", sobject);
  return {
    method: "PATCH",
    path: `sobjects/${name}/${recordId(context, id, rules)}`,
    body: rules.encode(context, data),
    name: `${name}_update`,
  };
}

export function deleteSpec<B>(
  sobject: unknown,
  id: unknown,
  options: { externalIdField?: string },
  rules: SpecRules<B>,
): SObjectSpec<B> {
  const context = "Cannot delete record";
  const name = checkApiName(context, "sobject", sobject);
  const path = recordPath(context, name, id, options.externalIdField, rules);
  return { method: "DELETE", path, name: `${name}_delete` };
}

/**
 * An upsert by external id. With `validate` (the default), an object body's
 * external id field is dropped when it equals `id` and refused when it differs;
 * the caller's object is never changed.
 */
export function upsertSpec<B>(
  sobject: unknown,
  id: unknown,
  externalIdField: unknown,
  data: unknown,
  options: { validate?: boolean },
  rules: SpecRules<B>,
): SObjectSpec<B> {
  const context = "Cannot upsert record";
  const name = checkApiName(context, "sobject", sobject);
  const field = checkApiName(context, "externalIdField", externalIdField);
  const path = recordPath(context, name, id, field, rules);
  const payload = options.validate !== false && isPlainObject(data)
    ? withoutExternalId(context, data, field, String(id))
    : data;
  return { method: "PATCH", path, body: rules.encode(context, payload), name: `${name}_upsert` };
}

export function describeSpec<B>(sobject: unknown): SObjectSpec<B> {
  const name = checkApiName("Cannot describe sObject", "sobject", sobject);
  return { method: "GET", path: `sobjects/${name}/describe`, name: `${name}_describe` };
}
