// Byte chunks read from a stream, and joined into one array.

/** The chunks as one array: the only chunk itself, or a copy of them all side by side. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * The chunks of a stream as they come, read with a reader (not every runtime makes a
 * ReadableStream async-iterable). `wait` runs each read (say, under a deadline). Leaving
 * early, or a read that fails, cancels the stream.
 */
export async function* streamChunks(
  stream: ReadableStream<Uint8Array>,
  wait: <T>(read: () => Promise<T>) => Promise<T> = (read) => read(),
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const result = await wait(() => reader.read());
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    // The caller stopped early (break, an error while parsing, a timeout): release the body.
    // Not awaited: cancelling one branch of a tee (a callback kept `response.clone()`) waits
    // for the other, which may never be read.
    if (!done) {
      void reader.cancel().catch(() => {
        // Errored already: nothing left to release.
      });
    }
    reader.releaseLock();
  }
}
