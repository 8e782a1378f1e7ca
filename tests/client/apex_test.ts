import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { NotFoundError, SalesforceError, ServerError } from "../../client/errors.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

/** A client on a fresh org whose fetch records every request it sends. */
function setup() {
  const org = new FakeSalesforce();
  const requests: Request[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    retryPolicy: null,
    fetch: (input, init) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      return org.fetch(request);
    },
  });
  const apexRequests = () => requests.filter((r) => r.url.includes("/services/apexrest/"));
  return { org, sf, requests, apexRequests };
}

/** A handler answering what it received: method, path, query and JSON body. */
async function echo(request: Request): Promise<Record<string, unknown>> {
  const url = new URL(request.url);
  const text = await request.text();
  return {
    method: request.method,
    path: url.pathname,
    search: url.search,
    params: Object.fromEntries(url.searchParams),
    contentType: request.headers.get("Content-Type"),
    body: text === "" ? null : JSON.parse(text),
  };
}

Deno.test("sf.apex.get encodes params with %20, never +, and returns the parsed JSON", async () => {
  const { org, sf } = setup();
  org.apex("GET", "/Echo/*", echo);
  const answer = await sf.apex.get<Record<string, unknown>>("Echo/items", {
    params: { q: "a b&c=d+e", n: 5, flag: true, big: 12n, "ké y": "ü", skipped: undefined },
  });
  assert.equal(answer.method, "GET");
  assert.equal(answer.path, "/services/apexrest/Echo/items");
  assert.equal(answer.search, "?q=a%20b%26c%3Dd%2Be&n=5&flag=true&big=12&k%C3%A9%20y=%C3%BC");
  assert.deepEqual(answer.params, {
    q: "a b&c=d+e",
    n: "5",
    flag: "true",
    big: "12",
    "ké y": "ü",
  });
  assert.equal(answer.body, null);
});

Deno.test("sf.apex.post, put and patch send the body as JSON and return the parsed answer", async () => {
  const { org, sf } = setup();
  for (const method of ["POST", "PUT", "PATCH"]) org.apex(method, "/Echo/*", echo);
  const body = { name: "Acme", tags: ["a", "b"], when: new Date(Date.UTC(2024, 2, 15)) };
  for (const method of ["post", "put", "patch"] as const) {
    const answer = await sf.apex[method]<Record<string, unknown>>("Echo/1", body);
    assert.equal(answer.method, method.toUpperCase());
    assert.equal(answer.contentType, "application/json");
    assert.deepEqual(answer.body, {
      name: "Acme",
      tags: ["a", "b"],
      when: "2024-03-15T00:00:00.000Z",
    });
  }
});

Deno.test("sf.apex sends JSON scalars as JSON and no body at all for undefined", async () => {
  const { org, sf } = setup();
  org.apex("POST", "/Echo", echo);
  assert.equal((await sf.apex.post<{ body: unknown }>("Echo", "hello")).body, "hello");
  assert.equal((await sf.apex.post<{ body: unknown }>("Echo", 0)).body, 0);
  assert.equal((await sf.apex.post<{ body: unknown }>("Echo", null)).body, null);
  const none = await sf.apex.post<{ body: unknown; contentType: unknown }>("Echo");
  assert.deepEqual([none.body, none.contentType], [null, null]);
});

Deno.test("sf.apex.delete returns null for a 204 answer", async () => {
  const { org, sf, apexRequests } = setup();
  org.apex("DELETE", "/Tickets/*", () => new Response(null, { status: 204 }));
  assert.equal(await sf.apex.delete("Tickets/42"), null);
  assert.equal(apexRequests()[0].method, "DELETE");
});

Deno.test("sf.apex returns null for an empty 200 answer (a void Apex method)", async () => {
  const { org, sf } = setup();
  org.apex("POST", "/Jobs/run", () => undefined);
  assert.equal(await sf.apex.post("Jobs/run", { now: true }), null);
});

