// The one CSV reader (RFC 4180, comma): Bulk API 2.0 results and query pages, and uploads
// received by the fake org. One incremental core, CsvParser, sits behind the synchronous
// parseCsv/parseCsvRows and the streaming readCsvRows/readCsvRecords.
//
// Strict: an unterminated quote, a quote inside an unquoted field, text after a closing quote,
// a CR outside quotes that is not part of CRLF, and a row whose cell count differs from the
// first row's are SyntaxErrors naming the 1-based line (counted by LF) and column (counted in
// UTF-16 code units, a leading BOM not included). Rows end with LF or CRLF; a blank line is a
// row with one empty cell (RFC 4180), and an empty input has no rows.

import { streamChunks } from "./_bytes.ts";

const QUOTE = 34;
const COMMA = 44;
/** Line feed, as a character code and as a byte: every row Salesforce sends ends with it. */
export const LF = 10;
const CR = 13;
const BOM = 0xfeff;

// Parser states between characters.
const FIELD_START = 0; // at the start of a field (the row's first when `#fields` is empty)
const UNQUOTED = 1; // inside an unquoted field; `#field` holds its text so far
const QUOTED = 2; // inside a quoted field
const QUOTE_SEEN = 3; // just after a `"` inside a quoted field: an escape or the closing quote
const CR_SEEN = 4; // just after a CR ending a row: LF must follow

const NO_ROWS: readonly string[][] = Object.freeze([]);

/**
 * The incremental CSV tokenizer: feed decoded text in pieces of any size, get back the rows
 * each piece completes. Every row has as many cells as the first one.
 */
export class CsvParser {
  #state = FIELD_START;
  #field = "";
  #fields: string[] = [];
  #width = -1;
  #started = false;
  #ended = false;
  /** Absolute offset (in code units) of the next piece's first character. */
  #offset = 0;
  #line = 1;
  /** Absolute offset of the current line's first character. */
  #lineStart = 0;
  #rowLine = 1;
  #quoteLine = 1;
  #quoteColumn = 1;
  #crLine = 1;
  #crColumn = 1;

