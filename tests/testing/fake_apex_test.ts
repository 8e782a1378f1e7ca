import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, tokenFor, wire } from "./_fake.ts";

const APEX = "/services/apexrest";
const JSON_TYPE = "application/json;charset=UTF-8";

Deno.test("FakeSalesforce answers a registered Apex GET with the handler's JSON, counted as an API call", async () => {
  const { org, token } = await loggedIn();
  const seen: Request[] = [];
  org.apex("GET", "/Accounts/*", (request) => {
    seen.push(request);
    return { id: new URL(request.url).pathname.split("/").at(-1), name: "Acme" };
  });
  const got = await wire(await call(org, token, "GET", `${APEX}/Accounts/001?verbose=true`));
  assert.equal(got.status, 200);
  assert.equal(got.type, JSON_TYPE);
  assert.equal(got.limit, "api-usage=1/100000");
  assert.equal(got.text, '{"id":"001","name":"Acme"}');
  assert.equal(new URL(seen[0].url).searchParams.get("verbose"), "true");
  assert.equal(org.stats.requests["GET apex"], 1);
  assert.equal(org.stats.apiCalls, 1);
});

Deno.test("FakeSalesforce hands the Apex handler the request body and method", async () => {
  const { org, token } = await loggedIn();
  org.apex("post", "/Orders", async (request) => ({
    method: request.method,
    body: await request.json(),
  }));
  const got = await wire(await call(org, token, "POST", `${APEX}/Orders`, { sku: "A-1" }));
  assert.deepEqual(JSON.parse(got.text), { method: "POST", body: { sku: "A-1" } });
});

Deno.test("FakeSalesforce matches Apex URL mappings: a trailing * takes any rest, an inner * one segment", async () => {
  const { org, token } = await loggedIn();
  org.apex("GET", "/Files/*", () => "files");
  org.apex("GET", "/Orders/*/lines", () => "lines");
  const status = async (path: string) => {
    const response = await call(org, token, "GET", `${APEX}${path}`);
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await status("/Files"), 200);
  assert.equal(await status("/Files/a"), 200);
  assert.equal(await status("/Files/a/b/c"), 200);
  assert.equal(await status("/Orders/42/lines"), 200);
  assert.equal(await status("/Orders/42/x/lines"), 404);
  assert.equal(await status("/Orders/lines"), 404);
  assert.equal(await status("/files/a"), 404, "literal segments are case-sensitive");
});

Deno.test("FakeSalesforce answers the first matching Apex registration", async () => {
  const { org, token } = await loggedIn();
  org.apex("GET", "/Svc/special", () => "special");
  org.apex("GET", "/Svc/*", () => "general");
  const special = await wire(await call(org, token, "GET", `${APEX}/Svc/special`));
  const general = await wire(await call(org, token, "GET", `${APEX}/Svc/other`));
  assert.deepEqual([special.text, general.text], ['"special"', '"general"']);
});

Deno.test("FakeSalesforce answers an unmapped Apex URL with Salesforce's 404", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(await call(org, token, "GET", `${APEX}/Nope/1`));
  assert.equal(got.status, 404);
  assert.equal(
    got.text,
    '[{"errorCode":"NOT_FOUND","message":"Could not find a match for URL /Nope/1"}]',
  );
});

Deno.test("FakeSalesforce answers 405 for a mapped Apex URL without a handler for the method", async () => {
  const { org, token } = await loggedIn();
  org.apex("GET", "/Svc", () => "ok");
  org.apex("POST", "/Svc", () => "ok");
  const got = await wire(await call(org, token, "DELETE", `${APEX}/Svc`));
  assert.equal(got.status, 405);
  assert.equal(
    JSON.parse(got.text)[0].message,
    "HTTP Method 'DELETE' not allowed. Allowed are HEAD,GET,POST",
  );
});

Deno.test("FakeSalesforce answers HEAD with the GET handler and no body", async () => {
  const { org, token } = await loggedIn();
  org.apex("GET", "/Svc", () => ({ big: "x".repeat(100) }));
  const got = await wire(await call(org, token, "HEAD", `${APEX}/Svc`));
  assert.deepEqual([got.status, got.text], [200, ""]);
});

