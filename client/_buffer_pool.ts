// Chunk buffers for bulk job payloads, used again once a job is done with them. Each payload
// is CSV in 64 KiB buffers; made fresh for every job, the buffers of finished jobs pile up as
// garbage that V8 frees late (an ingest of 20 MB jobs, 2 at once, peaked at 350 MB of buffers),
// so a job's buffers go back to the pool when its results have settled its records.

import type { ChunkBuffers } from "./_csv_writer.ts";

/** Buffers of one size for one ingest operation; see the top of the file. */
export class BufferPool implements ChunkBuffers {
  readonly size: number;
  #keep: number;
  #free: Uint8Array[] = [];
  /** Every buffer this pool made: no other buffer is ever taken in. */
  #mine = new WeakSet<ArrayBuffer>();
  /** The buffers in `#free`: a buffer given twice is still handed out once. */
  #pooled = new WeakSet<ArrayBuffer>();

  /**
   * @param size Bytes per buffer.
   * @param keep Most free buffers kept (one payload's worth is enough: payloads are filled one
   *   at a time); the rest are left to the garbage collector.
   */
  constructor(size: number, keep: number) {
    this.size = size;
    this.#keep = keep;
  }

  /** A free buffer, or a new one. */
  take(): Uint8Array {
    const buffer = this.#free.pop();
    if (buffer !== undefined) {
      this.#pooled.delete(buffer.buffer as ArrayBuffer);
      return buffer;
    }
    const made = new Uint8Array(this.size);
    this.#mine.add(made.buffer);
    return made;
  }

  /** Takes back a buffer this pool made, once nothing reads it any more. */
  give(buffer: Uint8Array): void {
    const whole = buffer.buffer as ArrayBuffer;
    if (
      !this.#mine.has(whole) || this.#pooled.has(whole) || this.#free.length >= this.#keep ||
      // Detached (taken over by a byte stream: byteLength 0) or resized: not ours to hand out.
      whole.byteLength !== this.size
    ) {
      return;
    }
    this.#pooled.add(whole);
    this.#free.push(new Uint8Array(whole));
  }

  /** Gives back the buffers under a payload's chunks (views on them included). */
  recycle(chunks: readonly Uint8Array[]): void {
    for (let i = 0; i < chunks.length; i++) this.give(chunks[i]);
  }
}
