import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import {
  MoreThanOneRecordError,
  NotFoundError,
  type SalesforceError,
} from "../../client/errors.ts";
import { InvalidStateError } from "../../client/subrequest.ts";
import { FakeSalesforce, type FakeSalesforceOptions } from "../../testing/mod.ts";

interface Account {
  Id: string;
  Name: string;
}

interface Contact {
  Id: string;
  LastName: string;
  AccountId: string | null;
}

/** A client on a fresh org; `calls` logs composite calls in the order they are sent and answered. */
function setup(options: FakeSalesforceOptions = {}) {
  const org = new FakeSalesforce(options);
  const requests: Request[] = [];
  const events: string[] = [];
  const responses: string[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      const composite = new URL(request.url).pathname.includes("/composite");
      const n = requests.length;
      if (composite) events.push(`send ${n}`);
      const response = await org.fetch(request);
      if (composite) {
        events.push(`answer ${n}`);
        responses.push(await response.clone().text());
      }
      return response;
    },
  });
  const compositeBodies = async () => {
    const calls = requests.filter((r) => new URL(r.url).pathname.includes("/composite"));
    return await Promise.all(calls.map(async (r) => JSON.parse(await r.clone().text())));
  };
  return { org, sf, requests, events, responses, compositeBodies };
}

Deno.test("CompositeBatch sends 30 subrequests as two calls, one after another, in order", async () => {
  const { org, sf, events, compositeBodies } = setup();
  const batch = sf.composite.batch();
  const creates = Array.from(
    { length: 25 },
    (_, i) => batch.sobject.create("Account", { Name: `A${String(i).padStart(2, "0")}` }),
  );
  // In the second call: it sees what the first did, as it would within one batch.
  const found = batch.query<{ Name: string }>("SELECT Name FROM Account ORDER BY Name");
  for (let i = 25; i < 29; i++) batch.sobject.create("Account", { Name: `A${i}` });
  await batch.execute();
  const bodies = await compositeBodies();
  assert.deepEqual(bodies.map((body) => body.batchRequests.length), [25, 5]);
  assert.deepEqual(bodies.map((body) => body.haltOnError), [false, false]);
  assert.deepEqual(events.map((e) => e.split(" ")[0]), ["send", "answer", "send", "answer"]);
  assert.equal(found.records.length, 25);
  const names = new Map(org.records("Account").map((r) => [r.Id, r.Name]));
  assert.deepEqual(
    creates.map((create) => names.get(create.id)),
    creates.map((_, i) => `A${String(i).padStart(2, "0")}`),
  );
  assert.ok(creates.every((create) => create.statusCode === 201 && create.isSuccess));
  assert.equal(org.stats.apiCalls, 2);
});

Deno.test("CompositeBatch with haltOnError sends calls one after another and stops at the first failure", async () => {
  const { org, sf, events, compositeBodies } = setup();
  const batch = sf.composite.batch({ haltOnError: true });
  const subrequests = Array.from(
    { length: 30 },
    (_, i) =>
      i === 27
        ? batch.sobject.create("Contact", { FirstName: "No last name" })
        : batch.sobject.create("Account", { Name: `A${i}` }),
  );
  await batch.execute();
  const bodies = await compositeBodies();
  assert.deepEqual(bodies.map((body) => [body.haltOnError, body.batchRequests.length]), [
    [true, 25],
    [true, 5],
  ]);
  assert.deepEqual(events.map((e) => e.split(" ")[0]), ["send", "answer", "send", "answer"]);
  assert.deepEqual(
    subrequests.map((s) => s.statusCode),
    [...Array(27).fill(201), 400, 412, 412],
  );
  assert.equal(subrequests[28].error?.errorCode, "BATCH_PROCESSING_HALTED");
  assert.equal(org.records("Account").length, 27);
});

