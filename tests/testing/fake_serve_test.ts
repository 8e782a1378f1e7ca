import assert from "node:assert/strict";
import { mock } from "node:test";
import { SoapLogin } from "../../auth/soap_login.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

Deno.test("FakeSalesforce serves over loopback and reports the served URL as its instance", async () => {
  const org = new FakeSalesforce();
  const server = org.serve({ port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(org.baseUrl, server.url);
    const { clientId, clientSecret } = org.credentials;
    const login = await fetch(`${server.url}/services/oauth2/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
      }),
    });
    const body = await login.json();
    assert.equal(body.instance_url, server.url);
    const headers = {
      Authorization: `Bearer ${body.access_token}`,
      "Content-Type": "application/json",
    };
    const created = await fetch(`${server.url}/services/data/v66.0/sobjects/Account`, {
      method: "POST",
      headers,
      body: JSON.stringify({ Name: "Acme" }),
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("Content-Type"), "application/json;charset=UTF-8");
    assert.equal(created.headers.get("Sforce-Limit-Info"), "api-usage=1/100000");
    const { id } = await created.json();
    const read = await fetch(`${server.url}/services/data/v66.0/sobjects/Account/${id}`, {
      headers,
    });
    const record = await read.json();
    assert.equal(
      record.attributes.url,
      `/services/data/v66.0/sobjects/Account/${id}`,
      "a path, no host",
    );
  } finally {
    await server.close();
  }
  assert.equal(org.baseUrl, "https://fake.my.salesforce.com");
});

Deno.test("FakeSalesforce serves one server at a time and can serve again after close", async () => {
  const org = new FakeSalesforce();
  const first = org.serve();
  try {
    assert.throws(() => org.serve(), {
      name: "Error",
      message: /already serving at http:\/\/127\.0\.0\.1:/,
    });
  } finally {
    await first.close();
  }
  const second = org.serve();
  try {
    const response = await fetch(`${second.url}/services/data/`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    await second.close();
  }
});

Deno.test("FakeSalesforce served with a drop fault closes the socket with no answer at all", async () => {
  const org = new FakeSalesforce();
  const server = org.serve();
  try {
    org.inject({ drop: true });
    await assert.rejects(fetch(`${server.url}/services/data/`), TypeError);
    const next = await fetch(`${server.url}/services/data/`);
    assert.equal(next.status, 200);
    await next.body?.cancel();
    // Seen on the socket: not one byte comes back before it closes.
    org.inject({ drop: true });
    const url = new URL(server.url);
    const socket = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    try {
      await socket.write(
        new TextEncoder().encode(`GET /services/data/ HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`),
      );
      const received: number[] = [];
      const buffer = new Uint8Array(1024);
      for (let n = await socket.read(buffer); n !== null; n = await socket.read(buffer)) {
        received.push(...buffer.subarray(0, n));
      }
      assert.deepEqual(received, []);
    } finally {
      socket.close();
    }
    assert.deepEqual(org.faults, []);
  } finally {
    await server.close();
  }
});

Deno.test("FakeSalesforce refuses a bad port", () => {
  const org = new FakeSalesforce();
  assert.throws(() => org.serve({ port: 70_000 }), {
    name: "RangeError",
    message:
      'Cannot serve FakeSalesforce: "port" must be an integer from 0 to 65535: received 70000',
  });
});

Deno.test("FakeSalesforce server close ends a request waiting on injected latency", async () => {
  const org = new FakeSalesforce();
  const server = org.serve();
  org.inject({ latencyMs: 3_600_000 });
  const pending = fetch(`${server.url}/services/data/`).then((response) => response.text());
  while (org.stats.requests["GET versions"] === undefined) {
    await new Promise((r) => setTimeout(r, 1));
  }
  await server.close();
  await assert.rejects(pending, { name: "TypeError" });
});

Deno.test("FakeSalesforce.serve on a runtime without Deno.serve says what it needs and what to use instead", () => {
  const org = new FakeSalesforce();
  // As on Node or Bun: no Deno.serve (restored below; tests in a file run one at a time).
  const original = Object.getOwnPropertyDescriptor(Deno, "serve")!;
  Object.defineProperty(Deno, "serve", { value: undefined, configurable: true, writable: true });
  try {
    assert.throws(() => org.serve(), {
      name: "Error",
      message:
        "Cannot serve FakeSalesforce: org.serve() needs Deno.serve (Deno); on Node or Bun use await org.listen(), or pass org.fetch to new Salesforce({ fetch })",
    });
  } finally {
    Object.defineProperty(Deno, "serve", original);
  }
  assert.equal(typeof Deno.serve, "function");
  // Nothing was started: the org still answers at its instance URL.
  assert.equal(org.baseUrl, "https://fake.my.salesforce.com");
});

Deno.test("FakeSalesforce.listen on a runtime without Deno.serve serves with node:http", async () => {
  const org = new FakeSalesforce();
  const original = Object.getOwnPropertyDescriptor(Deno, "serve")!;
  Object.defineProperty(Deno, "serve", { value: undefined, configurable: true, writable: true });
  let server;
  try {
    server = await org.listen();
  } finally {
    Object.defineProperty(Deno, "serve", original);
  }
  try {
    assert.equal(org.baseUrl, server.url);
    const sf = new Salesforce({ baseUrl: server.url, auth: org.auth() });
    assert.ok((await sf.getLimits()).DailyApiRequests.Max > 0);
  } finally {
    await server.close();
  }
  assert.equal(org.baseUrl, "https://fake.my.salesforce.com");
});

Deno.test("FakeSalesforce.listen uses Deno.serve on Deno unless asked for node:http", async () => {
  const org = new FakeSalesforce();
  const server = await org.listen({ port: 0 });
  try {
    assert.equal(org.baseUrl, server.url);
    org.inject({ path: "/services/data/", drop: true });
    await assert.rejects(fetch(`${server.url}/services/data/`), TypeError);
    const response = await fetch(`${server.url}/services/data/`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("Over node:http the client does a whole session: SOAP login, pages, bulk upload, composite", async () => {
  const org = new FakeSalesforce({ pageSize: 200 });
  org.insert("Account", Array.from({ length: 450 }, (_, i) => ({ Name: `Node ${i}` })));
  const server = await org.listen({ useNodeHttp: true });
  try {
    const { username, password, securityToken } = org.credentials;
    const sf = new Salesforce({
      baseUrl: server.url,
      auth: new SoapLogin({ username, password, securityToken }),
    });
    let count = 0;
    for await (const _ of sf.query("SELECT Id FROM Account")) count++;
    assert.equal(count, 450);
    // A bulk upload is a streamed PUT body.
    const rows = Array.from({ length: 1_000 }, (_, i) => ({ LastName: `Bulk ${i}` }));
    const result = await sf.bulkV2.insert("Contact", rows, { pollingInterval: 1 });
    assert.equal(result.successfulResults.length, 1_000);
    const batch = sf.composite.batch();
    const created = batch.sobject.create("Contact", { LastName: "Composite" });
    await batch.execute();
    assert.match(created.id, /^003/);
    assert.equal(org.records("Contact").length, 1_001);
  } finally {
    await server.close();
  }
});

Deno.test("Over node:http a dropped connection is a network error, and the client gets through", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  const org = new FakeSalesforce();
  const server = await org.listen({ useNodeHttp: true });
  try {
    // A fresh connection: fetch itself rejects, as on a real network failure.
    org.inject({ path: "/services/data/", drop: true });
    await assert.rejects(fetch(`${server.url}/services/data/`), TypeError);
    assert.equal(org.faults.length, 0);
    // On a kept-alive connection the runtime may resend the request itself; either way the
    // client's call succeeds once the fault is spent.
    const sf = new Salesforce({ baseUrl: server.url, auth: org.auth() });
    await sf.getLimits();
    org.inject({ path: /\/limits$/, drop: true });
    assert.ok((await sf.getLimits()).DailyApiRequests.Max > 0);
    assert.equal(org.faults.length, 0);
  } finally {
    sleep.mock.restore();
    await server.close();
  }
});

Deno.test("Over node:http a client that hangs up cuts the injected latency short", async () => {
  const org = new FakeSalesforce();
  const server = await org.listen({ useNodeHttp: true });
  try {
    // An hour of latency: if the hang-up did not end it, its timer would outlive the test.
    org.inject({ path: "/services/data/", latencyMs: 3_600_000 });
    const controller = new AbortController();
    const pending = fetch(`${server.url}/services/data/`, { signal: controller.signal });
    while (org.faults.length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    controller.abort();
    await assert.rejects(pending, { name: "AbortError" });
  } finally {
    await server.close();
  }
});

Deno.test("FakeSalesforce.listen refuses a second server and a bad port", async () => {
  const org = new FakeSalesforce();
  await assert.rejects(org.listen({ port: 70_000, useNodeHttp: true }), RangeError);
  const server = await org.listen({ useNodeHttp: true });
  try {
    await assert.rejects(org.listen({ useNodeHttp: true }), /already serving at http:/);
    assert.throws(() => org.serve(), /already serving at http:/);
  } finally {
    await server.close();
  }
});

Deno.test("A dropped connection reaches the client as a network error, in fetch mode and served", async () => {
  const org = new FakeSalesforce();
  const direct = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  await direct.getLimits();
  org.inject({ path: /\/limits$/, drop: true });
  // fetch rejects with a TypeError: the client retries it like any network failure.
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    assert.ok("DailyApiRequests" in await direct.getLimits());
  } finally {
    sleep.mock.restore();
  }
  assert.equal(org.stats.requests["GET limits"], 3);

  const server = org.serve();
  const sleepServed = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const served = new Salesforce({ baseUrl: server.url, auth: org.auth() });
    await served.getLimits();
    const before = org.stats.requests["GET limits"];
    // Served, the socket closes unanswered. On this kept-alive connection the runtime's fetch
    // may resend the request once by itself, as after a real drop; the next drop is the
    // client's to retry. Either way three requests reach the org, and the call succeeds.
    org.inject({ path: /\/limits$/, drop: true, times: 2 });
    assert.ok("DailyApiRequests" in await served.getLimits());
    assert.equal(org.stats.requests["GET limits"] - before, 3);
    assert.deepEqual(org.faults, []);
  } finally {
    sleepServed.mock.restore();
    await server.close();
  }
});

Deno.test("FakeSalesforce served ends the connection of a client that half-closes, as Deno.serve does", async () => {
  const org = new FakeSalesforce();
  // Latency: the answer is not sent before the client has sent all it will.
  org.inject({ path: "/services/data/", latencyMs: 20 });
  const server = org.serve();
  const url = new URL(server.url);
  const socket = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  try {
    await socket.write(
      new TextEncoder().encode(`GET /services/data/ HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`),
    );
    await socket.closeWrite();
    // The connection ends, with nothing more to come: it neither hangs nor stays open.
    const buffer = new Uint8Array(1024);
    let received = 0;
    for (let n = await socket.read(buffer); n !== null; n = await socket.read(buffer)) {
      received += n;
    }
    assert.equal(received, 0);
  } finally {
    socket.close();
    await server.close();
  }
});

Deno.test("FakeSalesforce.serve on a port in use throws, and the org serves elsewhere after", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const org = new FakeSalesforce();
    assert.throws(() => org.serve({ port: (taken.addr as Deno.NetAddr).port }), {
      name: "AddrInUse",
    });
    assert.equal(org.baseUrl, "https://fake.my.salesforce.com");
    const server = org.serve();
    try {
      const response = await fetch(`${server.url}/services/data/`);
      assert.equal(response.status, 200);
      await response.body?.cancel();
    } finally {
      await server.close();
    }
  } finally {
    taken.close();
  }
});
