import { isSalesforceId } from "./_ids.ts";

// Argument checks shared by the client's constructors and methods. Each throws a
// TypeError or RangeError whose message names the argument and the accepted form.

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Quotes a received value for a message without dumping large or nested values. */
export function received(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return String(value);
  }
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  return typeof value === "symbol" ? "a symbol" : `an ${typeof value}`;
}

/** A JSON-style object: not null, not an array, not bytes. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array);
}

/**
 * Parses a base URL and keeps its origin. `https://` is required, except on
 * loopback hosts where `http://` is allowed for tests and the fake org.
 */
export function checkBaseUrl(context: string, value: unknown): string {
  const accepted = `an https:// URL, or http:// on localhost, 127.0.0.1 or [::1]`;
  let url: URL;
  try {
    if (typeof value !== "string" && !(value instanceof URL)) throw new TypeError();
    url = new URL(value);
  } catch {
    // Not echoed when it may hold a user name and password (`https://user:pass@…`).
    const shown = typeof value === "string" && value.includes("@")
      ? "a URL that does not parse (not shown: it may hold a password)"
      : received(value);
    throw new TypeError(`${context}: "baseUrl" must be ${accepted}: received ${shown}`);
  }
  if (url.username !== "" || url.password !== "") {
    // Never echo the URL: its userinfo may hold a password.
    throw new TypeError(`${context}: "baseUrl" must not contain a user name or password`);
  }
  const secure = url.protocol === "https:";
  const loopback = url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (!secure && !loopback) {
    throw new TypeError(
      `${context}: "baseUrl" must be ${accepted}: received ${received(url.origin)}`,
    );
  }
  if (LOGIN_HOSTS.has(url.hostname.toLowerCase())) {
    // Requests would go to the login host, which serves no data: every call would fail.
    throw new TypeError(
      `${context}: "baseUrl" must be your org's own URL, such as https://acme.my.salesforce.com (its My Domain), not a login host: received ${
        received(url.origin)
      }`,
    );
  }
  return url.origin;
}

/** Hosts that log users in but serve no org's data. */
const LOGIN_HOSTS = new Set(["login.salesforce.com", "test.salesforce.com"]);

/** Normalises an API version: "64", "64.", "64.0", "v64.0" and 64 all become "64.0". */
export function checkVersion(context: string, value: unknown): string {
  const text = typeof value === "number" ? String(value) : value;
  const match = typeof text === "string" ? /^v?(\d{1,3})(?:\.0?)?$/.exec(text.trim()) : null;
  if (match === null || Number(match[1]) < 20) {
    throw new TypeError(
      `${context}: "version" must look like "64.0", "64" or "v64.0": received ${received(value)}`,
    );
  }
  return `${Number(match[1])}.0`;
}

/** Checks an integer option within [min, max]. */
export function checkInteger(
  context: string,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    const error = typeof value === "number" ? RangeError : TypeError;
    throw new error(
      `${context}: "${name}" must be an integer ${range}: received ${received(value)}`,
    );
  }
  return value;
}

/** Checks a duration in milliseconds: a finite number > 0 (or >= 0 when `allowZero`). */
export function checkDuration(
  context: string,
  name: string,
  value: unknown,
  allowZero = false,
): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (allowZero ? value >= 0 : value > 0);
  if (!ok) {
    const error = typeof value === "number" ? RangeError : TypeError;
    throw new error(
      `${context}: "${name}" must be a number of milliseconds ${
        allowZero ? ">= 0" : "> 0"
      }: received ${received(value)}`,
    );
  }
  return value as number;
}

/** Checks an optional boolean option; undefined counts as false. */
export function checkBoolean(context: string, name: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(`${context}: "${name}" must be a boolean: received ${received(value)}`);
  }
  return value === true;
}

/** Checks an optional `signal` option: an AbortSignal or undefined. */
export function checkSignal(context: string, signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `${context}: "signal" must be an AbortSignal: received ${received(signal)}`,
    );
  }
  return signal;
}

