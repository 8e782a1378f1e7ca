import assert from "node:assert/strict";
import type { FakeSalesforce } from "../../testing/mod.ts";
import { makeId } from "../../testing/_store.ts";
import { call, loggedIn, tokenFor, V, wire } from "./_fake.ts";

const CSV = { "Content-Type": "text/csv" };

async function createIngest(
  org: FakeSalesforce,
  token: string,
  body: Record<string, unknown>,
): Promise<string> {
  const response = await call(org, token, "POST", `${V}/jobs/ingest`, body);
  assert.equal(response.status, 200);
  return (await response.json()).id;
}

/** Create, upload, close and poll once: the default org completes on the first poll. */
async function runIngest(
  org: FakeSalesforce,
  token: string,
  body: Record<string, unknown>,
  csv: string,
): Promise<string> {
  const id = await createIngest(org, token, body);
  await (await call(org, token, "PUT", `${V}/jobs/ingest/${id}/batches`, csv, CSV)).body?.cancel();
  await (await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "UploadComplete" }))
    .body?.cancel();
  const info = await (await call(org, token, "GET", `${V}/jobs/ingest/${id}`)).json();
  assert.equal(info.state, "JobComplete");
  return id;
}

async function results(org: FakeSalesforce, token: string, id: string, which: string) {
  return await wire(await call(org, token, "GET", `${V}/jobs/ingest/${id}/${which}/`));
}

Deno.test("FakeSalesforce bulk ingest create answers 200 with JobInfo keys in Salesforce's order", async () => {
  const { org, token } = await loggedIn();
  const response = await call(org, token, "POST", `${V}/jobs/ingest`, {
    object: "contact",
    operation: "upsert",
    externalIdFieldName: "extid__c",
    contentType: "CSV",
    columnDelimiter: "COMMA",
    lineEnding: "LF",
  });
  const { status, type, limit, text } = await wire(response);
  assert.equal(status, 200);
  assert.equal(type, "application/json;charset=UTF-8");
  assert.match(limit!, /^api-usage=\d+\/\d+$/);
  const info = JSON.parse(text);
  assert.deepEqual(Object.keys(info), [
    "id",
    "operation",
    "object",
    "createdById",
    "createdDate",
    "systemModstamp",
    "state",
    "externalIdFieldName",
    "concurrencyMode",
    "contentType",
    "apiVersion",
    "contentUrl",
    "lineEnding",
    "columnDelimiter",
  ]);
  assert.match(info.id, /^7505g[0-9A-Za-z]{13}$/);
  assert.equal(info.object, "Contact");
  assert.equal(info.externalIdFieldName, "ExtId__c");
  assert.equal(info.state, "Open");
  assert.match(text, /"apiVersion":66\.0,/);
  assert.equal(info.contentUrl, `services/data/v66.0/jobs/ingest/${info.id}/batches`);
  assert.match(info.createdDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
});

Deno.test("FakeSalesforce bulk ingest create refuses bad objects, operations and keys", async () => {
  const { org, token } = await loggedIn();
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ object: "Nope__c", operation: "insert" }, 400, "INVALIDENTITY"],
    [{ object: "Account", operation: "merge" }, 400, "INVALIDJOB"],
    [{ object: "Account", operation: "upsert" }, 400, "INVALIDJOB"],
    [{ object: "Account", operation: "upsert", externalIdFieldName: "Name" }, 400, "INVALIDJOB"],
    [{ object: "Account", operation: "insert", columnDelimiter: "TAB" }, 400, "INVALIDJOB"],
  ];
  for (const [body, status, code] of cases) {
    const response = await call(org, token, "POST", `${V}/jobs/ingest`, body);
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal((await response.json())[0].errorCode, code);
  }
});

