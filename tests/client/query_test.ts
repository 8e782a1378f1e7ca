import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { SalesforceError } from "../../client/errors.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

/** A client on a fresh org, with every request URL the org receives recorded. */
function setup(pageSize = 200) {
  const org = new FakeSalesforce({ pageSize });
  const urls: string[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      urls.push(new URL(request.url).pathname);
      return org.fetch(request);
    },
  });
  const pageRequests = () => urls.filter((path) => /\/query(All)?(\/|$)/.test(path)).length;
  return { org, sf, urls, pageRequests };
}

function names(count: number): Array<{ Name: string }> {
  return Array.from(
    { length: count },
    (_, i) => ({ Name: `Account ${String(i).padStart(5, "0")}` }),
  );
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("query returns every record once and in order across 6 pages", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(1_100));
  const seen: string[] = [];
  for await (const record of sf.query<{ Name: string }>("SELECT Name FROM Account ORDER BY Name")) {
    seen.push(record.Name);
  }
  assert.equal(seen.length, 1_100);
  assert.deepEqual(seen, names(1_100).map((r) => r.Name));
  assert.equal(pageRequests(), 6);
});

Deno.test("query has no cap: 12,000 records all come back", async () => {
  const { org, sf } = setup(2000);
  org.insert("Account", names(12_000));
  let count = 0;
  for await (const _ of sf.query("SELECT Id FROM Account")) count++;
  assert.equal(count, 12_000);
});

Deno.test("query fetches the next page before the caller sees a page, never two ahead", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(1_000));
  let index = 0;
  const observed: Array<[number, number]> = [];
  for await (const _ of sf.query("SELECT Name FROM Account")) {
    if (index % 200 === 0) {
      await tick();
      observed.push([index / 200 + 1, pageRequests()]);
    }
    index++;
  }
  // Holding the first record of page k, the request for page k+1 has reached the org
  // (k + 1 requests in all), and page k+2 has not been asked for.
  assert.deepEqual(observed, [[1, 2], [2, 3], [3, 4], [4, 5], [5, 5]]);
});

Deno.test("breaking out of a query stops fetching pages", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(1_000));
  let count = 0;
  for await (const _ of sf.query("SELECT Name FROM Account")) {
    if (++count === 250) break;
  }
  await tick();
  const after = pageRequests();
  assert.ok(after <= 3, `expected at most 3 page requests, saw ${after}`);
  await tick();
  assert.equal(pageRequests(), after);
});

Deno.test("query with includeAllRecords sees deleted records", async () => {
  const { org, sf } = setup();
  const [kept, gone] = org.insert("Account", [{ Name: "Kept" }, { Name: "Gone" }]);
  await sf.sobject.delete("Account", gone);
  const live = [];
  for await (const r of sf.query<{ Id: string }>("SELECT Id FROM Account")) live.push(r.Id);
  const all = [];
  for await (
    const r of sf.query<{ Id: string; IsDeleted: boolean }>("SELECT Id, IsDeleted FROM Account", {
      includeAllRecords: true,
    })
  ) all.push([r.Id, r.IsDeleted]);
  assert.deepEqual(live, [kept]);
  assert.deepEqual(all, [[kept, false], [gone, true]]);
});

Deno.test("query sends batchSize as Sforce-Query-Options", async () => {
  const org = new FakeSalesforce();
  org.insert("Account", names(450));
  const headers: (string | null)[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      if (request.url.includes("/query")) headers.push(request.headers.get("Sforce-Query-Options"));
      return org.fetch(request);
    },
  });
  let count = 0;
  for await (const _ of sf.query("SELECT Id FROM Account", { batchSize: 200 })) count++;
  assert.equal(count, 450);
  assert.deepEqual(headers, ["batchSize=200", "batchSize=200", "batchSize=200"]);
});

Deno.test("query refuses a bad batchSize and an empty query before sending", () => {
  const { sf, urls } = setup();
  assert.throws(
    () => sf.query("SELECT Id FROM Account", { batchSize: 100 }),
    new RangeError(
      'Cannot run query: "batchSize" must be an integer from 200 to 2000: received 100',
    ),
  );
  assert.throws(
    () => sf.query("  "),
    new TypeError('Cannot run query: "soql" must be a non-empty string: received "  "'),
  );
  assert.equal(urls.length, 0);
});

Deno.test("query surfaces a malformed query as SalesforceError", async () => {
  const { sf } = setup();
  await assert.rejects(
    async () => {
      for await (const _ of sf.query("SELECT Id FORM Account")) { /* never reached */ }
    },
    (error: unknown) => error instanceof SalesforceError && error.errorCode === "MALFORMED_QUERY",
  );
});

Deno.test("an aborted signal rejects the pending page promptly", async () => {
  const { org, sf } = setup(200);
  org.insert("Account", names(600));
  const controller = new AbortController();
  const reason = new Error("caller stopped");
  // Page 2 (the first nextRecordsUrl) hangs for a minute.
  org.inject({ path: /\/query\/01g/, latencyMs: 60_000 });
  const iterator = sf.query("SELECT Id FROM Account", { signal: controller.signal })[
    Symbol.asyncIterator
  ]();
  for (let i = 0; i < 200; i++) assert.equal((await iterator.next()).done, false);
  const pending = iterator.next();
  controller.abort(reason);
  await assert.rejects(pending, reason);
});

Deno.test("COUNT() queries yield no records", async () => {
  const { org, sf } = setup();
  org.insert("Account", names(3));
  const records = [];
  for await (const r of sf.query("SELECT COUNT() FROM Account")) records.push(r);
  assert.deepEqual(records, []);
});
