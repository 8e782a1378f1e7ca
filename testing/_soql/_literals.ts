// Literal helpers shared by the parser and the evaluator: string escapes (salesforce-api.md §6.5),
// LIKE patterns, record ids (§1.3), dates and dateTimes (§1.4, §6.6) and date keywords.

import { SoqlError } from "./soql_error.ts";

/** A bad backslash sequence inside a quoted literal: its offset in the body and the text. */
export interface BadEscape {
  offset: number;
  sequence: string;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  N: "\n",
  r: "\r",
  R: "\r",
  t: "\t",
  T: "\t",
  b: "\b",
  B: "\b",
  f: "\f",
  F: "\f",
  '"': '"',
  "'": "'",
  "\\": "\\",
};

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Walks the body of a quoted literal, calling `emit` with each decoded piece; `wildcard` is true
 * for an unescaped `%` or `_` when `like` is set. `\%` and `\_` are allowed only when `like`.
 * Returns the first bad escape, or undefined.
 */
export function scanStringBody(
  raw: string,
  like: boolean,
  emit: (piece: string, wildcard: boolean) => void,
): BadEscape | undefined {
  const n = raw.length;
  let run = 0; // start of the pending run of plain characters
  let i = 0;
  while (i < n) {
    const c = raw.charCodeAt(i);
    if (c === 92 /* \ */) {
      if (i > run) emit(raw.slice(run, i), false);
      const e = raw[i + 1];
      if (e === undefined) return { offset: i, sequence: "\\" };
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        emit(simple, false);
        i += 2;
      } else if (e === "u") {
        if (
          i + 5 < n && isHex(raw.charCodeAt(i + 2)) && isHex(raw.charCodeAt(i + 3)) &&
          isHex(raw.charCodeAt(i + 4)) && isHex(raw.charCodeAt(i + 5))
        ) {
          emit(String.fromCharCode(parseInt(raw.slice(i + 2, i + 6), 16)), false);
          i += 6;
        } else {
          return { offset: i, sequence: raw.slice(i, Math.min(n, i + 6)) };
        }
      } else if (like && (e === "%" || e === "_")) {
        emit(e, false);
        i += 2;
      } else {
        return { offset: i, sequence: raw.slice(i, i + 2) };
      }
      run = i;
    } else if (like && (c === 37 /* % */ || c === 95 /* _ */)) {
      if (i > run) emit(raw.slice(run, i), false);
      emit(raw[i], true);
      i++;
      run = i;
    } else {
      i++;
    }
  }
  if (n > run) emit(raw.slice(run), false);
  return undefined;
}

/** The description Salesforce-style for a bad escape (wording unverified). */
export function badEscapeDescription(raw: string, bad: BadEscape): string {
  return `Invalid string literal '${raw}'. Illegal character sequence '${bad.sequence}' in string literal.`;
}

/**
 * Decodes the body of a quoted SOQL literal (the text between the quotes) to its value.
 * With `like`, `\%` and `\_` decode to `%` and `_`; otherwise they are errors.
 * Throws SoqlError MALFORMED_QUERY on an invalid escape.
 */
export function unescapeSoqlString(raw: string, options: { like?: boolean } = {}): string {
  let out = "";
  const bad = scanStringBody(raw, options.like ?? false, (piece) => {
    out += piece;
  });
  if (bad !== undefined) {
    const description = badEscapeDescription(raw, bad);
    throw new SoqlError("MALFORMED_QUERY", description, description);
  }
  return out;
}

// Characters with a meaning in a RegExp under the `u` flag; only these may be backslash-escaped.
const REGEXP_SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/** Compiles the body of a LIKE pattern to an anchored, case-insensitive RegExp. */
export function likePatternToRegExp(raw: string): RegExp | BadEscape {
  let source = "^";
  const bad = scanStringBody(raw, true, (piece, wildcard) => {
    if (wildcard) source += piece === "%" ? "[\\s\\S]*" : "[\\s\\S]";
    else source += piece.replace(REGEXP_SYNTAX, "\\$&");
  });
  if (bad !== undefined) return bad;
  return new RegExp(source + "$", "iu");
}

// ---- record ids -------------------------------------------------------------------------