Deno.test("FakeSalesforce bulk upload answers 201 with no body, only once and only while Open", async () => {
  const { org, token } = await loggedIn();
  const id = await createIngest(org, token, { object: "Account", operation: "insert" });
  const url = `${V}/jobs/ingest/${id}/batches`;
  const wrongType = await call(org, token, "PUT", url, "Name\nA\n", {
    "Content-Type": "text/plain",
  });
  assert.equal(wrongType.status, 415);
  await wrongType.body?.cancel();
  const first = await wire(await call(org, token, "PUT", url, "Name\nA\n", CSV));
  assert.equal(first.status, 201);
  assert.equal(first.text, "");
  const second = await call(org, token, "PUT", url, "Name\nB\n", CSV);
  assert.equal(second.status, 409);
  assert.equal((await second.json())[0].errorCode, "INVALIDJOBSTATE");
});

Deno.test("FakeSalesforce bulk jobs refuse invalid state transitions", async () => {
  const { org, token } = await loggedIn();
  const id = await createIngest(org, token, { object: "Account", operation: "insert" });
  const patch = (state: string) => call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state });
  const closed = await patch("UploadComplete");
  assert.equal(closed.status, 200);
  assert.equal((await closed.json()).state, "UploadComplete");
  const again = await patch("UploadComplete");
  assert.equal(again.status, 409);
  assert.match((await again.json())[0].message, /from UploadComplete to UploadComplete/);
  const unknown = await patch("Finished");
  assert.equal(unknown.status, 400);
  await unknown.body?.cancel();
  assert.equal((await (await patch("Aborted")).json()).state, "Aborted");
  const twice = await patch("Aborted");
  assert.equal(twice.status, 409);
  await twice.body?.cancel();
});

Deno.test("FakeSalesforce bulk ingest jobs advance one state per poll to JobComplete", async () => {
  const { org, token } = await loggedIn({ bulkPollsToComplete: 3 });
  const id = await createIngest(org, token, { object: "Account", operation: "insert" });
  await (await call(org, token, "PUT", `${V}/jobs/ingest/${id}/batches`, "Name\nA\n", CSV)).body
    ?.cancel();
  await (await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "UploadComplete" }))
    .body?.cancel();
  const early = await call(org, token, "GET", `${V}/jobs/ingest/${id}/successfulResults/`);
  assert.equal(early.status, 409);
  await early.body?.cancel();
  const states: string[] = [];
  for (let i = 0; i < 4; i++) {
    states.push((await (await call(org, token, "GET", `${V}/jobs/ingest/${id}`)).json()).state);
  }
  assert.deepEqual(states, ["InProgress", "InProgress", "JobComplete", "JobComplete"]);
  assert.equal(org.records("Account").length, 1);
});

Deno.test("FakeSalesforce bulk results echo the upload with quoted sf__ columns and cells", async () => {
  const { org, token } = await loggedIn();
  const id = await runIngest(
    org,
    token,
    { object: "Contact", operation: "insert" },
    'LastName,Email\nLee,lee@example.com\n"",nobody@example.com\n"Comma, ""quoted""",\n',
  );
  const ok = await results(org, token, id, "successfulResults");
  assert.equal(ok.type, "text/csv");
  const ids = org.records("Contact").map((record) => record.Id);
  assert.equal(
    ok.text,
    `"sf__Id","sf__Created",LastName,Email\n"${ids[0]}","true","Lee","lee@example.com"\n` +
      `"${ids[1]}","true","Comma, ""quoted""",""\n`,
  );
  const failed = await results(org, token, id, "failedResults");
  assert.equal(
    failed.text,
    `"sf__Id","sf__Error",LastName,Email\n` +
      `"","REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --","","nobody@example.com"\n`,
  );
  const unprocessed = await results(org, token, id, "unprocessedrecords");
  assert.equal(unprocessed.text, "LastName,Email\n");
  const info = await (await call(org, token, "GET", `${V}/jobs/ingest/${id}`)).json();
  assert.equal(info.numberRecordsProcessed, 3);
  assert.equal(info.numberRecordsFailed, 1);
  assert.equal(info.jobType, "V2Ingest");
});

