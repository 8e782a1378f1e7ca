// deno-lint-ignore-file no-console
// Retries (default and custom rules, timeouts) and events (logging, API usage tracking).
// Run: deno run --allow-net=127.0.0.1,localhost examples/retries_and_events.ts
import {
  DEFAULT_RESPONSE_RULES,
  ExceptionRule,
  RequestEvent,
  ResponseRule,
  RestApiCallConsumptionEvent,
  type RetryEvent,
  RetryPolicy,
  Salesforce,
  type SalesforceEvent,
} from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce({ dailyApiLimit: 15_000 });
const log: string[] = [];
let remaining: number | null = null;
function hook(event: SalesforceEvent): void {
  if (event instanceof RequestEvent) {
    const { method, url, headers } = event.request; // a redacted copy: no body, no token
    log.push(`${method} ${new URL(url).pathname} auth=${headers.has("Authorization")}`);
  }
  if (event instanceof RestApiCallConsumptionEvent) remaining = event.remaining;
}
const sf = new Salesforce({
  baseUrl: org.baseUrl,
  auth: org.auth(),
  fetch: org.fetch,
  eventHooks: [hook], // awaited: an async hook may write usage to a database
});
function onRetry(event: Event): void {
  const { attempt, response, error } = event as RetryEvent;
  console.log(`  retry #${attempt} after ${response?.status ?? (error as Error).name}`);
}
sf.eventBus.addEventListener("retry", onRetry);

// POLICY_DEFAULT retries 5xx, 429, UNABLE_TO_LOCK_ROW and REQUEST_LIMIT_EXCEEDED up to 3 times.
console.log("A 503, then a row lock; both are retried by the default policy:");
org.inject({ path: /\/limits$/, status: 503, errorCode: "SERVER_UNAVAILABLE" });
org.inject({ path: /\/limits$/, errorCode: "UNABLE_TO_LOCK_ROW" });
await sf.getLimits();
console.log("A 429 with Retry-After: 1 is retried after the second Salesforce asked for:");
org.inject({
  path: /\/limits$/,
  status: 429,
  errorCode: "REQUEST_LIMIT_EXCEEDED",
  headers: { "Retry-After": "1" },
});
const asked = performance.now();
await sf.getLimits();
console.log(`  answered after ${((performance.now() - asked) / 1000).toFixed(1)} s`);
console.log("A dropped connection (fetch throws a TypeError) is retried too:");
org.inject({ drop: true });
await sf.getLimits();
console.log(`Requests seen by the logging hook:\n  ${log.join("\n  ")}`);
console.log(`API usage from Sforce-Limit-Info: ${remaining} of 15000 calls left today`);

// A custom policy: the default rules plus 409 CONFLICT, and timed-out attempts.
// A timed-out POST or PATCH is never retried: Salesforce may have applied it.
const patient = new RetryPolicy({
  responseRules: [...DEFAULT_RESPONSE_RULES, new ResponseRule((r) => r.status === 409)],
  exceptionRules: [
    new ExceptionRule(TypeError), // network failures, as the default
    new ExceptionRule(DOMException, (error) => error.name === "TimeoutError", { maxRetries: 2 }),
  ],
  maxRetries: 5,
  backoffBase: 50, // ms; default 500, doubling up to backoffMax (10 s)
});
const { baseUrl, auth, fetch } = sf;
const quick = new Salesforce({ baseUrl, auth, fetch, retryPolicy: patient, timeout: 200 });
quick.eventBus.addEventListener("retry", onRetry);
console.log("Custom policy: a 409, then a GET slower than the 200 ms timeout:");
org.inject({ path: /\/limits$/, status: 409, errorCode: "CONFLICT" });
org.inject({ path: /\/limits$/, latencyMs: 1_000 });
await quick.getLimits();
const [id] = org.insert("Account", [{ Name: "Acme" }]);
org.inject({ method: "PATCH", latencyMs: 1_000 });
try {
  await quick.sobject.update("Account", id, { Name: "Acme Corp" });
} catch (error) {
  console.log(`A slow PATCH is not retried: ${(error as Error).name}`);
}
