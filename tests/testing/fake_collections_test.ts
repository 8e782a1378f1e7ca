import assert from "node:assert/strict";
import { call, loggedIn, V, wire } from "./_fake.ts";

const C = `${V}/composite/sobjects`;
const ROLLED_BACK =
  '{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Record rolled back because not all records were valid and the request was using AllOrNone header","fields":[]}';

function typed(type: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { attributes: { type }, ...fields };
}

Deno.test("FakeSalesforce collections create answers 200 with one SaveResult per record, errors keyed statusCode", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", C, {
      records: [typed("Account", { Name: "Acme" }), typed("Contact", { FirstName: "Ann" })],
    }),
  );
  assert.equal(got.status, 200);
  assert.equal(got.limit, "api-usage=1/100000");
  const [acme] = org.records("Account");
  assert.equal(
    got.text,
    `[{"id":"${acme.Id}","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [LastName]","fields":["LastName"]}]}]`,
  );
  assert.equal(org.records("Contact").length, 0);
});

Deno.test("FakeSalesforce collections create with allOrNone commits nothing and marks the others rolled back", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", C, {
      allOrNone: true,
      records: [
        typed("Account", { Name: "A" }),
        typed("Account", {}),
        typed("Account", { Name: "C" }),
      ],
    }),
  );
  assert.equal(got.status, 200);
  assert.equal(
    got.text,
    `[{"success":false,"errors":[${ROLLED_BACK}]},{"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [Name]","fields":["Name"]}]},{"success":false,"errors":[${ROLLED_BACK}]}]`,
  );
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce collections see earlier records of the same call: a repeated unique value fails the second", async () => {
  const { org, token } = await loggedIn();
  const records = [
    typed("Account", { Name: "A", ExtId__c: "X" }),
    typed("Account", { Name: "B", ExtId__c: "x" }),
  ];
  for (const allOrNone of [true, false]) {
    const body = await (await call(org, token, "POST", C, { allOrNone, records })).json();
    assert.equal(body[0].success, !allOrNone);
    assert.equal(body[1].errors[0].statusCode, "DUPLICATE_VALUE");
  }
  assert.deepEqual(org.records("Account").map((r) => r.Name), ["A"]);
});

Deno.test("FakeSalesforce collections refuse more than 200 records and more than 10 type runs with 400", async () => {
  const { org, token } = await loggedIn();
  const many = Array.from({ length: 201 }, (_, i) => typed("Account", { Name: `A${i}` }));
  const tooMany = await wire(await call(org, token, "POST", C, { records: many }));
  assert.equal(tooMany.status, 400);
  assert.equal(
    tooMany.text,
    '[{"message":"Maximum number of records allowed is 200","errorCode":"EXCEEDED_ID_LIMIT"}]',
  );
  const runs = Array.from(
    { length: 11 },
    (_, i) => i % 2 ? typed("Contact", { LastName: "x" }) : typed("Account", { Name: "x" }),
  );
  const chunked = await call(org, token, "POST", C, { records: runs });
  assert.equal(chunked.status, 400);
  assert.match((await chunked.json())[0].message, /more than 10 chunks/);
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce collections refuse records without a known attributes.type", async () => {
  const { org, token } = await loggedIn();
  const missing = await call(org, token, "POST", C, { records: [{ Name: "x" }] });
  assert.equal(missing.status, 400);
  assert.equal((await missing.json())[0].errorCode, "INVALID_TYPE");
  const unknown = await call(org, token, "POST", C, { records: [typed("Nope__c", {})] });
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json())[0].message, "sObject type 'Nope__c' is not supported.");
});

Deno.test("FakeSalesforce collections update reports a missing, malformed, unknown or deleted id per record", async () => {
  const { org, token } = await loggedIn();
  const [id, contactId] = [
    org.insert("Account", [{ Name: "A" }])[0],
    org.insert("Contact", [{ LastName: "C" }])[0],
  ];
  const [deleted] = org.insert("Account", [{ Name: "D", IsDeleted: true }]);
  const body = await (await call(org, token, "PATCH", C, {
    records: [
      typed("Account", { id, Name: "Renamed" }),
      typed("Account", { Name: "no id" }),
      typed("Account", { Id: contactId, Name: "x" }),
      typed("Account", { Id: "001000000000009AAA", Name: "x" }),
      typed("Account", { Id: deleted, Name: "x" }),
    ],
  })).json();
  assert.deepEqual(body[0], { id, success: true, errors: [] });
  assert.deepEqual(
    body.slice(1).map((r: { errors: { statusCode: string }[] }) => r.errors[0].statusCode),
    ["MISSING_ARGUMENT", "MALFORMED_ID", "INVALID_CROSS_REFERENCE_KEY", "ENTITY_IS_DELETED"],
  );
  assert.equal(body[4].id, deleted);
  assert.equal(org.records("Account")[0].Name, "Renamed");
});

