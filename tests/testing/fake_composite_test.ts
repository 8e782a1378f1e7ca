import assert from "node:assert/strict";
import { call, loggedIn, V, wire } from "./_fake.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

const JSON_TYPE = "application/json;charset=UTF-8";
const NOT_FOUND = '[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]';
const MISSING_ID = "001000000000000AAA";
const ROLLED_BACK =
  '[{"errorCode":"PROCESSING_HALTED","message":"The transaction was rolled back since another operation in the same transaction failed."}]';

Deno.test("FakeSalesforce composite batch answers each subrequest in order, as one API call", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: "Acme" }]);
  const got = await wire(
    await call(org, token, "POST", `${V}/composite/batch`, {
      haltOnError: false,
      batchRequests: [
        { method: "PATCH", url: `v66.0/sobjects/Account/${id}`, richInput: { Name: "New Name" } },
        { method: "GET", url: `/services/data/v66.0/sobjects/Account/${id}?fields=Name` },
        { method: "GET", url: "v60.0/query?q=SELECT+Name+FROM+Account" },
        { method: "GET", url: `v66.0/sobjects/Account/${MISSING_ID}` },
      ],
    }),
  );
  assert.equal(got.status, 200);
  assert.equal(got.type, JSON_TYPE);
  assert.equal(got.limit, "api-usage=1/100000");
  const record =
    `{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/${id}"}`;
  assert.equal(
    got.text,
    `{"hasErrors":true,"results":[` +
      `{"statusCode":204,"result":null},` +
      `{"statusCode":200,"result":${record},"Name":"New Name","Id":"${id}"}},` +
      `{"statusCode":200,"result":{"totalSize":1,"done":true,"records":[` +
      `{"attributes":{"type":"Account","url":"/services/data/v60.0/sobjects/Account/${id}"},"Name":"New Name"}]}},` +
      `{"statusCode":404,"result":${NOT_FOUND}}]}`,
  );
  assert.equal(org.stats.apiCalls, 1);
  assert.equal(org.stats.requests["POST compositeBatch"], 1);
});

Deno.test("FakeSalesforce composite batch with haltOnError answers 412 BATCH_PROCESSING_HALTED after a failure", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/composite/batch`, {
      haltOnError: true,
      batchRequests: [
        { method: "POST", url: "v66.0/sobjects/Account", richInput: { Name: "First" } },
        { method: "POST", url: "v66.0/sobjects/Contact", richInput: { FirstName: "x" } },
        { method: "POST", url: "v66.0/sobjects/Account", richInput: { Name: "Never" } },
      ],
    }),
  );
  const [account] = org.records("Account");
  assert.equal(
    got.text,
    `{"hasErrors":true,"results":[` +
      `{"statusCode":201,"result":{"id":"${account.Id}","success":true,"errors":[]}},` +
      `{"statusCode":400,"result":[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]},` +
      `{"statusCode":412,"result":[{"errorCode":"BATCH_PROCESSING_HALTED","message":"Batch processing halted per request"}]}]}`,
  );
  assert.deepEqual(org.records("Account").map((r) => r.Name), ["First"]);
});

Deno.test("FakeSalesforce composite batch refuses a bad envelope with a top-level 400 and runs nothing", async () => {
  const { org, token } = await loggedIn();
  const create = { method: "POST", url: "v66.0/sobjects/Account", richInput: { Name: "x" } };
  const cases: [unknown, string][] = [
    [
      { batchRequests: Array(26).fill(create) },
      "Composite batch request limit exceeded: maximum 25 subrequests",
    ],
    [
      { batchRequests: [create, { method: "FETCH", url: "v66.0/limits" }] },
      "batchRequests[1].method",
    ],
    [{ batchRequests: [create, { method: "GET", url: "v67.0/limits" }] }, "batchRequests[1].url"],
    [
      { batchRequests: [create, { method: "GET", url: "v66.0/composite" }] },
      "batchRequests[1].url",
    ],
    [{ batchRequests: [create], haltOnError: "yes" }, "haltOnError"],
    [{ requests: [create] }, "batchRequests array"],
  ];
  for (const [body, message] of cases) {
    const got = await wire(await call(org, token, "POST", `${V}/composite/batch`, body));
    assert.equal(got.status, 400, got.text);
    const [error] = JSON.parse(got.text);
    assert.equal(error.errorCode, "INVALID_BATCH_REQUEST");
    assert.ok(error.message.includes(message), error.message);
  }
  assert.deepEqual(org.records("Account"), []);
  const broken = await wire(
    await call(org, token, "POST", `${V}/composite/batch`, "{", {
      "Content-Type": "application/json",
    }),
  );
  assert.equal(broken.status, 400);
  assert.match(broken.text, /JSON_PARSER_ERROR/);
});

Deno.test("FakeSalesforce composite resolves references in urls and bodies and names created records in Location", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/composite`, {
      allOrNone: true,
      compositeRequest: [
        {
          method: "POST",
          url: `${V}/sobjects/Account`,
          referenceId: "NewAccount",
          body: { Name: "Acme" },
        },
        {
          method: "POST",
          url: `${V}/sobjects/Contact`,
          referenceId: "NewContact",
          body: {
            LastName: "Lee",
            AccountId: "@{NewAccount.id}",
            Description: "of @{NewAccount.id}",
          },
        },
        {
          method: "GET",
          url: `${V}/query?q=SELECT+Id+FROM+Contact+WHERE+AccountId='@{NewAccount.id}'`,
          referenceId: "Q",
        },
        {
          method: "GET",
          url: `${V}/sobjects/Contact/@{Q.records[0].Id}?fields=LastName`,
          referenceId: "First",
        },
      ],
    }),
  );
  const [account] = org.records("Account");
  const [contact] = org.records("Contact");
  assert.equal(contact.AccountId, account.Id);
  assert.equal(contact.Description, `of ${account.Id}`);
  const contactUrl = `/services/data/v66.0/sobjects/Contact/${contact.Id}`;
  assert.equal(got.status, 200);
  assert.equal(got.limit, "api-usage=1/100000");
  assert.equal(
    got.text,
    `{"compositeResponse":[` +
      `{"body":{"id":"${account.Id}","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Account/${account.Id}"},"httpStatusCode":201,"referenceId":"NewAccount"},` +
      `{"body":{"id":"${contact.Id}","success":true,"errors":[]},"httpHeaders":{"Location":"${contactUrl}"},"httpStatusCode":201,"referenceId":"NewContact"},` +
      `{"body":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"${contactUrl}"},"Id":"${contact.Id}"}]},"httpHeaders":{},"httpStatusCode":200,"referenceId":"Q"},` +
      `{"body":{"attributes":{"type":"Contact","url":"${contactUrl}"},"LastName":"Lee","Id":"${contact.Id}"},"httpHeaders":{},"httpStatusCode":200,"referenceId":"First"}]}`,
  );
});

