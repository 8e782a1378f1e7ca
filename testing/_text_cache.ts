// The UTF-8 bytes of serialised stored records (a query record's JSON, a bulk result row's CSV
// line), kept per record and per projection, so that a query run again, or a page served
// again, costs a copy instead of a serialisation and an encoding. The SOQL engine (REST pages)
// and the bulk CSV writer share it.
//
// Texts are written into large chunks, each followed by the page's separator, in the order
// they were first served: the records of a page served before sit next to each other, and the
// page is copied in one piece (per chunk) rather than record by record.
//
// A page is also kept whole (a segment): the texts of its records, in order, followed by the
// page's suffix, with room before them for a prefix. A page served again, over the same
// records in the same order, is that buffer: as it is when the prefix is the same (a bulk
// page: its header line), or with the new prefix written into the room (a REST page of
// another cursor: its nextRecordsUrl), with no per-record work and no copy. The Response the
// page becomes copies it at once (Fetch: a BufferSource body is "a copy of the bytes"; so do
// Deno, Node and Bun), which is what lets the next page of the same records write another
// prefix into the same room. (Checked on Deno 2.9.6, Node 20 and 22, Bun 1.4.5 and workerd; a
// runtime that shared large bodies instead, as oven-sh/bun#35138 proposes for Bun, would show an
// unread response the prefix of a later page: tests/testing/fake_pages_test.ts reads pages
// held unread, but only on Deno.) A segment is found by its first record and matches only when
// every record of the page is the same object, in the same order, as when it was kept: its
// texts are then the very texts the record cache holds.
//
// Only projections that read nothing but the record's own fields may be cached: their text
// changes only when the record's fields change, which the store counts (`mutations`: updates,
// deletes, rollbacks). When that count moves, every cache of the store starts afresh,
// segments included. Inserts and purges change no record's text: they change which records
// a page holds, which the segment's record-by-record match sees.

import { utf8ByteLength } from "../client/_csv_format.ts";
import type { SoqlDataSource, StoredRecord } from "./_schema.ts";

/**
 * Bytes kept per store at most: record texts and pages kept whole (which hold those texts
 * again), counting a fixed overhead per record and per page. Past it, pages are still
 * written, from what is kept, but nothing more is kept.
 */
const BUDGET_BYTES = 256 * 1024 * 1024;
/** Bookkeeping per cached record (entry object and map slot), roughly. */
const ENTRY_OVERHEAD = 64;
/**
 * Chunk sizes: a cache's first chunk is small, each next one twice the last, up to the
 * largest, unless one text run needs more. A query over a few records, run after every write
 * (each write starts the caches afresh), then costs a few kilobytes, not megabytes.
 */
const FIRST_CHUNK_BYTES = 64 * 1024;
const CHUNK_BYTES = 8 * 1024 * 1024;
/** Bookkeeping per segment, roughly, and per record it holds (a slot of its record list). */
const SEGMENT_OVERHEAD = 128;
const SEGMENT_SLOT = 8;
/** Segments kept per first record (other page sizes or ranges); the oldest goes first. */
const SEGMENTS_PER_RECORD = 8;
/**
 * Room a segment leaves for a prefix longer than the one it was written with: a REST page's
 * prefix differs by its nextRecordsUrl (absent on the last page) and totalSize.
 */
const HEAD_ROOM = 256;

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
 * A page kept whole: `bytes` holds room, the texts of `records` joined by the separator
 * (`bytes[start, end)`), and `tail` (`bytes[end, bytes.length)`). The prefix written last is
 * `head`, `bytes[headStart, start)`.
 */