Deno.test("sf.apex returns a text/plain answer as its text", async () => {
  const { org, sf } = setup();
  org.apex(
    "GET",
    "/Report",
    () => new Response("Id,Name\n1,Acme\n", { headers: { "Content-Type": "text/csv" } }),
  );
  org.apex(
    "GET",
    "/Number",
    () => new Response("42", { headers: { "Content-Type": "text/plain" } }),
  );
  assert.equal(await sf.apex.get("Report"), "Id,Name\n1,Acme\n");
  assert.equal(await sf.apex.get("Number"), "42", "text stays text even when it looks like JSON");
});

Deno.test("sf.apex returns a JSON-labelled body that does not parse as its text", async () => {
  const { org, sf } = setup();
  org.apex(
    "GET",
    "/Status",
    () => new Response("OK", { headers: { "Content-Type": "application/json" } }),
  );
  assert.equal(await sf.apex.get("Status"), "OK");
});

Deno.test("sf.apex encodes each path segment and keeps / as the separator", async () => {
  const { org, sf, apexRequests } = setup();
  org.apex("GET", "/Files/*", echo);
  const answer = await sf.apex.get<{ path: string }>("/Files/a b%/ü&x");
  assert.equal(answer.path, "/services/apexrest/Files/a%20b%25/%C3%BC%26x");
  assert.equal(new URL(apexRequests()[0].url).search, "");
});

Deno.test("sf.apex maps an Apex error list to a SalesforceError with its code and message", async () => {
  const { org, sf } = setup();
  org.apex("POST", "/Orders", () => {
    throw new Error("System.NullPointerException: Attempt to de-reference a null object");
  });
  const error = await sf.apex.post("Orders", {}).then(() => undefined, (e) => e);
  assert.ok(error instanceof ServerError);
  assert.equal(error.errorCode, "APEX_ERROR");
  assert.match(error.errorMessage!, /NullPointerException/);
  assert.match(
    error.message,
    /^APEX_ERROR: .*NullPointerException.* \(500 POST \/services\/apexrest\/Orders\)$/,
  );
});

Deno.test("sf.apex maps a plain-text error body to a readable message", async () => {
  const { org, sf } = setup();
  org.apex("GET", "/Orders/*", () =>
    new Response("Missing parameter: id", {
      status: 400,
      headers: { "Content-Type": "text/plain" },
    }));
  const error = await sf.apex.get("Orders/x").then(() => undefined, (e) => e);
  assert.ok(error instanceof SalesforceError);
  assert.equal(error.errorCode, undefined);
  assert.equal(error.message, "Missing parameter: id (400 GET /services/apexrest/Orders/x)");
  assert.equal(error.response?.status, 400);
});

Deno.test("sf.apex maps a JSON string error body to its text, without quotes", async () => {
  const { org, sf } = setup();
  org.apex(
    "PUT",
    "/Orders/*",
    () =>
      new Response(JSON.stringify("Invalid input: quantity must be > 0"), {
        status: 400,
        headers: { "Content-Type": "application/json" },
      }),
  );
  const error = await sf.apex.put("Orders/1", { quantity: 0 }).then(() => undefined, (e) => e);
  assert.ok(error instanceof SalesforceError);
  assert.equal(error.errorMessage, "Invalid input: quantity must be > 0");
  assert.equal(
    error.message,
    "Invalid input: quantity must be > 0 (400 PUT /services/apexrest/Orders/1)",
  );
});

Deno.test("sf.apex maps {error, message} and {message} bodies to readable errors", async () => {
  const { org, sf } = setup();
  org.apex(
    "POST",
    "/A",
    () => Response.json({ error: "INVALID_INPUT", message: "Name is required" }, { status: 422 }),
  );
  org.apex(
    "POST",
    "/B",
    () => Response.json({ success: false, message: "Quota reached" }, { status: 409 }),
  );
  const a = await sf.apex.post("A", {}).then(() => undefined, (e) => e);
  assert.equal(a.errorCode, "INVALID_INPUT");
  assert.equal(a.message, "INVALID_INPUT: Name is required (422 POST /services/apexrest/A)");
  const b = await sf.apex.post("B", {}).then(() => undefined, (e) => e);
  assert.equal(b.errorMessage, "Quota reached");
  assert.equal(b.message, "Quota reached (409 POST /services/apexrest/B)");
});

