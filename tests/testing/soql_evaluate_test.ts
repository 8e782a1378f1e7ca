import assert from "node:assert/strict";
import type { ObjectDef, SoqlDataSource, StoredRecord } from "../../testing/_schema.ts";
import {
  rowValues,
  runSoql,
  type SoqlChildRelationships,
  SoqlError,
  type SoqlResult,
  type SoqlRunOptions,
} from "../../testing/_soql/mod.ts";

// ---- fixture ------------------------------------------------------------------------------

function id18(id15: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let j = 0; j < 5; j++) {
      const c = id15[chunk * 5 + j];
      if (c >= "A" && c <= "Z") bits |= 1 << j;
    }
    suffix += alphabet[bits];
  }
  return id15 + suffix;
}

const ACCOUNT: ObjectDef = {
  name: "Account",
  keyPrefix: "001",
  label: "Account",
  labelPlural: "Accounts",
  custom: false,
  fields: [
    { name: "Id", type: "id" },
    { name: "IsDeleted", type: "boolean" },
    { name: "Name", type: "string" },
    { name: "Industry", type: "picklist" },
    { name: "AnnualRevenue", type: "currency" },
    { name: "NumberOfEmployees", type: "int" },
    { name: "CreatedDate", type: "datetime" },
    { name: "Founded__c", type: "date" },
    { name: "ExtId__c", type: "string", externalId: true },
    {
      name: "ParentId",
      type: "reference",
      referenceTo: ["Account"],
      relationshipName: "Parent",
      childRelationshipName: "ChildAccounts",
    },
  ],
};

const CONTACT: ObjectDef = {
  name: "Contact",
  keyPrefix: "003",
  label: "Contact",
  labelPlural: "Contacts",
  custom: false,
  fields: [
    { name: "Id", type: "id" },
    { name: "IsDeleted", type: "boolean" },
    { name: "LastName", type: "string" },
    { name: "Email", type: "email" },
    {
      name: "AccountId",
      type: "reference",
      referenceTo: ["Account"],
      relationshipName: "Account",
      childRelationshipName: "Contacts",
    },
    {
      name: "Manager__c",
      type: "reference",
      referenceTo: ["Contact"],
      relationshipName: "Manager__r",
      childRelationshipName: "Reports__r",
    },
  ],
};

const A1 = id18("001Ab0000000001");
const A2 = id18("001Ab0000000002");
const A3 = id18("001Ab0000000003");
const A4 = id18("001Ab0000000004");
const A5 = id18("001Ab0000000005");
const C1 = id18("003Ab0000000001");
const C2 = id18("003Ab0000000002");
const C3 = id18("003Ab0000000003");

function account(fields: Partial<StoredRecord> & { Id: string }): StoredRecord {
  return {
    IsDeleted: false,
    Name: null,
    Industry: null,
    AnnualRevenue: null,
    NumberOfEmployees: null,
    CreatedDate: null,
    Founded__c: null,
    ExtId__c: null,
    ParentId: null,
    ...fields,
  };
}

const RECORDS: StoredRecord[] = [
  account({
    Id: A1,
    Name: "Acme",
    Industry: "Energy",
    AnnualRevenue: 5_000_000,
    NumberOfEmployees: 120,
    CreatedDate: "2024-03-15T09:30:00.000+0000",
    Founded__c: "2001-05-01",
    ExtId__c: "A-1",
  }),
  account({
    Id: A2,
    Name: "Globex",
    Industry: "Banking",
    AnnualRevenue: 1_500_000,
    NumberOfEmployees: 40,
    CreatedDate: "2024-03-16T00:00:00.000+0000",
    Founded__c: "2024-03-14",
    ExtId__c: "A-2",
    ParentId: A1,
  }),
  account({
    Id: A3,
    Name: "initech",
    CreatedDate: "2023-12-31T23:59:59.999+0000",
    ParentId: A2,
  }),
  account({
    Id: A4,
    Name: "100% Pure_Co",
    Industry: "Retail",
    AnnualRevenue: 250_000.5,
    NumberOfEmployees: 3,
    CreatedDate: "2024-01-10T12:00:00.000+0000",
    Founded__c: "2024-03-15",
    ExtId__c: "A-4",
  }),
  account({
    Id: A5,
    IsDeleted: true,
    Name: "Old Corp",
    Industry: "Energy",
    AnnualRevenue: 10,
    CreatedDate: "2020-01-01T00:00:00.000+0000",
  }),
  {
    Id: C1,
    IsDeleted: false,
    LastName: "Lee",
    Email: "lee@acme.example",
    AccountId: A1,
    Manager__c: null,
  },
  { Id: C2, IsDeleted: false, LastName: "Kim", Email: null, AccountId: null, Manager__c: C1 },
  {
    Id: C3,
    IsDeleted: false,
    LastName: "O'Brien",
    Email: "ob@initech.example",
    AccountId: A3,
    Manager__c: C1,
  },
];

function dataSource(
  records: StoredRecord[],
  objects: ObjectDef[] = [ACCOUNT, CONTACT],
): SoqlDataSource & SoqlChildRelationships {
  const byId = new Map(records.map((r) => [r.Id as string, r]));
  return {
    object: (name) => objects.find((o) => o.name.toLowerCase() === name.toLowerCase()),
    records(objectName, includeDeleted) {
      const prefix = objects.find((o) => o.name === objectName)!.keyPrefix;
      return records.filter((r) =>
        (r.Id as string).startsWith(prefix) && (includeDeleted || r.IsDeleted !== true)
      );
    },
    byId: (id) => byId.get(id),
    children: (objectName) =>
      objects.flatMap((child) =>
        child.fields
          .filter((f) => f.childRelationshipName && f.referenceTo?.includes(objectName))
          .map((field) => ({ child, field }))
      ),
  };
}

