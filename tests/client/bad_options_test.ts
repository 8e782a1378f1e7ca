// Options and arguments a caller gets wrong are refused with a TypeError that names them,
// before anything is sent.
import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

function setup() {
  const org = new FakeSalesforce();
  const [id] = org.insert("Account", [{ Name: "Acme" }]);
  let sent = 0;
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      sent++;
      return org.fetch(input, init);
    },
  });
  return { org, sf, id, sent: () => sent };
}

const NULL = null as never;

Deno.test("null options are refused by name, before anything is sent", async () => {
  const { sf, id, sent } = setup();
  const calls: Array<[string, () => Promise<unknown>]> = [
    ["Cannot get record", () => sf.sobject.get("Account", id, NULL)],
    ["Cannot delete record", () => sf.sobject.delete("Account", id, NULL)],
    ["Cannot upsert record", () => sf.sobject.upsert("Account", "x", "ExtId__c", {}, NULL)],
    ["Cannot describe object", () => sf.sobject.describe("Account", NULL)],
    ["Cannot read limits", () => sf.getLimits(NULL)],
    ["Cannot delete records", () => sf.collections.delete([id], NULL)],
    ["Cannot get records", () => sf.collections.get("Account", [id], ["Name"], NULL)],
    ["Cannot create record tree", () => sf.composite.tree("Account", [{ Name: "T" }], NULL)],
    ["Cannot run bulk insert", () => sf.bulkV2.insert("Account", [{ Name: "B" }], NULL)],
    ["Cannot run query", async () => {
      for await (const _ of sf.query("SELECT Id FROM Account", NULL)) { /* never */ }
    }],
    ["Cannot run bulk query", async () => {
      for await (const _ of sf.bulkV2.query("SELECT Id FROM Account", NULL)) { /* never */ }
    }],
  ];
  for (const [context, call] of calls) {
    await assert.rejects(call, {
      name: "TypeError",
      message: `${context}: "options" must be an object: received null`,
    });
  }
  assert.equal(sent(), 0);
});

Deno.test("request() takes a null init as no init, as fetch does, and refuses a string", async () => {
  const { sf } = setup();
  const response = await sf.request("limits", NULL);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  await assert.rejects(sf.request("limits", "GET" as never), {
    name: "TypeError",
    message: 'Cannot send request: "init" must be a RequestInit object: received "GET"',
  });
});

Deno.test("a string given as fields is refused, not spread into its letters", async () => {
  const { sf, id, sent } = setup();
  await assert.rejects(sf.sobject.get("Account", id, { fields: "Name" as never }), {
    name: "TypeError",
    message: /"fields" must be an array/,
  });
  const batch = sf.composite.batch();
  assert.throws(() => batch.sobject.get("Account", id, { fields: "Name" as never }), TypeError);
  assert.equal(sent(), 0);
});

Deno.test("an external id that is not well-formed Unicode is refused by name", async () => {
  const { sf, sent } = setup();
  await assert.rejects(
    sf.sobject.get("Account", "bad\uD800id", { externalIdField: "ExtId__c" }),
    { name: "TypeError", message: /"id" must be well-formed Unicode text/ },
  );
  assert.equal(sent(), 0);
});