  /**
   * Parses the next piece of text.
   * @returns The rows this piece completes, in order (often none).
   * @throws {SyntaxError} When the text is not valid CSV.
   */
  push(text: string): readonly string[][] {
    if (this.#ended) throw new TypeError("Cannot parse CSV: the parser has already ended");
    if (text.length === 0) return NO_ROWS;
    const rows: string[][] = [];
    let pos = 0;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === BOM) {
        pos = 1;
        this.#lineStart = 1;
      }
    }
    this.#scan(text, pos, rows);
    this.#offset += text.length;
    return rows;
  }

  /**
   * Ends the input.
   * @returns The last row when the input does not end with a line break.
   * @throws {SyntaxError} When the input ends inside a quoted field or after a lone CR.
   */
  end(): readonly string[][] {
    if (this.#ended) return NO_ROWS;
    this.#ended = true;
    switch (this.#state) {
      case QUOTED:
        throw new SyntaxError(
          `Cannot parse CSV: unterminated quoted field starting at line ${this.#quoteLine}, column ${this.#quoteColumn}`,
        );
      case CR_SEEN:
        throw this.#bareCr();
      case FIELD_START:
        if (this.#fields.length === 0) return NO_ROWS;
        break;
    }
    // UNQUOTED, QUOTE_SEEN (the quote closed the field) or FIELD_START after a comma.
    this.#fields.push(this.#field);
    this.#field = "";
    const rows: string[][] = [];
    this.#endRow(rows, this.#offset);
    return rows;
  }

  #bareCr(): SyntaxError {
    return new SyntaxError(
      `Cannot parse CSV: carriage return outside quotes not followed by a line feed at line ${this.#crLine}, column ${this.#crColumn}`,
    );
  }

  #error(what: string, line: number, column: number): SyntaxError {
    return new SyntaxError(`Cannot parse CSV: ${what} at line ${line}, column ${column}`);
  }

  /** Completes the current row, whose terminating LF (or the end) is at absolute `at`. */
  #endRow(rows: string[][], at: number): void {
    const fields = this.#fields;
    if (this.#width === -1) {
      this.#width = fields.length;
    } else if (fields.length !== this.#width) {
      throw new SyntaxError(
        `Cannot parse CSV: line ${this.#rowLine} has ${fields.length} ${
          fields.length === 1 ? "field" : "fields"
        }, expected ${this.#width} as in the header row`,
      );
    }
    rows.push(fields);
    this.#fields = [];
    this.#line++;
    this.#lineStart = at + 1;
    this.#rowLine = this.#line;
  }

  // The hot loop. The next comma, LF, quote and CR are found with indexOf and cached until the
  // scan passes them, so each character is looked at by native code a few times at most.
  #scan(text: string, pos: number, rows: string[][]): void {
    const length = text.length;
    const offset = this.#offset;
    let state = this.#state;
    let field = this.#field;
    let nextComma = -1;
    let nextLf = -1;
    let nextQuote = -1;
    let nextCr = -1;
    while (pos < length) {
      if (state === FIELD_START) {
        if (text.charCodeAt(pos) === QUOTE) {
          this.#quoteLine = this.#line;
          this.#quoteColumn = offset + pos - this.#lineStart + 1;
          state = QUOTED;
          pos++;
          continue;
        }
        state = UNQUOTED;
      }
      if (state === UNQUOTED) {
        if (nextComma < pos) {
          nextComma = text.indexOf(",", pos);
          if (nextComma === -1) nextComma = length;
        }
        if (nextLf < pos) {
          nextLf = text.indexOf("\n", pos);
          if (nextLf === -1) nextLf = length;
        }
        const end = nextComma < nextLf ? nextComma : nextLf;
        if (nextQuote < pos) {
          nextQuote = text.indexOf('"', pos);
          if (nextQuote === -1) nextQuote = length;
        }
        if (nextQuote < end) {
          throw this.#error(
            "unexpected '\"' in an unquoted field",
            this.#line,
            offset + nextQuote - this.#lineStart + 1,
          );
        }
        if (nextCr < pos) {
          nextCr = text.indexOf("\r", pos);
          if (nextCr === -1) nextCr = length;
        }
        let fieldEnd = end;
        if (nextCr < end) {
          this.#crLine = this.#line;
          this.#crColumn = offset + nextCr - this.#lineStart + 1;
          if (nextCr === end - 1 && (end === nextLf || end === length)) {
            fieldEnd = nextCr;
          } else {
            throw this.#bareCr();
          }
        }
        field += text.slice(pos, fieldEnd);
        if (end === length) {
          if (fieldEnd === end) {
            state = UNQUOTED; // the field may go on in the next piece
          } else {
            this.#fields.push(field);
            field = "";
            state = CR_SEEN;
          }
          pos = length;
          break;
        }
        this.#fields.push(field);
        field = "";
        state = FIELD_START;
        pos = end + 1;
        if (end === nextLf) this.#endRow(rows, offset + end);
        continue;
      }
      if (state === QUOTED) {
        if (nextQuote < pos) {
          nextQuote = text.indexOf('"', pos);
          if (nextQuote === -1) nextQuote = length;
        }
        // Line breaks inside the quotes still count as lines for error positions.
        if (nextLf < pos) {
          nextLf = text.indexOf("\n", pos);
          if (nextLf === -1) nextLf = length;
        }
        while (nextLf < nextQuote) {
          this.#line++;
          this.#lineStart = offset + nextLf + 1;
          nextLf = text.indexOf("\n", nextLf + 1);
          if (nextLf === -1) nextLf = length;
        }
        field += text.slice(pos, nextQuote);
        if (nextQuote === length) {
          pos = length;
          break;
        }
        pos = nextQuote + 1;
        state = QUOTE_SEEN;
        continue;
      }
      if (state === QUOTE_SEEN) {
        const code = text.charCodeAt(pos);
        if (code === QUOTE) {
          field += '"';
          state = QUOTED;
          pos++;
          continue;
        }
        if (code === COMMA || code === LF || code === CR) {
          this.#fields.push(field);
          field = "";
          if (code === COMMA) {
            state = FIELD_START;
          } else if (code === LF) {
            state = FIELD_START;
            this.#endRow(rows, offset + pos);
          } else {
            this.#crLine = this.#line;
            this.#crColumn = offset + pos - this.#lineStart + 1;
            state = CR_SEEN;
          }
          pos++;
          continue;
        }
        throw this.#error(
          `unexpected ${JSON.stringify(text[pos])} after a closing quote`,
          this.#line,
          offset + pos - this.#lineStart + 1,
        );
      }
      // CR_SEEN: only a LF may follow.
      if (text.charCodeAt(pos) !== LF) throw this.#bareCr();
      state = FIELD_START;
      this.#endRow(rows, offset + pos);
      pos++;
    }
    this.#state = state;
    this.#field = field;
  }
}

export function checkHeader(header: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new SyntaxError(
        `Cannot parse CSV: the header row names column ${JSON.stringify(name)} twice`,
      );
    }
    seen.add(name);
  }
}

export type RecordMaker = (
  header: readonly string[],
  row: readonly string[],
) => Record<string, string>;

function toRecord(header: readonly string[], row: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) record[header[i]] = row[i];
  return record;
}

