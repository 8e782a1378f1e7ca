import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { NotFoundError, ServerError } from "../../client/errors.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

interface Seen {
  request: Request;
  status: number;
}

/**
 * A client on a fresh org whose fetch records each request with its status;
 * `edit` may change the org's response (used only where the fake has no knob).
 */
function setup(edit?: (response: Response) => Response) {
  const org = new FakeSalesforce();
  const seen: Seen[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    retryPolicy: null,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await org.fetch(request.clone());
      seen.push({ request, status: response.status });
      return edit ? edit(response) : response;
    },
  });
  const describes = (tail = "/describe") =>
    seen.filter(({ request }) => new URL(request.url).pathname.endsWith(tail));
  return { org, sf, seen, describes };
}

Deno.test("50 concurrent describes of one object send one request", async () => {
  const { sf, describes } = setup();
  const results = await Promise.all(
    Array.from({ length: 50 }, () => sf.sobject.describe("Account")),
  );
  assert.equal(describes().length, 1);
  assert.equal(new Set(results).size, 1, "every caller gets the same cached body");
  assert.equal(results[0].name, "Account");
});

Deno.test("a second describe revalidates with If-Modified-Since and returns the cached body on 304", async () => {
  const { sf, describes } = setup();
  const first = await sf.sobject.describe("Contact");
  const [full] = describes();
  assert.equal(full.request.headers.get("If-Modified-Since"), null);
  const second = await sf.sobject.describe("Contact");
  const [, revalidation] = describes();
  const since = revalidation.request.headers.get("If-Modified-Since");
  assert.ok(since !== null && !Number.isNaN(Date.parse(since)));
  assert.equal(revalidation.status, 304);
  assert.equal(second, first);
});

Deno.test("describeGlobal is cached and revalidated the same way", async () => {
  const { sf, describes } = setup();
  const first = await sf.describeGlobal();
  const second = await sf.describeGlobal();
  const calls = describes("/sobjects");
  assert.deepEqual(calls.map((call) => call.status), [200, 304]);
  assert.ok(calls[1].request.headers.has("If-Modified-Since"));
  assert.equal(second, first);
  assert.ok(first.sobjects.some((sobject) => sobject.name === "Account"));
});

Deno.test("object names differing only in case share one cache entry", async () => {
  const { sf, describes } = setup();
  const lower = await sf.sobject.describe("account");
  const canonical = await sf.sobject.describe("Account");
  assert.equal(canonical, lower);
  assert.deepEqual(describes().map((call) => call.status), [200, 304]);
});

Deno.test("clearDescribeCache makes the next describe a full fetch", async () => {
  const { sf, describes } = setup();
  const first = await sf.sobject.describe("Lead");
  const globalFirst = await sf.describeGlobal();
  sf.clearDescribeCache();
  const second = await sf.sobject.describe("Lead");
  const globalSecond = await sf.describeGlobal();
  assert.deepEqual(describes().map((call) => call.status), [200, 200]);
  assert.equal(describes()[1].request.headers.get("If-Modified-Since"), null);
  assert.notEqual(second, first);
  assert.deepEqual(second, first);
  assert.notEqual(globalSecond, globalFirst);
});

Deno.test("a describe in flight when the cache is cleared does not refill it", async () => {
  const { sf, describes } = setup();
  const pending = sf.sobject.describe("Case");
  sf.clearDescribeCache();
  await pending;
  await sf.sobject.describe("Case");
  assert.deepEqual(describes().map((call) => call.status), [200, 200]);
});

Deno.test("a failed describe is not cached: every waiter gets the error and the next call fetches again", async () => {
  const { org, sf, describes } = setup();
  org.inject({ path: "/services/data/v64.0/sobjects/Account/describe", status: 503 });
  const failures = await Promise.allSettled(
    Array.from({ length: 5 }, () => sf.sobject.describe("Account")),
  );
  assert.equal(describes().length, 1);
  const reasons = failures.map((f) => (f as PromiseRejectedResult).reason);
  assert.ok(reasons.every((reason) => reason === reasons[0] && reason instanceof ServerError));
  const describe = await sf.sobject.describe("Account");
  assert.equal(describe.name, "Account");
  assert.equal(describes()[1].request.headers.get("If-Modified-Since"), null);
  assert.equal(describes()[1].status, 200);
});