Deno.test("CompositeBatch with haltOnError reports later calls as not executed without sending them", async () => {
  const { org, sf, compositeBodies } = setup();
  const batch = sf.composite.batch({ haltOnError: true });
  const subrequests = Array.from(
    { length: 30 },
    (_, i) =>
      i === 3
        ? batch.sobject.get("Account", "001000000000000AAA")
        : batch.sobject.create("Account", { Name: `A${i}` }),
  );
  await batch.execute();
  assert.equal((await compositeBodies()).length, 1);
  assert.deepEqual(subrequests.map((s) => s.statusCode), [
    201,
    201,
    201,
    404,
    ...Array(26).fill(412),
  ]);
  for (const skipped of subrequests.slice(4)) {
    assert.equal(skipped.isSuccess, false);
    assert.equal(skipped.error?.errorCode, "BATCH_PROCESSING_HALTED");
    assert.deepEqual(skipped.body, [
      { errorCode: "BATCH_PROCESSING_HALTED", message: "Batch processing halted per request" },
    ]);
  }
  assert.equal(org.records("Account").length, 3);
});

Deno.test("CompositeRequest resolves references: create, create with a lookup, query and get by reference", async () => {
  const { org, sf, compositeBodies } = setup();
  const composite = sf.composite.request({ allOrNone: true, autoraise: true });
  const account = composite.sobject.create("Account", { Name: "Acme" });
  const contact = composite.sobject.create("Contact", {
    LastName: "Doe",
    AccountId: account.ref("id"),
  });
  const query = composite.query<Contact>(
    `SELECT Id, LastName, AccountId FROM Contact WHERE AccountId = '${account.ref("id")}'`,
  );
  const read = composite.sobject.get<Contact>("Contact", query.ref("records[0].Id"), {
    fields: ["LastName", "AccountId"],
  });
  await composite.execute();

  assert.deepEqual(
    [account.referenceId, contact.referenceId, query.referenceId, read.referenceId],
    ["Account_create_0", "Contact_create_1", "query_2", "Contact_get_3"],
  );
  const [stored] = org.records("Contact");
  assert.equal(contact.id, stored.Id);
  assert.equal(stored.AccountId, account.id);
  // Record types flow through: records is Contact[], record is Contact.
  const records: Contact[] = query.records;
  const record: Contact = read.record;
  assert.deepEqual(records.map((r) => r.Id), [contact.id]);
  assert.equal(record.LastName, "Doe");
  assert.equal(read.record.AccountId, account.id);
  assert.equal(account.httpHeaders.Location, `/services/data/v64.0/sobjects/Account/${account.id}`);

  const [body] = await compositeBodies();
  assert.equal(body.allOrNone, true);
  assert.equal(body.collateSubrequests, true);
  assert.deepEqual(body.compositeRequest[1], {
    method: "POST",
    url: "/services/data/v64.0/sobjects/Contact",
    referenceId: "Contact_create_1",
    body: { LastName: "Doe", AccountId: "@{Account_create_0.id}" },
  });
  assert.equal(
    body.compositeRequest[2].url,
    "/services/data/v64.0/query?q=SELECT%20Id%2C%20LastName%2C%20AccountId%20FROM%20Contact%20WHERE%20AccountId%20%3D%20'@{Account_create_0.id}'",
  );
  assert.equal(
    body.compositeRequest[3].url,
    "/services/data/v64.0/sobjects/Contact/@{query_2.records[0].Id}?fields=LastName,AccountId",
  );
  assert.equal(org.stats.apiCalls, 1);
});

Deno.test("CompositeRequest with allOrNone rolls back every write when one subrequest fails", async () => {
  const { org, sf } = setup();
  const [existing] = org.insert("Account", [{ Name: "Before" }]);
  const before = org.records("Account");
  const composite = sf.composite.request({ allOrNone: true });
  const update = composite.sobject.update("Account", existing, { Name: "After" });
  const created = composite.sobject.create("Account", { Name: "New" });
  const bad = composite.sobject.create("Contact", { AccountId: created.ref("id") });
  const after = composite.query("SELECT Id FROM Account");
  await composite.execute();

  assert.deepEqual(org.records("Account"), before);
  assert.deepEqual(org.records("Contact"), []);
  assert.equal(bad.error?.errorCode, "REQUIRED_FIELD_MISSING");
  for (const halted of [update, created, after]) {
    assert.equal(halted.statusCode, 400);
    assert.equal(halted.error?.errorCode, "PROCESSING_HALTED");
  }
  assert.throws(
    () => created.id,
    (error: SalesforceError) => error.errorCode === "PROCESSING_HALTED",
  );
});