const FIELD_HINT =
  "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

const SOURCE = dataSource(RECORDS);
const NOW = new Date("2024-03-15T15:00:00.000Z"); // a Friday

function run(query: string, options: Partial<SoqlRunOptions> = {}): SoqlResult {
  return runSoql(query, SOURCE, {
    includeDeleted: false,
    apiVersion: "64.0",
    now: NOW,
    ...options,
  });
}

function ids(query: string, options: Partial<SoqlRunOptions> = {}): string[] {
  return run(query, options).records.map((r) => r.Id as string);
}

function names(where: string): string[] {
  return run(`SELECT Name FROM Account WHERE ${where}`).records.map((r) => r.Name as string);
}

function assertSoqlError(query: string, errorCode: string, message: string): void {
  try {
    run(query);
  } catch (error) {
    assert.ok(error instanceof SoqlError, `expected SoqlError, got ${error}`);
    assert.equal(error.errorCode, errorCode);
    assert.equal(error.message, message);
    return;
  }
  assert.fail(`expected a SoqlError for ${query}`);
}

// ---- records ------------------------------------------------------------------------------

Deno.test("runSoql returns selected fields in select order, canonical casing, after attributes", () => {
  const result = run(`select name, id, annualrevenue from account where id = '${A1}'`);
  assert.equal(result.totalSize, 1);
  assert.equal(result.objectName, "Account");
  assert.deepEqual(result.columns, ["Name", "Id", "AnnualRevenue"]);
  assert.equal(
    JSON.stringify(result.records),
    `[{"attributes":{"type":"Account","url":"/services/data/v64.0/sobjects/Account/${A1}"},"Name":"Acme","Id":"${A1}","AnnualRevenue":5000000}]`,
  );
});

Deno.test("runSoql outputs null for a field the stored record lacks", () => {
  const source = dataSource([{ Id: A1, IsDeleted: false }]);
  const result = runSoql("SELECT Id, Name FROM Account", source, {
    includeDeleted: false,
    apiVersion: "60.0",
  });
  assert.deepEqual(result.records, [{
    attributes: { type: "Account", url: `/services/data/v60.0/sobjects/Account/${A1}` },
    Id: A1,
    Name: null,
  }]);
});

Deno.test("runSoql nests parent fields under the relationship, or null when the lookup is empty", () => {
  const result = run(
    "SELECT LastName, Account.Name, Id, account.industry FROM Contact ORDER BY LastName",
  );
  assert.deepEqual(result.columns, ["LastName", "Account.Name", "Id", "Account.Industry"]);
  assert.equal(
    JSON.stringify(result.records[0]),
    `{"attributes":{"type":"Contact","url":"/services/data/v64.0/sobjects/Contact/${C2}"},"LastName":"Kim","Account":null,"Id":"${C2}"}`,
  );
  assert.equal(
    JSON.stringify(result.records[1]),
    `{"attributes":{"type":"Contact","url":"/services/data/v64.0/sobjects/Contact/${C1}"},"LastName":"Lee","Account":{"attributes":{"type":"Account","url":"/services/data/v64.0/sobjects/Account/${A1}"},"Name":"Acme","Industry":"Energy"},"Id":"${C1}"}`,
  );
});

Deno.test("runSoql follows parent paths of any depth and custom __r relationships", () => {
  const result = run(
    "SELECT LastName, Account.Parent.Parent.Name, Manager__r.LastName FROM Contact WHERE LastName = 'o\\'brien'",
  );
  assert.deepEqual(result.columns, [
    "LastName",
    "Account.Parent.Parent.Name",
    "Manager__r.LastName",
  ]);
  const record = result.records[0] as Record<string, Record<string, Record<string, unknown>>>;
  assert.deepEqual(record.Account.Parent, {
    attributes: { type: "Account", url: `/services/data/v64.0/sobjects/Account/${A2}` },
    Parent: {
      attributes: { type: "Account", url: `/services/data/v64.0/sobjects/Account/${A1}` },
      Name: "Acme",
    },
  });
  assert.equal(record.Manager__r.LastName, "Lee");
  const broken = run("SELECT Name, Parent.Parent.Name FROM Account WHERE Name = 'Globex'");
  assert.deepEqual(broken.records[0].Parent, {
    attributes: { type: "Account", url: `/services/data/v64.0/sobjects/Account/${A1}` },
    Parent: null,
  });
});

Deno.test("runSoql resolves the type of a polymorphic parent by key prefix", () => {
  const task: ObjectDef = {
    name: "Task",
    keyPrefix: "00T",
    label: "Task",
    labelPlural: "Tasks",
    custom: false,
    fields: [
      { name: "Id", type: "id" },
      {
        name: "WhatId",
        type: "reference",
        referenceTo: ["Contact", "Account"],
        relationshipName: "What",
      },
    ],
  };
  const t1 = id18("00TAb0000000001");
  const source = dataSource([...RECORDS, { Id: t1, IsDeleted: false, WhatId: A1 }], [
    ACCOUNT,
    CONTACT,
    task,
  ]);
  const result = runSoql("SELECT What.Id FROM Task", source, {
    includeDeleted: false,
    apiVersion: "64.0",
  });
  assert.deepEqual(result.records[0].What, {
    attributes: { type: "Account", url: `/services/data/v64.0/sobjects/Account/${A1}` },
    Id: A1,
  });
});

