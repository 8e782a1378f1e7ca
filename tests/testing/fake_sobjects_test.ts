import assert from "node:assert/strict";
import { call, loggedIn, V, wire } from "./_fake.ts";

const JSON_TYPE = "application/json;charset=UTF-8";
const NOT_FOUND = '[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]';

Deno.test("FakeSalesforce creates a record: 201 with id, success and errors", async () => {
  const { org, token } = await loggedIn({ now: () => Date.UTC(2024, 2, 15, 9, 30) });
  const got = await wire(await call(org, token, "POST", `${V}/sobjects/Account`, { Name: "Acme" }));
  assert.equal(got.status, 201);
  assert.equal(got.type, JSON_TYPE);
  assert.equal(got.limit, "api-usage=1/100000");
  const id = org.records("Account")[0].Id;
  assert.equal(got.text, `{"id":"${id}","success":true,"errors":[]}`);
  assert.match(String(id), /^0015g[0-9A-Za-z]{10}[A-Z0-5]{3}$/);
  const stored = org.records("Account")[0];
  assert.equal(stored.CreatedDate, "2024-03-15T09:30:00.000+0000");
  assert.equal(stored.IsDeleted, false);
  assert.equal(stored.Industry, null);
  assert.equal(stored.OwnerId, stored.CreatedById);
});

Deno.test("FakeSalesforce reads a record with attributes first and every field, by 15 or 18 char id", async () => {
  const { org, token } = await loggedIn({ now: () => Date.UTC(2024, 2, 15, 9, 30) });
  const [id] = org.insert("Account", [{ Name: "Acme", AnnualRevenue: 1500 }]);
  for (const form of [id, id.slice(0, 15)]) {
    const got = await wire(await call(org, token, "GET", `${V}/sobjects/Account/${form}`));
    assert.equal(got.status, 200);
    assert.ok(
      got.text.startsWith(
        `{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/${id}"},"Id":"${id}","IsDeleted":false,"Name":"Acme","Type":null,`,
      ),
      got.text,
    );
    const body = JSON.parse(got.text);
    assert.equal(body.AnnualRevenue, 1500);
    assert.equal(body.CreatedDate, "2024-03-15T09:30:00.000+0000");
  }
});

Deno.test("FakeSalesforce reads selected fields, relationship paths included", async () => {
  const { org, token } = await loggedIn();
  const [parent] = org.insert("Account", [{ Name: "Parent Co" }]);
  const [id] = org.insert("Account", [{ Name: "Kid", ParentId: parent }]);
  const got = await wire(
    await call(
      org,
      token,
      "GET",
      `${V}/sobjects/Account/${id}?fields=name,Parent.Name,Parent.Parent.Name`,
    ),
  );
  assert.equal(got.status, 200);
  assert.equal(
    got.text,
    `{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/${id}"},"Name":"Kid",` +
      `"Parent":{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/${parent}"},"Name":"Parent Co","Parent":null},` +
      `"Id":"${id}"}`,
  );
  const bad = await wire(await call(org, token, "GET", `${V}/sobjects/Account/${id}?fields=Foo`));
  assert.equal(bad.status, 400);
  assert.match(
    bad.text,
    /"message":"No such column 'Foo' on entity 'Account'\. If you are attempting/,
  );
  assert.match(bad.text, /"errorCode":"INVALID_FIELD"/);
});

Deno.test("FakeSalesforce answers 400 MALFORMED_ID and 404 for a wrong prefix or a missing record", async () => {
  const { org, token } = await loggedIn();
  const malformed = await wire(await call(org, token, "GET", `${V}/sobjects/Account/001bad`));
  assert.equal(malformed.status, 400);
  assert.equal(
    malformed.text,
    '[{"message":"Account ID: id value of incorrect type: 001bad","errorCode":"MALFORMED_ID","fields":["Id"]}]',
  );
  const [contact] = org.insert("Contact", [{ LastName: "Lee" }]);
  const wrongPrefix = await wire(await call(org, token, "GET", `${V}/sobjects/Account/${contact}`));
  assert.equal(wrongPrefix.status, 404);
  assert.equal(wrongPrefix.text, NOT_FOUND);
  const missing = await wire(
    await call(org, token, "GET", `${V}/sobjects/Account/001000000000001AAA`),
  );
  assert.equal(missing.status, 404);
  assert.equal(missing.text, NOT_FOUND);
});