const ID_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * The canonical 15-char form of a 15- or 18-char id literal, or undefined when it is not an id.
 * An 18-char id is case-insensitive: the case of its first 15 chars is restored from the suffix.
 */
export function normalizeIdLiteral(value: string): string | undefined {
  if (value.length !== 15 && value.length !== 18) return undefined;
  for (let i = 0; i < value.length; i++) if (!isAlnum(value.charCodeAt(i))) return undefined;
  if (value.length === 15) return value;
  let out = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    const bits = ID_SUFFIX_ALPHABET.indexOf(value[15 + chunk].toUpperCase());
    if (bits === -1) return undefined;
    for (let j = 0; j < 5; j++) {
      const ch = value[chunk * 5 + j];
      const upper = (bits & (1 << j)) !== 0;
      const letter = ch.toLowerCase() !== ch.toUpperCase();
      if (upper && !letter) return undefined;
      out += upper ? ch.toUpperCase() : ch.toLowerCase();
    }
  }
  return out;
}

// ---- dates and dateTimes ----------------------------------------------------------------

const DAY_MS = 86_400_000;

/** True when `YYYY-MM-DD` names a real calendar day. */
export function isValidDate(text: string): boolean {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  if (m < 1 || m > 12 || d < 1) return false;
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d;
}

/** Epoch milliseconds of a dateTime literal (`Z` or `±hh:mm` offset), or NaN when invalid. */
export function parseDateTimeLiteral(text: string): number {
  if (!isValidDate(text.slice(0, 10))) return NaN;
  const hh = Number(text.slice(11, 13));
  const mm = Number(text.slice(14, 16));
  const ss = Number(text.slice(17, 19));
  if (hh > 23 || mm > 59 || ss > 59) return NaN;
  return Date.parse(text);
}

/** The stored dateTime form of an instant: `YYYY-MM-DDTHH:mm:ss.SSS+0000`. */
export function formatStoredDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23) + "+0000";
}

/** `YYYY-MM-DD` of a day number (days since 1970-01-01, UTC). */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Turns a stored dateTime value into its comparable key (the stored form, UTC, millis);
 * undefined when the value is not a parsable dateTime.
 */
export function dateTimeKey(value: string): string | undefined {
  if (value.length === 28 && value.endsWith("+0000") && value.charCodeAt(10) === 84) return value;
  // Accept other ISO forms too (`Z`, `+hh:mm`, `+hhmm`), in case a record holds one.
  const fixed = value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? undefined : formatStoredDateTime(ms);
}

/** Date keywords without a parameter (`TODAY`); FISCAL forms follow a January fiscal year. */
export const DATE_KEYWORDS: ReadonlySet<string> = new Set([
  "YESTERDAY",
  "TODAY",
  "TOMORROW",
  "LAST_WEEK",
  "THIS_WEEK",
  "NEXT_WEEK",
  "LAST_MONTH",
  "THIS_MONTH",
  "NEXT_MONTH",
  "LAST_90_DAYS",
  "NEXT_90_DAYS",
  "THIS_QUARTER",
  "LAST_QUARTER",
  "NEXT_QUARTER",
  "THIS_YEAR",
  "LAST_YEAR",
  "NEXT_YEAR",
  "THIS_FISCAL_QUARTER",
  "LAST_FISCAL_QUARTER",
  "NEXT_FISCAL_QUARTER",
  "THIS_FISCAL_YEAR",
  "LAST_FISCAL_YEAR",
  "NEXT_FISCAL_YEAR",
]);

/** Date keywords that take `:n` (`LAST_N_DAYS:30`). */
export const DATE_KEYWORDS_N: ReadonlySet<string> = new Set([
  "LAST_N_DAYS",
  "NEXT_N_DAYS",
  "N_DAYS_AGO",
  "LAST_N_WEEKS",
  "NEXT_N_WEEKS",
  "N_WEEKS_AGO",
  "LAST_N_MONTHS",
  "NEXT_N_MONTHS",
  "N_MONTHS_AGO",
  "LAST_N_QUARTERS",
  "NEXT_N_QUARTERS",
  "N_QUARTERS_AGO",
  "LAST_N_YEARS",
  "NEXT_N_YEARS",
  "N_YEARS_AGO",
  "LAST_N_FISCAL_QUARTERS",
  "NEXT_N_FISCAL_QUARTERS",
  "N_FISCAL_QUARTERS_AGO",
  "LAST_N_FISCAL_YEARS",
  "NEXT_N_FISCAL_YEARS",
  "N_FISCAL_YEARS_AGO",
]);

