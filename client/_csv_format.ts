// CSV formatting of single values (RFC 4180, comma, LF): cells, rows of strings, numbers without
// an exponent, dates, and the UTF-8 length of text. salesforce-api.md §8.4 and §8.5 describe the
// dialect; the record encoder and the fake org's result files both write through these.
//
// Quoting rule: a cell is quoted when it contains `,` `"` CR or LF, starts or ends with a space
// or a tab (so no reader, Salesforce included, can trim it), or starts with U+FEFF (so the first
// cell of a file is never mistaken for a byte order mark). Inside quotes `"` is doubled. Empty
// strings, null and undefined are written as an empty unquoted cell.

const ENCODER = new TextEncoder();
const SPACE = 32;
const TAB = 9;
const BOM = 0xfeff;

/** The characters that make a cell need quotes wherever they are. */
const NEEDS_QUOTES = /[",\r\n]/;

function quote(text: string): string {
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/** Returns `text` as one CSV cell, quoted only when needed (see the rule at the top). */
export function formatCsvCell(text: string): string {
  const length = text.length;
  if (length === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(length - 1);
  if (first === SPACE || first === TAB || first === BOM || last === SPACE || last === TAB) {
    return quote(text);
  }
  // One native scan: a regular expression of one character class costs less than four
  // indexOf calls (about 20 against 30 ns a cell) and far less than a charCodeAt loop.
  return NEEDS_QUOTES.test(text) ? quote(text) : text;
}

/** Options of {@linkcode formatCsvRow} and {@linkcode stringifyCsvRows}. */
export interface CsvRowOptions {
  /** Quote every cell, as Salesforce does in result files. @default false */
  quoteAll?: boolean;
  /** Line terminator, matching a job's `lineEnding`. @default "\n" */
  lineEnding?: "\n" | "\r\n";
}

/** Returns one CSV line, terminator included, from cells that are already strings. */
export function formatCsvRow(cells: readonly string[], options: CsvRowOptions = {}): string {
  const format = options.quoteAll ? quote : formatCsvCell;
  let line = "";
  for (let i = 0; i < cells.length; i++) {
    line += i === 0 ? format(cells[i]) : `,${format(cells[i])}`;
  }
  return line + (options.lineEnding ?? "\n");
}

/** Returns CSV text of rows of strings (the first row is usually the header). */
export function stringifyCsvRows(
  rows: Iterable<readonly string[]>,
  options: CsvRowOptions = {},
): string {
  let text = "";
  for (const row of rows) text += formatCsvRow(row, options);
  return text;
}

// Rows between these lengths are counted by encoding them into a scratch buffer: TextEncoder's
// native loop beats a charCodeAt loop by 2x once its call overhead is paid (about 64 chars).
const COUNT_NATIVE_FROM = 64;
const COUNT_NATIVE_UP_TO = 16_384;
const SCRATCH = new Uint8Array(3 * COUNT_NATIVE_UP_TO);

/**
 * Returns the number of bytes `text` takes in UTF-8, as `TextEncoder` would write it (a lone
 * surrogate counts 3, as U+FFFD). Always between `text.length` and `3 * text.length`.
 */
export function utf8ByteLength(text: string): number {
  const length = text.length;
  if (length >= COUNT_NATIVE_FROM && length <= COUNT_NATIVE_UP_TO) {
    return ENCODER.encodeInto(text, SCRATCH).written;
  }
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair is 4 bytes for 2 code units; a lone surrogate becomes U+FFFD (3 bytes).
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      bytes += 2;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

// Expands `1.5e-7` / `1e+21` to plain decimal digits; String() switches to exponent notation
// below 1e-6 and from 1e21 (ECMA-262 Number::toString), and a Bulk upload wants plain digits.
function expandExponent(text: string): string {
  let sign = "";
  if (text.charCodeAt(0) === 45) {
    sign = "-";
    text = text.slice(1);
  }
  const e = text.indexOf("e");
  const exponent = Number(text.slice(e + 1));
  const mantissa = text.slice(0, e);
  const dot = mantissa.indexOf(".");
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  // Exponent form means point >= 22 or point <= -6, and there are at most 17 digits, so the
  // point never falls inside the digits.
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  return sign + digits + "0".repeat(point - digits.length);
}

/** Returns a finite number as decimal text without an exponent (`1e21` → `1000000000000000000000`). */
export function formatCsvNumber(value: number): string {
  const text = String(value);
  if ((value < 1e21 && value > -1e21) && (value >= 1e-6 || value <= -1e-6 || value === 0)) {
    return text;
  }
  return expandExponent(text);
}

/** Returns a valid Date as `2024-03-15T09:30:00.000Z`, like `toISOString` but several times faster. */
export function formatCsvDate(date: Date): string {
  const time = date.getTime();
  // 0000-01-01 .. 9999-12-31: four-digit years; others take toISOString's expanded form.
  if (!(time >= -62167219200000 && time < 253402300800000)) return date.toISOString();
  const days = Math.floor(time / 86_400_000);
  let rest = time - days * 86_400_000;
  const hours = (rest / 3_600_000) | 0;
  rest -= hours * 3_600_000;
  const minutes = (rest / 60_000) | 0;
  rest -= minutes * 60_000;
  const seconds = (rest / 1000) | 0;
  const ms = rest - seconds * 1000;
  // civil_from_days, H. Hinnant, "chrono-Compatible Low-Level Date Algorithms".
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36_524) | 0) - ((doe / 146_096) | 0)) / 365) | 0;
  const doy = doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0));
  const mp = ((5 * doy + 2) / 153) | 0;
  const day = doy - (((153 * mp + 2) / 5) | 0) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return String.fromCharCode(
    48 + ((year / 1000) | 0),
    48 + (((year / 100) | 0) % 10),
    48 + (((year / 10) | 0) % 10),
    48 + (year % 10),
    45,
    48 + ((month / 10) | 0),
    48 + (month % 10),
    45,
    48 + ((day / 10) | 0),
    48 + (day % 10),
    84,
    48 + ((hours / 10) | 0),
    48 + (hours % 10),
    58,
    48 + ((minutes / 10) | 0),
    48 + (minutes % 10),
    58,
    48 + ((seconds / 10) | 0),
    48 + (seconds % 10),
    46,
    48 + ((ms / 100) | 0),
    48 + (((ms / 10) | 0) % 10),
    48 + (ms % 10),
    90,
  );
}
