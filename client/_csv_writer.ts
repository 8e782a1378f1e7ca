// The one CSV writer (RFC 4180, comma, LF): Bulk API 2.0 uploads from records, and rows of
// strings for the fake org's result files. salesforce-api.md §8.4 and §8.5 describe the dialect.
//
// Quoting rule: a cell is quoted when it contains `,` `"` CR or LF, starts or ends with a space
// or a tab (so no reader, Salesforce included, can trim it), or starts with U+FEFF (so the first
// cell of a file is never mistaken for a byte order mark). Inside quotes `"` is doubled. Empty
// strings, null and undefined are written as an empty unquoted cell.

/** The values a record may hold in a cell; a plain object is a relationship (one level). */
export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

/** Bytes per chunk produced by {@linkcode CsvChunker} unless told otherwise. */
export const CSV_CHUNK_SIZE = 65_536;

const ENCODER = new TextEncoder();
const SPACE = 32;
const TAB = 9;
const BOM = 0xfeff;

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
  // indexOf runs in native code: several times faster than a charCodeAt loop here.
  if (
    text.indexOf(",") !== -1 || text.indexOf('"') !== -1 || text.indexOf("\n") !== -1 ||
    text.indexOf("\r") !== -1
  ) {
    return quote(text);
  }
  return text;
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

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "an invalid Date";
  if (typeof value === "number") return String(value);
  if (typeof value === "object") {
    const name = isPlainObject(value) ? undefined : value.constructor?.name;
    return name ? `an instance of ${name}` : "an object";
  }
  return `a ${typeof value}`;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((name) => JSON.stringify(name)).join(", ");
  return names.length > 10 ? `${shown}, ...` : shown;
}

/**
 * Returns the columns of `record` in key order: a plain-object value is a relationship and
 * becomes `Rel.Field` columns, and a custom relationship key ending in `__c` is written `__r`
 * (`{ Parent__c: { ExtId__c: "x" } }` → `Parent__r.ExtId__c`). Keys holding undefined are skipped.
 */
export function inferColumns(record: object): string[] {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new TypeError(
      `Cannot infer CSV columns: "record" must be a plain object: received ${describe(record)}`,
    );
  }
  const columns: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (typeof value === "object" && value !== null && isPlainObject(value)) {
      const relationship = key.endsWith("__c") ? `${key.slice(0, -3)}__r` : key;
      for (const [field, inner] of Object.entries(value)) {
        if (inner !== undefined) columns.push(`${relationship}.${field}`);
      }
    } else {
      columns.push(key);
    }
  }
  return columns;
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

interface KeySpec {
  /** Column index when the key is a column by itself, else -1. */
  column: number;
  /** Field name → column index when the key is a relationship (`Rel.Field` columns). */
  fields: Map<string, number> | undefined;
}

// One entry per distinct top-level key the columns read, for the fast path.
interface PlanEntry {
  key: string;
  column: number;
  fieldNames: string[];
  fieldColumns: number[];
}

function isRelationship(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Date) &&
    isPlainObject(value);
}

function countDefined(values: Record<string, unknown>): number {
  let count = 0;
  for (const key in values) {
    if (values[key] !== undefined) count++;
  }
  return count;
}

/**
 * Turns records into CSV rows for a fixed column list, one row at a time, so a caller can
 * measure each row before deciding which upload it goes into.
 */
export class CsvRecordEncoder {
  /** The column list, in output order. */
  readonly columns: readonly string[];
  #keys = new Map<string, KeySpec>();
  #plan: PlanEntry[] = [];
  /** Whether some key is also an Object.prototype member, which the fast paths cannot tell apart. */
  #exactOnly = false;
  #slots: unknown[];
  #header: string;

