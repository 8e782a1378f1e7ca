import assert from "node:assert/strict";
import { mock } from "node:test";
import { Salesforce } from "../../client/salesforce.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, tokenFor, V, wire } from "./_fake.ts";

Deno.test("FakeSalesforce fault answers a REST error list, counted, with Sforce-Limit-Info", async () => {
  const { org, token } = await loggedIn();
  org.inject({
    path: `${V}/limits`,
    status: 503,
    errorCode: "SERVER_UNAVAILABLE",
    message: "Try later",
  });
  const got = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(got.status, 503);
  assert.equal(got.type, "application/json;charset=UTF-8");
  assert.equal(got.limit, "api-usage=1/100000");
  assert.equal(got.text, '[{"message":"Try later","errorCode":"SERVER_UNAVAILABLE"}]');
  assert.equal((await wire(await call(org, token, "GET", `${V}/limits`))).status, 200, "used once");
});

Deno.test("FakeSalesforce fault fills status from the code and code from the status", async () => {
  const { org, token } = await loggedIn();
  org.inject({ errorCode: "UNABLE_TO_LOCK_ROW" });
  org.inject({ status: 403 });
  org.inject({ status: 500 });
  const lock = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(lock.status, 400);
  assert.equal(
    lock.text,
    '[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]',
  );
  const limited = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(
    limited.text,
    '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]',
  );
  const crash = JSON.parse((await wire(await call(org, token, "GET", `${V}/limits`))).text);
  assert.equal(crash[0].errorCode, "UNKNOWN_EXCEPTION");
  assert.match(crash[0].message, /^An unexpected error occurred\. Please include this ErrorId/);
});

Deno.test("FakeSalesforce fault with a raw body answers it as the edge would: not counted, no limit header", async () => {
  const { org, token } = await loggedIn();
  const page = "<html><body>We are down for maintenance.</body></html>";
  org.inject({ status: 503, body: page });
  org.inject({ status: 502, body: "Bad gateway", contentType: "text/plain" });
  const maintenance = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(maintenance.status, 503);
  assert.equal(maintenance.type, "text/html;charset=UTF-8");
  assert.equal(maintenance.limit, null);
  assert.equal(maintenance.text, page);
  const gateway = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(gateway.type, "text/plain");
  assert.equal(org.stats.apiCalls, 0);
});

Deno.test("FakeSalesforce fault on the token endpoint and SOAP login takes their error shapes", async () => {
  const org = new FakeSalesforce();
  org.inject({
    path: "/services/oauth2/token",
    errorCode: "invalid_grant",
    message: "user is locked",
    status: 400,
  });
  org.inject({ path: "/services/Soap/", errorCode: "API_DISABLED_FOR_ORG" });
  const oauth = await wire(await org.fetch("/services/oauth2/token", { method: "POST", body: "" }));
  assert.equal(oauth.status, 400);
  assert.equal(oauth.text, '{"error":"invalid_grant","error_description":"user is locked"}');
  const soap = await wire(await org.fetch("/services/Soap/u/66.0", { method: "POST", body: "" }));
  assert.equal(soap.status, 403);
  assert.equal(soap.type, "text/xml;charset=UTF-8");
  assert.match(
    soap.text,
    /<faultcode>sf:API_DISABLED_FOR_ORG<\/faultcode><faultstring>API_DISABLED_FOR_ORG: API is not enabled for this Organization or Partner<\/faultstring><detail><sf:UnexpectedErrorFault/,
  );
});

Deno.test("FakeSalesforce fault drops the connection: fetch rejects and nothing is written", async () => {
  const { org, token } = await loggedIn();
  org.inject({ method: "POST", drop: true });
  await assert.rejects(call(org, token, "POST", `${V}/sobjects/Account`, { Name: "Acme" }), {
    name: "TypeError",
    message: "fetch failed: connection dropped by FakeSalesforce",
  });
  assert.deepEqual(org.records("Account"), []);
  assert.equal(org.stats.apiCalls, 0);
  assert.equal(org.stats.requests["POST sobjects"], 1);
});

Deno.test("FakeSalesforce fault expires the request's token: 401 now and afterwards, a new token works", async () => {
  const { org, token } = await loggedIn();
  org.inject({ expireToken: true });
  const expired = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(expired.status, 401);
  assert.equal(
    expired.text,
    '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
  );
  assert.equal((await wire(await call(org, token, "GET", `${V}/limits`))).status, 401);
  const fresh = await tokenFor(org);
  assert.equal((await wire(await call(org, fresh, "GET", `${V}/limits`))).status, 200);
});

Deno.test("FakeSalesforce fault adds latency, then answers normally", async () => {
  const { org, token } = await loggedIn();
  org.inject({ latencyMs: 1 });
  const got = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(got.status, 200);
  assert.deepEqual(org.faults, []);
});

Deno.test("FakeSalesforce fault latency ends with the request's abort reason when the caller aborts", async () => {
  const { org, token } = await loggedIn();
  org.inject({ latencyMs: 3_600_000 });
  const controller = new AbortController();
  const pending = org.fetch(
    new Request(`${org.baseUrl}${V}/limits`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: controller.signal,
    }),
  );
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  const aborted = new AbortController();
  aborted.abort(reason);
  await assert.rejects(
    org.fetch(`${V}/limits`, { signal: aborted.signal }),
    (error) => error === reason,
  );
});