Deno.test("CompositeRequest without allOrNone keeps earlier writes and halts subrequests that reference a failure", async () => {
  const { org, sf } = setup();
  const composite = sf.composite.request();
  const account = composite.sobject.create("Account", { Name: "Kept" });
  const bad = composite.sobject.create("Contact", { FirstName: "No last name" });
  const dependent = composite.sobject.get("Contact", bad.ref("id"));
  await composite.execute();
  assert.equal(account.isSuccess, true);
  assert.equal(bad.statusCode, 400);
  assert.equal(dependent.error?.errorCode, "PROCESSING_HALTED");
  assert.match(dependent.error!.message, /Contact_create_1\.id/);
  assert.equal(org.records("Account").length, 1);
});

Deno.test("Composite results come back with Salesforce's HTML escaping undone", async () => {
  const { sf, responses } = setup();
  const names = [`O'Brien & <Sons>`, `He said "hi"`, "Tom &amp; Jerry", "&#39; stays"];
  const composite = sf.composite.request();
  const created = names.map((Name) => composite.sobject.create("Account", { Name }));
  const reads = created.map((c) => composite.sobject.get<Account>("Account", c.ref("id")));
  await composite.execute();
  assert.deepEqual(reads.map((read) => read.record.Name), names);
  assert.ok(responses[0].includes("O&#39;Brien &amp; &lt;Sons&gt;"), "the wire was escaped");

  const batch = sf.composite.batch();
  const query = batch.query<Account>("SELECT Name FROM Account ORDER BY Name");
  await batch.execute();
  assert.deepEqual(query.records.map((r) => r.Name).sort(), [...names].sort());
  assert.ok(responses[1].includes("He said &quot;hi&quot;"), "the wire was escaped");
});

Deno.test("CompositeRequest with autoraise throws an AggregateError of every failed subrequest", async () => {
  const { sf } = setup();
  const composite = sf.composite.request({ autoraise: true });
  composite.sobject.create("Account", { Name: "Fine" });
  composite.sobject.get("Account", "001000000000000AAA");
  composite.sobject.create("Contact", {});
  const error = await composite.execute().then(() => undefined, (e) => e);
  assert.ok(error instanceof AggregateError);
  assert.equal(error.errors.length, 2);
  assert.ok(error.errors[0] instanceof NotFoundError);
  assert.equal(error.errors[1].errorCode, "REQUIRED_FIELD_MISSING");
  assert.equal(composite.subrequests[2].error, error.errors[1]);
});

Deno.test("CompositeBatch with autoraise throws the first error, or all of them with groupErrors", async () => {
  for (const groupErrors of [false, true]) {
    const { sf } = setup();
    const batch = sf.composite.batch({ autoraise: true, groupErrors });
    batch.sobject.create("Account", { Name: "Fine" });
    const missing = batch.sobject.get("Account", "001000000000000AAA");
    const invalid = batch.query("SELECT Nope FROM Account");
    const error = await batch.execute().then(() => undefined, (e) => e);
    if (groupErrors) {
      assert.ok(error instanceof AggregateError);
      assert.deepEqual(error.errors, [missing.error, invalid.error]);
    } else {
      assert.ok(error instanceof NotFoundError);
      assert.equal(error, missing.error);
    }
  }
});

Deno.test("Subrequest results throw InvalidStateError before execute()", async () => {
  const { sf, requests } = setup();
  const batch = sf.composite.batch();
  const query = batch.query<Account>("SELECT Id FROM Account");
  const create = batch.sobject.create("Account", { Name: "Acme" });
  const get = batch.sobject.get<Account>("Account", "001000000000000AAA");
  const upsert = batch.sobject.upsert("Account", "A-1", "ExtId__c", { Name: "Acme" });
  assert.equal(query.done, false);
  for (
    const read of [
      () => query.records,
      () => query.statusCode,
      () => query.body,
      () => query.result,
      () => query.isSuccess,
      () => query.error,
      () => query.httpHeaders,
      () => query.raiseForStatus(),
      () => create.id,
      () => get.record,
      () => upsert.id,
      () => upsert.created,
    ]
  ) {
    assert.throws(read, InvalidStateError);
  }
  assert.equal(requests.length, 0);
  await batch.execute();
  assert.equal(query.done, true);
  assert.equal(upsert.created, true);
});