  /**
   * @param columns Column names: field API names, `Rel.Field` for a relationship by external id.
   * @throws {TypeError} When `columns` is empty, holds a non-string or empty name, or a duplicate.
   */
  constructor(columns: readonly string[]) {
    if (!Array.isArray(columns) || columns.length === 0) {
      throw new TypeError(
        `Cannot create CsvRecordEncoder: "columns" must be a non-empty array of field names: received ${
          Array.isArray(columns) ? "an empty array" : describe(columns)
        }`,
      );
    }
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i];
      if (typeof column !== "string" || column === "") {
        throw new TypeError(
          `Cannot create CsvRecordEncoder: "columns" must hold non-empty strings: received ${
            typeof column === "string" ? '""' : describe(column)
          } at index ${i}`,
        );
      }
      const spec = this.#spec(column);
      if (spec.column !== -1) {
        throw new TypeError(
          `Cannot create CsvRecordEncoder: "columns" must not repeat a name: received ${
            JSON.stringify(column)
          } twice`,
        );
      }
      spec.column = i;
      const dot = column.indexOf(".");
      if (dot > 0 && dot < column.length - 1) {
        const relationship = column.slice(0, dot);
        const field = column.slice(dot + 1);
        this.#relationship(relationship).set(field, i);
        // Records may key a custom relationship by its field name (`Parent__c: { ... }`).
        if (relationship.endsWith("__r")) {
          this.#relationship(`${relationship.slice(0, -3)}__c`).set(field, i);
        }
      }
    }
    for (const [key, spec] of this.#keys) {
      if (key in Object.prototype) this.#exactOnly = true;
      this.#plan.push({
        key,
        column: spec.column,
        fieldNames: [...(spec.fields?.keys() ?? [])],
        fieldColumns: [...(spec.fields?.values() ?? [])],
      });
    }
    this.columns = Object.freeze([...columns]);
    this.#slots = new Array(columns.length).fill(undefined);
    this.#header = formatCsvRow(this.columns);
  }

  #spec(key: string): KeySpec {
    let spec = this.#keys.get(key);
    if (spec === undefined) {
      spec = { column: -1, fields: undefined };
      this.#keys.set(key, spec);
    }
    return spec;
  }

  #relationship(key: string): Map<string, number> {
    const spec = this.#spec(key);
    spec.fields ??= new Map();
    return spec.fields;
  }

  /** Returns the header line, LF included. */
  headerText(): string {
    return this.#header;
  }

  /** Returns the header line as UTF-8 bytes, LF included. */
  header(): Uint8Array {
    return ENCODER.encode(this.#header);
  }

  /**
   * Returns one CSV row for `record`, LF included.
   * @param index The record's position in the caller's input, named in errors.
   * @throws {TypeError} When a field is not in the column list or holds an unsupported value.
   */
  encodeText(record: object, index: number): string {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new TypeError(
        `Cannot write CSV record at index ${index}: expected an object: received ${
          describe(record)
        }`,
      );
    }
    const values = record as Record<string, unknown>;
    if (this.#exactOnly || !this.#fastFill(values)) this.#exactFill(values, index);
    const slots = this.#slots;
    let line = this.#cell(slots[0], 0, index);
    for (let i = 1; i < slots.length; i++) line += `,${this.#cell(slots[i], i, index)}`;
    return `${line}\n`;
  }

  /**
   * Returns one CSV row for `record` as UTF-8 bytes, LF included.
   * @throws {TypeError} As {@linkcode CsvRecordEncoder.encodeText}.
   */
  encode(record: object, index: number): Uint8Array {
    return ENCODER.encode(this.encodeText(record, index));
  }

  // Reads the columns' keys straight from the record, then checks that the record has no other
  // key by counting: cheaper than looking up each of its keys. False means "ask #exactFill".
  #fastFill(values: Record<string, unknown>): boolean {
    const slots = this.#slots;
    const plan = this.#plan;
    // A loop, not slots.fill(): fill() costs more than the whole rest of a small row.
    for (let i = 0; i < slots.length; i++) slots[i] = undefined;
    let found = 0;
    for (let p = 0; p < plan.length; p++) {
      const entry = plan[p];
      const value = values[entry.key];
      const names = entry.fieldNames;
      if (value === undefined) continue;
      found++;
      if (names.length > 0 && isRelationship(value)) {
        let foundInner = 0;
        for (let f = 0; f < names.length; f++) {
          const inner = value[names[f]];
          if (inner === undefined) continue;
          foundInner++;
          slots[entry.fieldColumns[f]] = inner;
        }
        if (foundInner !== countDefined(value)) return false;
      } else if (entry.column !== -1) {
        slots[entry.column] = value;
      } else if (value !== null) {
        return false; // a scalar under a relationship-only key: #exactFill names it
      }
    }
    return found === countDefined(values);
  }

  // Looks up every key of the record; throws on the first one that has no column.
  #exactFill(values: Record<string, unknown>, index: number): void {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) slots[i] = undefined;
    for (const key in values) {
      const value = values[key];
      if (value === undefined) continue;
      const spec = this.#keys.get(key);
      if (isRelationship(value)) {
        for (const field in value) {
          const inner = value[field];
          if (inner === undefined) continue;
          const column = spec?.fields?.get(field);
          if (column === undefined) throw this.#unknownField(`${key}.${field}`, index);
          slots[column] = inner;
        }
        continue;
      }
      const column = spec?.column ?? -1;
      if (column !== -1) {
        slots[column] = value;
      } else if (value !== null || spec?.fields === undefined) {
        // null under a relationship key means "no parent": its columns stay empty.
        throw this.#unknownField(key, index);
      }
    }
  }

  #cell(value: unknown, column: number, index: number): string {
    // typeof comparisons, not a switch on typeof: V8 compiles these to type checks.
    if (typeof value === "string") return formatCsvCell(value);
    if (value === undefined || value === null) return "";
    if (typeof value === "number") {
      if (Number.isFinite(value)) return formatCsvNumber(value);
    } else if (typeof value === "boolean") {
      return value ? "true" : "false";
    } else if (value instanceof Date) {
      if (!Number.isNaN(value.getTime())) return formatCsvDate(value);
    } else if (typeof value === "bigint") {
      return String(value);
    }
    const name = this.columns[column];
    if (!name.includes(".") && isRelationship(value)) {
      // A relationship object under a key that has no `Rel.Field` column.
      for (const field in value) {
        if (value[field] !== undefined) throw this.#unknownField(`${name}.${field}`, index);
      }
      return "";
    }
    throw new TypeError(
      `Cannot write CSV record at index ${index}: field ${
        JSON.stringify(name)
      } must be a string, finite number, bigint, boolean, null or valid Date: received ${
        describe(value)
      }`,
    );
  }

  #unknownField(field: string, index: number): TypeError {
    return new TypeError(
      `Cannot write CSV record at index ${index}: field ${
        JSON.stringify(field)
      } is not in the column list (${list(this.columns)})`,
    );
  }
}

