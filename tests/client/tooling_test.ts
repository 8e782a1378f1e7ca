import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { NotFoundError, type SalesforceError } from "../../client/errors.ts";
import { FakeSalesforce, type FakeSalesforceOptions } from "../../testing/mod.ts";

function setup(options: FakeSalesforceOptions = {}) {
  const org = new FakeSalesforce(options);
  const requests: Request[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      return org.fetch(request);
    },
  });
  const paths = () =>
    requests.map((r) => new URL(r.url).pathname).filter((p) => p.startsWith("/services/data/"));
  return { org, sf, requests, paths };
}

const CLASS_BODY = "public class Greeting { public static String hello() { return 'hi'; } }";

Deno.test("sf.tooling.query returns every record across pages of the Tooling API", async () => {
  const { org, sf, paths } = setup({ pageSize: 200 });
  org.insertTooling(
    "ApexLog",
    Array.from({ length: 450 }, (_, i) => ({ Operation: `/apex/Page${i}`, LogLength: i })),
  );
  const lengths: number[] = [];
  for await (
    const log of sf.tooling.query<{ LogLength: number }>("SELECT LogLength FROM ApexLog")
  ) {
    lengths.push(log.LogLength);
  }
  assert.deepEqual(lengths, Array.from({ length: 450 }, (_, i) => i));
  const pages = paths();
  assert.equal(pages.length, 3);
  assert.equal(pages[0], "/services/data/v64.0/tooling/query");
  assert.match(pages[1], /^\/services\/data\/v64\.0\/tooling\/query\/01g[0-9A-Za-z]+-200$/);
  assert.match(pages[2], /-400$/);
});

Deno.test("sf.tooling.query sends batchSize like sf.query", async () => {
  const { sf, requests } = setup();
  for await (const _ of sf.tooling.query("SELECT Id FROM ApexClass", { batchSize: 300 })) {
    // no records
  }
  assert.equal(requests.at(-1)!.headers.get("Sforce-Query-Options"), "batchSize=300");
});

Deno.test("sf.tooling.query refuses includeAllRecords and an empty query before sending", () => {
  const { sf, requests } = setup();
  assert.throws(
    () => sf.tooling.query("SELECT Id FROM ApexLog", { includeAllRecords: true } as never),
    /the Tooling API has no queryAll/,
  );
  assert.throws(() => sf.tooling.query(" "), TypeError);
  assert.equal(requests.length, 0);
});

Deno.test("Tooling and data objects are apart: each API refuses the other's objects", async () => {
  const { org, sf } = setup();
  org.insertTooling("ApexClass", [{ Name: "Greeting", Body: CLASS_BODY }]);
  org.insert("Account", [{ Name: "Acme" }]);
  const dataQuery = async () => {
    for await (const _ of sf.query("SELECT Id FROM ApexClass")) { /* none */ }
  };
  await assert.rejects(dataQuery, (error: SalesforceError) => error.errorCode === "INVALID_TYPE");
  const toolingQuery = async () => {
    for await (const _ of sf.tooling.query("SELECT Id FROM Account")) { /* none */ }
  };
  await assert.rejects(
    toolingQuery,
    (error: SalesforceError) => error.errorCode === "INVALID_TYPE",
  );
  await assert.rejects(sf.sobject.describe("ApexClass"), NotFoundError);
});

Deno.test("sf.tooling.sobject creates, reads, updates, upserts and deletes an ApexClass", async () => {
  const { org, sf, paths } = setup();
  const id = await sf.tooling.sobject.create("ApexClass", { Name: "Greeting", Body: CLASS_BODY });
  assert.match(id, /^01p[0-9A-Za-z]{15}$/);
  const created = await sf.tooling.sobject.get<Record<string, unknown>>("ApexClass", id);
  assert.equal(created.Name, "Greeting");
  assert.equal(created.Status, "Active");
  assert.deepEqual(created.attributes, {
    type: "ApexClass",
    url: `/services/data/v64.0/tooling/sobjects/ApexClass/${id}`,
  });
  await sf.tooling.sobject.update("ApexClass", id, { ApiVersion: 64 });
  const fields = await sf.tooling.sobject.get<Record<string, unknown>>("ApexClass", id, {
    fields: ["Name", "ApiVersion"],
  });
  assert.deepEqual([fields.Name, fields.ApiVersion], ["Greeting", 64]);
  const upserted = await sf.tooling.sobject.upsert("ApexClass", id, "Id", { Status: "Deleted" });
  assert.deepEqual(upserted, { id, created: false });
  assert.equal(org.toolingRecords("ApexClass")[0].Status, "Deleted");
  await sf.tooling.sobject.delete("ApexClass", id);
  assert.deepEqual(org.toolingRecords("ApexClass"), []);
  await assert.rejects(sf.tooling.sobject.get("ApexClass", id), NotFoundError);
  assert.ok(paths().every((path) => path.startsWith("/services/data/v64.0/tooling/sobjects/")));
  assert.deepEqual(org.records("User").length, 1, "the data API's records are untouched");
});

Deno.test("sf.tooling.sobject.create surfaces a missing required field", async () => {
  const { sf } = setup();
  await assert.rejects(
    sf.tooling.sobject.create("ApexClass", { Name: "NoBody" }),
    (error: SalesforceError) => error.errorCode === "REQUIRED_FIELD_MISSING",
  );
});

Deno.test("Tooling describes are cached apart from the data API's describes", async () => {
  const { sf, paths } = setup();
  const account = await sf.sobject.describe("Account");
  assert.equal(account.name, "Account");
  // The same name on the Tooling API is a different resource: no cache hit, a 404.
  await assert.rejects(sf.tooling.sobject.describe("Account"), NotFoundError);
  const apexClass = await sf.tooling.sobject.describe("ApexClass");
  assert.ok(apexClass.fields.some((field) => field.name === "Body"));
  assert.equal(await sf.tooling.sobject.describe("ApexClass"), apexClass);
  const global = await sf.tooling.describeGlobal();
  assert.deepEqual(global.sobjects.map((sobject) => sobject.name).sort(), ["ApexClass", "ApexLog"]);
  assert.notEqual(global, await sf.describeGlobal());
  assert.deepEqual(paths(), [
    "/services/data/v64.0/sobjects/Account/describe",
    "/services/data/v64.0/tooling/sobjects/Account/describe",
    "/services/data/v64.0/tooling/sobjects/ApexClass/describe",
    "/services/data/v64.0/tooling/sobjects/ApexClass/describe",
    "/services/data/v64.0/tooling/sobjects",
    "/services/data/v64.0/sobjects",
  ]);
});