Deno.test("runSoql accepts an alias on the FROM object", () => {
  const result = run("SELECT a.Name, a.Parent.Name FROM Account a WHERE a.Industry = 'Banking'");
  assert.deepEqual(result.columns, ["Name", "Parent.Name"]);
  assert.equal(result.records[0].Name, "Globex");
});

Deno.test("runSoql keeps source order without ORDER BY", () => {
  assert.deepEqual(ids("SELECT Id FROM Account"), [A1, A2, A3, A4]);
});

Deno.test("runSoql includes soft-deleted records only when asked", () => {
  assert.deepEqual(ids("SELECT Id FROM Account", { includeDeleted: true }), [A1, A2, A3, A4, A5]);
  assert.deepEqual(ids("SELECT Id FROM Account WHERE IsDeleted = true", { includeDeleted: true }), [
    A5,
  ]);
  assert.deepEqual(ids("SELECT Id FROM Account WHERE IsDeleted = true"), []);
});

// ---- WHERE --------------------------------------------------------------------------------

Deno.test("runSoql compares strings case-insensitively for = and !=", () => {
  assert.deepEqual(names("Name = 'ACME'"), ["Acme"]);
  assert.deepEqual(names("Name = 'Initech'"), ["initech"]);
  assert.deepEqual(names("Name != 'acme'"), ["Globex", "initech", "100% Pure_Co"]);
  assert.deepEqual(names("Name <> 'acme'"), ["Globex", "initech", "100% Pure_Co"]);
  assert.deepEqual(names("Name = 'Acm'"), []);
});

Deno.test("runSoql orders strings case-insensitively for < <= > >=", () => {
  assert.deepEqual(names("Name < 'globex'"), ["Acme", "100% Pure_Co"]);
  assert.deepEqual(names("Name <= 'GLOBEX'"), ["Acme", "Globex", "100% Pure_Co"]);
  assert.deepEqual(names("Name > 'Globex'"), ["initech"]);
  assert.deepEqual(names("Name >= 'globex'"), ["Globex", "initech"]);
});

Deno.test("runSoql compares numbers with every operator", () => {
  assert.deepEqual(names("AnnualRevenue = 1500000"), ["Globex"]);
  assert.deepEqual(names("AnnualRevenue != 1500000"), ["Acme", "initech", "100% Pure_Co"]);
  assert.deepEqual(names("AnnualRevenue < 1500000"), ["100% Pure_Co"]);
  assert.deepEqual(names("AnnualRevenue <= 1500000.0"), ["Globex", "100% Pure_Co"]);
  assert.deepEqual(names("AnnualRevenue > 250000.5"), ["Acme", "Globex"]);
  assert.deepEqual(names("AnnualRevenue >= 250000.5"), ["Acme", "Globex", "100% Pure_Co"]);
  assert.deepEqual(names("AnnualRevenue > -1"), ["Acme", "Globex", "100% Pure_Co"]);
  assert.deepEqual(names("NumberOfEmployees < 1e2"), ["Globex", "100% Pure_Co"]);
});

Deno.test("runSoql matches null only through = null and != null", () => {
  assert.deepEqual(names("Industry = null"), ["initech"]);
  assert.deepEqual(names("Industry != null"), ["Acme", "Globex", "100% Pure_Co"]);
  assert.deepEqual(names("AnnualRevenue < null"), []);
  assert.deepEqual(names("AnnualRevenue > 0"), ["Acme", "Globex", "100% Pure_Co"]);
  assert.deepEqual(names("AnnualRevenue < 100000000"), ["Acme", "Globex", "100% Pure_Co"]);
  assert.deepEqual(names("Industry LIKE '%'"), ["Acme", "Globex", "100% Pure_Co"]);
});

Deno.test("runSoql counts a null field as different from a value for != and NOT IN", () => {
  // Salesforce, unlike SQL, returns rows whose field is null for `!=` (no three-valued logic).
  assert.deepEqual(names("Industry != 'Energy'"), ["Globex", "initech", "100% Pure_Co"]);
  assert.deepEqual(names("Industry NOT IN ('Energy', 'Banking')"), ["initech", "100% Pure_Co"]);
  assert.deepEqual(names("Industry NOT IN ('Energy', null)"), ["Globex", "100% Pure_Co"]);
});

Deno.test("runSoql treats null as false on boolean fields", () => {
  assert.deepEqual(ids("SELECT Id FROM Account WHERE IsDeleted = null"), [A1, A2, A3, A4]);
  assert.deepEqual(
    ids("SELECT Id FROM Account WHERE IsDeleted != null", { includeDeleted: true }),
    [A5],
  );
  assert.deepEqual(ids("SELECT Id FROM Account WHERE IsDeleted = FALSE"), [A1, A2, A3, A4]);
  assert.deepEqual(
    ids("SELECT Id FROM Account WHERE IsDeleted != false", { includeDeleted: true }),
    [A5],
  );
});

