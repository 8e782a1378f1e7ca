// Attempt timeouts on one timer per timeout length, instead of one timer set and
// cleared per attempt: attempts of one length expire in the order they started,
// so the timer only ever waits for the oldest. It is cleared as soon as no
// attempt is in flight, so it never keeps a process alive on its own.
// The client's reads of a body use the same timers (client/_body_deadline.ts).

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

  /** Restarts an attempt's timeout from now; one that expired or was removed stays so. */
  renew(entry: Deadline): void {
    if (!this.#entries.delete(entry)) return;
    // Now the newest: re-added last, it keeps the set in the order the attempts expire.
    entry.at = performance.now() + this.#timeout;
    this.#entries.add(entry);
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

/**
 * Restarts the timeout of an attempt still in flight from now: its request body made
 * progress (a streamed upload's piece was taken), so it is not stalled.
 */
export function renewDeadline(entry: Deadline, timeout: number): void {
  byTimeout.get(timeout)?.renew(entry);
}

/** Forgets the deadline of an attempt that answered or failed. */
export function clearDeadline(entry: Deadline, timeout: number): void {
  byTimeout.get(timeout)?.remove(entry);
}
