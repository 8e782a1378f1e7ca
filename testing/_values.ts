// Field values on the way in: JSON (or seed) values coerced to what the store keeps,
// with the error Salesforce reports for each kind of bad value.

import { isSalesforceId, normalizeId } from "../client/_ids.ts";
import type { FieldDef } from "./_schema.ts";
import { formatStoredDateTime, isValidDate } from "./_soql/_literals.ts";

/** A stored field value. */
export type FieldValue = string | number | boolean | null;

/** One error as a REST error list holds it (keys in Salesforce's order). */
export type RestError = Record<string, unknown> & { errorCode: string; message: string };

/** Key order as captured: NOT_FOUND, METHOD_NOT_ALLOWED and ENTITY_IS_DELETED put errorCode first. */
const CODE_FIRST = new Set(["NOT_FOUND", "METHOD_NOT_ALLOWED", "ENTITY_IS_DELETED"]);

/** Builds one REST error entry; `fields` is emitted only when given. */
export function restError(errorCode: string, message: string, fields?: string[]): RestError {
  const entry: RestError = CODE_FIRST.has(errorCode)
    ? { errorCode, message }
    : { message, errorCode };
  if (fields !== undefined) entry.fields = fields;
  return entry;
}

const dateTimeCache = { ms: NaN, text: "" };

/** `2024-03-15T09:30:00.000+0000`, the REST dateTime form. */
export function formatDateTime(ms: number): string {
  // Seeding a million records at one clock value formats the same instant again and again.
  if (ms !== dateTimeCache.ms) {
    dateTimeCache.ms = ms;
    dateTimeCache.text = formatStoredDateTime(ms);
  }
  return dateTimeCache.text;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/;

/** `YYYY-MM-DD` or undefined. */
export function parseDate(text: string): string | undefined {
  return DATE.test(text) && isValidDate(text) ? text : undefined;
}

/** Epoch ms of an ISO 8601 dateTime (offset optional, UTC when absent) or undefined. */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null || !isValidDate(text.slice(0, 10))) return undefined;
  if (+m[4] > 23 || +m[5] > 59 || +(m[6] ?? 0) > 59) return undefined;
  const millis = Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3));
  let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0), millis);
  const zone = m[8];
  if (zone !== undefined && zone !== "Z") {
    const digits = zone.replace(":", "");
    const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
    ms -= (digits[0] === "-" ? -1 : 1) * minutes * 60_000;
  }
  return ms;
}

function parseTime(text: string): string | undefined {
  const m = TIME.exec(text);
  if (m === null || +m[1] > 23 || +m[2] > 59 || +(m[3] ?? 0) > 59) return undefined;
  return `${m[1]}:${m[2]}:${m[3] ?? "00"}.${(m[4] ?? "0").padEnd(3, "0")}Z`;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function jacksonToken(value: unknown): string {
  if (typeof value === "string") return "VALUE_STRING";
  if (typeof value === "boolean") return value ? "VALUE_TRUE" : "VALUE_FALSE";
  if (typeof value === "number") {
    return Number.isInteger(value) ? "VALUE_NUMBER_INT" : "VALUE_NUMBER_FLOAT";
  }
  return Array.isArray(value) ? "START_ARRAY" : "START_OBJECT";
}

function cannotDeserialize(type: string, value: unknown): RestError {
  const shown = typeof value === "object" ? (Array.isArray(value) ? "[" : "{") : String(value);
  return restError(
    "JSON_PARSER_ERROR",
    `Cannot deserialize instance of ${type} from ${
      jacksonToken(value)
    } value ${shown} or request may be missing a required field`,
  );
}

function label(def: FieldDef): string {
  return def.label ?? def.name;
}

/** What a coercion needs from the org: the key prefixes a reference field accepts. */
export interface CoercionContext {
  /** Key prefixes of the objects a reference field points to. */
  prefixesOf(def: FieldDef): string[];
}

/**
 * Coerces one incoming value for `def`. Returns `{ value }` or `{ error }`.
 * `Date` objects are accepted for date and dateTime fields (seeding only; JSON has none).
 */
export function coerceValue(
  def: FieldDef,
  raw: unknown,
  context: CoercionContext,
): { value: FieldValue } | { error: RestError } {
  if (raw === null) return { value: def.type === "boolean" ? false : null };
  switch (def.type) {
    case "id":
    case "reference": {
      if (typeof raw !== "string") return { error: cannotDeserialize("id", raw) };
      if (raw === "") return { value: null };
      if (!isSalesforceId(raw)) {
        return {
          error: restError("MALFORMED_ID", `${label(def)}: id value of incorrect type: ${raw}`, [
            def.name,
          ]),
        };
      }
      const id = normalizeId(raw);
      if (def.type === "reference" && !context.prefixesOf(def).includes(id.slice(0, 3))) {
        return {
          error: restError(
            "FIELD_INTEGRITY_EXCEPTION",
            `${label(def)}: id value of incorrect type: ${id}`,
            [def.name],
          ),
        };
      }
      return { value: id };
    }
    case "boolean":
      if (typeof raw === "boolean") return { value: raw };
      if (raw === "true" || raw === "false") return { value: raw === "true" };
      return { error: cannotDeserialize("boolean", raw) };
    case "int":
    case "double":
    case "currency":
    case "percent": {
      const n = typeof raw === "number"
        ? raw
        : typeof raw === "string" && raw.trim() !== ""
        ? Number(raw)
        : NaN;
      if (!Number.isFinite(n) || (def.type === "int" && !Number.isInteger(n))) {
        return { error: cannotDeserialize(def.type === "int" ? "int" : "double", raw) };
      }
      return { value: n };
    }
    case "date": {
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) {
        return { value: raw.toISOString().slice(0, 10) };
      }
      const text = typeof raw === "string" ? parseDate(raw) : undefined;
      return text === undefined ? { error: cannotDeserialize("date", raw) } : { value: text };
    }
    case "datetime": {
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) {
        return { value: formatDateTime(raw.getTime()) };
      }
      const ms = typeof raw === "string" ? parseDateTime(raw) : undefined;
      return ms === undefined
        ? { error: cannotDeserialize("datetime", raw) }
        : { value: formatDateTime(ms) };
    }
    case "time": {
      const text = typeof raw === "string" ? parseTime(raw) : undefined;
      return text === undefined ? { error: cannotDeserialize("time", raw) } : { value: text };
    }
    default: {
      // Text types. Jackson turns numbers and booleans into their text; Salesforce stores "" as null.
      if (typeof raw === "object" || raw === undefined) {
        return { error: cannotDeserialize("string", raw) };
      }
      const text = String(raw);
      if (text === "") return { value: null };
      if (def.length !== undefined && text.length > def.length) {
        return {
          error: restError(
            "STRING_TOO_LONG",
            `${label(def)}: data value too large: ${text.slice(0, 80)} (max length=${def.length})`,
            [def.name],
          ),
        };
      }
      if (def.type === "email" && !EMAIL.test(text)) {
        return {
          error: restError(
            "INVALID_EMAIL_ADDRESS",
            `${label(def)}: invalid email address: ${text}`,
            [
              def.name,
            ],
          ),
        };
      }
      return { value: text };
    }
  }
}