Deno.test("runSoql compares ids of 15 and 18 chars by their first 15, case-sensitively", () => {
  assert.deepEqual(ids(`SELECT Id FROM Account WHERE Id = '${A2.slice(0, 15)}'`), [A2]);
  assert.deepEqual(ids(`SELECT Id FROM Account WHERE Id = '${A2}'`), [A2]);
  // An 18-char id is case-insensitive: the suffix restores the case of the first 15 chars.
  assert.deepEqual(ids(`SELECT Id FROM Account WHERE Id = '${A2.toUpperCase()}'`), [A2]);
  // A 15-char id is case-sensitive: changing a letter's case names another record.
  assert.deepEqual(ids(`SELECT Id FROM Account WHERE Id = '${A2.slice(0, 15).toLowerCase()}'`), []);
  assert.deepEqual(ids(`SELECT Id FROM Account WHERE ParentId = '${A1.slice(0, 15)}'`), [A2]);
  assert.deepEqual(ids(`SELECT Id FROM Account WHERE ParentId != '${A1}'`), [A1, A3, A4]);
  assert.deepEqual(
    ids(
      `SELECT Id FROM Account WHERE Id IN ('${A1.slice(0, 15)}', '${A3}') OR ParentId IN ('${A3}')`,
    ),
    [A1, A3],
  );
  assert.deepEqual(ids(`SELECT Id FROM Contact WHERE AccountId = null`), [C2]);
});

Deno.test("runSoql compares dates and keywords against a date field", () => {
  assert.deepEqual(names("Founded__c = 2024-03-15"), ["100% Pure_Co"]);
  assert.deepEqual(names("Founded__c < 2024-03-15"), ["Acme", "Globex"]);
  assert.deepEqual(names("Founded__c >= 2024-03-14"), ["Globex", "100% Pure_Co"]);
  assert.deepEqual(names("Founded__c = TODAY"), ["100% Pure_Co"]);
  assert.deepEqual(names("Founded__c = YESTERDAY"), ["Globex"]);
  assert.deepEqual(names("Founded__c < TODAY"), ["Acme", "Globex"]);
  assert.deepEqual(names("Founded__c > YESTERDAY"), ["100% Pure_Co"]);
  assert.deepEqual(names("Founded__c = TOMORROW"), []);
  assert.deepEqual(names("Founded__c = LAST_N_DAYS:1"), ["Globex", "100% Pure_Co"]);
  assert.deepEqual(names("Founded__c = THIS_YEAR"), ["Globex", "100% Pure_Co"]);
  assert.deepEqual(names("Founded__c = null"), ["initech"]);
});

Deno.test("runSoql compares dateTime literals as instants whatever their offset", () => {
  assert.deepEqual(names("CreatedDate = 2024-03-15T09:30:00Z"), ["Acme"]);
  assert.deepEqual(names("CreatedDate = 2024-03-15T09:30:00.000Z"), ["Acme"]);
  assert.deepEqual(names("CreatedDate = 2024-03-15T10:30:00+01:00"), ["Acme"]);
  assert.deepEqual(names("CreatedDate = 2024-03-15T01:30:00-08:00"), ["Acme"]);
  assert.deepEqual(names("CreatedDate > 2024-03-15T09:30:00Z"), ["Globex"]);
  assert.deepEqual(names("CreatedDate >= 2024-03-15T09:30:00Z"), ["Acme", "Globex"]);
  assert.deepEqual(names("CreatedDate < 2024-01-01T00:00:00+00:00"), ["initech"]);
  assert.deepEqual(names("CreatedDate <= 2023-12-31T23:59:59.999Z"), ["initech"]);
  assert.deepEqual(names("CreatedDate != 2024-03-16T01:00:00+01:00"), [
    "Acme",
    "initech",
    "100% Pure_Co",
  ]);
});

Deno.test("runSoql evaluates date keywords against a dateTime field in UTC days", () => {
  assert.deepEqual(names("CreatedDate = TODAY"), ["Acme"]);
  assert.deepEqual(names("CreatedDate = TOMORROW"), ["Globex"]);
  assert.deepEqual(names("CreatedDate > TODAY"), ["Globex"]);
  assert.deepEqual(names("CreatedDate < YESTERDAY"), ["initech", "100% Pure_Co"]);
  // LAST_N_DAYS:n starts n days before today, so :75 reaches 2023-12-31 and :74 does not.
  assert.deepEqual(names("CreatedDate = LAST_N_DAYS:74"), ["Acme", "100% Pure_Co"]);
  assert.deepEqual(names("CreatedDate = LAST_N_DAYS:75"), ["Acme", "initech", "100% Pure_Co"]);
  assert.deepEqual(names("CreatedDate = LAST_N_DAYS:74 OR CreatedDate = NEXT_N_DAYS:1"), [
    "Acme",
    "Globex",
    "100% Pure_Co",
  ]);
  assert.deepEqual(names("CreatedDate = NEXT_N_DAYS:1"), ["Globex"]);
  assert.deepEqual(names("CreatedDate = LAST_YEAR"), ["initech"]);
  assert.deepEqual(names("CreatedDate = THIS_WEEK"), ["Acme", "Globex"]);
  assert.deepEqual(names("CreatedDate IN (TODAY, LAST_YEAR)"), ["Acme", "initech"]);
  const later = run("SELECT Name FROM Account WHERE CreatedDate = TODAY", {
    now: new Date("2024-03-16T00:00:01Z"),
  });
  assert.deepEqual(later.records.map((r) => r.Name), ["Globex"]);
});

Deno.test("runSoql matches LIKE case-insensitively with % and _", () => {
  assert.deepEqual(names("Name LIKE 'a%'"), ["Acme"]);
  assert.deepEqual(names("Name LIKE '%C%'"), ["Acme", "initech", "100% Pure_Co"]);
  assert.deepEqual(names("Name LIKE 'ac_e'"), ["Acme"]);
  assert.deepEqual(names("Name LIKE 'ac_'"), []);
  assert.deepEqual(names("Name LIKE 'INITECH'"), ["initech"]);
  assert.deepEqual(names("Name LIKE '%.%'"), []);
  assert.deepEqual(names("NOT Name LIKE '%c%'"), ["Globex"]);
  assert.deepEqual(ids("SELECT Id FROM Contact WHERE Email LIKE '%'"), [C1, C3]);
});

