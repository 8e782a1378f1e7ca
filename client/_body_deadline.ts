// The client's own reads of a response body under the timeout of the attempt the response
// came from: each wait for more of a body (bodyChunks), or for the whole of it (readBody), is
// limited to that timeout, so a connection that stalls after the headers fails the call
// instead of hanging. The retry loop registers each response it returns (watchBody).

import { clearDeadline, setDeadline } from "../retries/_deadlines.ts";
import { streamChunks } from "./_bytes.ts";

/** The attempt behind a response the client reads itself. */
interface Attempt {
  controller: AbortController;
  timeout: number;
  /** The caller's signal, joined into the attempt's: its abort ends a wait too. */
  caller: AbortSignal | null;
}

const attempts = new WeakMap<Response, Attempt>();

/** Puts the client's own reads of `response`'s body (readBody, bodyChunks) under the timeout. */
export function watchBody(
  response: Response,
  controller: AbortController,
  timeout: number,
  caller: AbortSignal | null,
): void {
  // Not `response.body !== null`: on Deno, asking turns a body held in memory into a stream.
  attempts.set(response, { controller, timeout, caller });
}

/**
 * Waits for `wait()` with the attempt's deadline set again. It rejects with the `TimeoutError`
 * when the deadline passes, and with the caller's reason when the caller aborts, at once,
 * whatever the body does with the abort: the standard fetch fails its body then, but a
 * custom `fetch` (or a stub in place of the global one) may not.
 */
async function within<T>(attempt: Attempt, wait: () => Promise<T>): Promise<T> {
  const { controller, timeout, caller } = attempt;
  controller.signal.throwIfAborted();
  caller?.throwIfAborted();
  let stop!: (reason: unknown) => void;
  const stopped = new Promise<never>((_, reject) => stop = reject);
  const entry = setDeadline(controller, timeout, stop);
  const onAbort = caller === null ? undefined : () => stop(caller.reason);
  if (onAbort !== undefined) caller!.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([wait(), stopped]);
  } finally {
    clearDeadline(entry, timeout);
    if (onAbort !== undefined) caller!.removeEventListener("abort", onAbort);
  }
}

/** True when `error` is the abort reason of the caller whose request `response` answers. */
export function isCallerAbort(response: Response, error: unknown): boolean {
  const caller = attempts.get(response)?.caller;
  return caller !== undefined && caller !== null && caller.aborted && caller.reason === error;
}

/** `read(response)`, whole, within the timeout of the attempt the response came from. */
export async function readBody<T>(
  response: Response,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  const attempt = attempts.get(response);
  return attempt === undefined ? await read(response) : await within(attempt, () => read(response));
}

/**
 * The chunks of a response's body, each wait for the next within the timeout of the attempt
 * the response came from. Leaving early, or a timeout, cancels the body.
 */
export function bodyChunks(response: Response): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  const body = response.body;
  const attempt = attempts.get(response);
  if (body === null) return [];
  // Read with a reader either way: not every runtime makes a ReadableStream async-iterable.
  if (attempt === undefined) return streamChunks(body);
  return streamChunks(body, (read) => within(attempt, read));
}
