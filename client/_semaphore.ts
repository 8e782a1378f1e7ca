// Bounds the requests a client has in flight (the `concurrencyLimit` option).
import { onAbort } from "./_abort.ts";

/** A counting semaphore whose waiters can give up through an AbortSignal. */
export class Semaphore {
  #free: number;
  #waiters: Array<() => void> = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  /** Takes a permit when one is free, without waiting; false when none is. */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }

  /** Takes a permit, waiting for one if none is free; rejects with `signal.reason` on abort. */
  acquire(signal?: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let off: (() => void) | undefined;
      const grant = () => {
        off?.();
        resolve();
      };
      this.#waiters.push(grant);
      if (signal) {
        off = onAbort(signal, () => {
          const index = this.#waiters.indexOf(grant);
          if (index !== -1) this.#waiters.splice(index, 1);
          reject(signal.reason);
        });
      }
    });
  }

  /** Returns a permit, handing it straight to the oldest waiter if there is one. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