Deno.test("FakeSalesforce composite with allOrNone rolls back every write and halts the other subrequests", async () => {
  const { org, token } = await loggedIn();
  const [kept, removed] = org.insert("Account", [{ Name: "Kept" }, { Name: "Removed" }]);
  const before = org.records("Account");
  const got = await wire(
    await call(org, token, "POST", `${V}/composite`, {
      allOrNone: true,
      compositeRequest: [
        {
          method: "PATCH",
          url: `${V}/sobjects/Account/${kept}`,
          referenceId: "U",
          body: { Name: "Changed" },
        },
        { method: "DELETE", url: `${V}/sobjects/Account/${removed}`, referenceId: "D" },
        { method: "POST", url: `${V}/sobjects/Account`, referenceId: "A", body: { Name: "New" } },
        {
          method: "POST",
          url: `${V}/sobjects/Contact`,
          referenceId: "Bad",
          body: { AccountId: "@{A.id}" },
        },
        { method: "GET", url: `${V}/sobjects/Account/${kept}`, referenceId: "Never" },
      ],
    }),
  );
  const entry = (referenceId: string, body = ROLLED_BACK, status = 400) =>
    `{"body":${body},"httpHeaders":{},"httpStatusCode":${status},"referenceId":"${referenceId}"}`;
  assert.equal(
    got.text,
    `{"compositeResponse":[${entry("U")},${entry("D")},${entry("A")},${
      entry(
        "Bad",
        '[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]',
      )
    },${entry("Never")}]}`,
  );
  assert.deepEqual(org.records("Account"), before);
  assert.deepEqual(org.records("Contact"), []);
  // The rolled-back insert's id is not handed out again.
  const [next] = org.insert("Account", [{ Name: "Next" }]);
  assert.ok(next > removed && !before.some((r) => r.Id === next));
  const read = await call(org, token, "GET", `${V}/sobjects/Account/${removed}?fields=Name`);
  assert.equal((await read.json()).Name, "Removed");
});

Deno.test("FakeSalesforce composite halts a subrequest that references a failed or unknown one", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/composite`, {
      compositeRequest: [
        { method: "GET", url: `${V}/sobjects/Account/${MISSING_ID}`, referenceId: "Gone" },
        { method: "GET", url: `${V}/sobjects/Account/@{Gone.Id}`, referenceId: "Dependent" },
        { method: "GET", url: `${V}/sobjects/Account/@{Later.Id}`, referenceId: "Early" },
        {
          method: "POST",
          url: `${V}/sobjects/Account`,
          referenceId: "Later",
          body: { Name: "ok" },
        },
      ],
    }),
  );
  const body = JSON.parse(got.text).compositeResponse;
  assert.deepEqual(body.map((e: { httpStatusCode: number }) => e.httpStatusCode), [
    404,
    400,
    400,
    201,
  ]);
  assert.deepEqual(body[1].body, [{
    errorCode: "PROCESSING_HALTED",
    message:
      "Invalid reference specified. No value for Gone.Id found in Gone. Provided referenceId (&#39;Gone&#39;) must name an earlier subrequest that succeeded.",
  }]);
  assert.equal(body[2].body[0].errorCode, "PROCESSING_HALTED");
  assert.equal(org.records("Account").length, 1);
});

Deno.test("FakeSalesforce composite HTML-escapes string values in its responses", async () => {
  const { org, token } = await loggedIn();
  const [id] = org.insert("Account", [{ Name: `O'Brien & <Sons> "Ltd"` }]);
  const got = await wire(
    await call(org, token, "POST", `${V}/composite`, {
      compositeRequest: [
        { method: "GET", url: `${V}/sobjects/Account/${id}?fields=Name`, referenceId: "A" },
      ],
    }),
  );
  assert.ok(got.text.includes(`"Name":"O&#39;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;"`), got.text);
  // Only the composite resources escape; the plain REST read does not.
  const plain = await (await call(org, token, "GET", `${V}/sobjects/Account/${id}?fields=Name`))
    .json();
  assert.equal(plain.Name, `O'Brien & <Sons> "Ltd"`);
});