Deno.test("FakeSalesforce collections upsert inserts and updates by external id with created flags", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", [{ Name: "Old", ExtId__c: "A-1" }]);
  const got = await wire(
    await call(org, token, "PATCH", `${C}/Account/ExtId__c`, {
      records: [
        typed("Account", { ExtId__c: "A-1", Name: "Acme" }),
        typed("Account", { ExtId__c: "A-2", Name: "Globex" }),
        typed("Account", { Name: "no key" }),
      ],
    }),
  );
  assert.equal(got.status, 200);
  const [a1, a2] = org.records("Account");
  assert.equal(
    got.text,
    `[{"id":"${a1.Id}","success":true,"errors":[],"created":false},{"id":"${a2.Id}","success":true,"errors":[],"created":true},{"success":false,"errors":[{"statusCode":"MISSING_ARGUMENT","message":"ExtId__c not specified","fields":["ExtId__c"]}]}]`,
  );
  assert.equal(a1.Name, "Acme");
  const notExternal = await call(org, token, "PATCH", `${C}/Account/Name`, { records: [] });
  assert.equal(notExternal.status, 404);
  await notExternal.body?.cancel();
  const otherType = await call(org, token, "PATCH", `${C}/Account/ExtId__c`, {
    records: [typed("Contact", { ExtId__c: "x", LastName: "x" })],
  });
  assert.equal(otherType.status, 400);
  await otherType.body?.cancel();
});

Deno.test("FakeSalesforce collections delete takes ids in the query string and reports each", async () => {
  const { org, token } = await loggedIn();
  const [a, c] = [
    org.insert("Account", [{ Name: "A" }])[0],
    org.insert("Contact", [{ LastName: "C" }])[0],
  ];
  const [gone] = org.insert("Account", [{ Name: "G", IsDeleted: true }]);
  const got = await wire(
    await call(org, token, "DELETE", `${C}?ids=${a},${c.slice(0, 15)},${gone},bad&allOrNone=false`),
  );
  assert.equal(got.status, 200);
  assert.equal(
    got.text,
    `[{"id":"${a}","success":true,"errors":[]},{"id":"${c}","success":true,"errors":[]},{"id":"${gone}","success":false,"errors":[{"statusCode":"ENTITY_IS_DELETED","message":"entity is deleted","fields":[]}]},{"success":false,"errors":[{"statusCode":"MALFORMED_ID","message":"malformed id bad","fields":[]}]}]`,
  );
  assert.deepEqual(org.records("Account"), []);
  assert.deepEqual(org.records("Contact"), []);
});

Deno.test("FakeSalesforce collections delete with allOrNone deletes nothing when one id fails", async () => {
  const { org, token } = await loggedIn();
  const ids = org.insert("Account", [{ Name: "A" }, { Name: "B" }]);
  const body = await (await call(
    org,
    token,
    "DELETE",
    `${C}?ids=${ids.join(",")},001000000000009AAA&allOrNone=true`,
  )).json();
  assert.deepEqual(body.map((r: { errors: { statusCode: string }[] }) => r.errors[0].statusCode), [
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "INVALID_CROSS_REFERENCE_KEY",
  ]);
  assert.deepEqual(body.map((r: { id?: string }) => r.id), [...ids, "001000000000009AAA"]);
  assert.equal(org.records("Account").length, 2);
  const many = Array.from({ length: 201 }, () => ids[0]).join(",");
  const tooMany = await call(org, token, "DELETE", `${C}?ids=${many}`);
  assert.equal(tooMany.status, 400);
  await tooMany.body?.cancel();
});

