// The one SOQL value encoder: the soql`` tag, like() and formatSoql(). Escaping follows
// salesforce-api.md §6.5 (string literals) and §6.6 (other literals).

import { received } from "./_validate.ts";

const CONTEXT = "Cannot format SOQL";
const ACCEPTED = "a string, number, bigint, boolean, null, Date or an array of those";
const ACCEPTED_ELEMENT = "a string, number, bigint, boolean, null or Date";

/**
 * A piece of text to match literally inside a SOQL `LIKE` pattern, made by {@linkcode like}.
 * Rendered escaped (`%` → `\%`, `_` → `\_`, plus the usual string escapes) and without quotes,
 * so it goes between the quotes and wildcards of a pattern you write yourself.
 *
 * @example Build a fragment and read it back
 * ```ts
 * import { like, LikeFragment } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const fragment = like("50%_off");
 * assert.ok(fragment instanceof LikeFragment);
 * assert.equal(fragment.fragment, "50%_off");
 * ```
 */
export class LikeFragment {
  /** The text to match literally. */
  readonly fragment: string;

  /**
   * Wraps `fragment`; {@linkcode like} is the shorter way to write this.
   *
   * @param fragment The text to match literally.
   * @throws {TypeError} When `fragment` is not a string.
   */
  constructor(fragment: string) {
    if (typeof fragment !== "string") {
      throw new TypeError(
        `Cannot create LIKE fragment: "fragment" must be a string: received ${describe(fragment)}`,
      );
    }
    this.fragment = fragment;
  }
}

/**
 * Marks text to be matched literally inside a `LIKE` pattern of a {@linkcode soql} template.
 * The fragment is escaped for LIKE (`%` → `\%`, `_` → `\_`, quotes, backslashes and control
 * characters as in any string literal) and rendered **without** quotes, so write the quotes
 * and wildcards yourself: `'%${like(text)}%'`.
 *
 * @param fragment The text to match literally.
 * @returns A marker that {@linkcode soql} and {@linkcode formatSoql} render as an escaped pattern
 * body.
 * @throws {TypeError} When `fragment` is not a string.
 *
 * @example Match names containing a user's text
 * ```ts
 * import { like, soql } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const text = "50%_off";
 * assert.equal(
 *   soql`SELECT Id FROM Account WHERE Name LIKE '%${like(text)}%'`,
 *   String.raw`SELECT Id FROM Account WHERE Name LIKE '%50\%\_off%'`,
 * );
 * ```
 */
export function like(fragment: string): LikeFragment {
  return new LikeFragment(fragment);
}

/**
 * Builds a SOQL query from a template, rendering each substitution as a SOQL literal:
 * strings are quoted and escaped, numbers and bigints written in plain decimal (never with an
 * exponent), booleans as `true`/`false`, `null` and `undefined` as `null`, a `Date` as a UTC
 * dateTime literal with milliseconds (`2024-03-15T09:30:00.000Z`), an array as `(a,b,c)` for
 * `IN`, and a {@linkcode like} fragment as an escaped pattern body without quotes.
 *
 * The template text itself is taken as written (like `String.raw`), so a SOQL escape such as
 * `'O\'Brien'` typed in the template reaches Salesforce unchanged.
 *
 * @param strings The literal parts of the template.
 * @param values The substituted values.
 * @returns The query text.
 * @throws {TypeError} When a value cannot be a SOQL literal (an object, function, symbol, NaN,
 * Infinity, an invalid Date, an empty or nested array, or a like() fragment inside an array). The
 * message names the substitution by position, counting from 1: `"${2}"`.
 * @throws {RangeError} When a Date falls outside the years 0000 to 9999.
 *
 * @example Filter by a name, a list of ids and a date
 * ```ts
 * import { soql } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const name = "O'Brien";
 * const ids = ["001000000000001AAA", "001000000000002AAA"];
 * const date = new Date(Date.UTC(2024, 2, 15, 9, 30));
 * assert.equal(
 *   soql`SELECT Id FROM Account WHERE Name = ${name} AND Id IN ${ids} AND CreatedDate > ${date}`,
 *   "SELECT Id FROM Account WHERE Name = 'O\\'Brien'" +
 *     " AND Id IN ('001000000000001AAA','001000000000002AAA')" +
 *     " AND CreatedDate > 2024-03-15T09:30:00.000Z",
 * );
 * ```
 */
export function soql(strings: TemplateStringsArray, ...values: unknown[]): string {
  if (!Array.isArray(strings?.raw)) {
    throw new TypeError(`${CONTEXT}: soql must be used as a tagged template: soql\`SELECT ...\``);
  }
  let out = strings.raw[0];
  for (let i = 0; i < values.length; i++) {
    out += renderValue(values[i], `\${${i + 1}}`) + strings.raw[i + 1];
  }
  return out;
}