Deno.test("FakeSalesforce bulk update leaves empty cells alone and nulls #N/A", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: "Acme", Phone: "555", Website: "acme.example" }]);
  const job = await runIngest(
    org,
    token,
    { object: "Account", operation: "update" },
    `Id,Name,Phone,Website\n${id},Acme Corp,,#N/A\n,Nobody,,\n`,
  );
  const [record] = org.records("Account");
  assert.equal(record.Name, "Acme Corp");
  assert.equal(record.Phone, "555");
  assert.equal(record.Website, null);
  const failed = await results(org, token, job, "failedResults");
  assert.match(failed.text, /"MISSING_ARGUMENT:Id not specified in an update call:--"/);
});

Deno.test("FakeSalesforce bulk upsert reports created true and false per row", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", [{ Name: "Old", ExtId__c: "A1" }]);
  const job = await runIngest(
    org,
    token,
    { object: "Account", operation: "upsert", externalIdFieldName: "ExtId__c" },
    "ExtId__c,Name\nA1,New\nA2,Two\n",
  );
  const ok = await results(org, token, job, "successfulResults");
  assert.deepEqual(
    ok.text.trim().split("\n").slice(1).map((line) => line.split(",")[1]),
    ['"false"', '"true"'],
  );
  assert.deepEqual(org.records("Account").map((r) => r.Name), ["New", "Two"]);
});

Deno.test("FakeSalesforce bulk delete removes rows and fails unknown ids with sf__Id set", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: "Gone" }]);
  const ghost = makeId("001", 999);
  const job = await runIngest(
    org,
    token,
    { object: "Account", operation: "delete" },
    `Id\n${id}\n${ghost}\n`,
  );
  assert.equal(org.records("Account").length, 0);
  const failed = await results(org, token, job, "failedResults");
  assert.equal(
    failed.text,
    `"sf__Id","sf__Error",Id\n"${ghost}","INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--","${ghost}"\n`,
  );
});

Deno.test("FakeSalesforce bulk jobs with an unknown column fail with every row unprocessed", async () => {
  const { org, token } = await loggedIn();
  const id = await createIngest(org, token, { object: "Account", operation: "insert" });
  await (await call(
    org,
    token,
    "PUT",
    `${V}/jobs/ingest/${id}/batches`,
    "Name,Foo__c\nA,1\nB,2\n",
    CSV,
  ))
    .body?.cancel();
  await (await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "UploadComplete" }))
    .body?.cancel();
  const info = await (await call(org, token, "GET", `${V}/jobs/ingest/${id}`)).json();
  assert.equal(info.state, "Failed");
  assert.equal(info.errorMessage, "InvalidBatch : Field name not found : Foo__c");
  const unprocessed = await results(org, token, id, "unprocessedrecords");
  assert.equal(unprocessed.text, 'Name,Foo__c\n"A","1"\n"B","2"\n');
  assert.equal(org.records("Account").length, 0);
});

Deno.test("FakeSalesforce bulk results of a job with no columns are the header rows of what they add", async () => {
  const { org, token } = await loggedIn();
  // A job closed with no data, and one whose data does not parse (an unclosed quote).
  for (const data of [undefined, 'Name\n"A\n']) {
    const id = await createIngest(org, token, { object: "Account", operation: "insert" });
    if (data !== undefined) {
      await (await call(org, token, "PUT", `${V}/jobs/ingest/${id}/batches`, data, CSV)).body
        ?.cancel();
    }
    await (await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "UploadComplete" }))
      .body?.cancel();
    const info = await (await call(org, token, "GET", `${V}/jobs/ingest/${id}`)).json();
    assert.equal(info.state, "Failed", String(data));
    assert.equal(
      (await results(org, token, id, "successfulResults")).text,
      '"sf__Id","sf__Created"\n',
    );
    assert.equal((await results(org, token, id, "failedResults")).text, '"sf__Id","sf__Error"\n');
    assert.equal((await results(org, token, id, "unprocessedrecords")).text, "");
  }
});

