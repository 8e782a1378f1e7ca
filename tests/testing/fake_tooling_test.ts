import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, tokenFor, V, wire } from "./_fake.ts";

const T = `${V}/tooling`;
const CLASS_BODY = "public class Hello {}";

function q(soql: string): string {
  return `?q=${encodeURIComponent(soql)}`;
}

Deno.test("FakeSalesforce answers a Tooling query with Tooling records and Tooling URLs", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insertTooling("ApexClass", [{
    Name: "Hello",
    Body: CLASS_BODY,
    ApiVersion: 64,
  }]);
  const got = await wire(
    await call(
      org,
      token,
      "GET",
      `${T}/query${q("SELECT Id, Name, ApiVersion, Status FROM ApexClass")}`,
    ),
  );
  assert.equal(got.status, 200);
  assert.equal(got.limit, "api-usage=1/100000");
  assert.deepEqual(JSON.parse(got.text), {
    totalSize: 1,
    done: true,
    records: [{
      attributes: { type: "ApexClass", url: `${T}/sobjects/ApexClass/${id}` },
      Id: id,
      Name: "Hello",
      ApiVersion: 64,
      Status: "Active",
    }],
  });
  assert.equal(org.stats.requests["GET tooling query"], 1);
});

Deno.test("FakeSalesforce pages a Tooling query with nextRecordsUrl under /tooling/query", async () => {
  const { org, token } = await loggedIn({ pageSize: 2 });
  org.insertTooling("ApexLog", [1, 2, 3].map((n) => ({ LogLength: n, Status: "Success" })));
  const first = JSON.parse(
    (await wire(await call(org, token, "GET", `${T}/query${q("SELECT LogLength FROM ApexLog")}`)))
      .text,
  );
  assert.equal(first.done, false);
  assert.match(first.nextRecordsUrl, /^\/services\/data\/v66\.0\/tooling\/query\/01g\w+-2$/);
  const second = JSON.parse((await wire(await call(org, token, "GET", first.nextRecordsUrl))).text);
  assert.deepEqual(second.records.map((r: { LogLength: number }) => r.LogLength), [3]);
  assert.equal(second.done, true);
});

Deno.test("FakeSalesforce keeps Tooling and data objects apart", async () => {
  const { org, token } = await loggedIn();
  const dataQuery = await wire(
    await call(org, token, "GET", `${V}/query${q("SELECT Id FROM ApexClass")}`),
  );
  assert.equal(dataQuery.status, 400);
  assert.equal(JSON.parse(dataQuery.text)[0].errorCode, "INVALID_TYPE");
  const toolingQuery = await wire(
    await call(org, token, "GET", `${T}/query${q("SELECT Id FROM Account")}`),
  );
  assert.equal(JSON.parse(toolingQuery.text)[0].errorCode, "INVALID_TYPE");
  const describe = await wire(await call(org, token, "GET", `${V}/sobjects/ApexClass/describe`));
  assert.equal(describe.status, 404);
  assert.throws(() => org.insert("ApexClass", [{ Name: "x" }]), /must name a known object/);
  assert.throws(
    () => org.insertTooling("Account", [{ Name: "x" }]),
    /must name a known Tooling object/,
  );
});

Deno.test("FakeSalesforce has no Tooling queryAll", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "GET", `${T}/queryAll${q("SELECT Id FROM ApexLog")}`),
  );
  assert.equal(got.status, 404);
});