/**
 * Builds a SOQL query from a template with named placeholders, rendering each value as a SOQL
 * literal exactly as {@linkcode soql} does. `{name}` takes `params.name`; `{name:like}` renders
 * a string escaped for a `LIKE` pattern without quotes (as {@linkcode like} does). Names use
 * letters, digits and `_`; write `{{` and `}}` for literal braces. Parameters the template does
 * not use are ignored; a parameter set to `undefined` renders as `null`.
 *
 * @param template The query text with `{name}` and `{name:like}` placeholders.
 * @param params The values, by placeholder name.
 * @returns The query text.
 * @throws {TypeError} When the template has an unmatched brace, a malformed placeholder or an
 * unknown format spec, when a placeholder has no value in `params`, or when a value cannot be a
 * SOQL literal (see {@linkcode soql}). The message names the placeholder: `"{name}"`.
 * @throws {RangeError} When a Date falls outside the years 0000 to 9999.
 *
 * @example Fill named placeholders
 * ```ts
 * import { formatSoql } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const query = formatSoql(
 *   "SELECT Id FROM Account WHERE Name = {name} AND Name LIKE '%{frag:like}' LIMIT {limit}",
 *   { name: "Acme 'East'", frag: "100%", limit: 10 },
 * );
 * assert.equal(
 *   query,
 *   String.raw`SELECT Id FROM Account WHERE Name = 'Acme \'East\'' AND Name LIKE '%100\%' LIMIT 10`,
 * );
 * ```
 */
export function formatSoql(template: string, params: Record<string, unknown>): string {
  if (typeof template !== "string") {
    throw new TypeError(`${CONTEXT}: "template" must be a string: received ${describe(template)}`);
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new TypeError(`${CONTEXT}: "params" must be an object: received ${describe(params)}`);
  }
  let out = "";
  let run = 0; // start of the pending run of plain template text
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "}") {
      if (template[i + 1] !== "}") {
        throw new TypeError(
          `${CONTEXT}: unmatched "}" at offset ${i} of the template: write "}}" for a literal brace`,
        );
      }
      out += template.slice(run, i + 1);
      i += 2;
      run = i;
    } else if (c === "{") {
      if (template[i + 1] === "{") {
        out += template.slice(run, i + 1);
        i += 2;
        run = i;
        continue;
      }
      const close = template.indexOf("}", i);
      if (close === -1) {
        throw new TypeError(
          `${CONTEXT}: unmatched "{" at offset ${i} of the template: write "{{" for a literal brace`,
        );
      }
      const placeholder = template.slice(i, close + 1);
      const match = /^\{([A-Za-z0-9_]+)(?::([^{}]*))?\}$/.exec(placeholder);
      if (match === null) {
        throw new TypeError(
          `${CONTEXT}: invalid placeholder ${
            JSON.stringify(placeholder)
          } at offset ${i} of the template: ` +
            `write "{name}" or "{name:like}" with a name of letters, digits and "_", ` +
            `or "{{" for a literal brace`,
        );
      }
      const [, name, spec] = match;
      if (spec !== undefined && spec !== "like") {
        throw new TypeError(
          `${CONTEXT}: unknown format spec "${spec}" in placeholder "${placeholder}": ` +
            `expected "like" or none`,
        );
      }
      if (!Object.hasOwn(params, name)) {
        throw new TypeError(`${CONTEXT}: no value for placeholder "${placeholder}"`);
      }
      const value = params[name];
      let rendered: string;
      if (spec === "like") {
        if (typeof value === "string") rendered = escapeBody(value, true);
        else if (value instanceof LikeFragment) rendered = escapeBody(value.fragment, true);
        else {
          throw new TypeError(
            `${CONTEXT}: value for "${placeholder}" must be a string: received ${describe(value)}`,
          );
        }
      } else {
        rendered = renderValue(value, placeholder);
      }
      out += template.slice(run, i) + rendered;
      i = close + 1;
      run = i;
    } else {
      i++;
    }
  }
  return out + template.slice(run);
}

/**
 * Quotes and escapes a string as a SOQL string literal (salesforce-api.md §6.5): `\`, `'` and
 * `"` get a backslash; newline, carriage return, tab, backspace and form feed become `\n`,
 * `\r`, `\t`, `\b`, `\f`; other control characters and lone surrogates become `\uXXXX`.
 *
 * @param value The text.
 * @returns The literal, quotes included.
 * @throws {TypeError} When `value` is not a string.
 *
 * @example Quote a name with a quote and a newline in it
 * ```ts
 * import { quoteSoqlString } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quoteSoqlString("O'Brien\nLtd"), String.raw`'O\'Brien\nLtd'`);
 * ```
 */