Deno.test("FakeSalesforce bulk abort leaves the uploaded rows unprocessed", async () => {
  const { org, token } = await loggedIn({ bulkPollsToComplete: 2 });
  const id = await createIngest(org, token, { object: "Account", operation: "insert" });
  await (await call(org, token, "PUT", `${V}/jobs/ingest/${id}/batches`, "Name\nA\nB\n", CSV)).body
    ?.cancel();
  await (await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "UploadComplete" }))
    .body?.cancel();
  await (await call(org, token, "GET", `${V}/jobs/ingest/${id}`)).body?.cancel();
  const aborted = await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "Aborted" });
  assert.equal((await aborted.json()).state, "Aborted");
  const unprocessed = await results(org, token, id, "unprocessedrecords");
  assert.equal(unprocessed.text, 'Name\n"A"\n"B"\n');
  assert.equal(org.records("Account").length, 0);
});

Deno.test("FakeSalesforce bulk delete of a job answers 204, then the job is gone", async () => {
  const { org, token } = await loggedIn();
  const id = await createIngest(org, token, { object: "Account", operation: "insert" });
  const open = await call(org, token, "DELETE", `${V}/jobs/ingest/${id}`);
  assert.equal(open.status, 409);
  await open.body?.cancel();
  await (await call(org, token, "PATCH", `${V}/jobs/ingest/${id}`, { state: "Aborted" })).body
    ?.cancel();
  const deleted = await wire(await call(org, token, "DELETE", `${V}/jobs/ingest/${id}`));
  assert.equal(deleted.status, 204);
  assert.equal(deleted.text, "");
  const gone = await call(org, token, "GET", `${V}/jobs/ingest/${id}`);
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
});

Deno.test("FakeSalesforce bulk job lists page with nextRecordsUrl, null on the last page", async () => {
  const { org, token } = await loggedIn({ pageSize: 2 });
  for (let i = 0; i < 3; i++) {
    await createIngest(org, token, { object: "Account", operation: "insert" });
  }
  const first = await (await call(org, token, "GET", `${V}/jobs/ingest`)).json();
  assert.equal(first.done, false);
  assert.equal(first.records.length, 2);
  assert.equal(first.records[0].jobType, "V2Ingest");
  const second = await (await call(org, token, "GET", first.nextRecordsUrl)).json();
  assert.deepEqual([second.done, second.records.length, second.nextRecordsUrl], [true, 1, null]);
  const queries = await (await call(org, token, "GET", `${V}/jobs/query`)).json();
  assert.deepEqual(queries, { done: true, records: [], nextRecordsUrl: null });
  const bad = await call(org, token, "GET", `${V}/jobs/ingest?queryLocator=nope-2`);
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});

Deno.test("FakeSalesforce bulk routes need a session like every data route", async () => {
  const { org } = await loggedIn();
  const response = await call(org, undefined, "GET", `${V}/jobs/ingest`);
  assert.equal(response.status, 401);
  await response.body?.cancel();
});

// ---- query ------------------------------------------------------------------------------------

async function createQuery(org: FakeSalesforce, token: string, query: string, operation = "query") {
  return await call(org, token, "POST", `${V}/jobs/query`, {
    operation,
    query,
    contentType: "CSV",
    columnDelimiter: "COMMA",
    lineEnding: "LF",
  });
}

/** Creates a query job and polls it once, which completes it on the default org; returns the job. */
async function completedQuery(
  org: FakeSalesforce,
  token: string,
  query: string,
  operation = "query",
): Promise<{ id: string; operation: string }> {
  const job = await (await createQuery(org, token, query, operation)).json();
  await (await call(org, token, "GET", `${V}/jobs/query/${job.id}`)).body?.cancel();
  return job;
}

/** The text of one results page of a query job; `params` like "maxRecords=2&locator=Mg". */
async function queryPage(org: FakeSalesforce, token: string, id: string, params = "") {
  const query = params === "" ? "" : `?${params}`;
  return (await wire(await call(org, token, "GET", `${V}/jobs/query/${id}/results${query}`))).text;
}