Deno.test("FakeSalesforce turns a throwing Apex handler into 500 APEX_ERROR", async () => {
  const { org, token } = await loggedIn();
  org.apex("GET", "/Boom", () => {
    throw new TypeError("Attempt to de-reference a null object");
  });
  const got = await wire(await call(org, token, "GET", `${APEX}/Boom`));
  assert.equal(got.status, 500);
  assert.deepEqual(JSON.parse(got.text), [{
    errorCode: "APEX_ERROR",
    message: "TypeError: Attempt to de-reference a null object",
  }]);
});

Deno.test("FakeSalesforce answers undefined from an Apex handler as an empty 200, and Responses as they are", async () => {
  const { org, token } = await loggedIn();
  org.apex("POST", "/Void", () => undefined);
  org.apex(
    "GET",
    "/Text",
    () => new Response("plain", { status: 202, headers: { "Content-Type": "text/plain" } }),
  );
  const empty = await wire(await call(org, token, "POST", `${APEX}/Void`, {}));
  assert.deepEqual([empty.status, empty.text], [200, ""]);
  const text = await wire(await call(org, token, "GET", `${APEX}/Text`));
  assert.deepEqual([text.status, text.type, text.text], [202, "text/plain", "plain"]);
});

Deno.test("FakeSalesforce requires a session for Apex REST", async () => {
  const { org } = await loggedIn();
  org.apex("GET", "/Svc", () => "ok");
  const got = await wire(await call(org, undefined, "GET", `${APEX}/Svc`));
  assert.equal(got.status, 401);
  assert.equal(JSON.parse(got.text)[0].errorCode, "INVALID_SESSION_ID");
});

Deno.test("FakeSalesforce keeps Apex registrations across reset", async () => {
  const org = new FakeSalesforce();
  org.apex("GET", "/Svc", () => "still here");
  org.reset();
  const got = await wire(await call(org, await tokenFor(org), "GET", `${APEX}/Svc`));
  assert.equal(got.text, '"still here"');
});

Deno.test("FakeSalesforce refuses malformed Apex registrations with a TypeError", () => {
  const org = new FakeSalesforce();
  const handler = () => "x";
  const cases: [unknown, unknown, unknown, RegExp][] = [
    ["FETCH", "/Svc", handler, /"method" must be one of GET, POST, PUT, PATCH, DELETE/],
    [1, "/Svc", handler, /"method"/],
    ["GET", "Svc", handler, /"urlMapping" must be a path such as "\/MyService\/\*"/],
    ["GET", "/Svc//x", handler, /"urlMapping"/],
    ["GET", "/Svc/../x", handler, /"urlMapping"/],
    ["GET", "/Svc/a*", handler, /"urlMapping"/],
    ["GET", "/Svc?x=1", handler, /"urlMapping"/],
    ["GET", "/Svc", "handler", /"handler" must be a function/],
  ];
  for (const [method, mapping, fn, pattern] of cases) {
    assert.throws(
      () => org.apex(method as string, mapping as string, fn as () => string),
      (error: TypeError) => error instanceof TypeError && pattern.test(error.message),
    );
  }
});

Deno.test("FakeSalesforce answers Apex paths of any depth, keeping encoded slashes in their segment", async () => {
  const { org, token } = await loggedIn();
  org.apex("GET", "/Deep/*", (request) => ({ path: new URL(request.url).pathname }));
  const deep = Array.from({ length: 30 }, (_, i) => `s${i}`).join("/");
  const got = await wire(await call(org, token, "GET", `${APEX}/Deep/${deep}`));
  assert.equal(got.status, 200);
  assert.equal(JSON.parse(got.text).path, `/services/apexrest/Deep/${deep}`);
  org.apex("GET", "/One/*/Leaf", () => ({ ok: true }));
  const encoded = await wire(await call(org, token, "GET", `${APEX}/One/a%2Fb/Leaf`));
  assert.equal(encoded.status, 200, "a%2Fb is one segment");
});
