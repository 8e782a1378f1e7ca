// The UTF-8 bytes of serialised stored records (a query record's JSON, a bulk result row's CSV
// line), kept per record and per projection, so that a query run again, or a page served
// again, costs no serialisation and no encoding. The SOQL engine (REST pages)
// and the bulk CSV writer share it.
//
// Texts are written into large chunks, each followed by the page's separator, in the order
// they were first served, and never written again: a page is sent as views of those chunks,
// the records of a page served before sitting next to each other in one view (per chunk),
// between its own prefix and suffix. Nothing is copied on the way to a socket; a body handed
// to a caller of `org.fetch`, who may write into what it reads, is copied once (_http.ts).
//
// The views of a page are also kept whole (a segment), by its first record: a page served
// again, over the same records in the same order, is those views with no per-record lookup.
// A segment matches only when every record of the page is the same object, in the same
// order, as when it was kept: its views are then of the very texts the record cache holds.
//
// Only projections that read nothing but the record's own fields may be cached: their text
// changes only when the record's fields change, which the store counts (`mutations`: updates,
// deletes, rollbacks). When that count moves, every cache of the store starts afresh,
// segments included. Inserts and purges change no record's text: they change which records
// a page holds, which the segment's record-by-record match sees.

import { utf8ByteLength } from "../client/_csv_format.ts";
import type { SoqlDataSource, StoredRecord } from "./_schema.ts";

/**
 * Bytes kept per store at most: record texts, counting a fixed overhead per record, and the
 * objects of the pages kept whole. Past it, pages are still sent, from what is kept, but
 * nothing more is kept.
 */
const BUDGET_BYTES = 256 * 1024 * 1024;
/** Bookkeeping per cached record (entry object and map slot), roughly. */
const ENTRY_OVERHEAD = 64;
/**
 * Chunk sizes: a cache's first chunk is small, each next one twice the last, up to the
 * largest, unless one text run needs more. A query over a few records, run after every write
 * (each write starts the caches afresh), then costs 64 KB, not megabytes.
 */
const FIRST_CHUNK_BYTES = 64 * 1024;
const CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * Bookkeeping per segment, roughly; per record it holds (a list slot); and per part (a view
 * object, about 100 bytes: a page whose records are not next to each other in the chunks,
 * say in another order, holds one per record).
 */
const SEGMENT_OVERHEAD = 128;
const SEGMENT_SLOT = 8;
const SEGMENT_PART = 128;
/** Segments kept per first record (other page sizes or ranges); the oldest goes first. */
const SEGMENTS_PER_RECORD = 8;

const ENCODER = new TextEncoder();

interface StoreCaches {
  /** The store's `mutations` the caches were filled at. */
  generation: number;
  /** Bytes cached so far, over every projection. */
  bytes: number;
  byKey: Map<string, RecordBytes>;
}

/** Where one record's text sits: `chunk[start, end)`, followed by the separator. */
interface Entry {
  chunk: Uint8Array<ArrayBuffer>;
  start: number;
  end: number;
}

/**
 * A page kept whole: the parts its records' texts make, each a view of a chunk, separators
 * between them included.
 */
interface Segment {
  records: StoredRecord[];
  parts: Uint8Array<ArrayBuffer>[];
}

const stores = new WeakMap<object, StoreCaches>();

/** Record texts of one projection of one store, and the pages made of them. */
export class RecordBytes {
  // A Map, not a WeakMap: its lookups are about a third faster, which a page served again is
  // made of. It keeps a purged record's entry alive only until the store's next mutation
  // starts the caches afresh (or the org is reset); a purged record is never served again.
  #entries = new Map<StoredRecord, Entry>();
  /** Segments by their first record. */
  #segments = new Map<StoredRecord, Segment[]>();
  #owner: StoreCaches;
  #separatorText: string;
  #separator: Uint8Array<ArrayBuffer>;
  #chunk: Uint8Array<ArrayBuffer> | undefined;
  #used = 0;
  #nextChunk = FIRST_CHUNK_BYTES;

  constructor(owner: StoreCaches, separator: string) {
    this.#owner = owner;
    this.#separatorText = separator;
    this.#separator = ENCODER.encode(separator);
  }

  /**
   * The UTF-8 bytes of `prefix`, the texts of `rows[from, to)` separated by the separator,
   * and `suffix`, as parts to send in order. `textOf` serialises a record not cached yet.
   *
   * The parts between prefix and suffix are the cache's own memory, never written again once
   * handed out: send them as they are, but copy them before handing them to code that may
   * write into what it reads (see `pageResponse` in _http.ts).
   */
  page(
    rows: readonly StoredRecord[],
    from: number,
    to: number,
    textOf: (record: StoredRecord) => string,
    prefix: string,
    suffix: string,
  ): Uint8Array<ArrayBuffer>[] {
    const head = ENCODER.encode(prefix);
    const tail = ENCODER.encode(suffix);
    const count = Math.max(0, to - from);
    if (count === 0) return [head, tail];
    const segment = this.#segment(rows, from, count);
    if (segment !== undefined) return [head, ...segment.parts, tail];

    const entries: Entry[] = new Array(count);
    let missing: number[] | undefined;
    for (let i = 0; i < count; i++) {
      const entry = this.#entries.get(rows[from + i]);
      if (entry === undefined) (missing ??= []).push(i);
      else entries[i] = entry;
    }
    const kept = missing === undefined || this.#fill(rows, from, missing, entries, textOf);

    // A run of records stored one after the other is one part. Every text is followed by the
    // separator in its chunk, so a run but the last takes the separator after it along.
    const gap = this.#separator.length;
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let i = 0;
    while (i < count) {
      const first = entries[i];
      let last = first;
      let j = i + 1;
      for (; j < count; j++) {
        const next = entries[j];
        if (next.chunk !== last.chunk || next.start !== last.end + gap) break;
        last = next;
      }
      parts.push(first.chunk.subarray(first.start, j < count ? last.end + gap : last.end));
      i = j;
    }
    // Only over chunks the budget counts: a segment keeps its chunks alive.
    if (kept) this.#keep({ records: rows.slice(from, to), parts });
    return [head, ...parts, tail];
  }