const NO_CHUNKS: readonly Uint8Array[] = Object.freeze([]);

/**
 * Characters of text a chunker holds before encoding them into its chunk. Enough to pay the
 * encoder's call overhead once per many rows; small enough that the pending rows (strings
 * concatenated, each row itself built of many pieces) are rarely alive when V8 collects its
 * young generation: what those collections copy makes V8 grow that generation for good.
 */
const PENDING_CHARS = 4_096;

/**
 * Packs CSV text into UTF-8 chunks of `chunkSize` bytes (a chunk may end up to 3 bytes short
 * so that no character is split; the last chunk is shorter). Text is buffered and encoded in
 * bulk, never one row at a time.
 */
export class CsvChunker {
  #size: number;
  #pending = "";
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #ready: Uint8Array[] = [];

  /**
   * @param chunkSize Bytes per chunk, an integer >= 4.
   * @throws {RangeError} When `chunkSize` is not an integer >= 4.
   */
  constructor(chunkSize: number = CSV_CHUNK_SIZE) {
    if (!Number.isInteger(chunkSize) || chunkSize < 4) {
      throw new RangeError(
        `Cannot create CsvChunker: "chunkSize" must be an integer >= 4: received ${chunkSize}`,
      );
    }
    this.#size = chunkSize;
  }

