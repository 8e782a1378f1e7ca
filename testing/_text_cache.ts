// The UTF-8 bytes of serialised stored records (a query record's JSON, a bulk result row's CSV
// line), kept per record and per projection, so that a query run again, or a page served
// again, costs a copy instead of a serialisation and an encoding. The SOQL engine (REST pages)
// and the bulk CSV writer share it.
//
// Texts are written into large chunks, each followed by the page's separator, in the order
// they were first served: the records of a page served before sit next to each other, and the
// page is copied in one piece (per chunk) rather than record by record.
//
// Only projections that read nothing but the record's own fields may be cached: their text
// changes only when the record's fields change, which the store counts (`mutations`: updates,
// deletes, rollbacks). When that count moves, every cache of the store starts afresh.

import { utf8ByteLength } from "../client/_csv_format.ts";
import type { SoqlDataSource, StoredRecord } from "./_schema.ts";

/** Bytes kept per store at most, counting a fixed overhead per record. */
const BUDGET_BYTES = 256 * 1024 * 1024;
/** Bookkeeping per cached record (entry object and map slot), roughly. */
const ENTRY_OVERHEAD = 64;
/** Size of a chunk unless one text run needs more. */
const CHUNK_BYTES = 8 * 1024 * 1024;

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

const stores = new WeakMap<object, StoreCaches>();

/** Record texts of one projection of one store, and the pages made of them. */
export class RecordBytes {
  // A Map, not a WeakMap: its lookups are about a third faster, which a page served again is
  // made of. It keeps a purged record's entry alive only until the store's next mutation
  // starts the caches afresh (or the org is reset); a purged record is never served again.
  #entries = new Map<StoredRecord, Entry>();
  #owner: StoreCaches;
  #separatorText: string;
  #separator: Uint8Array<ArrayBuffer>;
  #chunk: Uint8Array<ArrayBuffer> | undefined;
  #used = 0;

  constructor(owner: StoreCaches, separator: string) {
    this.#owner = owner;
    this.#separatorText = separator;
    this.#separator = ENCODER.encode(separator);
  }

  /**
   * The UTF-8 bytes of `prefix`, the texts of `rows[from, to)` separated by the separator,
   * and `suffix`. `textOf` serialises a record not cached yet.
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
    let size = head.length + tail.length + (count > 0 ? gap * (count - 1) : 0);
    for (let i = 0; i < count; i++) size += entries[i].end - entries[i].start;
    const out = new Uint8Array(size);
    out.set(head, 0);
    let position = head.length;
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
    return out;
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
    const keep = owner.bytes + 3 * text.length + ENTRY_OVERHEAD * texts.length <= BUDGET_BYTES;
    let chunk = keep ? this.#chunk : undefined;
    let start = this.#used;
    let written = -1;
    if (chunk !== undefined) {
      const result = ENCODER.encodeInto(text, chunk.subarray(start));
      if (result.read === text.length) written = result.written;
    }
    if (written === -1) {
      chunk = new Uint8Array(Math.max(keep ? CHUNK_BYTES : 0, 3 * text.length));
      start = 0;
      written = ENCODER.encodeInto(text, chunk).written;
      if (keep) this.#chunk = chunk;
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
      owner.bytes += written + ENTRY_OVERHEAD * texts.length;
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