Deno.test("FakeSalesforce creates, reads, updates and deletes Tooling records", async () => {
  const { org, token } = await loggedIn();
  const created = await wire(
    await call(org, token, "POST", `${T}/sobjects/ApexClass`, { Name: "Hello", Body: CLASS_BODY }),
  );
  assert.equal(created.status, 201);
  const { id } = JSON.parse(created.text);
  assert.match(id, /^01p\w{15}$/);
  const patched = await call(org, token, "PATCH", `${T}/sobjects/ApexClass/${id}`, {
    Status: "Inactive",
  });
  assert.equal(patched.status, 204);
  const read = JSON.parse(
    (await wire(await call(org, token, "GET", `${T}/sobjects/ApexClass/${id}?fields=Status`))).text,
  );
  assert.deepEqual(read, {
    attributes: { type: "ApexClass", url: `${T}/sobjects/ApexClass/${id}` },
    Status: "Inactive",
    Id: id,
  });
  const deleted = await call(org, token, "DELETE", `${T}/sobjects/ApexClass/${id}`);
  assert.equal(deleted.status, 204);
  assert.deepEqual(org.toolingRecords("ApexClass"), []);
  const missing = await call(org, token, "POST", `${T}/sobjects/ApexClass`, { Name: "NoBody" });
  assert.equal((await missing.json())[0].errorCode, "REQUIRED_FIELD_MISSING");
});

Deno.test("FakeSalesforce describes Tooling objects under /tooling/sobjects", async () => {
  const { org, token } = await loggedIn();
  const global = JSON.parse((await wire(await call(org, token, "GET", `${T}/sobjects`))).text);
  assert.deepEqual(global.sobjects.map((o: { name: string }) => o.name), ["ApexClass", "ApexLog"]);
  assert.equal(global.sobjects[1].urls.describe, `${T}/sobjects/ApexLog/describe`);
  const log = JSON.parse(
    (await wire(await call(org, token, "GET", `${T}/sobjects/ApexLog/describe`))).text,
  );
  assert.equal(log.keyPrefix, "07L");
  const fields = log.fields.map((f: { name: string }) => f.name);
  for (const name of ["LogLength", "Operation", "Status", "StartTime"]) {
    assert.ok(fields.includes(name), name);
  }
});

Deno.test("FakeSalesforce clears Tooling records on reset", async () => {
  const org = new FakeSalesforce();
  org.insertTooling("ApexClass", [{ Name: "Hello", Body: CLASS_BODY }]);
  org.reset();
  assert.deepEqual(org.toolingRecords("ApexClass"), []);
  const token = await tokenFor(org);
  const got = await wire(
    await call(org, token, "GET", `${T}/query${q("SELECT Id FROM ApexClass")}`),
  );
  assert.equal(JSON.parse(got.text).totalSize, 0);
});

Deno.test("FakeSalesforce sends Last-Modified on describes and 304 with no body when not modified since", async () => {
  let now = Date.UTC(2024, 2, 15, 9, 30, 0, 500);
  const { org, token } = await loggedIn({ now: () => now });
  const paths = [
    `${V}/sobjects`,
    `${V}/sobjects/Account/describe`,
    `${T}/sobjects/ApexClass/describe`,
  ];
  const stamp = "Fri, 15 Mar 2024 09:30:00 GMT";
  for (const path of paths) {
    const response = await call(org, token, "GET", path);
    await response.body?.cancel();
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("Last-Modified"), stamp, path);
  }
  now += 60_000;
  for (const path of paths) {
    const same = await call(org, token, "GET", path, undefined, { "If-Modified-Since": stamp });
    assert.equal(same.status, 304, path);
    assert.equal(same.headers.get("Last-Modified"), stamp, path);
    assert.equal(same.headers.get("Sforce-Limit-Info") !== null, true, path);
    assert.equal(await same.text(), "", path);
    const older = await wire(
      await call(org, token, "GET", path, undefined, {
        "If-Modified-Since": "Thu, 14 Mar 2024 09:30:00 GMT",
      }),
    );
    assert.equal(older.status, 200, path);
    const garbage = await wire(
      await call(org, token, "GET", path, undefined, { "If-Modified-Since": "yesterday-ish" }),
    );
    assert.equal(garbage.status, 200, path);
  }
});

Deno.test("FakeSalesforce answers an unknown object's describe 404 even with If-Modified-Since", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "GET", `${V}/sobjects/Nope__c/describe`, undefined, {
      "If-Modified-Since": new Date().toUTCString(),
    }),
  );
  assert.equal(got.status, 404);
});
