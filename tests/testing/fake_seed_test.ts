import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { isSalesforceId } from "../../client/_ids.ts";

Deno.test("FakeSalesforce.insert returns valid 18-char ids in creation order and fills system fields", () => {
  const org = new FakeSalesforce({ now: () => Date.UTC(2024, 2, 15, 9, 30) });
  const ids = org.insert("Account", [{ Name: "A" }, { name: "B", annualrevenue: 12.5 }]);
  assert.deepEqual(ids, ["0015g0000000001AAA", "0015g0000000002AAA"]);
  assert.ok(ids.every(isSalesforceId));
  const [a, b] = org.records("Account");
  assert.equal(b.Name, "B");
  assert.equal(b.AnnualRevenue, 12.5);
  assert.deepEqual(
    [a.IsDeleted, a.CreatedDate, a.LastModifiedDate, a.SystemModstamp],
    [
      false,
      "2024-03-15T09:30:00.000+0000",
      "2024-03-15T09:30:00.000+0000",
      "2024-03-15T09:30:00.000+0000",
    ],
  );
  assert.equal(a.OwnerId, org.records("User")[0].Id);
  assert.equal(a.Website, null);
  assert.deepEqual(Object.keys(a).slice(0, 3), ["Id", "IsDeleted", "Name"]);
});

Deno.test("FakeSalesforce.insert accepts seeded history and Dates, and skips validation rules", () => {
  const org = new FakeSalesforce({ duplicateRules: [{ object: "Contact", field: "Email" }] });
  org.insert("Contact", [
    { LastName: "A", Email: "same@example.com", CreatedDate: "2020-01-01T00:00:00Z" },
    { LastName: "B", Email: "same@example.com", CreatedDate: new Date(Date.UTC(2021, 5, 1)) },
    { FirstName: "No last name" },
  ]);
  org.insert("Opportunity", [{
    Name: "O",
    StageName: "S",
    CloseDate: new Date(Date.UTC(2024, 1, 29)),
  }]);
  const contacts = org.records("Contact");
  assert.equal(contacts.length, 3);
  assert.equal(contacts[0].CreatedDate, "2020-01-01T00:00:00.000+0000");
  assert.equal(contacts[1].CreatedDate, "2021-06-01T00:00:00.000+0000");
  assert.equal(org.records("Opportunity")[0].CloseDate, "2024-02-29");
});

Deno.test("FakeSalesforce.insert throws a TypeError for unknown objects, unknown fields and bad values", () => {
  const org = new FakeSalesforce();
  assert.throws(() => org.insert("Nope", []), {
    name: "TypeError",
    message: 'Cannot insert records: "sobject" must name a known object: received "Nope"',
  });
  assert.throws(() => org.insert("Account", [{ Name: "A" }, { Nope__c: 1 }]), {
    name: "TypeError",
    message:
      "Cannot insert Account records: record 1: INVALID_FIELD: No such column 'Nope__c' on sobject of type Account",
  });
  assert.throws(
    () => org.insert("Account", [{ Name: "A", Id: "001000000000001AAA" }]),
    /INVALID_FIELD_FOR_INSERT_UPDATE/,
  );
  assert.throws(
    () => org.insert("Account", [{ Name: "A", NumberOfEmployees: "x" }]),
    /JSON_PARSER_ERROR/,
  );
  assert.throws(
    () => org.insert("Account", [null as unknown as Record<string, string>]),
    /record 0 must be an object/,
  );
  assert.equal(org.records("Account").length, 1, "records before the bad one stay");
});

Deno.test("FakeSalesforce.records returns copies of live records", () => {
  const org = new FakeSalesforce();
  org.insert("Account", [{ Name: "A" }, { Name: "Gone", IsDeleted: true }]);
  const [copy] = org.records("Account");
  copy.Name = "changed";
  assert.deepEqual(org.records("Account").map((r) => r.Name), ["A"]);
  assert.throws(() => org.records("Nope"), { name: "TypeError" });
});

