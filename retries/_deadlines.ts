// Attempt timeouts on one timer per timeout length, instead of one timer set and
// cleared per attempt: attempts of one length expire in the order they started,
// so the timer only ever waits for the oldest. It is cleared as soon as no
// attempt is in flight, so it never keeps a process alive on its own.
//
// The timeout also covers the body of a response the client reads itself: each wait for
// more of it (bodyChunks) or for the whole of it (readBody) is limited to the attempt's
// timeout, so a connection that stalls after the headers fails the call instead of hanging.

/** An attempt in flight: when it times out, and what to abort then. */
export interface Deadline {
  at: number;
  controller: AbortController;
}

class Deadlines {
  #timeout: number;
  #entries = new Set<Deadline>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  add(controller: AbortController): Deadline {
    const entry = { at: performance.now() + this.#timeout, controller };
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
      entry.controller.abort(
        new DOMException(`Request timed out after ${this.#timeout} ms`, "TimeoutError"),
      );
    }
  }
}

const byTimeout = new Map<number, Deadlines>();

/** Aborts `controller` with a `TimeoutError` after `timeout` ms, unless `clearDeadline` comes first. */
export function setDeadline(controller: AbortController, timeout: number): Deadline {
  let deadlines = byTimeout.get(timeout);
  if (deadlines === undefined) {
    deadlines = new Deadlines(timeout);
    byTimeout.set(timeout, deadlines);
  }
  return deadlines.add(controller);
}

/** Forgets the deadline of an attempt that answered or failed. */
export function clearDeadline(entry: Deadline, timeout: number): void {
  byTimeout.get(timeout)?.remove(entry);
}

/** The attempt behind a response the client reads itself. */
interface Attempt {
  controller: AbortController;
  timeout: number;
  /** The body fails when the controller aborts: the standard fetch ties it to the signal. */
  tied: boolean;
}

const attempts = new WeakMap<Response, Attempt>();

/**
 * Puts the client's own reads of `response`'s body (readBody, bodyChunks) under the timeout.
 * `tied`: the response came from the standard fetch, whose body fails when the attempt's
 * signal aborts; another fetch's body may not, so a wait on it is raced with the abort.
 */
export function watchBody(
  response: Response,
  controller: AbortController,
  timeout: number,
  tied: boolean,
): void {
  if (response.body !== null) attempts.set(response, { controller, timeout, tied });
}

/**
 * Waits for `wait()` with the attempt's deadline set again: on expiry the attempt aborts and
 * the wait rejects with the `TimeoutError`, whatever the body did with the abort.
 */
async function within<T>(attempt: Attempt, wait: () => Promise<T>): Promise<T> {
  const { controller, timeout } = attempt;
  const signal = controller.signal;
  signal.throwIfAborted();
  const entry = setDeadline(controller, timeout);
  let stop: (() => void) | undefined;
  try {
    if (attempt.tied) return await wait();
    const timedOut = new Promise<never>((_, reject) => {
      stop = () => reject(signal.reason);
      signal.addEventListener("abort", stop, { once: true });
    });
    return await Promise.race([wait(), timedOut]);
  } catch (error) {
    // Only a deadline aborts the controller (the caller's own abort reaches the body apart).
    throw signal.aborted ? signal.reason : error;
  } finally {
    clearDeadline(entry, timeout);
    if (stop !== undefined) signal.removeEventListener("abort", stop);
  }
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
  return timedChunks(body, attempt);
}

async function* timedChunks(
  body: ReadableStream<Uint8Array>,
  attempt: Attempt,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const chunk = await within(attempt, () => reader.read());
      if (chunk.done) {
        done = true;
        return;
      }
      yield chunk.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
  }
}
