import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, V, wire } from "./_fake.ts";

Deno.test("FakeSalesforce answers JSON_PARSER_ERROR for malformed and empty JSON bodies", async () => {
  const { org, token } = await loggedIn();
  const cases: [string, string][] = [
    [
      "xyz",
      "Unexpected character ('x' (code 120)): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [line:1, column:1]",
    ],
    ['{"Name":', "Unexpected end-of-input at [line:1, column:9]"],
    ["", "The HTTP entity body is required, but this request has no entity body."],
    ["   ", "The HTTP entity body is required, but this request has no entity body."],
  ];
  for (const [body, message] of cases) {
    const got = await wire(
      await call(org, token, "POST", `${V}/sobjects/Account`, body, {
        "Content-Type": "application/json",
      }),
    );
    assert.equal(got.status, 400, body);
    assert.equal(got.text, JSON.stringify([{ message, errorCode: "JSON_PARSER_ERROR" }]));
  }
  for (const body of ["[1,2]", "42", '"text"', "null", '{"Name": "A",}', '{"a" "b"}', "\u0000"]) {
    const got = await wire(
      await call(org, token, "POST", `${V}/sobjects/Account`, body, {
        "Content-Type": "application/json",
      }),
    );
    assert.equal(got.status, 400, body);
    assert.equal(JSON.parse(got.text)[0].errorCode, "JSON_PARSER_ERROR");
  }
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce answers 415 for a JSON route sent another content type", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await org.fetch(`${V}/sobjects/Account`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ Name: "Acme" }), // fetch labels a string body text/plain
    }),
  );
  assert.equal(got.status, 415);
  assert.equal(
    got.text,
    `[{"message":"Content type 'text/plain' not supported","errorCode":"UNSUPPORTED_MEDIA_TYPE"}]`,
  );
  const json = await call(org, token, "POST", `${V}/sobjects/Account`, '{"Name":"A"}', {
    "Content-Type": "application/json; charset=UTF-8",
  });
  assert.equal(json.status, 201);
  await json.body?.cancel();
});

Deno.test("FakeSalesforce survives garbage on the token endpoint", async () => {
  const org = new FakeSalesforce();
  const bodies: BodyInit[] = [
    "%%%&&&===",
    "grant_type=%ZZ",
    '{"grant_type":"client_credentials"}',
    new Uint8Array([0, 255, 254, 1]),
    "grant_type=client_credentials&client_id=&client_secret=",
  ];
  for (const body of bodies) {
    const got = await wire(await org.fetch("/services/oauth2/token", { method: "POST", body }));
    assert.equal(got.status, 400);
    assert.ok(
      ["unsupported_grant_type", "invalid_client_id"].includes(JSON.parse(got.text).error),
      got.text,
    );
  }
  const basic = await wire(
    await org.fetch("/services/oauth2/token", {
      method: "POST",
      headers: { Authorization: "Basic !!!not-base64" },
      body: "grant_type=client_credentials",
    }),
  );
  assert.equal(JSON.parse(basic.text).error, "invalid_client_id");
});

Deno.test("FakeSalesforce never answers 500 for malformed paths, methods, ids and headers", async () => {
  const { org, token } = await loggedIn();
  const requests: [string, string, string?][] = [
    ["GET", `${V}/sobjects/Account/%E0%A4%A`],
    ["GET", `${V}/sobjects/%00/describe`],
    ["GET", `${V}/sobjects/Account/${"1".repeat(5000)}`],
    ["GET", `${V}/sobjects/Account/ExtId__c/%20`],
    ["GET", `${V}/sobjects/Account/001000000000001AAA?fields=,,,`],
    ["GET", `${V}/sobjects/Account/001000000000001AAA?fields=Parent.`],
    ["PATCH", `${V}/sobjects/Account/ExtId__c/x`, '{"Account":{"Nope":1}}'],
    ["POST", `${V}/sobjects/Contact`, '{"LastName":"L","Account":{"ExtId__c":{"deep":true}}}'],
    ["POST", `${V}/sobjects/Account`, '{"Name":{"nested":1}}'],
    ["POST", `${V}/sobjects/Account`, '{"NumberOfEmployees":1.5,"Name":"x"}'],
    ["GET", `${V}/query/${"-".repeat(40)}`],
    ["GET", `${V}/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = '\\x'")}`],
    ["PUT", `${V}/sobjects/Account`],
    ["PURGE", `${V}/limits`],
    ["OPTIONS", "/services/oauth2/token"],
    ["GET", "/services/Soap/u/abc"],
    ["GET", "//services//data//"],
  ];
  for (const [method, path, body] of requests) {
    const got = await wire(
      await call(
        org,
        token,
        method,
        path,
        body,
        body === undefined ? {} : { "Content-Type": "application/json" },
      ),
    );
    assert.ok(
      got.status >= 200 && got.status < 500,
      `${method} ${path} → ${got.status} ${got.text}`,
    );
    assert.ok(got.text === "" || got.type !== null, `${method} ${path} has a content type`);
  }
  for (const header of ["Bearer", "Bearer  ", "Basic abc", "bearer x y", "\u00ff"]) {
    const got = await wire(
      await org.fetch(`${V}/limits`, { headers: { Authorization: header } }).catch((e) =>
        new Response(String(e))
      ),
    );
    assert.ok(got.status === 401 || got.status === 200, header);
  }
});