Deno.test("Builders refuse new subrequests and a second execute() once executed", async () => {
  const { sf } = setup();
  const composite = sf.composite.request();
  composite.sobject.create("Account", { Name: "Acme" });
  await composite.execute();
  assert.throws(() => composite.query("SELECT Id FROM Account"), InvalidStateError);
  await assert.rejects(composite.execute(), InvalidStateError);
  const batch = sf.composite.batch();
  await batch.execute();
  assert.throws(() => batch.sobject.create("Account", { Name: "x" }), InvalidStateError);
});

Deno.test("CompositeRequest refuses a 26th subrequest and a 6th query before anything is sent", () => {
  const { sf, requests } = setup();
  const composite = sf.composite.request();
  for (let i = 0; i < 25; i++) composite.sobject.create("Account", { Name: `A${i}` });
  assert.throws(
    () => composite.sobject.create("Account", { Name: "one too many" }),
    (error: Error) => error instanceof RangeError && /at most 25 subrequests/.test(error.message),
  );
  const queries = sf.composite.request();
  for (let i = 0; i < 5; i++) queries.query("SELECT Id FROM Account");
  assert.throws(() => queries.query("SELECT Id FROM Account"), RangeError);
  assert.equal(requests.length, 0);
});

Deno.test("A 300 inside a subrequest maps to MoreThanOneRecordError and a 404 to NotFoundError", async () => {
  const { org, sf } = setup();
  const ids = org.insert("Account", [{ Name: "One", ExtId__c: "A-1" }, {
    Name: "Two",
    ExtId__c: "A-2",
  }]);
  // Make the external id ambiguous through a case-insensitive match.
  org.insert("Account", [{ Name: "Three", ExtId__c: "a-1" }]);
  const batch = sf.composite.batch();
  const ambiguous = batch.sobject.get("Account", "A-1", { externalIdField: "ExtId__c" });
  const missing = batch.sobject.get("Account", "nope", { externalIdField: "ExtId__c" });
  const fine = batch.sobject.get<Account>("Account", ids[1]);
  await batch.execute();
  assert.throws(() => ambiguous.record, MoreThanOneRecordError);
  assert.equal((ambiguous.error as MoreThanOneRecordError).records.length, 2);
  assert.equal(ambiguous.statusCode, 300);
  assert.throws(() => missing.record, NotFoundError);
  assert.match(
    missing.error!.message,
    /^Composite subrequest "Account_get_1" failed: NOT_FOUND: .* \(404 GET \/services\/data\/v64\.0\/sobjects\/Account\/ExtId__c\/nope\)$/,
  );
  assert.equal(fine.record.Name, "Two");
});

Deno.test("Composite builders refuse unsafe names and ids before anything is sent", () => {
  const { sf, requests } = setup();
  const batch = sf.composite.batch();
  assert.throws(() => batch.sobject.get("Account", "../limits"), TypeError);
  assert.throws(() => batch.sobject.create("Account/x", { Name: "x" }), TypeError);
  assert.throws(
    () => batch.sobject.delete("Account", "..", { externalIdField: "ExtId__c" }),
    TypeError,
  );
  assert.throws(() => batch.sobject.get("Account", "@{Account_create_0.id}"), TypeError);
  assert.throws(() => batch.sobject.create("Account", "{not json"), TypeError);
  assert.throws(() => batch.sobject.create("Account", "[1]"), TypeError);
  const first = batch.sobject.create("Account", { Name: "x" });
  assert.throws(() => first.ref("id"), TypeError);
  const composite = sf.composite.request();
  const account = composite.sobject.create("Account", { Name: "x" });
  assert.throws(() => account.ref("id/../x"), TypeError);
  assert.throws(
    () => composite.sobject.get("Account", "@{Account_create_0.id}/../../limits"),
    TypeError,
  );
  assert.throws(
    () => composite.sobject.upsert("Account", "A-1", "ExtId__c", { ExtId__c: "B-2" }),
    TypeError,
  );
  assert.throws(() => sf.composite.batch({ haltOnError: "yes" as unknown as boolean }), TypeError);
  assert.equal(requests.length, 0);
});

