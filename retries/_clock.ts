// Time and randomness in one object: the seam tests replace with mock.method(clock, "sleep"), etc.

/** Sleeps for `ms` milliseconds; rejects with `signal.reason` when the signal aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The library's clock: every wait, timestamp and jitter goes through it. */
export const clock: {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
} = {
  now: () => Date.now(),
  sleep,
  random: () => Math.random(),
};
