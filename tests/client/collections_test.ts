import assert from "node:assert/strict";
import { mock } from "node:test";
import { Salesforce } from "../../client/salesforce.ts";
import { CollectionsError, type SaveResult } from "../../client/collections.ts";
import { ServerError } from "../../client/errors.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

const PATH = "/services/data/v64.0/composite/sobjects";

interface Sent {
  method: string;
  url: URL;
  body: string;
}

/** A client on a fresh fake org that records every data request it sends. */
function setup(options: { concurrencyLimit?: number } = {}) {
  const org = new FakeSalesforce();
  const sent: Sent[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let onSend: (sent: Sent) => void = () => {};
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    concurrencyLimit: options.concurrencyLimit,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (!url.pathname.startsWith("/services/data/")) return org.fetch(request);
      const entry = { method: request.method, url, body: await request.clone().text() };
      sent.push(entry);
      onSend(entry);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await org.fetch(request);
      } finally {
        inFlight--;
      }
    },
  });
  return {
    org,
    sf,
    sent,
    maxInFlight: () => maxInFlight,
    onSend: (callback: (sent: Sent) => void) => {
      onSend = callback;
    },
  };
}

function accounts(count: number, bad?: number): Record<string, string>[] {
  return Array.from(
    { length: count },
    (_, i): Record<string, string> => i === bad ? { Industry: "Energy" } : { Name: `Account ${i}` },
  );
}

function recordsPerCall(sent: Sent[]): number[] {
  return sent.map((s) => JSON.parse(s.body).records.length);
}

Deno.test("collections.create sends 1,050 records in 6 calls of at most 200 and returns results in input order", async () => {
  const { org, sf, sent } = setup();
  const results = await sf.collections.create("Account", accounts(1050, 777));
  assert.equal(sent.length, 6);
  assert.ok(sent.every((s) => s.method === "POST" && s.url.pathname === PATH));
  assert.deepEqual(recordsPerCall(sent).sort((a, b) => a - b), [50, 200, 200, 200, 200, 200]);
  assert.equal(results.length, 1050);
  const idByName = new Map(org.records("Account").map((r) => [r.Name, r.Id]));
  assert.equal(idByName.size, 1049);
  results.forEach((result, i) => {
    if (i === 777) return;
    assert.deepEqual(result, { id: idByName.get(`Account ${i}`), success: true, errors: [] });
  });
  assert.deepEqual(results[777], {
    id: null,
    success: false,
    errors: [{
      statusCode: "REQUIRED_FIELD_MISSING",
      message: "Required fields are missing: [Name]",
      fields: ["Name"],
    }],
  });
});

Deno.test("collections.update changes 1,050 records in 6 calls and reports a deleted record in place", async () => {
  const { org, sf, sent } = setup();
  const ids = org.insert("Account", accounts(1049));
  const [deleted] = org.insert("Account", [{ Name: "Gone", IsDeleted: true }]);
  ids.splice(500, 0, deleted);
  const results = await sf.collections.update(
    "Account",
    ids.map((Id) => ({ Id, Industry: "Energy" })),
  );
  assert.equal(sent.length, 6);
  assert.ok(sent.every((s) => s.method === "PATCH" && s.url.pathname === PATH));
  assert.deepEqual(results.map((r) => r.id), ids);
  assert.deepEqual(results.map((r, i) => r.success || i), [
    ...Array(500).fill(true),
    500,
    ...Array(549).fill(true),
  ]);
  assert.equal(results[500].errors[0].statusCode, "ENTITY_IS_DELETED");
  assert.ok(org.records("Account").every((r) => r.Industry === "Energy"));
});

Deno.test("collections.upsert matches 1,050 records on an external id in 6 calls, with created flags in order", async () => {
  const { org, sf, sent } = setup();
  org.insert(
    "Account",
    Array.from({ length: 500 }, (_, i) => ({ Name: `Old ${i}`, ExtId__c: `E-${i}` })),
  );
  const records = Array.from(
    { length: 1050 },
    (_, i) => ({ ExtId__c: `E-${i}`, Name: i === 1000 ? "" : `New ${i}` }),
  );
  const results = await sf.collections.upsert("Account", "ExtId__c", records);
  assert.equal(sent.length, 6);
  assert.ok(
    sent.every((s) => s.method === "PATCH" && s.url.pathname === `${PATH}/Account/ExtId__c`),
  );
  assert.deepEqual(results.map((r) => r.created), [
    ...Array(500).fill(false),
    ...Array(500).fill(true),
    undefined,
    ...Array(49).fill(true),
  ]);
  assert.equal(results[1000].errors[0].statusCode, "REQUIRED_FIELD_MISSING");
  const stored = new Map(org.records("Account").map((r) => [r.ExtId__c, r]));
  assert.equal(stored.size, 1049);
  results.forEach((result, i) => {
    if (i !== 1000) assert.equal(result.id, stored.get(`E-${i}`)?.Id);
  });
  assert.equal(stored.get("E-10")?.Name, "New 10");
});