Deno.test("runSoql treats \\% and \\_ in LIKE as literal characters", () => {
  assert.deepEqual(names("Name LIKE '100\\% %'"), ["100% Pure_Co"]);
  assert.deepEqual(names("Name LIKE '%e\\_c%'"), ["100% Pure_Co"]);
  assert.deepEqual(names("Name LIKE '%e\\_x%'"), []);
  assert.deepEqual(names("Name LIKE 'Acm\\%'"), []);
  assert.deepEqual(ids("SELECT Id FROM Contact WHERE LastName LIKE 'o\\'%'"), [C3]);
});

Deno.test("runSoql LIKE matches 300 random values escaped for LIKE", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const alphabet = [
    "%",
    "_",
    "\\",
    "'",
    '"',
    "\n",
    "\t",
    "a",
    "B",
    "é",
    "😀",
    ".",
    "*",
    "(",
    "[",
    "^",
    "$",
  ];
  const escape = (s: string) =>
    s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("'", "\\'")
      .replaceAll("\n", "\\n").replaceAll("\t", "\\t").replaceAll("_", "\\_").replaceAll(
        "%",
        "\\%",
      );
  for (let i = 0; i < 300; i++) {
    let value = "";
    for (let n = Math.floor(random() * 10) + 1; n > 0; n--) {
      value += alphabet[Math.floor(random() * alphabet.length)];
    }
    const source = dataSource([
      account({ Id: A1, Name: value }),
      account({ Id: A2, Name: value + "x" }),
      account({ Id: A3, Name: "x" + value }),
    ]);
    const result = runSoql(`SELECT Id FROM Account WHERE Name LIKE '${escape(value)}'`, source, {
      includeDeleted: false,
      apiVersion: "64.0",
    });
    assert.deepEqual(result.records.map((r) => r.Id), [A1], JSON.stringify(value));
  }
});

Deno.test("runSoql matches IN and NOT IN lists", () => {
  assert.deepEqual(names("Industry IN ('energy', 'RETAIL')"), ["Acme", "100% Pure_Co"]);
  assert.deepEqual(names("Industry IN ('Energy', null)"), ["Acme", "initech"]);
  assert.deepEqual(names("AnnualRevenue IN (1500000, 250000.5)"), ["Globex", "100% Pure_Co"]);
  assert.deepEqual(names("NumberOfEmployees NOT IN (3, 40)"), ["Acme", "initech"]);
  assert.deepEqual(names("CreatedDate IN (2024-03-15T10:30:00+01:00)"), ["Acme"]);
  assert.deepEqual(names("Founded__c IN (2001-05-01, 2024-03-15)"), ["Acme", "100% Pure_Co"]);
});

Deno.test("runSoql gives NOT precedence over AND, and needs parentheses to mix AND with OR", () => {
  assert.deepEqual(
    names("Industry = 'Energy' OR (Industry = 'Banking' AND AnnualRevenue > 2000000)"),
    ["Acme"],
  );
  assert.deepEqual(
    names("(Industry = 'Energy' OR Industry = 'Banking') AND AnnualRevenue > 2000000"),
    ["Acme"],
  );
  assert.deepEqual(
    names("(Industry = 'Energy' OR Industry = 'Banking') AND AnnualRevenue < 2000000"),
    ["Globex"],
  );
  assert.deepEqual(names("NOT Industry = 'Energy' AND AnnualRevenue > 0"), [
    "Globex",
    "100% Pure_Co",
  ]);
  assert.deepEqual(names("NOT (Industry = 'Energy' OR AnnualRevenue > 0)"), ["initech"]);
  assert.deepEqual(names("NOT NOT Name = 'acme'"), ["Acme"]);
});

Deno.test("runSoql filters on parent fields, treating a missing parent as null", () => {
  assert.deepEqual(ids("SELECT Id FROM Contact WHERE Account.Name = 'acme'"), [C1]);
  assert.deepEqual(ids("SELECT Id FROM Contact WHERE Account.Name = null"), [C2]);
  assert.deepEqual(ids("SELECT Id FROM Contact WHERE Account.Parent.Name LIKE 'glo%'"), [C3]);
  assert.deepEqual(ids("SELECT Id FROM Contact WHERE Manager__r.LastName = 'Lee'"), [C2, C3]);
});

// ---- ORDER BY, LIMIT, OFFSET, COUNT() -----------------------------------------------------

Deno.test("runSoql orders ascending with nulls first and descending with nulls last", () => {
  assert.deepEqual(run("SELECT Name FROM Account ORDER BY Industry").records.map((r) => r.Name), [
    "initech",
    "Globex",
    "Acme",
    "100% Pure_Co",
  ]);
  assert.deepEqual(
    run("SELECT Name FROM Account ORDER BY AnnualRevenue DESC").records.map((r) => r.Name),
    ["Acme", "Globex", "100% Pure_Co", "initech"],
  );
  assert.deepEqual(
    run("SELECT Name FROM Account ORDER BY AnnualRevenue ASC NULLS LAST").records.map((r) =>
      r.Name
    ),
    ["100% Pure_Co", "Globex", "Acme", "initech"],
  );
  assert.deepEqual(
    run("SELECT Name FROM Account ORDER BY AnnualRevenue DESC NULLS FIRST").records.map((r) =>
      r.Name
    ),
    ["initech", "Acme", "Globex", "100% Pure_Co"],
  );
});