// "__proto__" as a plain property assignment would set the prototype instead of a field.
function toRecordSafe(header: readonly string[], row: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) {
    Object.defineProperty(record, header[i], {
      value: row[i],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return record;
}

export function recordMaker(header: readonly string[]): RecordMaker {
  checkHeader(header);
  return header.includes("__proto__") ? toRecordSafe : toRecord;
}

/**
 * Parses CSV text into rows of strings, the header row included.
 * @throws {SyntaxError} When the text is not valid CSV (see the rules at the top of the file).
 */
export function parseCsvRows(text: string): string[][] {
  const parser = new CsvParser();
  // push() returns a new array unless the text is empty.
  const rows = text.length === 0 ? [] : parser.push(text) as string[][];
  rows.push(...parser.end());
  return rows;
}

/**
 * Parses CSV text into records keyed by the header row; a header-only or empty text gives [].
 * @throws {SyntaxError} When the text is not valid CSV or the header repeats a name.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const rows = parseCsvRows(text);
  if (rows.length === 0) return [];
  const header = rows[0];
  const make = recordMaker(header);
  const records = new Array<Record<string, string>>(rows.length - 1);
  for (let i = 1; i < rows.length; i++) records[i - 1] = make(header, rows[i]);
  return records;
}

/** Bytes a CSV reader accepts: a response body, or any (async) iterable of byte chunks. */
export type CsvSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/**
 * The source's chunks as they come; once they end, throws `cutOff()` when the last byte is
 * not LF. Every row ends with a line break: a body that does not was cut off, and a parser
 * reaching its end would pad the last row and pass it for whole (or fail on an open quote).
 */
export async function* endingWithLineBreak(
  source: CsvSource,
  cutOff: () => Error,
): AsyncGenerator<Uint8Array, void, undefined> {
  let last = -1;
  for await (const chunk of chunksOf(source)) {
    if (chunk.length > 0) last = chunk[chunk.length - 1];
    yield chunk;
  }
  if (last !== -1 && last !== LF) throw cutOff();
}

export async function* chunksOf(source: CsvSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader !== "function") {
    yield* source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  } else {
    yield* streamChunks(source as ReadableStream<Uint8Array>);
  }
}

export function decode(decoder: TextDecoder, chunk?: Uint8Array): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
  } catch (error) {
    throw new SyntaxError("Cannot parse CSV: the input is not valid UTF-8", { cause: error });
  }
}

/**
 * Bytes decoded and parsed at a time. A streaming reader's rows are alive only until the
 * consumer takes them, but a whole batch is alive while any of it is: with 64 KiB network
 * chunks that is ~400 rows and their text, copied by every young-generation GC that finds
 * them, and V8 grows its young generation with the bytes its GCs copy, so the process would
 * grow with the number of rows read. Batches of 4 KiB keep that small; the cost is one more
 * decode and parse call per 4 KiB.
 */
export const CSV_PARSE_PIECE = 2_048;

/** Decodes `chunk` piece by piece, calling `each` with the rows each piece completes. */
export function pushPieces(
  parser: CsvParser,
  decoder: TextDecoder,
  chunk: Uint8Array,
  each: (rows: readonly string[][]) => void,
): void {
  for (let start = 0; start < chunk.length; start += CSV_PARSE_PIECE) {
    const piece = start === 0 && chunk.length <= CSV_PARSE_PIECE
      ? chunk
      : chunk.subarray(start, start + CSV_PARSE_PIECE);
    const rows = parser.push(decode(decoder, piece));
    if (rows.length > 0) each(rows);
  }
}

// Yields the rows completed by each piece, so a consumer pays one await per piece, not per row.
/**
 * Rows of strings (the header row included) in batches, as the bytes arrive: a caller that
 * makes records itself yields each one from its own generator, one async step per record.
 * @throws {SyntaxError} When the bytes are not valid UTF-8 CSV.
 */
export async function* rowBatches(
  source: CsvSource,
): AsyncGenerator<readonly string[][], void, undefined> {
  const parser = new CsvParser();
  // ignoreBOM keeps a BOM in the text so that CsvParser handles it for every form alike.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for await (const chunk of chunksOf(source)) {
    for (let start = 0; start < chunk.length; start += CSV_PARSE_PIECE) {
      const piece = start === 0 && chunk.length <= CSV_PARSE_PIECE
        ? chunk
        : chunk.subarray(start, start + CSV_PARSE_PIECE);
      const rows = parser.push(decode(decoder, piece));
      if (rows.length > 0) yield rows;
    }
  }
  yield parser.push(decode(decoder));
  yield parser.end();
}

/**
 * Reads CSV rows of strings, the header row included, from UTF-8 bytes as they arrive.
 * Chunks may split the text anywhere, even inside a character. Stopping early cancels the stream.
 * @throws {SyntaxError} When the bytes are not valid UTF-8 CSV.
 */
export async function* readCsvRows(
  source: CsvSource,
): AsyncGenerator<string[], void, undefined> {
  for await (const rows of rowBatches(source)) {
    for (let i = 0; i < rows.length; i++) yield rows[i];
  }
}

/**
 * Reads CSV records keyed by the header row from UTF-8 bytes as they arrive; an empty or
 * header-only body yields nothing. Stopping early cancels the stream.
 * @throws {SyntaxError} When the bytes are not valid UTF-8 CSV or the header repeats a name.
 */
export async function* readCsvRecords(
  source: CsvSource,
): AsyncGenerator<Record<string, string>, void, undefined> {
  let header: readonly string[] | undefined;
  let make = toRecord;
  for await (const rows of rowBatches(source)) {
    let i = 0;
    if (header === undefined && rows.length > 0) {
      header = rows[0];
      make = recordMaker(header);
      i = 1;
    }
    for (; i < rows.length; i++) yield make(header!, rows[i]);
  }
}