function firstDayOfMonth(monthIndex: number): number {
  const y = Math.floor(monthIndex / 12);
  const m = monthIndex - y * 12;
  return Date.UTC(y, m, 1) / DAY_MS;
}

/**
 * The inclusive day range [first, last] (day numbers, UTC) of a date keyword at `now`.
 * Weeks start on Sunday (en_US); quarters and years are calendar ones. LAST_N_DAYS:n includes
 * today, NEXT_N_DAYS:n starts tomorrow (Salesforce's documented ranges).
 */
export function dateKeywordRange(name: string, n: number, now: Date): [number, number] {
  const today = Math.floor(now.getTime() / DAY_MS);
  const weekStart = today - new Date(today * DAY_MS).getUTCDay();
  const month = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const quarter = Math.floor(month / 3);
  const year = now.getUTCFullYear();
  const months = (a: number, b: number): [number, number] => [
    firstDayOfMonth(a),
    firstDayOfMonth(b + 1) - 1,
  ];
  switch (name.replace("_FISCAL", "")) {
    case "YESTERDAY":
      return [today - 1, today - 1];
    case "TODAY":
      return [today, today];
    case "TOMORROW":
      return [today + 1, today + 1];
    case "LAST_WEEK":
      return [weekStart - 7, weekStart - 1];
    case "THIS_WEEK":
      return [weekStart, weekStart + 6];
    case "NEXT_WEEK":
      return [weekStart + 7, weekStart + 13];
    case "LAST_MONTH":
      return months(month - 1, month - 1);
    case "THIS_MONTH":
      return months(month, month);
    case "NEXT_MONTH":
      return months(month + 1, month + 1);
    case "LAST_90_DAYS":
      return [today - 90, today];
    case "NEXT_90_DAYS":
      return [today + 1, today + 90];
    case "THIS_QUARTER":
      return months(quarter * 3, quarter * 3 + 2);
    case "LAST_QUARTER":
      return months(quarter * 3 - 3, quarter * 3 - 1);
    case "NEXT_QUARTER":
      return months(quarter * 3 + 3, quarter * 3 + 5);
    case "THIS_YEAR":
      return months(year * 12, year * 12 + 11);
    case "LAST_YEAR":
      return months(year * 12 - 12, year * 12 - 1);
    case "NEXT_YEAR":
      return months(year * 12 + 12, year * 12 + 23);
    case "LAST_N_DAYS":
      return [today - n, today];
    case "NEXT_N_DAYS":
      return [today + 1, today + n];
    case "N_DAYS_AGO":
      return [today - n, today - n];
    case "LAST_N_WEEKS":
      return [weekStart - 7 * n, weekStart - 1];
    case "NEXT_N_WEEKS":
      return [weekStart + 7, weekStart + 7 * n + 6];
    case "N_WEEKS_AGO":
      return [weekStart - 7 * n, weekStart - 7 * n + 6];
    case "LAST_N_MONTHS":
      return months(month - n, month - 1);
    case "NEXT_N_MONTHS":
      return months(month + 1, month + n);
    case "N_MONTHS_AGO":
      return months(month - n, month - n);
    case "LAST_N_QUARTERS":
      return months((quarter - n) * 3, quarter * 3 - 1);
    case "NEXT_N_QUARTERS":
      return months(quarter * 3 + 3, (quarter + n) * 3 + 2);
    case "N_QUARTERS_AGO":
      return months((quarter - n) * 3, (quarter - n) * 3 + 2);
    case "LAST_N_YEARS":
      return months((year - n) * 12, year * 12 - 1);
    case "NEXT_N_YEARS":
      return months(year * 12 + 12, (year + n) * 12 + 11);
    case "N_YEARS_AGO":
      return months((year - n) * 12, (year - n) * 12 + 11);
  }
  throw new RangeError(`Unknown date keyword: ${name}`);
}

/** Milliseconds in a day, for turning day ranges into dateTime bounds. */
export const DAY_MILLIS = DAY_MS;