Deno.test("FakeSalesforce composite refuses a bad envelope with a top-level 400 and runs nothing", async () => {
  const { org, token } = await loggedIn();
  const create = (referenceId: string) => ({
    method: "POST",
    url: `${V}/sobjects/Account`,
    referenceId,
    body: { Name: referenceId },
  });
  const query = (referenceId: string) => ({
    method: "GET",
    url: `${V}/query?q=SELECT+Id+FROM+Account`,
    referenceId,
  });
  const cases: [unknown, string][] = [
    [
      { compositeRequest: Array.from({ length: 26 }, (_, i) => create(`A${i}`)) },
      "at most 25 subrequests",
    ],
    [{ compositeRequest: [create("A"), create("A")] }, "Duplicate referenceId"],
    [{ compositeRequest: [create("A"), create("1st")] }, "referenceId must start with a letter"],
    [
      { compositeRequest: [create("A"), { ...create("B"), url: "v66.0/sobjects/Account" }] },
      ".url",
    ],
    [
      { compositeRequest: [create("A"), { ...create("B"), url: `${V}/composite/batch` }] },
      ".url",
    ],
    [
      { compositeRequest: Array.from({ length: 6 }, (_, i) => query(`Q${i}`)) },
      "at most 5 query",
    ],
    [{ compositeRequest: [create("A")], allOrNone: "true" }, "allOrNone"],
    [{ compositeRequest: [] }, "at least one subrequest"],
  ];
  for (const [body, message] of cases) {
    const got = await wire(await call(org, token, "POST", `${V}/composite`, body));
    assert.equal(got.status, 400, got.text);
    const [error] = JSON.parse(got.text);
    assert.equal(error.errorCode, "INVALID_INPUT");
    assert.ok(error.message.includes(message), `${message}: ${error.message}`);
  }
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce runs composite subrequests without faults and without counting them", async () => {
  const { org, token } = await loggedIn();
  org.inject({ path: `${V}/sobjects`, status: 503 });
  const got = await call(org, token, "POST", `${V}/composite/batch`, {
    batchRequests: Array.from({ length: 25 }, (_, i) => ({
      method: "POST",
      url: "v66.0/sobjects/Account",
      richInput: { Name: `A${i}` },
    })),
  });
  assert.equal((await got.json()).hasErrors, false);
  assert.equal(org.records("Account").length, 25);
  assert.equal(org.stats.apiCalls, 1);
  assert.equal(org.faults.length, 1, "the fault still waits for a direct sObject call");
  assert.equal(org.stats.requests["POST sobjects"], undefined);
});

Deno.test("FakeSalesforce composite answers 404 for an unknown resource inside a subrequest", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", `${V}/composite/batch`, {
      batchRequests: [
        { method: "GET", url: "v66.0/nope" },
        { method: "GET", url: "v66.0/sobjects/Account/../../../../oauth2/token" },
      ],
    }),
  );
  assert.equal(
    got.text,
    `{"hasErrors":true,"results":[{"statusCode":404,"result":${NOT_FOUND}},{"statusCode":404,"result":${NOT_FOUND}}]}`,
  );
  const method = await wire(await call(org, token, "GET", `${V}/composite`));
  assert.equal(method.status, 405);
});

Deno.test("FakeSalesforce composite answers raw values with realisticEscaping off", async () => {
  const { org, token } = await loggedIn({ realisticEscaping: false });
  const [id] = org.insert("Account", [{ Name: `O'Brien & <Sons>` }]);
  const got = await wire(
    await call(org, token, "POST", `${V}/composite`, {
      compositeRequest: [
        { method: "GET", url: `${V}/sobjects/Account/${id}?fields=Name`, referenceId: "A" },
      ],
    }),
  );
  assert.ok(got.text.includes(`"Name":"O'Brien & <Sons>"`), got.text);
  assert.throws(
    () => new FakeSalesforce({ realisticEscaping: "yes" as never }),
    new TypeError(
      'Cannot create FakeSalesforce: "realisticEscaping" must be a boolean: received "yes"',
    ),
  );
});