Deno.test("Composite upsert drops the matching external id from the body without changing the caller's object", async () => {
  const { org, sf, compositeBodies } = setup();
  const data = { ExtId__c: "A-1", Name: "Acme" };
  const composite = sf.composite.request();
  const upsert = composite.sobject.upsert("Account", "A-1", "ExtId__c", data);
  const text = composite.sobject.create("Account", '{"Name":"Text Co"}');
  const bytes = composite.sobject.create(
    "Account",
    new TextEncoder().encode('{"Name":"Bytes Co"}'),
  );
  await composite.execute();
  assert.deepEqual(data, { ExtId__c: "A-1", Name: "Acme" });
  assert.deepEqual([upsert.created, upsert.id], [true, org.records("Account")[0].Id]);
  assert.deepEqual([text.isSuccess, bytes.isSuccess], [true, true]);
  const [body] = await compositeBodies();
  assert.deepEqual(body.compositeRequest[0].body, { Name: "Acme" });
  assert.equal(body.compositeRequest[0].url, "/services/data/v64.0/sobjects/Account/ExtId__c/A-1");
});

Deno.test("CompositeBatch.execute can run again after a failed call and sends only what is left", async () => {
  const { org, sf, compositeBodies } = setup();
  org.inject({ path: "/services/data/v64.0/composite/batch", status: 400, errorCode: "X_FAILED" });
  const batch = sf.composite.batch();
  const creates = Array.from(
    { length: 30 },
    (_, i) => batch.sobject.create("Account", { Name: `A${i}` }),
  );
  await assert.rejects(batch.execute(), (error: SalesforceError) => error.errorCode === "X_FAILED");
  // The first call failed, so the second was never sent: nothing is settled.
  assert.equal(creates.filter((c) => c.done).length, 0);
  await batch.execute();
  assert.ok(creates.every((c) => c.isSuccess));
  assert.equal(org.records("Account").length, 30);
  const sent = (await compositeBodies()).map((b) => b.batchRequests.length);
  assert.deepEqual(sent, [25, 25, 5]);
});

Deno.test("Composite execute() rejects with the signal's reason when aborted", async () => {
  const { sf } = setup();
  const composite = sf.composite.request();
  const created = composite.sobject.create("Account", { Name: "x" });
  const controller = new AbortController();
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(composite.execute({ signal: controller.signal }), (e) => e === reason);
  assert.equal(created.done, false);
});

Deno.test("Composite builders with no subrequests send nothing", async () => {
  const { sf, requests } = setup();
  await sf.composite.batch().execute();
  await sf.composite.request().execute();
  assert.equal(requests.length, 0);
});

Deno.test("Composite works against the fake org over loopback HTTP", async () => {
  const org = new FakeSalesforce();
  const server = org.serve({ port: 0 });
  try {
    const sf = new Salesforce({ baseUrl: server.url, auth: org.auth() });
    const composite = sf.composite.request();
    const account = composite.sobject.create("Account", { Name: "O'Brien & <Sons>" });
    const read = composite.sobject.get<Account>("Account", account.ref("id"));
    await composite.execute();
    assert.equal(read.record.Name, "O'Brien & <Sons>");
  } finally {
    await server.close();
  }
});

Deno.test("Composite execute() reports a response it cannot read as a SalesforceError and settles nothing", async () => {
  const { org, sf } = setup();
  org.inject({ path: "/services/data/v64.0/composite", status: 200, body: "<html>proxy</html>" });
  const composite = sf.composite.request();
  const created = composite.sobject.create("Account", { Name: "x" });
  await assert.rejects(
    composite.execute(),
    (error: SalesforceError) =>
      error.message ===
        "Cannot read composite response: the body is not JSON (200 POST /services/data/v64.0/composite)",
  );
  assert.equal(created.done, false);
});
