// The streaming CSV writer (Bulk API 2.0 uploads from records): CsvChunker packs CSV text into
// UTF-8 chunks, and encodeCsv, CsvEncoderStream and stringifyCsv run records through a
// CsvRecordEncoder into it.

import { CsvRecordEncoder, inferColumns } from "./_csv_record_encoder.ts";

/** Bytes per chunk produced by {@linkcode CsvChunker} unless told otherwise. */
export const CSV_CHUNK_SIZE = 65_536;

const ENCODER = new TextEncoder();

const NO_CHUNKS: readonly Uint8Array[] = Object.freeze([]);

/**
 * Characters of text a chunker holds before encoding them into its chunk. Enough to pay the
 * encoder's call overhead once per many rows; small enough that the pending rows (strings
 * concatenated, each row itself built of many pieces) are rarely alive when V8 collects its
 * young generation: what those collections copy makes V8 grow that generation for good.
 */
const PENDING_CHARS = 4_096;

/** Where a {@linkcode CsvChunker} gets its chunk buffers, and gives back one it did not keep. */
export interface ChunkBuffers {
  /** A buffer of the chunker's `chunkSize` bytes. */
  take(): Uint8Array;
  /** A buffer the chunker took and no chunk holds. */
  give(buffer: Uint8Array): void;
}

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
  #buffers: ChunkBuffers | undefined;

  /**
   * @param chunkSize Bytes per chunk, an integer >= 4.
   * @param buffers Where chunk buffers come from (`chunkSize` bytes each); new ones by default.
   * @throws {RangeError} When `chunkSize` is not an integer >= 4.
   */
  constructor(chunkSize: number = CSV_CHUNK_SIZE, buffers?: ChunkBuffers) {
    if (!Number.isInteger(chunkSize) || chunkSize < 4) {
      throw new RangeError(
        `Cannot create CsvChunker: "chunkSize" must be an integer >= 4: received ${chunkSize}`,
      );
    }
    this.#size = chunkSize;
    this.#buffers = buffers;
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
    if (this.#buffer !== undefined) {
      // The last chunk is a copy of its bytes: the buffer it was written in goes back.
      if (this.#filled > 0) this.#ready.push(this.#buffer.slice(0, this.#filled));
      this.#buffers?.give(this.#buffer);
    }
    this.#buffer = undefined;
    this.#filled = 0;
    return this.take();
  }

  #encode(): void {
    let text = this.#pending;
    this.#pending = "";
    while (text.length > 0) {
      this.#buffer ??= this.#buffers?.take() ?? new Uint8Array(this.#size);
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
