import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { SalesforceError } from "../../client/errors.ts";
import { createTree } from "../../client/tree.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

/** A client on a fresh fake org that records every data request it sends. */
function setup() {
  const org = new FakeSalesforce();
  const sent: { method: string; path: string; body: string }[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      if (path.startsWith("/services/data/")) {
        sent.push({ method: request.method, path, body: await request.clone().text() });
      }
      return org.fetch(request);
    },
  });
  return { org, sf, sent };
}

function threeAccounts() {
  return [0, 1, 2].map((a) => ({
    Name: `Account ${a}`,
    Contacts: [0, 1].map((c) => ({ LastName: `Contact ${a}.${c}` })),
  }));
}

Deno.test("composite.tree creates 3 Accounts with 2 Contacts each and returns ids in input order", async () => {
  const { org, sf, sent } = setup();
  const results = await sf.composite.tree("Account", threeAccounts());
  assert.deepEqual(results.map((r) => r.referenceId), [
    "ref1",
    "ref2",
    "ref3",
    "ref4",
    "ref5",
    "ref6",
    "ref7",
    "ref8",
    "ref9",
  ]);
  const byId = new Map(
    [...org.records("Account"), ...org.records("Contact")].map((r) => [r.Id, r]),
  );
  const names = results.map((r) => byId.get(r.id)?.Name);
  assert.deepEqual(names, [
    "Account 0",
    "Contact 0.0",
    "Contact 0.1",
    "Account 1",
    "Contact 1.0",
    "Contact 1.1",
    "Account 2",
    "Contact 2.0",
    "Contact 2.1",
  ]);
  for (const [parent, children] of [[0, [1, 2]], [3, [4, 5]], [6, [7, 8]]] as const) {
    for (const child of children) {
      assert.equal(byId.get(results[child].id)?.AccountId, results[parent].id);
    }
  }
  // One describe of Account to learn that Contacts holds Contact records, then one tree call.
  assert.deepEqual(sent.map((s) => `${s.method} ${s.path}`), [
    "GET /services/data/v64.0/sobjects/Account/describe",
    "POST /services/data/v64.0/composite/tree/Account",
  ]);
});

Deno.test("composite.tree sends the wire's records form with types and reference ids", async () => {
  const { sf, sent } = setup();
  await sf.composite.tree("Account", [{
    Name: "Acme",
    Contacts: [{ attributes: { type: "Contact" }, LastName: "Doe" }],
  }]);
  assert.equal(sent.length, 1, "children that name their type need no describe");
  assert.deepEqual(JSON.parse(sent[0].body), {
    records: [{
      attributes: { type: "Account", referenceId: "ref1" },
      Name: "Acme",
      Contacts: {
        records: [{ attributes: { type: "Contact", referenceId: "ref2" }, LastName: "Doe" }],
      },
    }],
  });
});

Deno.test("composite.tree keeps the caller's reference ids and generates others around them", async () => {
  const { sf } = setup();
  const results = await createTree(sf, "Account", [
    { Name: "A", attributes: { referenceId: "ref2" } },
    { Name: "B" },
    { Name: "C" },
  ]);
  assert.deepEqual(results.map((r) => r.referenceId), ["ref2", "ref1", "ref3"]);
});

Deno.test("composite.tree creates nothing when one record fails", async () => {
  const { org, sf } = setup();
  const records = threeAccounts();
  records[2].Contacts[1] = {} as { LastName: string };
  await assert.rejects(sf.composite.tree("Account", records), (error: unknown) => {
    assert.ok(error instanceof SalesforceError);
    assert.match(error.message, /REQUIRED_FIELD_MISSING/);
    assert.match(error.message, /ref9/);
    return true;
  });
  assert.deepEqual(org.records("Account"), []);
  assert.deepEqual(org.records("Contact"), []);
});

Deno.test("composite.tree leaves the caller's records unchanged", async () => {
  const { sf } = setup();
  const records = threeAccounts();
  const copy = structuredClone(records);
  await sf.composite.tree("Account", records);
  assert.deepEqual(records, copy);
});

Deno.test("composite.tree of more than 200 records is a RangeError before anything is sent", async () => {
  const { sf, sent } = setup();
  const records = Array.from({ length: 67 }, (_, i) => ({
    Name: `A${i}`,
    Contacts: [{ LastName: "x" }, { LastName: "y" }],
  }));
  await assert.rejects(sf.composite.tree("Account", records), {
    name: "RangeError",
    message:
      'Cannot create Account tree: a tree call can create at most 200 records: "records[66].Contacts[1]" is record 201',
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.tree deeper than 5 levels is a RangeError before anything is sent", async () => {
  const { sf, sent } = setup();
  let record: Record<string, unknown> = { Name: "level 6" };
  for (let level = 5; level >= 1; level--) {
    record = { Name: `level ${level}`, ChildAccounts: [record] };
  }
  await assert.rejects(sf.composite.tree("Account", [record]), {
    name: "RangeError",
    message: /at most 5 levels deep: "records\[0\](\.ChildAccounts\[0\]){5}" is on level 6/,
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.tree of more than 5 object types is a RangeError before anything is sent", async () => {
  const { sf, sent } = setup();
  const types = ["Contact", "Opportunity", "Case", "Lead", "Campaign"];
  const record: Record<string, unknown> = { Name: "Acme" };
  types.forEach((type, i) => record[`Rel${i}`] = [{ attributes: { type }, Name: "x" }]);
  await assert.rejects(sf.composite.tree("Account", [record]), {
    name: "RangeError",
    message: "Cannot create Account tree: a tree call can hold at most 5 object types: received 6",
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.tree refuses duplicate reference ids before anything is sent", async () => {
  const { sf, sent } = setup();
  await assert.rejects(
    sf.composite.tree("Account", [
      { Name: "A", attributes: { referenceId: "acme" } },
      { Name: "B", attributes: { referenceId: "acme" } },
    ]),
    {
      name: "TypeError",
      message:
        'Cannot create Account tree: "records[1].attributes.referenceId" must be unique: "acme" is also used by "records[0]"',
    },
  );
  assert.equal(sent.length, 0);
});

Deno.test("composite.tree refuses a root of another type and a malformed reference id", async () => {
  const { sf, sent } = setup();
  await assert.rejects(
    sf.composite.tree("Account", [{ attributes: { type: "Contact" }, LastName: "x" }]),
    { name: "TypeError", message: /"records\[0\]\.attributes\.type" must be "Account"/ },
  );
  await assert.rejects(
    sf.composite.tree("Account", [{ attributes: { referenceId: "a b" }, Name: "x" }]),
    { name: "TypeError", message: /"records\[0\]\.attributes\.referenceId" must be letters/ },
  );
  await assert.rejects(sf.composite.tree("Account", [{ Contacts: ["x"] }]), {
    name: "TypeError",
    message: /"records\[0\]\.Contacts\[0\]" must be an object: received "x"/,
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.tree names a child relationship the parent does not have", async () => {
  const { sf, sent } = setup();
  await assert.rejects(sf.composite.tree("Account", [{ Name: "A", Invoices: [{ Name: "x" }] }]), {
    name: "TypeError",
    message:
      'Cannot create Account tree: "records[0].Invoices" must be a child relationship of Account, or its records must name their type in "attributes.type"',
  });
  assert.deepEqual(sent.map((s) => s.path), ["/services/data/v64.0/sobjects/Account/describe"]);
});

Deno.test("composite.tree of no records sends nothing", async () => {
  const { sf, sent } = setup();
  assert.deepEqual(await sf.composite.tree("Account", []), []);
  assert.equal(sent.length, 0);
});
