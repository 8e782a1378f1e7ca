import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, V, wire } from "./_fake.ts";

const JSON_TYPE = "application/json;charset=UTF-8";
const NOT_FOUND = '[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]';

Deno.test("FakeSalesforce lists API versions without a session and without counting", async () => {
  const org = new FakeSalesforce({ apiVersion: "62.0" });
  const got = await wire(await org.fetch(new Request(`${org.baseUrl}/services/data/`)));
  assert.equal(got.status, 200);
  assert.equal(got.type, JSON_TYPE);
  assert.equal(got.limit, null);
  const list = JSON.parse(got.text);
  assert.deepEqual(list.at(-1), {
    label: "Winter '25",
    url: "/services/data/v62.0",
    version: "62.0",
  });
  assert.deepEqual(list.at(-3), {
    label: "Spring '24",
    url: "/services/data/v60.0",
    version: "60.0",
  });
  assert.equal(list[0].version, "31.0");
  assert.ok(
    got.text.startsWith('[{"label":"Summer \'14","url":"/services/data/v31.0","version":"31.0"}'),
  );
  assert.equal(org.stats.apiCalls, 0);
});

Deno.test("FakeSalesforce lists the resources of a version with the identity URL", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(await call(org, token, "GET", `${V}/`));
  assert.equal(got.status, 200);
  assert.equal(got.limit, "api-usage=1/100000");
  const body = JSON.parse(got.text);
  assert.equal(body.query, "/services/data/v66.0/query");
  assert.equal(body.sobjects, "/services/data/v66.0/sobjects");
  assert.match(body.identity, /^https:\/\/login\.salesforce\.com\/id\/00D5g\w{13}\/005\w{15}$/);
});

Deno.test("FakeSalesforce answers /limits with DailyApiRequests matching Sforce-Limit-Info", async () => {
  const { org, token } = await loggedIn({ dailyApiLimit: 15_000 });
  await (await call(org, token, "GET", `${V}/`)).body?.cancel();
  const got = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(got.limit, "api-usage=2/15000");
  const body = JSON.parse(got.text);
  assert.equal(body.DailyApiRequests.Max, 15_000);
  assert.equal(body.DailyApiRequests.Remaining, 14_998);
  assert.deepEqual(body.DailyBulkApiBatches, { Max: 15_000, Remaining: 15_000 });
});

Deno.test("FakeSalesforce describes every object globally", async () => {
  const { org, token } = await loggedIn({
    objects: [{ name: "Invoice__c", fields: [{ name: "Total__c", type: "currency" }] }],
  });
  const got = await wire(await call(org, token, "GET", `${V}/sobjects`));
  const body = JSON.parse(got.text);
  assert.equal(body.encoding, "UTF-8");
  assert.equal(body.maxBatchSize, 200);
  const names = body.sobjects.map((o: { name: string }) => o.name);
  assert.deepEqual(names, [
    "Account",
    "Contact",
    "Lead",
    "Opportunity",
    "Case",
    "User",
    "Invoice__c",
  ]);
  const account = body.sobjects[0];
  assert.equal(account.keyPrefix, "001");
  assert.deepEqual(account.urls, {
    sobject: "/services/data/v66.0/sobjects/Account",
    describe: "/services/data/v66.0/sobjects/Account/describe",
    rowTemplate: "/services/data/v66.0/sobjects/Account/{ID}",
  });
  const invoice = body.sobjects[6];
  assert.equal(invoice.keyPrefix, "a00");
  assert.equal(invoice.custom, true);
  assert.equal(invoice.label, "Invoice");
});