Deno.test("FakeSalesforce collections retrieve answers records in id order with null for ids it cannot return", async () => {
  const { org, token } = await loggedIn({ now: () => Date.UTC(2024, 2, 15) });
  const [id] = org.insert("Account", [{ Name: "Acme", Industry: "Energy" }]);
  const [contact] = org.insert("Contact", [{ LastName: "C" }]);
  const expected =
    `[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/${id}"},"Name":"Acme","Industry":"Energy","Id":"${id}"},null,null,null]`;
  const ids = [id, contact, "001000000000009AAA", "junk"];
  const byBody = await wire(
    await call(org, token, "POST", `${C}/Account`, { ids, fields: ["name", "Industry"] }),
  );
  assert.equal(byBody.status, 200);
  assert.equal(byBody.text, expected);
  const byQuery = await wire(
    await call(org, token, "GET", `${C}/Account?ids=${ids.join(",")}&fields=name,Industry`),
  );
  assert.equal(byQuery.text, expected);
  const badField = await call(org, token, "POST", `${C}/Account`, { ids, fields: ["Nope"] });
  assert.equal(badField.status, 400);
  assert.equal((await badField.json())[0].errorCode, "INVALID_FIELD");
  const tooMany = await call(org, token, "POST", `${C}/Account`, {
    ids: Array.from({ length: 2001 }, () => id),
    fields: ["Name"],
  });
  assert.equal(tooMany.status, 400);
  await tooMany.body?.cancel();
});

function tree(type: string, referenceId: string, fields: Record<string, unknown>) {
  return { attributes: { type, referenceId }, ...fields };
}

Deno.test("FakeSalesforce tree creates records level by level and answers 201 with hasErrors false", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/composite/tree/Account`, {
      records: [
        tree("Account", "ref1", {
          Name: "Acme",
          Contacts: { records: [tree("Contact", "ref2", { LastName: "Doe" })] },
        }),
        tree("Account", "ref3", { Name: "Globex" }),
      ],
    }),
  );
  assert.equal(got.status, 201);
  const [acme, globex] = org.records("Account");
  const [doe] = org.records("Contact");
  assert.equal(
    got.text,
    `{"hasErrors":false,"results":[{"referenceId":"ref1","id":"${acme.Id}"},{"referenceId":"ref3","id":"${globex.Id}"},{"referenceId":"ref2","id":"${doe.Id}"}]}`,
  );
  assert.equal(doe.AccountId, acme.Id);
});

Deno.test("FakeSalesforce tree rolls everything back and reports the record that failed", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/composite/tree/Account`, {
      records: [
        tree("Account", "ref1", {
          Name: "Acme",
          Contacts: {
            records: [
              tree("Contact", "ref2", { LastName: "Doe" }),
              tree("Contact", "ref3", { LastName: "Roe", Email: "nope" }),
            ],
          },
        }),
      ],
    }),
  );
  assert.equal(got.status, 400);
  assert.equal(
    got.text,
    '{"hasErrors":true,"results":[{"referenceId":"ref3","errors":[{"statusCode":"INVALID_EMAIL_ADDRESS","message":"Email: invalid email address: nope","fields":["Email"]}]}]}',
  );
  assert.deepEqual(org.records("Account"), []);
  assert.deepEqual(org.records("Contact"), []);
});

Deno.test("FakeSalesforce tree refuses duplicate reference ids, wrong types and more than 200 records", async () => {
  const { org, token } = await loggedIn();
  const post = (records: unknown[]) =>
    call(org, token, "POST", `${V}/composite/tree/Account`, { records });
  const duplicate = await (await post([
    tree("Account", "a", { Name: "A" }),
    tree("Account", "a", { Name: "B" }),
  ])).json();
  assert.equal(duplicate.hasErrors, true);
  assert.equal(duplicate.results[0].referenceId, "a");
  const wrongType = await post([tree("Contact", "c", { LastName: "x" })]);
  assert.equal(wrongType.status, 400);
  assert.equal((await wrongType.json()).results[0].errors[0].statusCode, "INVALID_TYPE");
  const many = Array.from({ length: 201 }, (_, i) => tree("Account", `r${i}`, { Name: "x" }));
  const tooMany = await post(many);
  assert.equal(tooMany.status, 400);
  await tooMany.body?.cancel();
  assert.deepEqual(org.records("Account"), []);
});