  /** The segment of exactly the records `rows[from, from + count)`, in order, if kept. */
  #segment(rows: readonly StoredRecord[], from: number, count: number): Segment | undefined {
    const list = this.#segments.get(rows[from]);
    if (list === undefined) return undefined;
    next: for (const segment of list) {
      const records = segment.records;
      if (records.length !== count) continue;
      for (let i = 1; i < count; i++) if (records[i] !== rows[from + i]) continue next;
      return segment;
    }
    return undefined;
  }

  /** Keeps the parts of a page just written as the segment of its records, within budget. */
  #keep(segment: Segment): void {
    const owner = this.#owner;
    const cost = segmentCost(segment);
    if (owner.bytes + cost > BUDGET_BYTES) return;
    const first = segment.records[0];
    let list = this.#segments.get(first);
    if (list === undefined) this.#segments.set(first, list = []);
    if (list.length >= SEGMENTS_PER_RECORD) owner.bytes -= segmentCost(list.shift()!);
    list.push(segment);
    owner.bytes += cost;
  }

  /**
   * Serialises the records not cached yet, in page order, into a chunk: kept (true) within
   * budget, else written to size and not kept (false).
   */
  #fill(
    rows: readonly StoredRecord[],
    from: number,
    missing: number[],
    entries: Entry[],
    textOf: (record: StoredRecord) => string,
  ): boolean {
    const texts: string[] = new Array(missing.length);
    for (let k = 0; k < missing.length; k++) texts[k] = textOf(rows[from + missing[k]]);
    const separator = this.#separatorText;
    const text = texts.join(separator) + separator;
    const owner = this.#owner;
    const entriesCost = ENTRY_OVERHEAD * texts.length;
    let chunk: Uint8Array<ArrayBuffer> | undefined;
    let start = 0;
    let written = -1;
    let keep = false;
    if (this.#chunk !== undefined && owner.bytes + entriesCost <= BUDGET_BYTES) {
      // Into the current chunk, when the run fits in what is left of it.
      const result = ENCODER.encodeInto(text, this.#chunk.subarray(this.#used));
      if (result.read === text.length) {
        chunk = this.#chunk;
        start = this.#used;
        written = result.written;
        keep = true;
      }
    }
    if (written === -1) {
      // A new chunk, counted whole against the budget when it is made, written or not.
      const size = Math.max(this.#nextChunk, 3 * text.length);
      if (owner.bytes + size + entriesCost <= BUDGET_BYTES) {
        chunk = new Uint8Array(size);
        written = ENCODER.encodeInto(text, chunk).written;
        this.#chunk = chunk;
        this.#nextChunk = Math.min(CHUNK_BYTES, 2 * size);
        owner.bytes += size;
        keep = true;
      } else {
        // Past the budget: encoded to size, and not kept.
        chunk = ENCODER.encode(text);
        written = chunk.length;
      }
    }
    // All ASCII when every character took one byte: then byte lengths are string lengths.
    const ascii = written === text.length;
    const gap = this.#separator.length;
    let position = start;
    for (let k = 0; k < texts.length; k++) {
      const length = ascii ? texts[k].length : utf8ByteLength(texts[k]);
      const entry: Entry = { chunk: chunk!, start: position, end: position + length };
      entries[missing[k]] = entry;
      if (keep) this.#entries.set(rows[from + missing[k]], entry);
      position = entry.end + gap;
    }
    if (keep) {
      this.#used = start + written;
      owner.bytes += entriesCost;
    }
    return keep;
  }
}

/** What a segment counts against the budget: its objects (its chunks are counted already). */
function segmentCost(segment: Segment): number {
  return SEGMENT_OVERHEAD + SEGMENT_SLOT * segment.records.length +
    SEGMENT_PART * segment.parts.length;
}

/**
 * The record texts of projection `key` (which must name everything a text depends on: the
 * object, fields, format, API version) for `source`, joined by `separator` in pages; undefined
 * when the source does not count its mutations. Call it once per page: it checks that no
 * record changed since the cache was filled.
 */
export function recordBytes(
  source: SoqlDataSource,
  key: string,
  separator: string,
): RecordBytes | undefined {
  const generation = source.mutations;
  if (generation === undefined) return undefined;
  let caches = stores.get(source);
  if (caches === undefined || caches.generation !== generation) {
    caches = { generation, bytes: 0, byKey: new Map() };
    stores.set(source, caches);
  }
  const full = `${key}\u0000${separator}`;
  let cache = caches.byKey.get(full);
  if (cache === undefined) caches.byKey.set(full, cache = new RecordBytes(caches, separator));
  return cache;
}