Deno.test("FakeSalesforce has a default user whose credentials are stable", () => {
  const org = new FakeSalesforce();
  const [user] = org.records("User");
  assert.equal(user.Id, "0055g0000000001AAA");
  assert.equal(user.Username, org.credentials.username);
  assert.equal(user.CreatedById, user.Id);
  assert.deepEqual(new FakeSalesforce().credentials, org.credentials);
  assert.deepEqual(Object.keys(org.credentials), [
    "username",
    "password",
    "securityToken",
    "clientId",
    "clientSecret",
  ]);
});

Deno.test("FakeSalesforce adds custom objects with prefixes a00, a01 and lookups between them", () => {
  const org = new FakeSalesforce({
    objects: [
      { name: "Project__c", fields: [{ name: "Budget__c", type: "currency" }] },
      {
        name: "Task_Item__c",
        fields: [
          { name: "Project__c", type: "reference", referenceTo: ["Project__c"] },
          { name: "Code__c", type: "string", length: 10, externalId: true },
        ],
      },
    ],
  });
  const [project] = org.insert("Project__c", [{ Name: "Apollo", Budget__c: 10 }]);
  assert.match(project, /^a00/);
  const [task] = org.insert("Task_Item__c", [{ Project__c: project, Code__c: "T-1" }]);
  assert.match(task, /^a01/);
  const [stored] = org.records("Task_Item__c");
  assert.equal(stored.Project__c, project);
  assert.equal(stored.Name, task);
});

Deno.test("FakeSalesforce refuses bad options with errors naming the option", () => {
  const cases: [unknown, string, RegExp][] = [
    [{ pageSize: 0 }, "RangeError", /"pageSize" must be an integer from 1 to 2000: received 0/],
    [{ pageSize: "10" }, "TypeError", /"pageSize"/],
    [{ dailyApiLimit: -1 }, "RangeError", /"dailyApiLimit"/],
    [{ tokenLifetime: 0 }, "RangeError", /"tokenLifetime"/],
    [{ apiVersion: "66.1" }, "TypeError", /"apiVersion" must look like "66.0"/],
    [{ apiVersion: "29.0" }, "TypeError", /31\.0 or later/],
    [{ instanceUrl: "ftp://x" }, "TypeError", /"instanceUrl" must be an http\(s\) URL/],
    [{ now: 5 }, "TypeError", /"now"/],
    [{ objects: {} }, "TypeError", /"objects" must be an array/],
    [
      { objects: [{ name: "Account", fields: [] }] },
      "TypeError",
      /"objects\[0\]\.name" must be a custom object name/,
    ],
    [
      { objects: [{ name: "X__c", fields: [{ name: "Id", type: "id" }] }] },
      "TypeError",
      /repeats field "Id"/,
    ],
    [
      { objects: [{ name: "X__c", fields: [], keyPrefix: "001" }] },
      "TypeError",
      /"objects\[0\]\.keyPrefix"/,
    ],
    [
      { duplicateRules: [{ object: "Contact", field: "Nope" }] },
      "TypeError",
      /"duplicateRules\[0\]" must name a known object and field/,
    ],
    [null, "TypeError", /"options" must be an object/],
  ];
  for (const [options, name, message] of cases) {
    assert.throws(
      () => new FakeSalesforce(options as ConstructorParameters<typeof FakeSalesforce>[0]),
      (error: Error) => {
        assert.equal(error.name, name, JSON.stringify(options));
        assert.match(error.message, message);
        assert.match(error.message, /^Cannot create FakeSalesforce: /);
        return true;
      },
    );
  }
});

Deno.test("FakeSalesforce normalises apiVersion and instanceUrl", async () => {
  const org = new FakeSalesforce({
    apiVersion: "v64",
    instanceUrl: "https://acme.my.salesforce.com/some/path",
  });
  assert.equal(org.baseUrl, "https://acme.my.salesforce.com");
  const versions = await (await org.fetch("/services/data/")).json();
  assert.equal(versions.at(-1).version, "64.0");
});