Deno.test("sf.apex surfaces an unmapped URL as NotFoundError", async () => {
  const { sf } = setup();
  await assert.rejects(sf.apex.get("NoSuchService/1"), (error: NotFoundError) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.errorCode, "NOT_FOUND");
    assert.match(error.message, /Could not find a match for URL \/NoSuchService\/1/);
    return true;
  });
});

const BAD_PATHS: [string, unknown][] = [
  ["a parent segment", "../data/v64.0/sobjects"],
  ["a parent segment in the middle", "MyService/../../data"],
  ["a trailing parent segment", "MyService/.."],
  ["a current segment", "MyService/./x"],
  ["a lone dot", "."],
  ["a percent-encoded parent segment", "%2e%2e/x"],
  ["a mixed-case encoded parent segment", "MyService/%2E%2e"],
  ["a half-encoded parent segment", "MyService/.%2E/x"],
  ["an encoded current segment", "MyService/%2e"],
  ["a protocol-relative host", "//evil.example.com/x"],
  ["a scheme", "https://evil.example.com/x"],
  ["a bare scheme", "javascript:alert(1)"],
  ["a query string", "MyService?id=1"],
  ["a fragment", "MyService#top"],
  ["a backslash", "MyService\\..\\x"],
  ["an empty path", ""],
  ["a lone slash", "/"],
  ["an empty segment", "MyService//x"],
  ["a lone surrogate", "MyService/\ud800"],
  ["a number", 42],
  ["null", null],
];

for (const [name, path] of BAD_PATHS) {
  Deno.test(`sf.apex refuses ${name} in the path before sending anything`, async () => {
    const { sf, requests } = setup();
    await assert.rejects(
      sf.apex.get(path as string),
      (error: TypeError) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Cannot call Apex REST GET: "path" must be /);
        return true;
      },
    );
    assert.equal(requests.length, 0, "no token request and no API request");
  });
}

Deno.test("sf.apex refuses a body JSON cannot serialise before sending anything", async () => {
  const { sf, requests } = setup();
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const bodies: [string, unknown, RegExp][] = [
    ["a BigInt", { n: 1n }, /BigInt/],
    ["a cycle", cycle, /circular/i],
    ["a function", () => 1, /received a function/],
    ["a symbol", Symbol("x"), /received a symbol/],
    ["bytes", new Uint8Array([1, 2]), /use sf\.request for raw bodies/],
    ["a Blob", new Blob(["x"]), /use sf\.request for raw bodies/],
  ];
  for (const [name, body, pattern] of bodies) {
    await assert.rejects(sf.apex.post("Echo", body), (error: TypeError) => {
      assert.ok(error instanceof TypeError, name);
      assert.match(error.message, /^Cannot call Apex REST POST: "body" must be/, name);
      assert.match(error.message, pattern, name);
      return true;
    });
  }
  assert.equal(requests.length, 0);
});

Deno.test("sf.apex refuses params that are not strings, numbers, bigints or booleans", async () => {
  const { sf, requests } = setup();
  const cases: unknown[] = [{ a: {} }, { a: null }, { a: Number.NaN }, { a: [1] }, "a=1", []];
  for (const params of cases) {
    await assert.rejects(
      sf.apex.get("Echo", { params: params as Record<string, string> }),
      TypeError,
    );
  }
  assert.equal(requests.length, 0);
});

Deno.test("sf.apex passes extra headers and an abort signal through", async () => {
  const { org, sf } = setup();
  org.apex("GET", "/Headers", (request) => ({ tenant: request.headers.get("X-Tenant") }));
  const answer = await sf.apex.get<{ tenant: string }>("Headers", {
    headers: { "X-Tenant": "eu-1" },
  });
  assert.equal(answer.tenant, "eu-1");
  const controller = new AbortController();
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(sf.apex.get("Headers", { signal: controller.signal }), reason);
});