/** Checks that the options argument is an object. */
export function checkOptions(context: string, options: unknown): Record<string, unknown> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${context}: "options" must be an object: received ${received(options)}`);
  }
  return options as Record<string, unknown>;
}

/**
 * An options argument: `{}` when omitted, the object itself when it is one; a TypeError
 * naming `options` otherwise (`null` included: `= {}` defaults only replace `undefined`).
 */
export function optionsOf<T extends object>(context: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  return checkOptions(context, options) as T;
}

/** Copies an iterable object (an array, a Set, a generator...) into an array. */
export function toArray<T>(context: string, name: string, values: Iterable<T>): T[] {
  if (
    typeof values !== "object" || values === null ||
    typeof (values as Iterable<T>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(`${context}: "${name}" must be an array: received ${received(values)}`);
  }
  return Array.from(values);
}

/** Checks that a value is a function. */
export function checkFunction<T>(context: string, name: string, value: T): T {
  if (typeof value !== "function") {
    throw new TypeError(`${context}: "${name}" must be a function: received ${received(value)}`);
  }
  return value;
}

/** Checks that a value is a string `valid` accepts; `accepted` describes the form. */
function checkString(
  context: string,
  name: string,
  value: unknown,
  valid: (text: string) => boolean,
  accepted: string,
): string {
  if (typeof value !== "string" || !valid(value)) {
    throw new TypeError(`${context}: "${name}" must be ${accepted}: received ${received(value)}`);
  }
  return value;
}

const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79}){0,4}$/;

/**
 * Checks an sObject or field API name (`Account`, `ns__Invoice__c`): letters,
 * digits and underscores starting with a letter, so it is always one safe path segment.
 */
export function checkApiName(context: string, name: string, value: unknown): string {
  return checkString(
    context,
    name,
    value,
    (text) => API_NAME.test(text),
    `an API name such as "Account" or "Invoice__c"`,
  );
}

/** Checks a field path for `fields` lists: an API name, or a relationship path such as `Owner.Name`. */
export function checkFieldPath(context: string, name: string, value: unknown): string {
  return checkString(
    context,
    name,
    value,
    (text) => FIELD_PATH.test(text),
    `a field name such as "Name" or "Owner.Name"`,
  );
}

/** Checks a record id: 15 base-62 characters, or 18 with a valid checksum. */
export function checkRecordId(context: string, name: string, value: unknown): string {
  return checkString(context, name, value, isSalesforceId, "a 15- or 18-character record id");
}

/** Checks a SOQL query argument: a string that is not blank. */
export function checkSoql(context: string, value: unknown): string {
  return checkString(context, "soql", value, (text) => text.trim() !== "", "a non-empty string");
}

/**
 * Checks an external id value and encodes it as one path segment. `.` and `..`
 * are refused: URL parsers resolve them (even encoded) as dot segments.
 */
export function encodeExternalId(context: string, name: string, value: unknown): string {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== "string" || text === "" || text === "." || text === "..") {
    throw new TypeError(
      `${context}: "${name}" must be a non-empty string other than "." and "..": received ${
        received(value)
      }`,
    );
  }
  try {
    return encodeURIComponent(text);
  } catch {
    // A lone surrogate has no UTF-8 form (URIError).
    throw new TypeError(
      `${context}: "${name}" must be well-formed Unicode text: received ${received(value)}`,
    );
  }
}

/** A copy of `data` without the external id field when it equals `id`; refuses a different value. */
export function withoutExternalId(
  context: string,
  data: Record<string, unknown>,
  field: string,
  id: string,
): Record<string, unknown> {
  const lower = field.toLowerCase();
  const key = Object.keys(data).find((name) => name.toLowerCase() === lower);
  if (key === undefined) return data;
  if (String(data[key]) !== String(id)) {
    throw new TypeError(
      `${context}: "data.${key}" must equal "id" or be left out: received ${
        received(data[key])
      } for id ${received(id)}`,
    );
  }
  const copy = { ...data };
  delete copy[key];
  return copy;
}

/** Decodes percent-escapes for the dot-segment check; text that won't decode is kept as it is. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** What an Apex REST path lacks ("without ..."), or undefined when it is acceptable. */
function apexPathProblem(path: string): string | undefined {
  if (/[?#]/.test(path)) return `without "?" or "#" (pass query parameters in "params")`;
  if (path.includes("\\")) return "without backslashes";
  if (path.startsWith("//") || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) {
    return "without a scheme or host";
  }
  const segments = path.replace(/^\//, "").split("/");
  if (segments.length === 1 && segments[0] === "") return "that is not empty";
  for (const [i, segment] of segments.entries()) {
    // A trailing slash is kept (a URL mapping may end with one); other empty segments are refused.
    if (segment === "" && i !== segments.length - 1) return `without empty segments ("//")`;
    const text = decoded(segment);
    if (text === "." || text === "..") return `without "." or ".." segments, even percent-encoded`;
  }
  return undefined;
}

/**
 * Checks a path below `/services/apexrest/` and encodes each segment. Segments
 * are literal text, so `%` and spaces are encoded rather than taken as escapes;
 * anything that could leave the Apex REST root (dot segments, a scheme or host,
 * backslashes) or smuggle in a query string is refused.
 */
export function encodeApexPath(context: string, value: unknown): string {
  const accepted = `a path below /services/apexrest such as "MyService/items"`;
  if (typeof value !== "string") {
    throw new TypeError(`${context}: "path" must be ${accepted}: received ${received(value)}`);
  }
  const problem = apexPathProblem(value);
  if (problem !== undefined) {
    throw new TypeError(
      `${context}: "path" must be ${accepted} ${problem}: received ${received(value)}`,
    );
  }
  try {
    return value.replace(/^\//, "").split("/").map(encodeURIComponent).join("/");
  } catch {
    // encodeURIComponent refuses lone surrogates.
    throw new TypeError(
      `${context}: "path" must be well-formed Unicode text: received ${received(value)}`,
    );
  }
}
