// Cuts records into Bulk API 2.0 job payloads: CSV serialised as records arrive, each payload at
// most `maxSizeBytes` (header included) and `maxRecords` rows. Payloads are made only as fast as
// the caller pulls them, so memory holds the payload being filled and those not yet released.

import {
  CsvChunker,
  CsvRecordEncoder,
  formatCsvCell,
  formatCsvRow,
  hasPlainPrototype,
  inferColumns,
  utf8ByteLength,
} from "./_csv.ts";
import { received } from "./_validate.ts";
import type { BufferPool } from "./_buffer_pool.ts";

/** One job's worth of records, serialised. */
export interface JobPayload {
  /** Position in the input of the payload's first record. */
  firstIndex: number;
  /** Records (rows after the header) in the payload. */
  count: number;
  /** UTF-8 CSV bytes, header first. */
  chunks: readonly Uint8Array[];
  /** Total bytes of `chunks`. */
  size: number;
}

/**
 * Stops a split: `error` is the caller's (a bad record, or their iterator's own error) and
 * `unsent` the records read before it that are in no payload yet.
 */
export class SplitError extends Error {
  readonly error: unknown;
  readonly unsent: JobPayload | undefined;
  /** The record that stopped the split, when one did (not the input's own error). */
  readonly offending: Offending | undefined;
  /** Records read before it that are in no payload and have no cell to show either. */
  readonly blank: number;

  constructor(
    error: unknown,
    unsent: JobPayload | undefined,
    offending?: Offending,
    blank = 0,
  ) {
    super("The records could not be split into jobs", { cause: error });
    this.error = error;
    this.unsent = unsent;
    this.offending = offending;
    this.blank = blank;
  }
}

/** A record the split refused: where it was, and its own cells as a one-row payload if any. */
export interface Offending {
  index: number;
  payload: JobPayload | undefined;
}

/** No record is being split: the input itself is being read. */
const NONE: unique symbol = Symbol("none");

/**
 * A refused record as a one-row payload of its own columns, so a stopped operation can report
 * it with the others it read; undefined when it has no cell that can be written.
 */
function offending(record: unknown, index: number): Offending {
  try {
    checkRecord(record, index);
    const own = inferColumns(record);
    if (own.length === 0) return { index, payload: undefined };
    const encoder = new CsvRecordEncoder(own);
    const bytes = new TextEncoder().encode(
      encoder.headerText() + encoder.encodeText(record, index),
    );
    return { index, payload: { firstIndex: index, count: 1, chunks: [bytes], size: bytes.length } };
  } catch {
    return { index, payload: undefined };
  }
}

/** Where to cut. */
export interface SplitOptions {
  /** Fixed column list; without it columns are inferred (see {@linkcode splitRecords}). */
  fieldNames?: readonly string[];
  maxSizeBytes: number;
  maxRecords: number;
  /**
   * Filled when the consumer closes the splitter early (`return()`): the records read for
   * the next payload, which no payload holds, so that a stopped operation can report them
   * (`blank` counts those with no cell to show).
   */
  unread?: { payload?: JobPayload; blank?: number };
  /** Where payloads' chunk buffers come from: a job done with them gives them back. */
  buffers?: BufferPool;
}

/**
 * A record is a plain object: its fields are its own properties. A class instance is refused,
 * since a field its class defines as a getter would be written as an empty cell.
 */
function checkRecord(record: unknown, index: number): asserts record is object {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new TypeError(
      `Cannot write CSV record at index ${index}: expected a plain object: received ${
        received(record)
      }`,
    );
  }
  if (!hasPlainPrototype(record)) {
    const name = (record as { constructor?: { name?: unknown } }).constructor?.name;
    throw new TypeError(
      `Cannot write CSV record at index ${index}: expected a plain object (a literal, or ` +
        `JSON.parse's): received ${
          typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object"
        } (copy its fields into a plain object)`,
    );
  }
}

/**
 * Drops a column `X` that only null values gave when `X.Field` columns exist, or when `known`
 * (relationships seen earlier in the input) has `X`: there `X` is a relationship, and null says
 * "no parent" (the relationship's cells stay empty).
 */
function withoutNullRelationships(
  columns: string[],
  known: ReadonlyMap<string, string> | undefined = undefined,
): string[] {
  const relationships = new Set<string>(known?.keys());
  for (const column of columns) {
    const dot = column.indexOf(".");
    if (dot > 0) relationships.add(column.slice(0, dot));
  }
  return relationships.size === 0
    ? columns
    : columns.filter((column) => !relationships.has(column));
}

