// Waiting on a caller's AbortSignal without one "abort" listener per call: a
// signal shared by many concurrent calls (an app-wide shutdown signal, say)
// gets one listener in all, which runs the callbacks of the calls still waiting.
// Node warns (MaxListenersExceededWarning) past a few listeners per signal.

const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` when `signal` aborts, unless the returned function was
 * called first. `signal` must not be aborted yet.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = waiting.get(signal);
  if (callbacks === undefined) {
    const set = new Set<() => void>();
    callbacks = set;
    waiting.set(signal, set);
    // Stays for the signal's life: adding and removing it per call would cost more.
    signal.addEventListener("abort", () => {
      waiting.delete(signal);
      for (const run of set) run();
      set.clear();
    }, { once: true });
  }
  const entry = () => callback();
  callbacks.add(entry);
  const set = callbacks;
  return () => {
    set.delete(entry);
  };
}

/** Waits for `promise`, giving up (for this caller only) with `signal.reason` when it aborts. */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | null | undefined,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, () => reject(signal.reason));
    promise.then((value) => {
      off();
      resolve(value);
    }, (error) => {
      off();
      reject(error);
    });
  });
}