Deno.test("FakeSalesforce updates with 204 and stamps LastModifiedDate", async () => {
  let now = Date.UTC(2024, 0, 1);
  const { org, token } = await loggedIn({ now: () => now });
  const [id] = org.insert("Account", [{ Name: "Acme" }]);
  now = Date.UTC(2024, 0, 1, 0, 1);
  const response = await call(org, token, "PATCH", `${V}/sobjects/Account/${id}`, {
    Industry: "Energy",
    name: "Acme Corp",
  });
  assert.equal(response.status, 204);
  assert.equal(response.body, null);
  assert.equal(response.headers.get("Sforce-Limit-Info"), "api-usage=1/100000");
  const [stored] = org.records("Account");
  assert.equal(stored.Name, "Acme Corp");
  assert.equal(stored.Industry, "Energy");
  assert.equal(stored.CreatedDate, "2024-01-01T00:00:00.000+0000");
  assert.equal(stored.LastModifiedDate, "2024-01-01T00:01:00.000+0000");
  assert.equal((await call(org, token, "PATCH", `${V}/sobjects/Account/${id}`, {})).status, 204);
});

Deno.test("FakeSalesforce soft-deletes: 204, then ENTITY_IS_DELETED, and queryAll still sees it", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: "Acme" }]);
  const deleted = await call(org, token, "DELETE", `${V}/sobjects/Account/${id}`);
  assert.equal(deleted.status, 204);
  assert.deepEqual(org.records("Account"), []);
  const isDeleted = '[{"errorCode":"ENTITY_IS_DELETED","message":"entity is deleted","fields":[]}]';
  const again = await wire(await call(org, token, "DELETE", `${V}/sobjects/Account/${id}`));
  assert.equal(again.status, 404);
  assert.equal(again.text, isDeleted);
  const read = await wire(await call(org, token, "GET", `${V}/sobjects/Account/${id}`));
  assert.equal(read.status, 404);
  const update = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Account/${id}`, { Name: "x" }),
  );
  assert.equal(update.status, 400);
  assert.equal(update.text, isDeleted);
  const all = JSON.parse(
    (await wire(await call(org, token, "GET", `${V}/queryAll?q=SELECT+Id,IsDeleted+FROM+Account`)))
      .text,
  );
  assert.equal(all.totalSize, 1);
  assert.equal(all.records[0].IsDeleted, true);
});

Deno.test("FakeSalesforce refuses unknown fields with INVALID_FIELD", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/sobjects/Account`, { Name: "A", Foo__c: 1 }),
  );
  assert.equal(got.status, 400);
  assert.equal(
    got.text,
    `[{"message":"No such column 'Foo__c' on sobject of type Account","errorCode":"INVALID_FIELD"}]`,
  );
});

Deno.test("FakeSalesforce names every missing required field", async () => {
  const { org, token } = await loggedIn();
  const cases: [string, string[]][] = [
    ["Account", ["Name"]],
    ["Contact", ["LastName"]],
    ["Lead", ["LastName", "Company"]],
    ["Opportunity", ["Name", "StageName", "CloseDate"]],
  ];
  for (const [object, fields] of cases) {
    const got = await wire(
      await call(org, token, "POST", `${V}/sobjects/${object}`, { Description: "1" }),
    );
    assert.equal(got.status, 400, object);
    assert.equal(
      got.text,
      JSON.stringify([{
        message: `Required fields are missing: [${fields.join(", ")}]`,
        errorCode: "REQUIRED_FIELD_MISSING",
        fields,
      }]),
    );
  }
  const kase = await call(org, token, "POST", `${V}/sobjects/Case`, {});
  assert.equal(kase.status, 201);
  await kase.body?.cancel();
  const [stored] = org.records("Case");
  assert.equal(stored.Status, "New");
  assert.equal(stored.CaseNumber, "00001001");
  const cleared = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Case/${stored.Id}`, { Subject: "x" }),
  );
  assert.equal(cleared.status, 204);
  const [acme] = org.insert("Account", [{ Name: "Acme" }]);
  const nulled = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Account/${acme}`, { Name: null }),
  );
  assert.equal(nulled.status, 400);
  assert.match(nulled.text, /REQUIRED_FIELD_MISSING/);
});