Deno.test("collections.delete removes 1,050 records in 6 calls and reports an already deleted one in place", async () => {
  const { org, sf, sent } = setup();
  const ids = org.insert(
    "Contact",
    Array.from({ length: 1050 }, (_, i) => ({ LastName: `C${i}` })),
  );
  const [gone] = org.insert("Contact", [{ LastName: "Gone", IsDeleted: true }]);
  ids[3] = gone;
  const results = await sf.collections.delete(ids);
  assert.equal(sent.length, 6);
  assert.ok(sent.every((s) => s.method === "DELETE" && s.url.pathname === PATH));
  assert.deepEqual(results.map((r) => r.id), ids);
  assert.deepEqual(results.filter((r) => !r.success).map((r) => r.errors[0].statusCode), [
    "ENTITY_IS_DELETED",
  ]);
  assert.equal(results[3].success, false);
  assert.deepEqual(org.records("Contact").map((r) => r.LastName), ["C3"]);
});

Deno.test("collections.get reads 1,050 ids in one call, in order, with null for an id that names nothing", async () => {
  const { org, sf, sent } = setup();
  const ids = org.insert("Account", accounts(1050));
  ids[10] = "001000000000001AAA";
  const records = await sf.collections.get<{ Id: string; Name: string }>("Account", ids, [
    "Name",
  ]);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].method, "POST");
  assert.equal(sent[0].url.pathname, `${PATH}/Account`);
  assert.deepEqual(JSON.parse(sent[0].body).fields, ["Name"]);
  assert.equal(records[10], null);
  records.forEach((record, i) => {
    if (i !== 10) assert.deepEqual([record?.Id, record?.Name], [ids[i], `Account ${i}`]);
  });
});

Deno.test("collections.get splits more than 2,000 ids into calls of 2,000", async () => {
  const { org, sf, sent } = setup();
  const ids = org.insert(
    "Contact",
    Array.from({ length: 4100 }, (_, i) => ({ LastName: `C${i}` })),
  );
  const records = await sf.collections.get<{ LastName: string }>("Contact", ids, ["LastName"]);
  assert.deepEqual(sent.map((s) => JSON.parse(s.body).ids.length).sort(), [100, 2000, 2000]);
  assert.deepEqual(records.map((r) => r?.LastName), ids.map((_, i) => `C${i}`));
});

Deno.test("collections calls stay within the client's concurrencyLimit", async () => {
  const limited = setup({ concurrencyLimit: 2 });
  await limited.sf.collections.create("Account", accounts(1050));
  assert.equal(limited.sent.length, 6);
  assert.ok(limited.maxInFlight() <= 2, `max in flight ${limited.maxInFlight()}`);
  const open = setup();
  await open.sf.collections.create("Account", accounts(1050));
  assert.ok(open.maxInFlight() > 1, "the 6 calls are sent concurrently");
});

Deno.test("collections.create with allOrNone rolls back every record when one fails", async () => {
  const { org, sf } = setup();
  const results = await sf.collections.create("Account", accounts(5, 2), { allOrNone: true });
  assert.deepEqual(org.records("Account"), []);
  assert.deepEqual(results.map((r) => [r.success, r.errors[0].statusCode]), [
    [false, "ALL_OR_NONE_OPERATION_ROLLED_BACK"],
    [false, "ALL_OR_NONE_OPERATION_ROLLED_BACK"],
    [false, "REQUIRED_FIELD_MISSING"],
    [false, "ALL_OR_NONE_OPERATION_ROLLED_BACK"],
    [false, "ALL_OR_NONE_OPERATION_ROLLED_BACK"],
  ]);
  const ok = await sf.collections.create("Account", accounts(5), { allOrNone: true });
  assert.ok(ok.every((r) => r.success));
  assert.equal(org.records("Account").length, 5);
});