Deno.test("FakeSalesforce answers an object's basic information and its describe", async () => {
  const { org, token } = await loggedIn();
  const info = JSON.parse(
    (await wire(await call(org, token, "GET", `${V}/sobjects/contact`))).text,
  );
  assert.equal(info.objectDescribe.name, "Contact");
  assert.deepEqual(info.recentItems, []);
  const describe = JSON.parse(
    (await wire(await call(org, token, "GET", `${V}/sobjects/Account/describe`))).text,
  );
  const ext = describe.fields.find((f: { name: string }) => f.name === "ExtId__c");
  assert.equal(ext.type, "string");
  assert.equal(ext.externalId, true);
  assert.equal(ext.unique, true);
  assert.equal(ext.idLookup, true);
  assert.equal(ext.soapType, "xsd:string");
  const name = describe.fields.find((f: { name: string }) => f.name === "Name");
  assert.equal(name.nillable, false);
  const parent = describe.fields.find((f: { name: string }) => f.name === "ParentId");
  assert.deepEqual(parent.referenceTo, ["Account"]);
  assert.equal(parent.relationshipName, "Parent");
  const children = describe.childRelationships.map((c: { relationshipName: string }) =>
    c.relationshipName
  );
  assert.deepEqual(children.sort(), ["Cases", "ChildAccounts", "Contacts", "Opportunities"]);
  assert.deepEqual(Object.keys(ext), [...Object.keys(ext)].sort(), "field keys are alphabetical");
});

Deno.test("FakeSalesforce answers 404 NOT_FOUND for an unknown object", async () => {
  const { org, token } = await loggedIn();
  for (const path of [`${V}/sobjects/Nope`, `${V}/sobjects/Nope/describe`]) {
    const got = await wire(await call(org, token, "GET", path));
    assert.equal(got.status, 404);
    assert.equal(got.text, NOT_FOUND);
  }
});

Deno.test("FakeSalesforce answers 404 for an unknown or newer API version, still counting", async () => {
  const { org, token } = await loggedIn();
  for (const version of ["v99.0", "v30.0", "v60.1", "60.0", "vx"]) {
    const got = await wire(await call(org, token, "GET", `/services/data/${version}/limits`));
    assert.equal(got.status, 404, version);
    assert.equal(got.type, JSON_TYPE);
    assert.equal(got.text, NOT_FOUND);
  }
  assert.equal(org.stats.apiCalls, 5);
  assert.equal((await call(org, token, "GET", "/services/data/v31.0/limits")).status, 200);
});

Deno.test("FakeSalesforce answers 401 INVALID_SESSION_ID without or with a bad token", async () => {
  const org = new FakeSalesforce();
  for (const token of [undefined, "00Dbogus!token"]) {
    const got = await wire(await call(org, token, "GET", `${V}/limits`));
    assert.equal(got.status, 401);
    assert.equal(got.type, JSON_TYPE);
    assert.equal(got.limit, null);
    assert.equal(
      got.text,
      '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
    );
  }
  assert.equal(org.stats.apiCalls, 0);
});

Deno.test("FakeSalesforce answers 404 NOT_FOUND for unknown routes, inside and outside the API", async () => {
  const { org, token } = await loggedIn();
  const inside = await wire(await call(org, token, "GET", `${V}/nothing/here`));
  assert.equal(inside.status, 404);
  assert.equal(inside.text, NOT_FOUND);
  assert.equal(inside.limit, "api-usage=1/100000");
  const outside = await wire(await call(org, undefined, "GET", "/favicon.ico"));
  assert.equal(outside.status, 404);
  assert.equal(outside.text, NOT_FOUND);
  assert.equal(outside.limit, null);
  assert.equal(org.stats.requests["GET notFound"], 2);
});

Deno.test("FakeSalesforce answers 405 METHOD_NOT_ALLOWED naming the allowed methods", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(await call(org, token, "PATCH", `${V}/sobjects/Account`, {}));
  assert.equal(got.status, 405);
  assert.equal(
    got.text,
    `[{"errorCode":"METHOD_NOT_ALLOWED","message":"HTTP Method 'PATCH' not allowed. Allowed are HEAD,GET,POST"}]`,
  );
  const limits = await wire(await call(org, token, "DELETE", `${V}/limits`));
  assert.equal(limits.status, 405);
  assert.match(limits.text, /Allowed are HEAD,GET"/);
});

Deno.test("FakeSalesforce answers HEAD like GET without a body", async () => {
  const { org, token } = await loggedIn();
  const response = await call(org, token, "HEAD", `${V}/limits`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), JSON_TYPE);
  assert.equal(response.body, null);
});

Deno.test("FakeSalesforce resolves relative paths against baseUrl and accepts any host", async () => {
  const { org, token } = await loggedIn();
  const relative = await org.fetch(`${V}/limits`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(relative.status, 200);
  await relative.body?.cancel();
  const other = await org.fetch(new URL(`https://login.salesforce.com${V}/limits`), {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(other.status, 200);
  await other.body?.cancel();
});