function tooLarge(index: number, bytes: number, max: number): RangeError {
  return new RangeError(
    `Cannot write CSV record at index ${index}: with the header it takes ${bytes} bytes, more than "maxSizeBytes" (${max})`,
  );
}

/** A record's field names must be text UTF-8 can carry: one is a column of the header. */
function checkNames(columns: readonly string[], index: number): void {
  for (const column of columns) {
    if (!column.isWellFormed()) {
      throw new TypeError(
        `Cannot write CSV record at index ${index}: field name ${
          JSON.stringify(column)
        } holds a lone surrogate (text that is not valid Unicode), which UTF-8 cannot carry`,
      );
    }
  }
}

/** The union of every record's columns, in first-seen order (the first pass over an array). */
export function collectColumns(records: readonly unknown[]): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    checkRecord(record, i);
    const own = inferColumns(record);
    checkNames(own, i);
    for (const column of own) seen.add(column);
  }
  // (A record with a value under such a key is refused by the encoder, naming it.)
  return withoutNullRelationships([...seen]);
}

/** Accumulates rows of one payload. */
class PayloadBuilder {
  #chunker: CsvChunker;
  #chunks: Uint8Array[] = [];
  size: number;
  count = 0;
  readonly firstIndex: number;

  constructor(
    header: string,
    headerBytes: number,
    firstIndex: number,
    buffers: BufferPool | undefined,
  ) {
    this.#chunker = new CsvChunker(buffers?.size, buffers);
    this.#chunker.write(header);
    this.size = headerBytes;
    this.firstIndex = firstIndex;
  }

  add(row: string, bytes: number): void {
    this.#chunker.write(row);
    this.size += bytes;
    this.count++;
    const ready = this.#chunker.take();
    for (let i = 0; i < ready.length; i++) this.#chunks.push(ready[i]);
  }