Deno.test("collections.update and delete with allOrNone leave every record as it was when one fails", async () => {
  const { org, sf } = setup();
  const ids = org.insert("Account", accounts(3));
  const before = org.records("Account");
  const updates = ids.map((Id, i) => ({ Id, Name: i === 1 ? null : `Renamed ${i}` }));
  const updated = await sf.collections.update("Account", updates, { allOrNone: true });
  assert.deepEqual(updated.map((r) => r.errors[0].statusCode), [
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "REQUIRED_FIELD_MISSING",
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
  ]);
  assert.deepEqual(org.records("Account"), before);
  const deleted = await sf.collections.delete([...ids, "001000000000001AAA"], { allOrNone: true });
  assert.deepEqual(deleted.map((r) => r.success), [false, false, false, false]);
  assert.deepEqual(org.records("Account"), before);
});

Deno.test("collections with allOrNone and more than 200 records is a RangeError before anything is sent", async () => {
  const { sf, sent } = setup();
  await assert.rejects(sf.collections.create("Account", accounts(201), { allOrNone: true }), {
    name: "RangeError",
    message:
      'Cannot create records: "allOrNone" needs every record in one call, so at most 200 records: received 201',
  });
  const ids = Array.from({ length: 201 }, () => "001000000000001AAA");
  await assert.rejects(sf.collections.delete(ids, { allOrNone: true }), RangeError);
  const mixed = Array.from({ length: 11 }, (_, i) => ({
    attributes: { type: i % 2 === 0 ? "Account" : "Contact" },
    Name: "x",
  }));
  await assert.rejects(sf.collections.create(null, mixed, { allOrNone: true }), {
    name: "RangeError",
    message: /at most 10 runs of same-type records: received 11/,
  });
  assert.equal(sent.length, 0);
});

Deno.test("collections.create of mixed types splits so each call holds at most 10 type runs", async () => {
  const { org, sf, sent } = setup();
  const records = Array.from(
    { length: 12 },
    (_, i) =>
      i % 2 === 0
        ? { attributes: { type: "Account" }, Name: `A${i}` }
        : { attributes: { type: "Contact" }, LastName: `C${i}` },
  );
  const results = await sf.collections.create(null, records);
  assert.deepEqual(recordsPerCall(sent).sort((a, b) => a - b), [2, 10]);
  assert.deepEqual(
    results.map((r) => r.id?.slice(0, 3)),
    records.map((_, i) => i % 2 ? "003" : "001"),
  );
  assert.equal(org.records("Account").length + org.records("Contact").length, 12);
});

