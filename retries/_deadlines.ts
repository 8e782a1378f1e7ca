// Attempt timeouts on one timer per timeout length, instead of one timer set and
// cleared per attempt: attempts of one length expire in the order they started,
// so the timer only ever waits for the oldest. It is cleared as soon as no
// attempt is in flight, so it never keeps a process alive on its own.
//
// The timeout also covers the body of a response the client reads itself: each wait for
// more of it (bodyChunks) or for the whole of it (readBody) is limited to the attempt's
// timeout, so a connection that stalls after the headers fails the call instead of hanging.

import { streamChunks } from "../client/_bytes.ts";

/** An attempt in flight: when it times out, what to abort then, and whom to tell. */
export interface Deadline {
  at: number;
  controller: AbortController;
  onExpire: ((reason: DOMException) => void) | undefined;
}

class Deadlines {
  #timeout: number;
  #entries = new Set<Deadline>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  add(
    controller: AbortController,
    onExpire: ((reason: DOMException) => void) | undefined,
  ): Deadline {
    const entry = { at: performance.now() + this.#timeout, controller, onExpire };
    this.#entries.add(entry);
    if (this.#timer === undefined) this.#timer = setTimeout(() => this.#expire(), this.#timeout);
    return entry;
  }

  remove(entry: Deadline): void {
    this.#entries.delete(entry);
    if (this.#entries.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const entry of this.#entries) {
      if (entry.at > now) {
        // An abort below may have added an attempt, and with it the timer.
        this.#timer ??= setTimeout(() => this.#expire(), Math.ceil(entry.at - now));
        return;
      }
      this.#entries.delete(entry);
      const reason = new DOMException(
        `Request timed out after ${this.#timeout} ms`,
        "TimeoutError",
      );
      entry.controller.abort(reason);
      entry.onExpire?.(reason);
    }
  }
}

const byTimeout = new Map<number, Deadlines>();

/**
 * Aborts `controller` with a `TimeoutError` after `timeout` ms, then calls `onExpire` with
 * it, unless `clearDeadline` comes first.
 */
export function setDeadline(
  controller: AbortController,
  timeout: number,
  onExpire?: (reason: DOMException) => void,
): Deadline {
  let deadlines = byTimeout.get(timeout);
  if (deadlines === undefined) {
    deadlines = new Deadlines(timeout);
    byTimeout.set(timeout, deadlines);
  }
  return deadlines.add(controller, onExpire);
}

/** Forgets the deadline of an attempt that answered or failed. */
export function clearDeadline(entry: Deadline, timeout: number): void {
  byTimeout.get(timeout)?.remove(entry);
}

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
  if (attempt === undefined) return body;
  return streamChunks(body, (read) => within(attempt, read));
}