  seal(max: number): JobPayload {
    for (const chunk of this.#chunker.flush()) this.#chunks.push(chunk);
    let size = 0;
    for (const chunk of this.#chunks) size += chunk.length;
    if (size !== this.size || size > max) {
      // Never upload a payload whose size we got wrong: the limit is a promise.
      throw new Error(`Bulk payload size mismatch: counted ${this.size}, wrote ${size} bytes`);
    }
    return { firstIndex: this.firstIndex, count: this.count, chunks: this.#chunks, size };
  }
}

/** Fixed columns: each record becomes its row at once. */
async function* splitFixed(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  columns: readonly string[],
  options: SplitOptions,
): AsyncGenerator<JobPayload, void, undefined> {
  const { maxSizeBytes: max, maxRecords } = options;
  const encoder = new CsvRecordEncoder(columns);
  const header = encoder.headerText();
  const headerBytes = utf8ByteLength(header);
  let builder: PayloadBuilder | undefined;
  let index = 0;
  let current: unknown = NONE;
  // One step per record; returns a payload when the record starts a new one.
  const step = (record: unknown): JobPayload | undefined => {
    current = record;
    checkRecord(record, index);
    const row = encoder.encodeText(record, index);
    const bytes = utf8ByteLength(row);
    if (headerBytes + bytes > max) throw tooLarge(index, headerBytes + bytes, max);
    let sealed: JobPayload | undefined;
    // (A builder never holds maxRecords here: it is sealed as soon as it is full, below.)
    if (builder !== undefined && builder.size + bytes > max) {
      sealed = builder.seal(max);
      builder = undefined;
    }
    builder ??= new PayloadBuilder(header, headerBytes, index, options.buffers);
    builder.add(row, bytes);
    index++;
    if (builder.count >= maxRecords) {
      // Full: sent now, not when the next record arrives (a slow input may take its time).
      // (With maxRecords 1 no builder is left over, so this never seals twice in one step.)
      if (sealed !== undefined) throw new Error("Bulk split sealed two payloads in one step");
      sealed = builder.seal(max);
      builder = undefined;
    }
    current = NONE;
    return sealed;
  };
  let done = false;
  try {
    yield* sealedPayloads(records, step);
    done = true;
  } catch (error) {
    done = true;
    const refused = current === NONE ? undefined : offending(current, index);
    throw new SplitError(error, builder?.seal(max), refused);
  } finally {
    // Closed early by the consumer: hand back what was read for the next payload.
    if (!done && builder !== undefined && options.unread) {
      options.unread.payload = builder.seal(max);
    }
  }
  if (builder !== undefined) yield builder.seal(max);
}

/** A record's cells, kept from the moment it is read: the caller may reuse its object. */
interface HeldRow {
  /** The record's own columns (shared by records of one shape). */
  columns: readonly string[];
  /** Its cells under `columns`, formatted. */
  cells: readonly string[];
}

const NO_CELLS: HeldRow = { columns: [], cells: [] };

/**
 * Columns inferred per payload: each record's own cells are formatted as it is read (so a
 * caller reusing one object for every record loses nothing), then written under the union of
 * the payload's columns when it is cut. The size is tracked meanwhile: a payload of n rows
 * over k columns takes (header cells) + (row cells) + (n + 1) × k bytes, since each line has
 * k - 1 commas and one LF, and a record's own cells do not depend on the others. (A column
 * that only null values gave, and that turns out to be a relationship, is dropped when the
 * payload is cut: the count may then be high, never low.)
 */
async function* splitInferred(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  options: SplitOptions,
): AsyncGenerator<JobPayload, void, undefined> {
  const { maxSizeBytes: max, maxRecords } = options;
  // Records of one shape share an encoder; the cache is cleared if shapes keep changing.
  const shapes = new Map<string, { encoder: CsvRecordEncoder; headerCells: number }>();
  let buffered: HeldRow[] = [];
  let firstIndex = 0;
  let columns: string[] = [];
  let seen = new Set<string>();
  // Keys holding a value (not null) as a field, and keys used as relationships (`Key.Field`).
  // (Over the whole input, so that where payloads are cut changes nothing.)
  const valued = new Set<string>();
  const relationships = new Map<string, string>();
  let headerCells = 0;
  let rowCells = 0;

  const seal = (): JobPayload => {
    // (In a payload sealed before the input first uses a key as a relationship, a null under
    // that key stays a column.)
    const written = withoutNullRelationships(columns, relationships);
    if (written.length === 0) {
      throw new TypeError(
        `Cannot write CSV records from index ${firstIndex}: none of them has a field to write`,
      );
    }
    const header = formatCsvRow(written);
    const builder = new PayloadBuilder(
      header,
      utf8ByteLength(header),
      firstIndex,
      options.buffers,
    );
    const position = new Map<string, number>();
    for (let i = 0; i < written.length; i++) position.set(written[i], i);
    const line = new Array<string>(written.length);
    let shape: readonly string[] | undefined;
    let order: number[] = [];
    for (let i = 0; i < buffered.length; i++) {
      const held = buffered[i];
      if (held.columns !== shape) {
        shape = held.columns;
        order = shape.map((column) => position.get(column) ?? -1);
      }
      line.fill("");
      for (let j = 0; j < order.length; j++) {
        if (order[j] !== -1) line[order[j]] = held.cells[j];
      }
      const row = `${line.join(",")}\n`;
      builder.add(row, utf8ByteLength(row));
    }
    return builder.seal(max);
  };
  // Seals the buffered records and starts the next payload at the record `index` names.
  const cut = (): JobPayload => {
    const payload = seal();
    buffered = [];
    columns = [];
    seen = new Set();
    headerCells = 0;
    rowCells = 0;
    firstIndex = index;
    return payload;
  };
  // A key cannot be a field in one record and a relationship in another (null aside); nothing
  // may throw once a step has cut a payload, so this runs before.
  const checkKeys = (record: object, own: readonly string[]) => {
    for (const column of own) {
      const dot = column.indexOf(".");
      if (dot > 0) {
        const key = column.slice(0, dot);
        if (valued.has(key)) throw mixedKey(key, column, index);
      } else if ((record as Record<string, unknown>)[column] !== null) {
        const used = relationships.get(column);
        if (used !== undefined) throw mixedKey(column, used, index);
      }
    }
  };
  const noteKeys = (record: object, own: readonly string[]) => {
    for (const column of own) {
      const dot = column.indexOf(".");
      if (dot > 0) {
        const key = column.slice(0, dot);
        if (!relationships.has(key)) relationships.set(key, column);
      } else if ((record as Record<string, unknown>)[column] !== null) valued.add(column);
    }
  };

  let index = 0;
  let current: unknown = NONE;
  const step = (record: unknown): JobPayload | undefined => {
    current = record;
    checkRecord(record, index);
    const own = inferColumns(record);
    checkNames(own, index);
    let cells = 0;
    let held = NO_CELLS;
    if (own.length > 0) {
      const key = own.join("\n");
      let shape = shapes.get(key);
      if (shape === undefined) {
        if (shapes.size >= 64) shapes.clear();
        let ownHeader = 0;
        for (const column of own) ownHeader += utf8ByteLength(formatCsvCell(column));
        shape = { encoder: new CsvRecordEncoder(own), headerCells: ownHeader };
        shapes.set(key, shape);
      }
      held = { columns: shape.encoder.columns, cells: shape.encoder.encodeCells(record, index) };
      for (const cell of held.cells) cells += utf8ByteLength(cell);
      const alone = shape.headerCells + cells + 2 * own.length;
      if (alone > max) throw tooLarge(index, alone, max);
      checkKeys(record, own);
      noteKeys(record, own);
    }
    let newCells = 0;
    let newCount = 0;
    for (const column of own) {
      if (!seen.has(column)) {
        newCells += utf8ByteLength(formatCsvCell(column));
        newCount++;
      }
    }
    let sealed: JobPayload | undefined;
    const n = buffered.length;
    const k = columns.length + newCount;
    const size = headerCells + newCells + rowCells + cells + (n + 2) * k;
    // (The buffer never holds maxRecords here: it is cut as soon as it is full, below.)
    if (n > 0 && size > max) sealed = cut();
    for (const column of own) {
      if (seen.has(column)) continue;
      seen.add(column);
      columns.push(column);
      headerCells += utf8ByteLength(formatCsvCell(column));
    }
    buffered.push(held);
    rowCells += cells;
    index++;
    // The record is in the buffer now: whatever fails next reports it with the others.
    current = NONE;
    if (buffered.length >= maxRecords) {
      // Full: sent now, not when the next record arrives (see splitFixed).
      if (sealed !== undefined) throw new Error("Bulk split sealed two payloads in one step");
      sealed = cut();
    }
    return sealed;
  };
  // What is buffered, as a payload, or as a count of records with no cell to show.
  const leftover = (): { payload?: JobPayload; blank: number } => {
    if (buffered.length === 0) return { blank: 0 };
    try {
      return { payload: seal(), blank: 0 };
    } catch {
      return { blank: buffered.length }; // not one field among them
    }
  };
  let done = false;
  try {
    yield* sealedPayloads(records, step);
    done = true;
    if (buffered.length > 0) {
      const last = seal();
      buffered = [];
      yield last;
    }
  } catch (error) {
    done = true;
    const { payload, blank } = leftover();
    const refused = current === NONE ? undefined : offending(current, index);
    throw new SplitError(error, payload, refused, blank);
  } finally {
    // Closed early by the consumer: hand back what was read for the next payload.
    if (!done && options.unread) {
      const { payload, blank } = leftover();
      options.unread.payload = payload;
      options.unread.blank = blank;
    }
  }
}

function mixedKey(key: string, column: string, index: number): TypeError {
  return new TypeError(
    `Cannot write CSV record at index ${index}: ${
      JSON.stringify(key)
    } is a field holding a value in one record and a relationship (${
      JSON.stringify(column)
    }) in another`,
  );
}

/**
 * Cuts `records` into job payloads. Columns: `fieldNames` when given; else, for an array,
 * the union of every record's columns (one pass before writing); else, for any other
 * iterable (which cannot be read twice), the union of the columns of each payload's records,
 * which are held as objects until the payload is cut.
 * @throws {TypeError} For a record that is not an object, or has a field outside `fieldNames`.
 * @throws {RangeError} For a record too large for a payload on its own.
 */
export function splitRecords(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  options: SplitOptions,
): AsyncGenerator<JobPayload, void, undefined> {
  if (options.fieldNames !== undefined) return splitFixed(records, options.fieldNames, options);
  if (Array.isArray(records)) {
    const columns = collectColumns(records);
    if (columns.length === 0 && records.length > 0) {
      throw new TypeError(`Cannot write CSV records: none of them has a field to write`);
    }
    return records.length === 0
      ? splitInferred([], options)
      : splitFixed(records, columns, options);
  }
  return splitInferred(records, options);
}

/**
 * Feeds every record to `step` and yields the payloads it seals. A synchronous
 * input gets a plain loop: for-await would cost a microtask per record.
 */
async function* sealedPayloads<T>(
  records: Iterable<T> | AsyncIterable<T>,
  step: (record: T) => JobPayload | undefined,
): AsyncGenerator<JobPayload, void, undefined> {
  if (Symbol.asyncIterator in records) {
    for await (const record of records as AsyncIterable<T>) {
      const sealed = step(record);
      if (sealed !== undefined) yield sealed;
    }
  } else {
    for (const record of records as Iterable<T>) {
      const sealed = step(record);
      if (sealed !== undefined) yield sealed;
    }
  }
}