  /** Appends text; full chunks become available through {@linkcode CsvChunker.take}. */
  write(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= PENDING_CHARS) this.#encode();
  }

  /** Returns the full chunks written so far and forgets them. */
  take(): readonly Uint8Array[] {
    if (this.#ready.length === 0) return NO_CHUNKS;
    const ready = this.#ready;
    this.#ready = [];
    return ready;
  }

  /** Returns every remaining chunk, the last one partial, and leaves the chunker empty. */
  flush(): readonly Uint8Array[] {
    this.#encode();
    if (this.#buffer !== undefined && this.#filled > 0) {
      this.#ready.push(this.#buffer.slice(0, this.#filled));
    }
    this.#buffer = undefined;
    this.#filled = 0;
    return this.take();
  }

  #encode(): void {
    let text = this.#pending;
    this.#pending = "";
    while (text.length > 0) {
      this.#buffer ??= new Uint8Array(this.#size);
      const target = this.#filled === 0 ? this.#buffer : this.#buffer.subarray(this.#filled);
      const { read, written } = ENCODER.encodeInto(text, target);
      this.#filled += written;
      if (read === text.length) break;
      // The next character did not fit: this chunk is as full as it gets.
      text = text.slice(read);
      this.#ready.push(this.#buffer.subarray(0, this.#filled));
      this.#buffer = undefined;
      this.#filled = 0;
    }
    if (this.#filled === this.#size) {
      this.#ready.push(this.#buffer!);
      this.#buffer = undefined;
      this.#filled = 0;
    }
  }
}

/** Options of {@linkcode encodeCsv} and {@linkcode CsvEncoderStream}. */
export interface CsvEncodeOptions {
  /** Bytes per chunk (the last chunk is shorter). @default 65_536 */
  chunkSize?: number;
  /** Write the header line first. @default true */
  header?: boolean;
}

/**
 * Serialises records into UTF-8 CSV chunks of about `chunkSize` bytes, header first.
 * Records are pulled only as fast as the chunks are consumed.
 * @throws {TypeError} As {@linkcode CsvRecordEncoder.encodeText}, naming the record's index.
 */
export async function* encodeCsv(
  records: Iterable<object> | AsyncIterable<object>,
  columns: readonly string[],
  options: CsvEncodeOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const encoder = new CsvRecordEncoder(columns);
  const chunker = new CsvChunker(options.chunkSize);
  if (options.header !== false) chunker.write(encoder.headerText());
  let index = 0;
  if (Symbol.asyncIterator in records) {
    for await (const record of records) {
      chunker.write(encoder.encodeText(record, index++));
      yield* chunker.take();
    }
  } else {
    // A plain loop: for-await would cost a microtask per record of a synchronous input.
    for (const record of records) {
      chunker.write(encoder.encodeText(record, index++));
      const chunks = chunker.take();
      for (let i = 0; i < chunks.length; i++) yield chunks[i];
    }
  }
  yield* chunker.flush();
}

/** A `TransformStream` from records to UTF-8 CSV chunks; the header comes first. */
export class CsvEncoderStream extends TransformStream<object, Uint8Array> {
  /**
   * @param columns The column list, as for {@linkcode CsvRecordEncoder}.
   * @throws {TypeError} When `columns` is invalid; a bad record errors the stream.
   */
  constructor(columns: readonly string[], options: CsvEncodeOptions = {}) {
    const encoder = new CsvRecordEncoder(columns);
    const chunker = new CsvChunker(options.chunkSize);
    let index = 0;
    super({
      start() {
        if (options.header !== false) chunker.write(encoder.headerText());
      },
      transform(record, controller) {
        chunker.write(encoder.encodeText(record, index++));
        for (const chunk of chunker.take()) controller.enqueue(chunk);
      },
      flush(controller) {
        for (const chunk of chunker.flush()) controller.enqueue(chunk);
      },
    });
  }
}

/**
 * Returns CSV text of `records`, header first. Without `columns` they are inferred from the
 * first record with {@linkcode inferColumns}; no records and no columns give "".
 * @throws {TypeError} As {@linkcode CsvRecordEncoder.encodeText}.
 */
export function stringifyCsv(
  records: Iterable<object>,
  columns?: readonly string[],
): string {
  let encoder: CsvRecordEncoder | undefined = columns === undefined
    ? undefined
    : new CsvRecordEncoder(columns);
  let text = encoder?.headerText() ?? "";
  let index = 0;
  for (const record of records) {
    if (encoder === undefined) {
      encoder = new CsvRecordEncoder(inferColumns(record));
      text = encoder.headerText();
    }
    text += encoder.encodeText(record, index++);
  }
  return text;
}