Deno.test("FakeSalesforce uses faults in registration order, matching method and path", async () => {
  const { org, token } = await loggedIn();
  org.inject({ method: "POST", status: 500, message: "post only" });
  org.inject({ path: /\/limits$/, status: 500, message: "first" });
  org.inject({ path: `${V}/limits`, status: 500, message: "second" });
  const message = async () =>
    JSON.parse((await wire(await call(org, token, "GET", `${V}/limits`))).text)[0]?.message;
  assert.equal(await message(), "first");
  assert.equal(await message(), "second");
  assert.equal(await message(), undefined);
  assert.equal(org.faults.length, 1);
  assert.equal(org.faults[0].message, "post only");
});

Deno.test("FakeSalesforce fault hits `times` requests and org.faults shows what is left", async () => {
  const { org, token } = await loggedIn();
  org.inject({ status: 503, times: 3 });
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    statuses.push((await wire(await call(org, token, "GET", `${V}/limits`))).status);
  }
  assert.deepEqual(statuses, [503, 503, 503, 200]);
  org.inject({ status: 503, times: 2 });
  await (await call(org, token, "GET", `${V}/limits`)).body?.cancel();
  assert.deepEqual(org.faults, [{ status: 503, times: 1 }]);
  org.clearFaults();
  assert.deepEqual(org.faults, []);
});

Deno.test("FakeSalesforce refuses faults that do nothing or hold values out of range", () => {
  const org = new FakeSalesforce();
  assert.throws(() => org.inject({}), {
    name: "TypeError",
    message: /give at least one of "status"/,
  });
  assert.throws(() => org.inject({ status: 503, times: 0 }), {
    name: "RangeError",
    message: 'Cannot inject fault: "times" must be an integer >= 1: received 0',
  });
  assert.throws(() => org.inject({ status: 99 }), { name: "RangeError" });
  assert.throws(() => org.inject({ latencyMs: -1 }), { name: "RangeError" });
  assert.throws(() => org.inject({ status: 500, path: 42 as unknown as string }), {
    name: "TypeError",
  });
  assert.throws(() => org.inject(null as unknown as object), { name: "TypeError" });
  assert.deepEqual(org.faults, []);
});

Deno.test("FakeSalesforce fault headers come on its answer, set last", async () => {
  const { org, token } = await loggedIn();
  org.inject({
    path: `${V}/limits`,
    status: 503,
    headers: { "Retry-After": "2", "Sforce-Limit-Info": "api-usage=99/100" },
  });
  org.inject({ path: `${V}/limits`, status: 429, headers: [["Retry-After", "5"]] });
  const first = await call(org, token, "GET", `${V}/limits`);
  assert.equal(first.status, 503);
  assert.equal(first.headers.get("Retry-After"), "2");
  assert.equal(first.headers.get("Sforce-Limit-Info"), "api-usage=99/100");
  assert.equal(first.headers.get("Content-Type"), "application/json;charset=UTF-8");
  await first.body?.cancel();
  const second = await call(org, token, "GET", `${V}/limits`);
  assert.equal(second.status, 429);
  assert.equal(second.headers.get("Retry-After"), "5");
  await second.body?.cancel();
  const third = await call(org, token, "GET", `${V}/limits`);
  assert.equal(third.status, 200);
  assert.equal(third.headers.get("Retry-After"), null);
  await third.body?.cancel();
});

Deno.test("FakeSalesforce fault headers alone, or with latency, come on the org's real answer", async () => {
  const { org, token } = await loggedIn();
  org.inject({ path: `${V}/limits`, headers: new Headers({ "X-Trace": "a" }) });
  org.inject({ path: `${V}/limits`, latencyMs: 1, headers: { "X-Trace": "b" } });
  for (const trace of ["a", "b"]) {
    const response = await call(org, token, "GET", `${V}/limits`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("X-Trace"), trace);
    assert.ok(response.headers.get("Sforce-Limit-Info")?.startsWith("api-usage="));
    assert.ok("DailyApiRequests" in await response.json());
  }
  assert.deepEqual(org.faults, []);
});

Deno.test("FakeSalesforce.inject refuses headers that are not a HeadersInit", () => {
  const org = new FakeSalesforce();
  assert.throws(
    () => org.inject({ status: 503, headers: [["Retry-After"]] as unknown as HeadersInit }),
    {
      name: "TypeError",
      message:
        'Cannot inject fault: "headers" must be a Headers, an array of [name, value] pairs or a record of header values: received an array',
    },
  );
  assert.throws(() => org.inject({ headers: { "Bad Name": "x" } }), TypeError);
  assert.deepEqual(org.faults, []);
});

Deno.test("A 503 fault's Retry-After is what the client's retry policy waits", async () => {
  const org = new FakeSalesforce();
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  await sf.getLimits(); // log in first
  org.inject({ path: /\/limits$/, status: 503, headers: { "Retry-After": "2" } });
  const sleeps: number[] = [];
  const sleep = mock.method(clock, "sleep", (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  });
  try {
    const limits = await sf.getLimits();
    assert.ok("DailyApiRequests" in limits);
  } finally {
    sleep.mock.restore();
  }
  assert.deepEqual(sleeps, [2_000]);
  assert.equal(org.stats.requests["GET limits"], 3);
});
