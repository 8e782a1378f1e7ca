// Pure retry-delay arithmetic: no clock, no timers, so tests can pin every value.

/** The policy settings the delay depends on, all in milliseconds except the factor. */
export interface BackoffOptions {
  backoffBase: number;
  backoffFactor: number;
  backoffMax: number;
  backoffJitter: boolean;
}

/**
 * Delay before the `retry`-th retry (1 = first): `min(base * factor^(retry-1), max)`,
 * drawn uniformly from [0, delay) when jitter is on ("full jitter", so a crowd of
 * clients that failed together does not come back together).
 */
export function backoff(retry: number, options: BackoffOptions, random: () => number): number {
  const { backoffBase: base, backoffFactor: factor, backoffMax: max } = options;
  // base 0 would give 0 * Infinity = NaN once factor^n overflows.
  const delay = base === 0 ? 0 : Math.min(base * factor ** (retry - 1), max);
  return options.backoffJitter ? random() * delay : delay;
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP date.
 * Returns the wait in milliseconds (a date in the past gives 0), or undefined when
 * the header is absent or unreadable.
 */
export function retryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value) * 1000;
  // Only a date-shaped value: Date.parse also accepts bare numbers and odd forms.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