Deno.test("collections returns the calls that completed when one call fails after retries", async () => {
  const { org, sf, onSend } = setup();
  // Every attempt of the 3rd call (records 400-599) gets a 500, however often it is retried.
  onSend((sent) => {
    if (sent.body.includes('"Name":"Account 400"')) org.inject({ path: PATH, status: 500 });
  });
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const error = await sf.collections.create("Account", accounts(1050)).then(
      () => assert.fail("expected a CollectionsError"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof CollectionsError);
    assert.ok(error.cause instanceof ServerError);
    assert.equal(error.callErrors.length, 1);
    assert.match(
      error.message,
      /^Cannot create records: 1 of 6 calls failed, so 200 of 1050 records have no result: /,
    );
    const partial = error.partialResults as (SaveResult | undefined)[];
    assert.equal(partial.length, 1050);
    partial.forEach((result, i) => {
      if (i >= 400 && i < 600) assert.equal(result, undefined);
      else assert.equal(result?.success, true);
    });
    assert.ok(sleep.mock.callCount() >= 1, "the failing call was retried");
    const written = new Set(org.records("Account").map((r) => r.Id));
    assert.equal(written.size, 850);
    assert.ok(partial.every((r) => r === undefined || written.has(r.id!)));
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("collections send attributes.type on the wire and leave the caller's records unchanged", async () => {
  const { sf, sent } = setup();
  const records = [{ Name: "Acme" }, { attributes: { type: "Account" }, Name: "Globex" }];
  const copy = structuredClone(records);
  await sf.collections.create("Account", records);
  assert.deepEqual(records, copy);
  assert.equal(
    sent[0].body,
    '{"allOrNone":false,"records":[{"attributes":{"type":"Account"},"Name":"Acme"},{"attributes":{"type":"Account"},"Name":"Globex"}]}',
  );
});

Deno.test("collections.delete sends the ids and allOrNone in the query string", async () => {
  const { org, sf, sent } = setup();
  const ids = org.insert("Account", accounts(2));
  await sf.collections.delete(ids);
  assert.equal(sent[0].url.search, `?ids=${ids.join(",")}&allOrNone=false`);
});

Deno.test("collections with no records send nothing", async () => {
  const { sf, sent } = setup();
  assert.deepEqual(await sf.collections.create("Account", []), []);
  assert.deepEqual(await sf.collections.delete([]), []);
  assert.deepEqual(await sf.collections.get("Account", [], ["Name"]), []);
  assert.equal(sent.length, 0);
});

const BAD_INPUT: [string, (sf: Salesforce) => Promise<unknown>, RegExp][] = [
  [
    "an update record without Id",
    (sf) => sf.collections.update("Account", [{ Id: "001000000000001AAA" }, {}, { Name: "x" }]),
    /^TypeError: Cannot update records: "records\[1\]\.Id" must be a 15- or 18-character record id: received undefined$/,
  ],
  [
    "an update record with a malformed Id",
    (sf) => sf.collections.update("Account", [{ Id: "001xx", Name: "x" }]),
    /"records\[0\]\.Id" must be a 15- or 18-character record id: received "001xx"/,
  ],
  [
    "a create record with an Id",
    (sf) => sf.collections.create("Account", [{ Name: "a" }, { Id: "001000000000001AAA" }]),
    /"records\[1\]\.Id" must be left out: create assigns the id/,
  ],
  [
    "a record whose attributes.type differs from sobject",
    (sf) => sf.collections.create("Account", [{ attributes: { type: "Contact" }, LastName: "x" }]),
    /"records\[0\]\.attributes\.type" must be "Account" or left out \(pass null as "sobject" to mix types\)/,
  ],
  [
    "a typeless record when sobject is null",
    (sf) => sf.collections.create(null, [{ Name: "x" }]),
    /"records\[0\]\.attributes\.type" must be an API name/,
  ],
  [
    "an upsert record of another type",
    (sf) =>
      sf.collections.upsert("Account", "ExtId__c", [{
        attributes: { type: "Contact" },
        ExtId__c: "x",
      }]),
    /an upsert writes one object/,
  ],
  [
    "an upsert record without the external id",
    (sf) => sf.collections.upsert("Account", "ExtId__c", [{ ExtId__c: "a" }, { Name: "b" }]),
    /"records\[1\]\.ExtId__c" must hold the external id to match on: received undefined/,
  ],
  [
    "a record that is not an object",
    (sf) =>
      sf.collections.create("Account", [{ Name: "a" }, "b" as unknown as Record<string, unknown>]),
    /"records\[1\]" must be an object: received "b"/,
  ],
  [
    "a bad object name",
    (sf) => sf.collections.create("Account/../x", [{ Name: "a" }]),
    /"sobject" must be an API name/,
  ],
  [
    "a malformed delete id",
    (sf) => sf.collections.delete(["001000000000001AAA", "nope"]),
    /"ids\[1\]" must be a 15- or 18-character record id: received "nope"/,
  ],
  [
    "get ids of two objects",
    (sf) => sf.collections.get("Account", ["001000000000001AAA", "003000000000001AAA"], ["Name"]),
    /"ids\[1\]" must belong to one object, like "ids\[0\]" \(key prefix "001"\)/,
  ],
  [
    "get without fields",
    (sf) => sf.collections.get("Account", ["001000000000001AAA"], []),
    /"fields" must name at least one field/,
  ],
  [
    "allOrNone that is not a boolean",
    (sf) =>
      sf.collections.create("Account", [{ Name: "a" }], {
        allOrNone: "yes" as unknown as boolean,
      }),
    /"allOrNone" must be a boolean: received "yes"/,
  ],
];

for (const [what, call, message] of BAD_INPUT) {
  Deno.test(`collections refuse ${what} with a TypeError before sending anything`, async () => {
    const { sf, sent } = setup();
    const error = await call(sf).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.match(`${error.name}: ${error.message}`, message);
    assert.equal(sent.length, 0);
  });
}