Deno.test("FakeSalesforce answers 500 UNKNOWN_EXCEPTION when something inside it throws", async () => {
  let broken = false;
  const { org, token } = await loggedIn({
    now: () => {
      if (broken) throw new Error("clock failure");
      return Date.UTC(2024, 0, 1);
    },
  });
  broken = true;
  const got = await wire(await call(org, token, "GET", `${V}/limits`));
  assert.equal(got.status, 500);
  assert.equal(got.type, "application/json;charset=UTF-8");
  const [error] = JSON.parse(got.text);
  assert.deepEqual(Object.keys(error), ["message", "errorCode"]);
  assert.equal(error.errorCode, "UNKNOWN_EXCEPTION");
  assert.match(
    error.message,
    /^An unexpected error occurred\. Please include this ErrorId if you contact support: \d+-\d+ \(-\d+\)$/,
  );
  assert.equal(got.text.includes("clock failure"), false);
});

Deno.test("FakeSalesforce fetch never throws synchronously", () => {
  const org = new FakeSalesforce();
  const pending = org.fetch("not a url at all ::::");
  assert.ok(pending instanceof Promise);
  return assert.rejects(pending, { name: "TypeError" });
});

Deno.test("FakeSalesforce fetch works detached from the org", async () => {
  const { fetch } = new FakeSalesforce();
  const response = await fetch("/services/data/");
  assert.equal(response.status, 200);
  await response.body?.cancel();
});

Deno.test("FakeSalesforce refuses a JSON body nested deeper than 1,000 levels with JSON_PARSER_ERROR, not a 500", async () => {
  const { org, token } = await loggedIn();
  const nested = (depth: number) => '{"a":'.repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  const tooDeep = [{
    message: "Document nesting depth (1001) exceeds the maximum allowed (1000)",
    errorCode: "JSON_PARSER_ERROR",
  }];
  // At the limit, the body is read and refused for what it holds.
  const post = (path: string, body: string) =>
    call(org, token, "POST", path, body, { "Content-Type": "application/json" });
  const atLimit = await wire(await post(`${V}/sobjects/Account`, nested(1000)));
  assert.equal(atLimit.status, 400);
  assert.notDeepEqual(JSON.parse(atLimit.text), tooDeep);
  for (const depth of [1001, 50_000]) {
    const record = await wire(await post(`${V}/sobjects/Account`, nested(depth)));
    assert.deepEqual([record.status, JSON.parse(record.text)], [400, tooDeep]);
    // A composite subrequest body: it was walked for references, and overflowed the stack.
    const composite = JSON.stringify({
      compositeRequest: [{
        method: "POST",
        url: `${V}/sobjects/Account`,
        referenceId: "A",
        body: "X",
      }],
    }).replace('"X"', nested(depth));
    const answer = await wire(await post(`${V}/composite`, composite));
    assert.deepEqual([answer.status, JSON.parse(answer.text)], [400, tooDeep]);
  }
  assert.equal(org.records("Account").length, 0);
});

Deno.test("FakeSalesforce refuses a JSON body that is not UTF-8 instead of storing U+FFFD", async () => {
  const { org, token } = await loggedIn();
  const body = new Uint8Array([...new TextEncoder().encode('{"Name":"A'), 0xff, 0x22, 0x7d]);
  const response = await org.fetch(`${V}/sobjects/Account`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body,
  });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), [{
    message: "Invalid UTF-8 in the request body",
    errorCode: "JSON_PARSER_ERROR",
  }]);
  assert.equal(org.records("Account").length, 0);
  // A UTF-8 BOM is no error, as before.
  const withBom = await call(org, token, "POST", `${V}/sobjects/Account`, '\ufeff{"Name":"é"}', {
    "Content-Type": "application/json",
  });
  assert.equal(withBom.status, 201);
  await withBom.body?.cancel();
  assert.equal(org.records("Account")[0].Name, "é");
});
