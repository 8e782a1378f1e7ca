import assert from "node:assert/strict";
import { backoff, retryAfter } from "../../retries/_backoff.ts";

const options = { backoffBase: 500, backoffFactor: 2, backoffMax: 10_000, backoffJitter: false };

Deno.test("backoff doubles from 500 ms and stops at the 10 s cap", () => {
  const delays = [1, 2, 3, 4, 5, 6, 7].map((retry) => backoff(retry, options, Math.random));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
});

Deno.test("backoff with jitter scales the delay by the random draw", () => {
  const jitter = { ...options, backoffJitter: true };
  assert.equal(backoff(3, jitter, () => 0), 0);
  assert.equal(backoff(3, jitter, () => 0.25), 500);
  assert.equal(backoff(9, jitter, () => 0.5), 5_000);
  const high = backoff(3, jitter, () => 0.999_999);
  assert.ok(high < 2000 && high > 1999, `expected just under 2000, got ${high}`);
});

Deno.test("backoff with a zero base never waits, even after many retries", () => {
  assert.equal(backoff(5_000, { ...options, backoffBase: 0 }, Math.random), 0);
});

Deno.test("backoff with a factor of 1 waits the base every time", () => {
  const flat = { ...options, backoffFactor: 1 };
  assert.deepEqual([1, 2, 10].map((retry) => backoff(retry, flat, Math.random)), [500, 500, 500]);
});

Deno.test("retryAfter reads delay-seconds as milliseconds", () => {
  assert.equal(retryAfter("3", 0), 3000);
  assert.equal(retryAfter(" 120 ", 0), 120_000);
  assert.equal(retryAfter("0", 0), 0);
  assert.equal(retryAfter("1.5", 0), 1500);
});

Deno.test("retryAfter reads an HTTP date relative to now", () => {
  const now = Date.parse("Wed, 21 Oct 2026 07:27:55 GMT");
  assert.equal(retryAfter("Wed, 21 Oct 2026 07:28:00 GMT", now), 5000);
  assert.equal(retryAfter("Wed, 21 Oct 2026 07:20:00 GMT", now), 0);
});

Deno.test("retryAfter ignores a missing or unreadable header", () => {
  assert.equal(retryAfter(null, 0), undefined);
  assert.equal(retryAfter("", 0), undefined);
  assert.equal(retryAfter("-1", 0), undefined);
  assert.equal(retryAfter("soon", 0), undefined);
  assert.equal(retryAfter("2026", 0), 2_026_000);
});

Deno.test("retryAfter reads the three HTTP date forms, all as GMT", () => {
  const now = Date.UTC(1994, 10, 6, 8, 49, 30);
  assert.equal(retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), 7000);
  assert.equal(retryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), 7000);
  assert.equal(retryAfter("Sun Nov  6 08:49:37 1994", now), 7000);
  // A two-digit year more than 50 years ahead is in the past century, so it has passed.
  assert.equal(retryAfter("Tuesday, 01-Jan-80 00:00:00 GMT", Date.UTC(2026, 0, 1)), 0);
});

Deno.test("retryAfter refuses text that is not delay-seconds or an HTTP date", () => {
  // Date.parse reads each of these as some date in 2001, which would mean "retry now".
  for (
    const garbage of ["soon 5", "Retry later 2", "tomorrow 3", "later", "2026-11-29T10:00:00Z"]
  ) {
    assert.equal(retryAfter(garbage, Date.UTC(2026, 10, 29)), undefined, garbage);
  }
  assert.equal(retryAfter("Sun, 32 Nov 1994 08:49:37 GMT", 0), undefined);
  assert.equal(retryAfter("Sun, 06 Nov 1994 25:49:37 GMT", 0), undefined);
});