export function quoteSoqlString(value: string): string {
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot quote SOQL string: "value" must be a string: received ${describe(value)}`,
    );
  }
  return `'${escapeBody(value, false)}'`;
}

// Renders one substituted value; `label` names it in errors: `{name}` or `${2}`.
function renderValue(value: unknown, label: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw new TypeError(
        `${CONTEXT}: value for "${label}" must be a non-empty array ("IN ()" is not valid SOQL): ` +
          `received an empty array`,
      );
    }
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (Array.isArray(element) || element instanceof LikeFragment) {
        throw new TypeError(
          `${CONTEXT}: value for "${label}[${i}]" must be ${ACCEPTED_ELEMENT}: ` +
            `received ${describe(element)}`,
        );
      }
      parts.push(renderScalar(element, `${label}[${i}]`, ACCEPTED_ELEMENT));
    }
    return `(${parts.join(",")})`;
  }
  if (value instanceof LikeFragment) return escapeBody(value.fragment, true);
  return renderScalar(value, label, ACCEPTED);
}

function renderScalar(value: unknown, label: string, accepted: string): string {
  switch (typeof value) {
    case "string":
      return `'${escapeBody(value, false)}'`;
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `${CONTEXT}: value for "${label}" must be a finite number: received ${value}`,
        );
      }
      return plainDecimal(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "null";
  }
  if (value === null) return "null";
  if (value instanceof Date) return dateTimeLiteral(value, label);
  throw new TypeError(
    `${CONTEXT}: value for "${label}" must be ${accepted}: received ${describe(value)}`,
  );
}

function dateTimeLiteral(date: Date, label: string): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) {
    throw new TypeError(
      `${CONTEXT}: value for "${label}" must be a valid Date: received an invalid Date`,
    );
  }
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) {
    // toISOString writes such years with six digits and a sign, which no SOQL literal accepts.
    throw new RangeError(
      `${CONTEXT}: value for "${label}" must be a Date in the years 0000 to 9999: ` +
        `received ${date.toISOString()}`,
    );
  }
  return date.toISOString();
}

// Number#toString switches to exponent form below 1e-6 and from 1e21; SOQL's exponent support
// is unverified (salesforce-api.md §6.6), so expand the same shortest digits in plain decimal.
function plainDecimal(value: number): string {
  const text = String(value); // -0 becomes "0"
  const e = text.indexOf("e");
  if (e === -1) return text;
  const negative = text.startsWith("-");
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const digits = mantissa.replace(".", "");
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  let plain: string;
  if (point <= 0) plain = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + "0".repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}

const ESCAPES: Record<number, string> = {
  0x5c: "\\\\",
  0x27: "\\'",
  0x22: '\\"',
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x08: "\\b",
  0x0c: "\\f",
};

// Escapes the body of a quoted literal; with `like`, also `%` and `_` (LIKE wildcards). One pass
// over the text, so each character is escaped exactly once (the same result as Python's ordered
// replacements, which start with the backslash).
function escapeBody(value: string, like: boolean): string {
  let out = "";
  let run = 0; // start of the pending run of characters that need no escape
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let escape = ESCAPES[c];
    if (escape === undefined) {
      if (like && (c === 0x25 /* % */ || c === 0x5f /* _ */)) {
        escape = `\\${value[i]}`;
      } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        // Other control characters: readable in logs, and §6.5 accepts \uXXXX.
        escape = unicodeEscape(c);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = value.charCodeAt(i + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          i++; // a well-formed surrogate pair stays as it is
          continue;
        }
        // A lone surrogate cannot be sent as UTF-8 (encodeURIComponent throws on it).
        escape = unicodeEscape(c);
      } else {
        continue;
      }
    }
    out += value.slice(run, i) + escape;
    run = i + 1;
  }
  return out + value.slice(run);
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

// Describes a rejected value for an error message without printing objects (they may hold
// secrets) or long text.
function describe(value: unknown): string {
  if (typeof value === "symbol") return "a symbol";
  if (value instanceof LikeFragment) return "a like() fragment";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "an invalid Date" : "a Date";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : `the number ${value}`;
  if (typeof value === "bigint") return `the bigint ${value}`;
  if (typeof value === "boolean") return `the boolean ${value}`;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    if (typeof name === "string" && name !== "" && name !== "Object") {
      return `an instance of ${name}`;
    }
  }
  return received(value);
}
