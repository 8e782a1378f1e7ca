import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, tokenFor, V, wire } from "./_fake.ts";

Deno.test("FakeSalesforce counts API calls in Sforce-Limit-Info and answers 403 past the daily limit", async () => {
  const { org, token } = await loggedIn({ dailyApiLimit: 3 });
  const limits = [];
  for (let i = 0; i < 3; i++) {
    const got = await wire(await call(org, token, "GET", `${V}/limits`));
    assert.equal(got.status, 200);
    limits.push(got.limit);
  }
  assert.deepEqual(limits, ["api-usage=1/3", "api-usage=2/3", "api-usage=3/3"]);
  const refused = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(refused.status, 403);
  assert.equal(refused.limit, "api-usage=3/3");
  assert.equal(
    refused.text,
    '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]',
  );
  assert.equal(org.stats.apiCalls, 3);
});

Deno.test("FakeSalesforce does not count logins, the versions list or refused sessions", async () => {
  const { org, token } = await loggedIn({ dailyApiLimit: 1 });
  await tokenFor(org);
  const versions = await org.fetch("/services/data/");
  assert.equal(versions.status, 200);
  assert.equal(versions.headers.get("Sforce-Limit-Info"), null);
  await versions.body?.cancel();
  assert.equal((await wire(await call(org, "bogus", "GET", `${V}/limits`))).status, 401);
  assert.equal(org.stats.apiCalls, 0);
  assert.equal((await wire(await call(org, token, "GET", `${V}/limits`))).limit, "api-usage=1/1");
  // Over the limit, logins and the versions list still work.
  assert.equal(typeof await tokenFor(org), "string");
  assert.equal((await wire(await org.fetch("/services/data/"))).status, 200);
});

Deno.test("FakeSalesforce counts every kind of data call, errors included", async () => {
  const { org, token } = await loggedIn();
  const paths: [string, string, unknown?][] = [
    ["GET", `${V}/sobjects`],
    ["POST", `${V}/sobjects/Account`, { Foo: 1 }],
    ["GET", `${V}/query?q=SELECT+Id+FROM+Account`],
    ["GET", `${V}/sobjects/Account/001bad`],
    ["GET", `${V}/nowhere`],
  ];
  for (const [method, path, body] of paths) {
    const got = await wire(await call(org, token, method, path, body));
    assert.ok(got.limit !== null, path);
  }
  assert.equal(org.stats.apiCalls, paths.length);
  assert.deepEqual(org.stats.requests, {
    "POST oauthToken": 1,
    "GET describeGlobal": 1,
    "POST sobjects": 1,
    "GET query": 1,
    "GET sobject": 1,
    "GET notFound": 1,
  });
});

Deno.test("FakeSalesforce reset clears records, tokens, faults and counters but keeps the default user", async () => {
  const { org, token } = await loggedIn({ now: () => Date.UTC(2024, 0, 1) });
  const [user] = org.records("User");
  org.insert("Account", [{ Name: "Acme" }]);
  org.inject({ status: 500 });
  org.reset();
  assert.deepEqual(org.records("Account"), []);
  assert.deepEqual(org.records("User"), [user]);
  assert.deepEqual(org.faults, []);
  assert.deepEqual(org.stats, { requests: {}, logins: 0, tokensIssued: 0, apiCalls: 0 });
  assert.equal((await wire(await call(org, token, "GET", `${V}/limits`))).status, 401);
  assert.deepEqual(org.insert("Account", [{ Name: "Again" }]), ["0015g0000000001AAA"]);
});

Deno.test("FakeSalesforce stats are a snapshot the caller cannot change", () => {
  const org = new FakeSalesforce();
  const stats = org.stats;
  stats.requests["GET versions"] = 99;
  stats.apiCalls = 99;
  assert.deepEqual(org.stats, { requests: {}, logins: 0, tokensIssued: 0, apiCalls: 0 });
});
