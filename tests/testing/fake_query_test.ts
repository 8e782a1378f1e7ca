import assert from "node:assert/strict";
import { call, loggedIn, tokenFor, V, wire } from "./_fake.ts";

const q = (soql: string) => `${V}/query?q=${encodeURIComponent(soql)}`;

Deno.test("FakeSalesforce answers a one-page query with done true and no nextRecordsUrl", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: "Acme" }]);
  const got = await wire(await call(org, token, "GET", q("SELECT Id, Name FROM Account")));
  assert.equal(got.status, 200);
  assert.equal(got.type, "application/json;charset=UTF-8");
  assert.equal(got.limit, "api-usage=1/100000");
  assert.equal(
    got.text,
    `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/${id}"},"Id":"${id}","Name":"Acme"}]}`,
  );
});

Deno.test("FakeSalesforce answers zero rows and COUNT() as done with empty records", async () => {
  const { org, token } = await loggedIn({ pageSize: 2 });
  const none = await wire(await call(org, token, "GET", q("SELECT Id FROM Account")));
  assert.equal(none.text, '{"totalSize":0,"done":true,"records":[]}');
  org.insert("Account", Array.from({ length: 5 }, (_, i) => ({ Name: `A${i}` })));
  const count = await wire(await call(org, token, "GET", q("SELECT COUNT() FROM Account")));
  assert.equal(count.text, '{"totalSize":5,"done":true,"records":[]}');
});

Deno.test("FakeSalesforce pages with nextRecordsUrl until done, every row once, in order", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  const ids = org.insert("Account", Array.from({ length: 8 }, (_, i) => ({ Name: `A${i}` })));
  const seen: string[] = [];
  const urls: string[] = [];
  let body = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Id FROM Account")))).text,
  );
  for (;;) {
    assert.equal(body.totalSize, 8);
    seen.push(...body.records.map((r: { Id: string }) => r.Id));
    if (body.done) {
      assert.equal("nextRecordsUrl" in body, false);
      break;
    }
    assert.deepEqual(Object.keys(body), ["totalSize", "done", "nextRecordsUrl", "records"]);
    urls.push(body.nextRecordsUrl);
    body = JSON.parse((await wire(await call(org, token, "GET", body.nextRecordsUrl))).text);
  }
  assert.deepEqual(seen, ids);
  assert.equal(urls.length, 2);
  assert.match(urls[0], /^\/services\/data\/v66\.0\/query\/01g5g[0-9A-Za-z]{13}-3$/);
  assert.equal(urls[1], urls[0].replace(/-3$/, "-6"));
  assert.equal(org.stats.requests["GET queryMore"], 2);
});

Deno.test("FakeSalesforce keeps a cursor: later pages do not see rows inserted after the query", async () => {
  const { org, token } = await loggedIn({ pageSize: 2 });
  org.insert("Account", [{ Name: "A" }, { Name: "B" }, { Name: "C" }]);
  const first = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Name FROM Account")))).text,
  );
  org.insert("Account", [{ Name: "D" }]);
  const second = JSON.parse((await wire(await call(org, token, "GET", first.nextRecordsUrl))).text);
  assert.equal(second.totalSize, 3);
  assert.deepEqual(second.records.map((r: { Name: string }) => r.Name), ["C"]);
  assert.equal(second.done, true);
  // A page can be fetched again (a client retrying after a dropped connection).
  const again = JSON.parse((await wire(await call(org, token, "GET", first.nextRecordsUrl))).text);
  assert.deepEqual(again, second);
});

Deno.test("FakeSalesforce honours Sforce-Query-Options batchSize clamped to 200..2000", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", Array.from({ length: 2500 }, (_, i) => ({ Name: `A${i}` })));
  const sizes: Record<string, number> = {};
  for (const option of ["batchSize=500", "batchSize=10", "batchSize=9999", ""]) {
    const headers: Record<string, string> = option === "" ? {} : { "Sforce-Query-Options": option };
    const body = JSON.parse(
      (await wire(await call(org, token, "GET", q("SELECT Id FROM Account"), undefined, headers)))
        .text,
    );
    sizes[option] = body.records.length;
    if (option === "batchSize=500") assert.match(body.nextRecordsUrl, /-500$/);
  }
  assert.deepEqual(sizes, {
    "batchSize=500": 500,
    "batchSize=10": 200,
    "batchSize=9999": 2000,
    "": 2000,
  });
});

Deno.test("FakeSalesforce answers nextRecordsUrl on /queryAll too and queryAll includes deleted rows", async () => {
  const { org, token } = await loggedIn({ pageSize: 1 });
  org.insert("Account", [{ Name: "Live" }, { Name: "Gone", IsDeleted: true }]);
  const all = JSON.parse(
    (await wire(await call(org, token, "GET", `${V}/queryAll?q=SELECT+Name+FROM+Account`))).text,
  );
  assert.equal(all.totalSize, 2);
  assert.match(all.nextRecordsUrl, /\/query\/01g/);
  const next = JSON.parse(
    (await wire(await call(org, token, "GET", all.nextRecordsUrl.replace("/query/", "/queryAll/"))))
      .text,
  );
  assert.deepEqual(next.records.map((r: { Name: string }) => r.Name), ["Gone"]);
  const live = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Name FROM Account")))).text,
  );
  assert.equal(live.totalSize, 1);
});

