import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import {
  DuplicatesDetectedError,
  MoreThanOneRecordError,
  NotFoundError,
  SalesforceError,
} from "../../client/errors.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

function setup(options: ConstructorParameters<typeof FakeSalesforce>[0] = {}) {
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
  const dataRequests = () => requests.filter((r) => r.url.includes("/services/data/"));
  return { org, sf, requests, dataRequests };
}

Deno.test("sobject CRUD round trip", async () => {
  const { org, sf } = setup();
  const id = await sf.sobject.create("Account", { Name: "Acme", Industry: "Energy" });
  assert.match(id, /^001[0-9A-Za-z]{15}$/);
  const read = await sf.sobject.get<{ Id: string; Name: string; Industry: string }>(
    "Account",
    id,
  );
  assert.deepEqual([read.Id, read.Name, read.Industry], [id, "Acme", "Energy"]);
  await sf.sobject.update("Account", id, { Name: "Acme Corp", Industry: null });
  const updated = await sf.sobject.get<Record<string, unknown>>("Account", id, {
    fields: ["Name", "Industry"],
  });
  assert.equal(updated.Name, "Acme Corp");
  assert.equal(updated.Industry, null);
  await sf.sobject.delete("Account", id);
  assert.deepEqual(org.records("Account"), []);
  await assert.rejects(sf.sobject.get("Account", id), NotFoundError);
});

Deno.test("sobject.get accepts a 15-character id", async () => {
  const { org, sf } = setup();
  const [id] = org.insert("Contact", [{ LastName: "Doe" }]);
  const contact = await sf.sobject.get<{ Id: string }>("Contact", id.slice(0, 15));
  assert.equal(contact.Id, id);
});

Deno.test("sobject sends pre-serialised JSON as it is", async () => {
  const { sf, requests } = setup();
  const text = '{"Name":"Text Co"}';
  const bytes = new TextEncoder().encode('{"Name":"Bytes Co"}');
  const a = await sf.sobject.create("Account", text);
  const b = await sf.sobject.create("Account", bytes);
  assert.equal((await sf.sobject.get<{ Name: string }>("Account", a)).Name, "Text Co");
  assert.equal((await sf.sobject.get<{ Name: string }>("Account", b)).Name, "Bytes Co");
  const posts = requests.filter((r) => r.method === "POST" && r.url.endsWith("/sobjects/Account"));
  assert.equal(await posts[0].text(), text);
});

Deno.test("sobject.upsert creates, then updates, without changing the caller's object", async () => {
  const { org, sf } = setup();
  const data = { ExtId__c: "A-1", Name: "Acme" };
  const first = await sf.sobject.upsert("Account", "A-1", "ExtId__c", data);
  assert.equal(first.created, true);
  assert.deepEqual(data, { ExtId__c: "A-1", Name: "Acme" });
  const second = await sf.sobject.upsert("Account", "A-1", "extid__c", { Name: "Acme Corp" });
  assert.deepEqual(second, { id: first.id, created: false });
  assert.equal(org.records("Account")[0].Name, "Acme Corp");
});

Deno.test("sobject.upsert refuses a body whose external id differs from the id", async () => {
  const { sf, dataRequests } = setup();
  await assert.rejects(
    sf.sobject.upsert("Account", "A-1", "ExtId__c", { ExtId__c: "B-2", Name: "x" }),
    new TypeError(
      'Cannot upsert record: "data.ExtId__c" must equal "id" or be left out: received "B-2" for id "A-1"',
    ),
  );
  assert.equal(dataRequests().length, 0);
});

Deno.test("sobject.upsert with validate false sends the body as given", async () => {
  const { sf } = setup();
  await assert.rejects(
    sf.sobject.upsert("Account", "A-1", "ExtId__c", { ExtId__c: "A-1", Name: "x" }, {
      validate: false,
    }),
    (error: unknown) => error instanceof SalesforceError && error.response?.status === 400,
  );
});