Deno.test("a failed revalidation drops the entry, so the next describe fetches in full", async () => {
  const { org, sf, describes } = setup();
  await sf.sobject.describe("Opportunity");
  org.inject({ path: "/services/data/v64.0/sobjects/Opportunity/describe", status: 500 });
  await assert.rejects(sf.sobject.describe("Opportunity"), ServerError);
  await sf.sobject.describe("Opportunity");
  assert.deepEqual(describes().map((call) => call.status), [200, 500, 200]);
  assert.equal(describes()[2].request.headers.get("If-Modified-Since"), null);
});

Deno.test("an unknown object is NotFoundError and is not cached", async () => {
  const { sf, describes } = setup();
  await assert.rejects(sf.sobject.describe("Nope__c"), NotFoundError);
  await assert.rejects(sf.sobject.describe("Nope__c"), NotFoundError);
  assert.equal(describes().length, 2);
  assert.equal(describes()[1].request.headers.get("If-Modified-Since"), null);
});

Deno.test("cached describes are deep-frozen so callers cannot corrupt them", async () => {
  const { sf } = setup();
  const describe = await sf.sobject.describe("Account");
  assert.throws(() => {
    describe.label = "Changed";
  }, TypeError);
  assert.throws(() => describe.fields.pop(), TypeError);
  assert.throws(() => {
    describe.fields[0].name = "Changed";
  }, TypeError);
  const again = await sf.sobject.describe("Account");
  assert.equal(again.label, "Account");
  assert.equal(again.fields[0].name, "Id");
});

Deno.test("the cache revalidates with the Date header when Last-Modified is missing", async () => {
  const date = "Fri, 15 Mar 2024 09:30:00 GMT";
  const { sf, describes } = setup((response) => {
    // The fake always sends Last-Modified; strip it to see the fallback.
    const headers = new Headers(response.headers);
    headers.delete("Last-Modified");
    headers.set("Date", date);
    return new Response(response.body, { status: response.status, headers });
  });
  await sf.sobject.describe("User");
  await sf.sobject.describe("User");
  assert.equal(describes()[1].request.headers.get("If-Modified-Since"), date);
});

Deno.test("one caller aborting its describe does not fail the others sharing the request", async () => {
  const { sf, describes } = setup();
  const controller = new AbortController();
  const reason = new Error("gave up");
  const aborted = sf.sobject.describe("Account", { signal: controller.signal });
  const other = sf.sobject.describe("Account");
  controller.abort(reason);
  await assert.rejects(aborted, reason);
  assert.equal((await other).name, "Account");
  assert.equal(describes().length, 1);
  // The shared answer was still cached.
  await sf.sobject.describe("Account");
  assert.deepEqual(describes().map((call) => call.status), [200, 304]);
});

Deno.test("an already aborted signal rejects a describe before any request", async () => {
  const { sf, seen } = setup();
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assert.rejects(sf.describeGlobal({ signal: controller.signal }), /stop/);
  assert.equal(seen.length, 0);
});

Deno.test("a bad object name is a TypeError before any request", async () => {
  const { sf, seen } = setup();
  await assert.rejects(sf.sobject.describe("Account/../x"), TypeError);
  assert.equal(seen.length, 0);
});

Deno.test("two clients keep separate caches", async () => {
  const { org, sf, describes } = setup();
  const other = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  await sf.sobject.describe("Account");
  await other.sobject.describe("Account");
  sf.clearDescribeCache();
  assert.equal(org.stats.requests["GET describe"], 2);
  await other.sobject.describe("Account");
  assert.equal(describes().length, 1);
});