Deno.test("FakeSalesforce refuses Id and read-only fields with INVALID_FIELD_FOR_INSERT_UPDATE", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/sobjects/Account`, {
      Id: "001000000000001AAA",
      Name: "A",
    }),
  );
  assert.equal(got.status, 400);
  assert.equal(
    got.text,
    JSON.stringify([{
      message:
        "Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
      errorCode: "INVALID_FIELD_FOR_INSERT_UPDATE",
      fields: ["Id"],
    }]),
  );
  const [id] = org.insert("Contact", [{ LastName: "Lee" }]);
  const name = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Contact/${id}`, { Name: "x" }),
  );
  assert.equal(name.status, 400);
  assert.match(name.text, /"fields":\["Name"\]/);
});

Deno.test("FakeSalesforce checks value types, lengths, emails and lookups", async () => {
  const { org, token } = await loggedIn();
  const post = async (object: string, body: unknown) =>
    JSON.parse(
      (await wire(await call(org, token, "POST", `${V}/sobjects/${object}`, body))).text,
    )[0];
  assert.equal(
    (await post("Account", { Name: "A", NumberOfEmployees: "many" })).errorCode,
    "JSON_PARSER_ERROR",
  );
  assert.equal((await post("Account", { Name: "x".repeat(256) })).errorCode, "STRING_TOO_LONG");
  assert.equal(
    (await post("Contact", { LastName: "L", Email: "nope" })).errorCode,
    "INVALID_EMAIL_ADDRESS",
  );
  assert.equal(
    (await post("Contact", { LastName: "L", AccountId: "nope" })).errorCode,
    "MALFORMED_ID",
  );
  const [user] = org.records("User").map((u) => u.Id as string);
  assert.equal(
    (await post("Contact", { LastName: "L", AccountId: user })).errorCode,
    "FIELD_INTEGRITY_EXCEPTION",
  );
  assert.equal(
    (await post("Contact", { LastName: "L", AccountId: "001000000000009AAA" })).errorCode,
    "INVALID_CROSS_REFERENCE_KEY",
  );
  assert.equal(
    (await post("Opportunity", { Name: "O", StageName: "S", CloseDate: "2024-02-30" })).errorCode,
    "JSON_PARSER_ERROR",
  );
  const created = await call(org, token, "POST", `${V}/sobjects/Opportunity`, {
    Name: "O",
    StageName: "Prospecting",
    CloseDate: "2024-02-29",
    Amount: "1500.5",
  });
  assert.equal(created.status, 201);
  await created.body?.cancel();
  assert.equal(org.records("Opportunity")[0].Amount, 1500.5);
});

Deno.test("FakeSalesforce resolves lookups by external id in the body", async () => {
  const { org, token } = await loggedIn();
  const [acme] = org.insert("Account", [{ Name: "Acme", ExtId__c: "ACME-1" }]);
  const ok = await call(org, token, "POST", `${V}/sobjects/Contact`, {
    LastName: "Lee",
    Account: { ExtId__c: "acme-1" },
  });
  assert.equal(ok.status, 201);
  await ok.body?.cancel();
  assert.equal(org.records("Contact")[0].AccountId, acme);
  const missing = await wire(
    await call(org, token, "POST", `${V}/sobjects/Contact`, {
      LastName: "L",
      Account: { ExtId__c: "ZZ" },
    }),
  );
  assert.equal(missing.status, 400);
  assert.equal(
    missing.text,
    '[{"message":"Foreign key external ID: zz not found for field ExtId__c in entity Account","errorCode":"INVALID_FIELD"}]',
  );
});