Deno.test("sobject.upsert on an ambiguous external id raises MoreThanOneRecordError", async () => {
  const { org, sf } = setup();
  org.insert("Contact", [{ LastName: "A", ExtId__c: "dup" }, { LastName: "B", ExtId__c: "dup" }]);
  await assert.rejects(
    sf.sobject.upsert("Contact", "dup", "ExtId__c", { LastName: "C" }),
    (error: unknown) => error instanceof MoreThanOneRecordError && error.records.length === 2,
  );
});

Deno.test("sobject.upsert on a field that is not an external id raises NotFoundError", async () => {
  const { sf } = setup();
  await assert.rejects(
    sf.sobject.upsert("Account", "x", "Industry", { Name: "x" }),
    NotFoundError,
  );
});

Deno.test("sobject get and delete work by external id, encoding the value", async () => {
  const { org, sf, dataRequests } = setup();
  org.insert("Account", [{ Name: "Slash", ExtId__c: "a/b c?d" }]);
  const record = await sf.sobject.get<{ Name: string }>("Account", "a/b c?d", {
    externalIdField: "ExtId__c",
  });
  assert.equal(record.Name, "Slash");
  assert.ok(dataRequests().at(-1)!.url.endsWith("/sobjects/Account/ExtId__c/a%2Fb%20c%3Fd"));
  await sf.sobject.delete("Account", "a/b c?d", { externalIdField: "ExtId__c" });
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("a duplicate rule raises DuplicatesDetectedError with the matches", async () => {
  const { sf } = setup({ duplicateRules: [{ object: "Contact", field: "Email" }] });
  const first = await sf.sobject.create("Contact", { LastName: "A", Email: "a@example.com" });
  await assert.rejects(
    sf.sobject.create("Contact", { LastName: "B", Email: "a@example.com" }),
    (error: unknown) =>
      error instanceof DuplicatesDetectedError && error.duplicates.length === 1 &&
      error.duplicates[0].id === first,
  );
});

Deno.test("sobject.describe and describeGlobal read the org's schema", async () => {
  const { sf } = setup();
  const describe = await sf.sobject.describe("Contact");
  assert.equal(describe.name, "Contact");
  assert.ok(describe.fields.some((field) => field.name === "AccountId"));
  const global = await sf.describeGlobal();
  assert.ok(global.sobjects.some((sobject) => sobject.name === "Opportunity"));
  await assert.rejects(sf.sobject.describe("Nope__c"), NotFoundError);
});

const injections: Array<[string, () => Promise<unknown>, RegExp]> = [];
{
  const { sf } = setup();
  injections.push(
    [
      "an id that walks up the path",
      () => sf.sobject.get("Account", "../limits"),
      /"id" must be a 15- or 18-character record id: received "..\/limits"/,
    ],
    [
      "an object name with a slash",
      () => sf.sobject.create("Account/../../x", {}),
      /"sobject" must be an API name/,
    ],
    [
      "an object name with a query",
      () => sf.sobject.describe("Account?x=1"),
      /"sobject" must be an API name/,
    ],
    [
      "an 18-character id with a bad checksum",
      () => sf.sobject.update("Account", "001000000000001ZZZ", {}),
      /"id" must be a 15- or 18-character record id/,
    ],
    [
      "a field with a comma",
      () => sf.sobject.get("Account", "001000000000001AAA", { fields: ["Name,Id"] }),
      /"fields\[0\]" must be a field name/,
    ],
    [
      "an external id field with a slash",
      () => sf.sobject.delete("Account", "x", { externalIdField: "a/b" }),
      /"externalIdField" must be an API name/,
    ],
    [
      "an external id of ..",
      () => sf.sobject.get("Account", "..", { externalIdField: "ExtId__c" }),
      /"id" must be a non-empty string other than "." and ".."/,
    ],
    [
      "an array as body",
      () => sf.sobject.create("Account", [] as never),
      /"data" must be an object, a JSON string or a Uint8Array: received an array/,
    ],
  );
}
for (const [name, call, message] of injections) {
  Deno.test(`sobject refuses ${name} before sending anything`, async () => {
    await assert.rejects(
      call(),
      (error: unknown) => error instanceof TypeError && message.test(error.message),
    );
  });
}
