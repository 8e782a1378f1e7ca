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
  const date = httpDate(value, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
// The three forms of RFC 9110 §5.6.7, and nothing else: Date.parse alone reads text such as
// "Retry later 2" as a date in 2001, which would make a retry come at once.
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(
  `^(?:mon|tue|wed|thu|fri|sat|sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`,
  "i",
);
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(
  `^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
  "i",
);
/** `Sun Nov  6 08:49:37 1994` (GMT) */
const ASCTIME_DATE = new RegExp(
  `^(?:mon|tue|wed|thu|fri|sat|sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`,
  "i",
);

/** Milliseconds since the epoch of an HTTP date, or undefined when `text` is not one. */
function httpDate(text: string, now: number): number | undefined {
  let day: string, month: string, year: number, hour: string, minute: string, second: string;
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    [, day, month] = match;
    year = Number(match[3]);
    [hour, minute, second] = match.slice(4);
  } else if ((match = RFC850_DATE.exec(text)) !== null) {
    [, day, month] = match;
    // A two-digit year more than 50 years ahead is the latest such year in the past.
    year = 2000 + Number(match[3]);
    if (year > new Date(now).getUTCFullYear() + 50) year -= 100;
    [hour, minute, second] = match.slice(4);
  } else if ((match = ASCTIME_DATE.exec(text)) !== null) {
    [, month, day, hour, minute, second] = match;
    year = Number(match[6]);
  } else {
    return undefined;
  }
  const d = Number(day.trim());
  const [h, m, s] = [Number(hour), Number(minute), Number(second)];
  if (d < 1 || d > 31 || h > 23 || m > 59 || s > 60) return undefined;
  return Date.UTC(year, MONTHS.indexOf(month.toLowerCase()), d, h, m, s);
}