Deno.test("FakeSalesforce refuses a duplicate unique external id with DUPLICATE_VALUE", async () => {
  const { org, token } = await loggedIn();
  const [first] = org.insert("Account", [{ Name: "A", ExtId__c: "X1" }]);
  const got = await wire(
    await call(org, token, "POST", `${V}/sobjects/Account`, { Name: "B", ExtId__c: "x1" }),
  );
  assert.equal(got.status, 400);
  assert.equal(
    got.text,
    `[{"message":"duplicate value found: ExtId__c duplicates value on record with id: ${first}","errorCode":"DUPLICATE_VALUE","fields":[]}]`,
  );
});

Deno.test("FakeSalesforce answers DUPLICATES_DETECTED with a duplicateResult, unless allowSave", async () => {
  const { org, token } = await loggedIn({
    duplicateRules: [{ object: "Contact", field: "Email" }],
  });
  const [existing] = org.insert("Contact", [{ LastName: "Lee", Email: "ann@example.com" }]);
  const got = await wire(
    await call(org, token, "POST", `${V}/sobjects/Contact`, {
      LastName: "Lee",
      Email: "ANN@example.com",
    }),
  );
  assert.equal(got.status, 400);
  assert.equal(
    got.text,
    JSON.stringify([{
      duplicateResult: {
        allowSave: true,
        duplicateRule: "Standard_Contact_Duplicate_Rule",
        duplicateRuleEntityType: "Contact",
        errorMessage: "Use one of these records?",
        matchResults: [{
          entityType: "Contact",
          errors: [],
          matchEngine: "FuzzyMatchEngine",
          matchRecords: [{
            additionalInformation: [],
            fieldDiffs: [],
            matchConfidence: 100,
            record: {
              attributes: {
                type: "Contact",
                url: `/services/data/v66.0/sobjects/Contact/${existing}`,
              },
              Id: existing,
            },
          }],
          rule: "Standard_Contact_Match_Rule_v1_1",
          size: 1,
          success: true,
        }],
      },
      errorCode: "DUPLICATES_DETECTED",
      message: "Use one of these records?",
    }]),
  );
  // A record is not a duplicate of itself.
  const self = await call(org, token, "PATCH", `${V}/sobjects/Contact/${existing}`, {
    Email: "ann@example.com",
  });
  assert.equal(self.status, 204);
  const allowed = await call(
    org,
    token,
    "POST",
    `${V}/sobjects/Contact`,
    { LastName: "Lee", Email: "ann@example.com" },
    { "Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=false" },
  );
  assert.equal(allowed.status, 201);
  await allowed.body?.cancel();
});

Deno.test("FakeSalesforce upserts by external id: 201 created, then 200 updated", async () => {
  const { org, token } = await loggedIn();
  const created = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Account/ExtId__c/A%2F1`, { Name: "Acme" }),
  );
  assert.equal(created.status, 201);
  const [stored] = org.records("Account");
  assert.equal(stored.ExtId__c, "A/1");
  assert.equal(created.text, `{"id":"${stored.Id}","success":true,"errors":[],"created":true}`);
  const updated = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Account/extid__c/a%2F1`, { Industry: "Energy" }),
  );
  assert.equal(updated.status, 200);
  assert.equal(updated.text, `{"id":"${stored.Id}","success":true,"errors":[],"created":false}`);
  assert.equal(org.records("Account")[0].Industry, "Energy");
  const old = await call(
    org,
    token,
    "PATCH",
    `/services/data/v45.0/sobjects/Account/ExtId__c/A%2F1`,
    {},
  );
  assert.equal(old.status, 204, "before 46.0 an updating upsert answered 204");
});