Deno.test("FakeSalesforce bulk query jobs start UploadComplete and page results by locator", async () => {
  const { org, token } = await loggedIn({ bulkPollsToComplete: 2 });
  org.insert("Account", Array.from({ length: 5 }, (_, i) => ({ Name: `A${i}` })));
  const created = await createQuery(org, token, "SELECT Name FROM Account");
  const job = await created.json();
  assert.deepEqual(Object.keys(job), [
    "id",
    "operation",
    "object",
    "createdById",
    "createdDate",
    "systemModstamp",
    "state",
    "concurrencyMode",
    "contentType",
    "apiVersion",
    "lineEnding",
    "columnDelimiter",
  ]);
  assert.equal(job.state, "UploadComplete");
  const early = await call(org, token, "GET", `${V}/jobs/query/${job.id}/results`);
  assert.equal(early.status, 409);
  await early.body?.cancel();
  const states = [];
  for (let i = 0; i < 2; i++) {
    states.push((await (await call(org, token, "GET", `${V}/jobs/query/${job.id}`)).json()).state);
  }
  assert.deepEqual(states, ["InProgress", "JobComplete"]);
  const pages: string[] = [];
  const locators: string[] = [];
  let locator = "";
  do {
    const response = await call(
      org,
      token,
      "GET",
      `${V}/jobs/query/${job.id}/results?maxRecords=2${locator ? `&locator=${locator}` : ""}`,
    );
    assert.equal(response.headers.get("Content-Type"), "text/csv");
    locator = response.headers.get("Sforce-Locator")!;
    locators.push(locator);
    assert.equal(response.headers.get("Sforce-NumberOfRecords"), pages.length < 2 ? "2" : "1");
    pages.push(await response.text());
  } while (locator !== "null");
  assert.deepEqual(locators, ["Mg", "NA", "null"]);
  assert.deepEqual(pages, [
    '"Name"\n"A0"\n"A1"\n',
    '"Name"\n"A2"\n"A3"\n',
    '"Name"\n"A4"\n',
  ]);
});

Deno.test("FakeSalesforce bulk query CSV quotes every cell, nulls empty, dateTimes with Z", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", [{ Name: "Acme", CreatedDate: new Date("2024-03-15T09:30:00Z") }]);
  const job = await completedQuery(
    org,
    token,
    "SELECT Name, Phone, NumberOfEmployees, CreatedDate, Owner.Email, Parent.Name FROM Account",
  );
  assert.equal(
    await queryPage(org, token, job.id),
    '"Name","Phone","NumberOfEmployees","CreatedDate","Owner.Email","Parent.Name"\n' +
      '"Acme","","","2024-03-15T09:30:00.000Z","admin@fake.example.com",""\n',
  );
});

Deno.test("FakeSalesforce bulk query CSV follows parent paths two levels deep, empty where a parent is missing", async () => {
  const { org, token } = await loggedIn();
  const [acme] = org.insert("Account", [{ Name: "Acme, Inc." }]);
  org.insert("Contact", [
    { LastName: "Lee", AccountId: acme, Email: "lee@example.com" },
    { LastName: "Orphan" },
    { LastName: 'Say "hi"', AccountId: acme },
  ]);
  const job = await completedQuery(
    org,
    token,
    "SELECT LastName, Account.Name, Account.Owner.Email, Email FROM Contact",
  );
  const pages = [
    await queryPage(org, token, job.id, "maxRecords=2"),
    await queryPage(org, token, job.id, "maxRecords=2&locator=Mg"),
  ];
  const header = '"LastName","Account.Name","Account.Owner.Email","Email"\n';
  assert.deepEqual(pages, [
    header + '"Lee","Acme, Inc.","admin@fake.example.com","lee@example.com"\n"Orphan","","",""\n',
    header + '"Say ""hi""","Acme, Inc.","admin@fake.example.com",""\n',
  ]);
});

