// Bounds the requests a client has in flight (the `concurrencyLimit` option).

/** A counting semaphore whose waiters can give up through an AbortSignal. */
export class Semaphore {
  #free: number;
  #waiters: Array<() => void> = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  /** Takes a permit, waiting for one if none is free; rejects with `signal.reason` on abort. */
  acquire(signal?: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(grant);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(signal!.reason);
      };
      this.#waiters.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Returns a permit, handing it straight to the oldest waiter if there is one. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