Deno.test("FakeSalesforce answers INVALID_QUERY_LOCATOR for unknown, malformed or out-of-range locators", async () => {
  const { org, token } = await loggedIn({ pageSize: 2 });
  org.insert("Account", [{ Name: "A" }, { Name: "B" }, { Name: "C" }]);
  const first = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Name FROM Account")))).text,
  );
  const locator = first.nextRecordsUrl.split("/").at(-1).split("-")[0];
  const expected = '[{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]';
  for (
    const tail of [
      "01g5g0000000099AAA-2",
      "nonsense",
      `${locator}-3`,
      `${locator}-0`,
      `${locator}-x`,
      `${locator}-`,
    ]
  ) {
    const got = await wire(await call(org, token, "GET", `${V}/query/${tail}`));
    assert.equal(got.status, 400, tail);
    assert.equal(got.text, expected);
  }
});

Deno.test("FakeSalesforce closes a cursor idle for more than 15 minutes", async () => {
  let now = Date.UTC(2024, 0, 1);
  const { org, token } = await loggedIn({ pageSize: 1, now: () => now });
  org.insert("Account", [{ Name: "A" }, { Name: "B" }]);
  const first = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Name FROM Account")))).text,
  );
  now += 16 * 60_000;
  const got = await wire(await call(org, token, "GET", first.nextRecordsUrl));
  assert.equal(got.status, 400);
  assert.match(got.text, /INVALID_QUERY_LOCATOR/);
});

Deno.test("FakeSalesforce answers MALFORMED_QUERY without q", async () => {
  const { org, token } = await loggedIn();
  for (const path of [`${V}/query`, `${V}/query?q=`, `${V}/queryAll?q=%20`]) {
    const got = await wire(await call(org, token, "GET", path));
    assert.equal(got.status, 400, path);
    assert.match(got.text, /^\[\{"message":"[^"]+","errorCode":"MALFORMED_QUERY"\}\]$/);
  }
});

Deno.test("FakeSalesforce passes the SOQL engine's errors through as a 400 error list", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(await call(org, token, "GET", q("SELECT Nope__c FROM Account")));
  assert.equal(got.status, 400);
  const [error] = JSON.parse(got.text);
  assert.deepEqual(Object.keys(error), ["message", "errorCode"]);
  assert.equal(error.errorCode, "INVALID_FIELD");
  assert.match(
    error.message,
    /^\nSELECT Nope__c FROM Account\n {7}\^\nERROR at Row:1:Column:8\nNo such column 'Nope__c'/,
  );
  const bad = JSON.parse((await wire(await call(org, token, "GET", q("SELECT FROM")))).text);
  assert.equal(bad[0].errorCode, "MALFORMED_QUERY");
});

Deno.test("FakeSalesforce serves a 2,000-row page of a 200,000-row query from its cursor", async () => {
  const { org, token } = await loggedIn();
  const rows = Array.from(
    { length: 200_000 },
    (_, i) => ({ Name: `Account ${i}`, NumberOfEmployees: i }),
  );
  org.insert("Account", rows);
  let body = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Id, Name FROM Account")))).text,
  );
  let pages = 1;
  let count = body.records.length;
  while (!body.done) {
    body = JSON.parse((await wire(await call(org, token, "GET", body.nextRecordsUrl))).text);
    pages++;
    count += body.records.length;
  }
  assert.equal(pages, 100);
  assert.equal(count, 200_000);
  assert.equal(body.records.at(-1).Name, "Account 199999");
});

Deno.test("FakeSalesforce refuses a locator from before reset(), even once new queries run", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  org.insert("Account", Array.from({ length: 8 }, (_, i) => ({ Name: `A${i}` })));
  const first = JSON.parse(
    (await wire(await call(org, token, "GET", q("SELECT Id FROM Account")))).text,
  );
  const stale: string = first.nextRecordsUrl;
  org.reset();
  const fresh = await tokenFor(org);
  org.insert("Contact", Array.from({ length: 8 }, (_, i) => ({ LastName: `C${i}` })));
  const other = JSON.parse(
    (await wire(await call(org, fresh, "GET", q("SELECT Id FROM Contact")))).text,
  );
  assert.notEqual(other.nextRecordsUrl, stale);
  const answer = await wire(await call(org, fresh, "GET", stale));
  assert.equal(answer.status, 400);
  assert.equal(JSON.parse(answer.text)[0].errorCode, "INVALID_QUERY_LOCATOR");
});

Deno.test("FakeSalesforce refuses to filter or sort on a long text area, as Salesforce does", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", [{ Name: "A", Description: "x" }]);
  for (
    const [where, message] of [
      ["WHERE Description = 'x'", "can not be filtered in query call"],
      ["WHERE Description LIKE 'x%'", "can not be filtered in query call"],
      ["WHERE Description IN ('x')", "can not be filtered in query call"],
      ["ORDER BY Description", "can not be sorted in a query call"],
    ]
  ) {
    const answer = await wire(await call(org, token, "GET", q(`SELECT Id FROM Account ${where}`)));
    assert.equal(answer.status, 400, where);
    const [error] = JSON.parse(answer.text);
    assert.equal(error.errorCode, "INVALID_FIELD");
    assert.match(error.message, new RegExp(`field 'Description' ${message}$`));
  }
  // Selecting it is fine, and describe says the same.
  const selected = await call(org, token, "GET", q("SELECT Description FROM Account"));
  assert.equal(selected.status, 200);
  await selected.body?.cancel();
  const describe = JSON.parse(
    (await wire(await call(org, token, "GET", `${V}/sobjects/Account/describe`))).text,
  );
  const field = describe.fields.find((f: { name: string }) => f.name === "Description");
  assert.equal(field.filterable, false);
  assert.equal(field.sortable, false);
  const name = describe.fields.find((f: { name: string }) => f.name === "Name");
  assert.equal(name.filterable, true);
});