Deno.test("FakeSalesforce answers 300 with record URLs when an external id matches several records", async () => {
  const { org, token } = await loggedIn();
  const ids = org.insert("Account", [{ Name: "A", ExtId__c: "dup" }, {
    Name: "B",
    ExtId__c: "DUP",
  }]);
  const expected = JSON.stringify(ids.map((id) => `/services/data/v66.0/sobjects/Account/${id}`));
  for (const method of ["GET", "PATCH", "DELETE"]) {
    const got = await wire(
      await call(
        org,
        token,
        method,
        `${V}/sobjects/Account/ExtId__c/dup`,
        method === "PATCH" ? {} : undefined,
      ),
    );
    assert.equal(got.status, 300, method);
    assert.equal(got.type, JSON_TYPE);
    assert.equal(got.text, expected);
  }
});

Deno.test("FakeSalesforce answers 404 when the upsert field is not an external id, 400 when the body repeats it", async () => {
  const { org, token } = await loggedIn();
  const notExternal = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Account/Name/Acme`, {}),
  );
  assert.equal(notExternal.status, 404);
  assert.equal(notExternal.text, NOT_FOUND);
  const repeated = await wire(
    await call(org, token, "PATCH", `${V}/sobjects/Account/ExtId__c/A1`, {
      Name: "A",
      ExtId__c: "A1",
    }),
  );
  assert.equal(repeated.status, 400);
  assert.match(repeated.text, /"errorCode":"INVALID_FIELD"/);
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce reads and deletes by external id", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: "Acme", ExtId__c: "A1" }]);
  const read = JSON.parse(
    (await wire(await call(org, token, "GET", `${V}/sobjects/Account/ExtId__c/a1`))).text,
  );
  assert.equal(read.Id, id);
  const missing = await wire(await call(org, token, "GET", `${V}/sobjects/Account/ExtId__c/none`));
  assert.equal(missing.status, 404);
  assert.equal((await call(org, token, "DELETE", `${V}/sobjects/Account/ExtId__c/A1`)).status, 204);
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce creates through POST /sobjects/{Object}/Id and refuses other POSTs on a row", async () => {
  const { org, token } = await loggedIn();
  const created = await call(org, token, "POST", `${V}/sobjects/Account/Id`, { Name: "Acme" });
  assert.equal(created.status, 201);
  await created.body?.cancel();
  const id = org.records("Account")[0].Id;
  const refused = await wire(await call(org, token, "POST", `${V}/sobjects/Account/${id}`, {}));
  assert.equal(refused.status, 405);
});

Deno.test("FakeSalesforce computes person names and custom object names", async () => {
  const { org, token } = await loggedIn({
    objects: [{ name: "Invoice__c", fields: [{ name: "Total__c", type: "currency" }] }],
  });
  const contact = await call(org, token, "POST", `${V}/sobjects/Contact`, {
    FirstName: "Ann",
    LastName: "Lee",
  });
  await contact.body?.cancel();
  assert.equal(org.records("Contact")[0].Name, "Ann Lee");
  const invoice = await wire(
    await call(org, token, "POST", `${V}/sobjects/Invoice__c`, { Total__c: 12.5 }),
  );
  assert.equal(invoice.status, 201);
  const [stored] = org.records("Invoice__c");
  assert.match(String(stored.Id), /^a005g/);
  assert.equal(stored.Name, stored.Id);
  assert.equal(stored.Total__c, 12.5);
});

Deno.test("FakeSalesforce resolves a nested Id lookup given as a 15-char id", async () => {
  const { org, token } = await loggedIn();
  const [acme] = org.insert("Account", [{ Name: "Acme" }]);
  const created = await call(org, token, "POST", `${V}/sobjects/Contact`, {
    LastName: "Lee",
    Account: { Id: acme.slice(0, 15) },
  });
  assert.equal(created.status, 201);
  await created.body?.cancel();
  assert.equal(org.records("Contact")[0].AccountId, acme);
});