Deno.test("FakeSalesforce bulk query refuses bad SOQL, COUNT(), OFFSET, subqueries and bad locators", async () => {
  const { org, token } = await loggedIn();
  const bad = await createQuery(org, token, "SELECT Nope FROM Account");
  assert.equal(bad.status, 400);
  assert.equal((await bad.json())[0].errorCode, "INVALID_FIELD");
  for (
    const soql of [
      "SELECT COUNT() FROM Account",
      "SELECT Id FROM Account LIMIT 10 OFFSET 5",
      "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
    ]
  ) {
    const refused = await createQuery(org, token, soql);
    assert.equal(refused.status, 400, soql);
    assert.equal((await refused.json())[0].errorCode, "INVALIDJOB", soql);
  }
  const job = await completedQuery(org, token, "SELECT Id FROM Account");
  const locator = await call(org, token, "GET", `${V}/jobs/query/${job.id}/results?locator=%%%`);
  assert.equal(locator.status, 400);
  await locator.body?.cancel();
});

Deno.test("FakeSalesforce bulk queryAll includes deleted rows", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", [{ Name: "Live" }, { Name: "Gone", IsDeleted: true }]);
  const job = await completedQuery(org, token, "SELECT Name FROM Account", "queryAll");
  assert.equal(job.operation, "queryAll");
  assert.equal(await queryPage(org, token, job.id), '"Name"\n"Live"\n"Gone"\n');
});

Deno.test("FakeSalesforce bulk hardDelete purges rows: queryAll no longer sees them, unlike delete", async () => {
  const { org, token } = await loggedIn();
  const [soft, hard, kept] = org.insert("Account", [
    { Name: "Soft" },
    { Name: "Hard" },
    { Name: "Kept" },
  ]);
  for (const [operation, id] of [["delete", soft], ["hardDelete", hard]]) {
    const job = await runIngest(org, token, { object: "Account", operation }, `Id\n${id}\n`);
    const done = await results(org, token, job, "successfulResults");
    assert.equal(done.text, `"sf__Id","sf__Created",Id\n"${id}","false","${id}"\n`);
  }
  const job = await completedQuery(org, token, "SELECT Id, Name FROM Account", "queryAll");
  assert.equal(
    await queryPage(org, token, job.id),
    `"Id","Name"\n"${soft}","Soft"\n"${kept}","Kept"\n`,
  );
  const gone = await call(org, token, "GET", `${V}/sobjects/Account/${hard}`);
  assert.equal(gone.status, 404);
  assert.equal((await gone.json())[0].errorCode, "NOT_FOUND");
  const again = await runIngest(
    org,
    token,
    { object: "Account", operation: "hardDelete" },
    `Id\n${hard}\n`,
  );
  const failed = await results(org, token, again, "failedResults");
  assert.match(failed.text, /INVALID_CROSS_REFERENCE_KEY/);
});

Deno.test("FakeSalesforce reset forgets bulk jobs", async () => {
  const { org, token } = await loggedIn();
  await createIngest(org, token, { object: "Account", operation: "insert" });
  org.reset();
  const fresh = await tokenFor(org);
  const list = await (await call(org, fresh, "GET", `${V}/jobs/ingest`)).json();
  assert.deepEqual(list.records, []);
});

Deno.test("FakeSalesforce bulk query results name each column as the query wrote it", async () => {
  const { org, token } = await loggedIn();
  const [account] = org.insert("Account", [{ Name: "Acme" }]);
  org.insert("Contact", [{ LastName: "Doe", AccountId: account }]);
  const job = await completedQuery(org, token, "select lastname, account.NAME from contact");
  assert.equal(await queryPage(org, token, job.id), '"lastname","account.NAME"\n"Doe","Acme"\n');
  // A FROM alias is no part of the name, as in REST answers.
  const aliased = await completedQuery(
    org,
    token,
    "SELECT c.LastName, c.Account.Name FROM Contact c",
  );
  assert.equal(
    await queryPage(org, token, aliased.id),
    '"LastName","Account.Name"\n"Doe","Acme"\n',
  );
});