Deno.test("runSoql orders strings case-insensitively, by several keys and by parent fields", () => {
  assert.deepEqual(run("SELECT Name FROM Account ORDER BY Name").records.map((r) => r.Name), [
    "100% Pure_Co",
    "Acme",
    "Globex",
    "initech",
  ]);
  assert.deepEqual(
    run("SELECT Name FROM Account ORDER BY Industry DESC, Name DESC", { includeDeleted: true })
      .records.map((r) => r.Name),
    ["100% Pure_Co", "Old Corp", "Acme", "Globex", "initech"],
  );
  assert.deepEqual(
    run("SELECT Name FROM Account ORDER BY Parent.Name NULLS LAST, Name").records.map((r) =>
      r.Name
    ),
    ["Globex", "initech", "100% Pure_Co", "Acme"],
  );
  assert.deepEqual(
    run("SELECT Name FROM Account ORDER BY CreatedDate DESC").records.map((r) => r.Name),
    ["Globex", "Acme", "100% Pure_Co", "initech"],
  );
});

Deno.test("runSoql applies LIMIT and OFFSET with and without ORDER BY", () => {
  assert.deepEqual(ids("SELECT Id FROM Account LIMIT 2"), [A1, A2]);
  assert.deepEqual(ids("SELECT Id FROM Account LIMIT 2 OFFSET 1"), [A2, A3]);
  assert.deepEqual(ids("SELECT Id FROM Account OFFSET 3"), [A4]);
  assert.deepEqual(ids("SELECT Id FROM Account OFFSET 10"), []);
  assert.deepEqual(ids("SELECT Id FROM Account LIMIT 0"), []);
  assert.deepEqual(ids("SELECT Id FROM Account ORDER BY Name LIMIT 1"), [A4]);
  assert.deepEqual(ids("SELECT Id FROM Account ORDER BY Name LIMIT 2 OFFSET 1"), [A1, A2]);
  assert.deepEqual(ids("SELECT Id FROM Account ORDER BY Name OFFSET 2000"), []);
  assert.equal(run("SELECT Id FROM Account LIMIT 3").totalSize, 3);
});

Deno.test("runSoql gives the same page with a small LIMIT as a full sort does", () => {
  let seed = 99;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const records: StoredRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    records.push(account({
      Id: id18(`001Ab${String(i).padStart(10, "0")}`),
      Name: random() < 0.1 ? null : `n${Math.floor(random() * 50)}`,
      AnnualRevenue: random() < 0.1 ? null : Math.floor(random() * 20),
    }));
  }
  const source = dataSource(records);
  const options = { includeDeleted: false, apiVersion: "64.0" };
  for (
    const order of ["Name, AnnualRevenue DESC", "AnnualRevenue NULLS LAST, Name DESC NULLS FIRST"]
  ) {
    const all = runSoql(`SELECT Id FROM Account ORDER BY ${order}`, source, options).records;
    const page = runSoql(
      `SELECT Id FROM Account ORDER BY ${order} LIMIT 15 OFFSET 20`,
      source,
      options,
    );
    assert.deepEqual(page.records, all.slice(20, 35), order);
  }
});

Deno.test("runSoql returns COUNT() as totalSize with no records", () => {
  const all = run("SELECT COUNT() FROM Account");
  assert.deepEqual([all.totalSize, all.records, all.columns, all.objectName], [
    4,
    [],
    [],
    "Account",
  ]);
  assert.equal(run("SELECT COUNT() FROM Account", { includeDeleted: true }).totalSize, 5);
  assert.equal(run("SELECT COUNT() FROM Account WHERE Industry != null").totalSize, 3);
  assert.equal(run("SELECT COUNT() FROM Account LIMIT 2").totalSize, 2);
  assert.equal(run("SELECT COUNT() FROM Account LIMIT 10 OFFSET 3").totalSize, 1);
  assert.equal(run("SELECT COUNT() FROM Contact WHERE Account.Name = 'nobody'").totalSize, 0);
});

Deno.test("runSoql ignores FOR VIEW, FOR REFERENCE and FOR UPDATE", () => {
  assert.deepEqual(ids("SELECT Id FROM Account LIMIT 1 FOR VIEW"), [A1]);
  assert.deepEqual(ids("SELECT Id FROM Account FOR REFERENCE"), [A1, A2, A3, A4]);
  assert.deepEqual(ids("SELECT Id FROM Account WHERE Name = 'acme' FOR UPDATE"), [A1]);
});

Deno.test("SoqlResult.slice projects only the requested page", () => {
  const result = run("SELECT Id, Name, Parent.Name FROM Account ORDER BY Name");
  const pages = [...result.slice(0, 3), ...result.slice(3, 2000)];
  assert.deepEqual(pages, result.records);
  assert.deepEqual(result.slice(1, 2), [result.records[1]]);
  assert.deepEqual(result.slice(10, 20), []);
  assert.deepEqual(run("SELECT COUNT() FROM Account").slice(0, 10), []);
});

Deno.test("rowValues flattens records to column values, null for an empty parent", () => {
  const result = run(
    "SELECT Id, Name, Parent.Name, Parent.Parent.Industry, AnnualRevenue, IsDeleted FROM Account",
  );
  assert.deepEqual(result.records.map((r) => rowValues(r, result.columns)), [
    [A1, "Acme", null, null, 5_000_000, false],
    [A2, "Globex", "Acme", null, 1_500_000, false],
    [A3, "initech", "Globex", "Energy", null, false],
    [A4, "100% Pure_Co", null, null, 250_000.5, false],
  ]);
});

// ---- child subqueries --------------------------------------------------------------------