interface Segment {
  records: StoredRecord[];
  bytes: Uint8Array<ArrayBuffer>;
  start: number;
  end: number;
  tail: string;
  head: string;
  headStart: number;
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
   * and `suffix`. `textOf` serialises a record not cached yet.
   *
   * The bytes may be the cache's own: read them at once (`new Response(bytes)` copies them)
   * and never write into them. They are good until the next `page()` of this cache, which may
   * write another prefix in front of the same records.
   */
  page(
    rows: readonly StoredRecord[],
    from: number,
    to: number,
    textOf: (record: StoredRecord) => string,
    prefix: string,
    suffix: string,
  ): Uint8Array<ArrayBuffer> {
    const count = Math.max(0, to - from);
    const segment = count > 0 ? this.#segment(rows, from, count) : undefined;
    if (segment !== undefined) return this.#framed(segment, prefix, suffix);

    const entries: Entry[] = new Array(count);
    let missing: number[] | undefined;
    for (let i = 0; i < count; i++) {
      const entry = this.#entries.get(rows[from + i]);
      if (entry === undefined) (missing ??= []).push(i);
      else entries[i] = entry;
    }
    if (missing !== undefined) this.#fill(rows, from, missing, entries, textOf);

    const separator = this.#separator;
    const gap = separator.length;
    const head = ENCODER.encode(prefix);
    const tail = ENCODER.encode(suffix);
    // Room for a longer prefix only when the page may be kept.
    const room = count > 0 ? head.length + HEAD_ROOM : head.length;
    let size = room + tail.length + (count > 0 ? gap * (count - 1) : 0);
    for (let i = 0; i < count; i++) size += entries[i].end - entries[i].start;
    const out = new Uint8Array(size);
    let position = room;
    let i = 0;
    while (i < count) {
      // A run of records stored one after the other (separators included) is one copy.
      const first = entries[i];
      let last = first;
      let j = i + 1;
      for (; j < count; j++) {
        const next = entries[j];
        if (next.chunk !== last.chunk || next.start !== last.end + gap) break;
        last = next;
      }
      if (i > 0) {
        out.set(separator, position);
        position += gap;
      }
      out.set(first.chunk.subarray(first.start, last.end), position);
      position += last.end - first.start;
      i = j;
    }
    out.set(tail, position);
    const headStart = room - head.length;
    out.set(head, headStart);
    if (count > 0) {
      this.#keep({
        records: rows.slice(from, to),
        bytes: out,
        start: room,
        end: position,
        tail: suffix,
        head: prefix,
        headStart,
      });
    }
    return headStart === 0 ? out : out.subarray(headStart);
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

  /**
   * A kept segment's texts between `prefix` and `suffix`: its bytes, the prefix written into
   * their room when it differs from the last one; rewritten with more room, or another
   * suffix, when those do not fit.
   */
  #framed(segment: Segment, prefix: string, suffix: string): Uint8Array<ArrayBuffer> {
    if (segment.tail === suffix) {
      if (segment.head !== prefix) {
        const head = ENCODER.encode(prefix);
        if (head.length > segment.start) return this.#reframe(segment, head, prefix, suffix);
        segment.headStart = segment.start - head.length;
        segment.bytes.set(head, segment.headStart);
        segment.head = prefix;
      }
      return segment.bytes.subarray(segment.headStart);
    }
    return this.#reframe(segment, ENCODER.encode(prefix), prefix, suffix);
  }

  /** Copies a segment's texts into new bytes between `prefix` and `suffix`, with fresh room. */
  #reframe(
    segment: Segment,
    head: Uint8Array,
    prefix: string,
    suffix: string,
  ): Uint8Array<ArrayBuffer> {
    const tail = ENCODER.encode(suffix);
    const room = head.length + HEAD_ROOM;
    const length = segment.end - segment.start;
    const out = new Uint8Array(room + length + tail.length);
    out.set(segment.bytes.subarray(segment.start, segment.end), room);
    out.set(tail, room + length);
    out.set(head, HEAD_ROOM);
    this.#owner.bytes += out.length - segment.bytes.length;
    segment.bytes = out;
    segment.start = room;
    segment.end = room + length;
    segment.tail = suffix;
    segment.head = prefix;
    segment.headStart = HEAD_ROOM;
    return out.subarray(HEAD_ROOM);
  }

  /** Keeps a page just written as the segment of its records, when the budget allows. */
  #keep(segment: Segment): void {
    const owner = this.#owner;
    const cost = segment.bytes.length + SEGMENT_OVERHEAD + SEGMENT_SLOT * segment.records.length;
    if (owner.bytes + cost > BUDGET_BYTES) return;
    const first = segment.records[0];
    let list = this.#segments.get(first);
    if (list === undefined) this.#segments.set(first, list = []);
    if (list.length >= SEGMENTS_PER_RECORD) {
      const oldest = list.shift()!;
      owner.bytes -= oldest.bytes.length + SEGMENT_OVERHEAD +
        SEGMENT_SLOT * oldest.records.length;
    }
    list.push(segment);
    owner.bytes += cost;
  }

  /** Serialises the records not cached yet, in page order, into a chunk (kept within budget). */
  #fill(
    rows: readonly StoredRecord[],
    from: number,
    missing: number[],
    entries: Entry[],
    textOf: (record: StoredRecord) => string,
  ): void {
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
  }
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