Deno.test("runSoql nests child subqueries as a query result, or null without children", () => {
  const result = run(
    "SELECT Name, (SELECT LastName, Account.Name FROM Contacts ORDER BY LastName), Id FROM Account",
  );
  assert.deepEqual(result.columns, ["Name", "Id"]);
  assert.equal(
    JSON.stringify(result.records[0]),
    `{"attributes":{"type":"Account","url":"/services/data/v64.0/sobjects/Account/${A1}"},"Name":"Acme","Contacts":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v64.0/sobjects/Contact/${C1}"},"LastName":"Lee","Account":{"attributes":{"type":"Account","url":"/services/data/v64.0/sobjects/Account/${A1}"},"Name":"Acme"}}]},"Id":"${A1}"}`,
  );
  assert.deepEqual(result.records.map((r) => r.Contacts === null), [false, true, false, true]);
  assert.deepEqual(rowValues(result.records[0], result.columns), ["Acme", A1]);
});

Deno.test("runSoql filters, orders and limits child rows per parent", () => {
  const result = run(
    "SELECT LastName, (SELECT LastName FROM reports__r WHERE LastName != 'nobody' ORDER BY LastName DESC LIMIT 1) FROM Contact WHERE LastName = 'Lee'",
  );
  const reports = result.records[0].Reports__r as {
    totalSize: number;
    records: { LastName: string }[];
  };
  assert.equal(reports.totalSize, 1);
  assert.deepEqual(reports.records.map((r) => r.LastName), ["O'Brien"]);
  const filtered = run(
    "SELECT Name, (SELECT Name FROM ChildAccounts WHERE Name LIKE 'x%') FROM Account WHERE Name = 'Acme'",
  );
  assert.equal(filtered.records[0].ChildAccounts, null);
});

Deno.test("runSoql rejects an unknown child relationship with INVALID_TYPE", () => {
  const message =
    "\nSELECT Id, (SELECT Id FROM Contact) FROM Account\n                           ^\nERROR at Row:1:Column:28\nDidn't understand relationship 'Contact' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";
  assertSoqlError("SELECT Id, (SELECT Id FROM Contact) FROM Account", "INVALID_TYPE", message);
  const { children: _, ...withoutChildren } = SOURCE;
  assert.throws(
    () =>
      runSoql("SELECT Id, (SELECT Id FROM Contacts) FROM Account", withoutChildren, {
        includeDeleted: false,
        apiVersion: "64.0",
      }),
    (e) => e instanceof SoqlError && e.errorCode === "INVALID_TYPE",
  );
  assertSoqlError(
    "SELECT Id, (SELECT Nope FROM Contacts) FROM Account",
    "INVALID_FIELD",
    `\nSELECT Id, (SELECT Nope FROM Contacts) FROM Account\n                   ^\nERROR at Row:1:Column:20\nNo such column 'Nope' on entity 'Contact'. ${FIELD_HINT}`,
  );
});

// ---- errors -------------------------------------------------------------------------------

Deno.test("runSoql rejects an unknown object with INVALID_TYPE", () => {
  assertSoqlError(
    "SELECT Id FROM Acount",
    "INVALID_TYPE",
    "\nSELECT Id FROM Acount\n               ^\nERROR at Row:1:Column:16\nsObject type 'Acount' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
  );
});

Deno.test("runSoql rejects an unknown field with INVALID_FIELD, in any clause", () => {
  assertSoqlError(
    "select Id, Company,Email FROM Account",
    "INVALID_FIELD",
    `\nselect Id, Company,Email FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Company' on entity 'Account'. ${FIELD_HINT}`,
  );
  assertSoqlError(
    "SELECT Id FROM Account WHERE Ext__c = 'x'",
    "INVALID_FIELD",
    `\nSELECT Id FROM Account WHERE Ext__c = 'x'\n                             ^\nERROR at Row:1:Column:30\nNo such column 'Ext__c' on entity 'Account'. ${FIELD_HINT}`,
  );
  assertSoqlError(
    "SELECT Id FROM Account ORDER BY Nme",
    "INVALID_FIELD",
    `\nSELECT Id FROM Account ORDER BY Nme\n                                ^\nERROR at Row:1:Column:33\nNo such column 'Nme' on entity 'Account'. ${FIELD_HINT}`,
  );
  assertSoqlError(
    "SELECT Id, Account.Email FROM Contact",
    "INVALID_FIELD",
    `\nSELECT Id, Account.Email FROM Contact\n           ^\nERROR at Row:1:Column:12\nNo such column 'Email' on entity 'Account'. ${FIELD_HINT}`,
  );
});

Deno.test("runSoql rejects an unknown relationship with INVALID_FIELD", () => {
  const hint =
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";
  assertSoqlError(
    "SELECT Id, Owner.Email FROM Contact",
    "INVALID_FIELD",
    `\nSELECT Id, Owner.Email FROM Contact\n           ^\nERROR at Row:1:Column:12\nDidn't understand relationship 'Owner' in field path. ${hint}`,
  );
  assertSoqlError(
    "SELECT Id FROM Contact WHERE Manager__c.LastName = 'x'",
    "INVALID_FIELD",
    `\nSELECT Id FROM Contact WHERE Manager__c.LastName = 'x'\n                             ^\nERROR at Row:1:Column:30\nDidn't understand relationship 'Manager__c' in field path. ${hint}`,
  );
  assertSoqlError(
    "SELECT Id, Account.Parent.Foo.Name FROM Contact",
    "INVALID_FIELD",
    `\nSELECT Id, Account.Parent.Foo.Name FROM Contact\n           ^\nERROR at Row:1:Column:12\nDidn't understand relationship 'Foo' in field path. ${hint}`,
  );
});

Deno.test("runSoql rejects a field selected twice", () => {
  assertSoqlError(
    "SELECT Id, Name, name FROM Account",
    "INVALID_FIELD",
    "\nSELECT Id, Name, name FROM Account\n                 ^\nERROR at Row:1:Column:18\nduplicate field selected: Name",
  );
});

Deno.test("runSoql rejects a date literal against a dateTime field and the reverse", () => {
  assertSoqlError(
    "SELECT Id FROM Account WHERE CreatedDate > 2024-01-01",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE CreatedDate > 2024-01-01\n                                           ^\nERROR at Row:1:Column:44\nvalue of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
  );
  assertSoqlError(
    "SELECT Id FROM Account WHERE Founded__c > 2024-01-01T00:00:00Z",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE Founded__c > 2024-01-01T00:00:00Z\n                                          ^\nERROR at Row:1:Column:43\nvalue of filter criterion for field 'Founded__c' must be of type date and should not be enclosed in quotes",
  );
});

Deno.test("runSoql rejects quoted strings against date, dateTime, number and boolean fields", () => {
  const cases: [string, string, string][] = [
    ["CreatedDate", "'2024-01-01T00:00:00Z'", "dateTime"],
    ["Founded__c", "'2024-01-01'", "date"],
    ["AnnualRevenue", "'5'", "double"],
    ["NumberOfEmployees", "'5'", "integer"],
    ["IsDeleted", "'true'", "boolean"],
  ];
  for (const [field, value, type] of cases) {
    const query = `SELECT Id FROM Account WHERE ${field} = ${value}`;
    const column = query.indexOf(value) + 1;
    assertSoqlError(
      query,
      "INVALID_QUERY_FILTER_OPERATOR",
      `\n${query}\n${
        " ".repeat(column - 1)
      }^\nERROR at Row:1:Column:${column}\nvalue of filter criterion for field '${field}' must be of type ${type} and should not be enclosed in quotes`,
    );
  }
  assertSoqlError(
    "SELECT Id FROM Account WHERE AnnualRevenue LIKE '5%'",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE AnnualRevenue LIKE '5%'\n                                                ^\nERROR at Row:1:Column:49\nvalue of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes",
  );
});

Deno.test("runSoql rejects unquoted values against text and id fields", () => {
  assertSoqlError(
    "SELECT Id FROM Account WHERE Name = 5",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE Name = 5\n                                    ^\nERROR at Row:1:Column:37\nvalue of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
  );
  assertSoqlError(
    "SELECT Id FROM Account WHERE Industry IN ('Energy', TODAY)",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE Industry IN ('Energy', TODAY)\n                                                    ^\nERROR at Row:1:Column:53\nvalue of filter criterion for field 'Industry' must be of type string and should be enclosed in quotes",
  );
  assertSoqlError(
    "SELECT Id FROM Account WHERE ParentId = 1",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE ParentId = 1\n                                        ^\nERROR at Row:1:Column:41\nvalue of filter criterion for field 'ParentId' must be of type id and should be enclosed in quotes",
  );
});

Deno.test("runSoql rejects a malformed id literal with invalid ID field", () => {
  assertSoqlError(
    "SELECT Id FROM Account WHERE Id = '001bad'",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE Id = '001bad'\n                                  ^\nERROR at Row:1:Column:35\ninvalid ID field: 001bad",
  );
  assertSoqlError(
    "SELECT Id FROM Contact WHERE AccountId IN ('001Ab0000000001', '001Ab000000000-')",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Contact WHERE AccountId IN ('001Ab0000000001', '001Ab000000000-')\n                                                              ^\nERROR at Row:1:Column:63\ninvalid ID field: 001Ab000000000-",
  );
  // An 18-char id whose suffix marks a digit as upper case cannot exist.
  assertSoqlError(
    "SELECT Id FROM Account WHERE Id = '001000000000001ZZZ'",
    "INVALID_QUERY_FILTER_OPERATOR",
    "\nSELECT Id FROM Account WHERE Id = '001000000000001ZZZ'\n                                  ^\nERROR at Row:1:Column:35\ninvalid ID field: 001000000000001ZZZ",
  );
});

Deno.test("runSoql rejects OFFSET above 2000 with NUMBER_OUTSIDE_VALID_RANGE", () => {
  assertSoqlError(
    "SELECT Id FROM Account LIMIT 5 OFFSET 2001",
    "NUMBER_OUTSIDE_VALID_RANGE",
    "\nSELECT Id FROM Account LIMIT 5 OFFSET 2001\n                                      ^\nERROR at Row:1:Column:39\nMaximum SOQL offset allowed is 2000",
  );
});

Deno.test("runSoql reports syntax errors before schema errors", () => {
  assertSoqlError(
    "SELECT Nope FROM Nothing WHERE",
    "MALFORMED_QUERY",
    "\nSELECT Nope FROM Nothing WHERE\n                              ^\nERROR at Row:1:Column:31\nunexpected token: <EOF>",
  );
});

Deno.test("runSoql refuses LIKE on id and lookup fields: it is for string fields only", () => {
  for (const field of ["Id", "ParentId"]) {
    const query = `SELECT Id FROM Account WHERE ${field} LIKE '001%'`;
    const column = query.indexOf("'001%'") + 1;
    assertSoqlError(
      query,
      "INVALID_QUERY_FILTER_OPERATOR",
      `\n${query}\n${
        " ".repeat(column - 1)
      }^\nERROR at Row:1:Column:${column}\ninvalid operator on id field`,
    );
  }
});
