import assert from "node:assert/strict";
import { mock } from "node:test";
import { Auth } from "../../auth/auth.ts";
import { Salesforce, type SalesforceOptions } from "../../client/salesforce.ts";
import { AuthenticationError, NotFoundError, ServerError } from "../../client/errors.ts";
import { clock } from "../../retries/_clock.ts";
import { RetryContext, RetryPolicy } from "../../retries/retry_policy.ts";
import { ExceptionRule } from "../../retries/rules.ts";
import type { RetryEvent, SalesforceEvent } from "../../events/events.ts";

const BASE = "https://acme.my.salesforce.com";

/** An Auth that hands out numbered tokens and counts its round trips. */
class CountingAuth extends Auth {
  acquisitions = 0;
  refreshes = 0;
  protected override async _acquireNewAccessToken(): Promise<string> {
    this.acquisitions++;
    await Promise.resolve();
    return `token-${this.acquisitions + this.refreshes}`;
  }
  protected override async _refreshAccessToken(): Promise<string> {
    this.refreshes++;
    await Promise.resolve();
    return `token-${this.acquisitions + this.refreshes}`;
  }
}

function jsonResponse(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json;charset=UTF-8", ...headers },
  });
}

function client(
  fetch: (request: Request) => Promise<Response>,
  options: Partial<SalesforceOptions> = {},
) {
  const auth = new CountingAuth();
  const sf = new Salesforce({
    baseUrl: BASE,
    auth,
    fetch: (input, init) => fetch(new Request(input, init)),
    ...options,
  });
  return { sf, auth };
}

Deno.test("Salesforce normalises the version and keeps only the origin of baseUrl", () => {
  for (const version of ["64", "64.", "64.0", "v64.0", " v64.0 "]) {
    const sf = new Salesforce({
      baseUrl: `${BASE}/some/path?x=1`,
      auth: new CountingAuth(),
      version,
    });
    assert.equal(sf.version, "64.0");
    assert.equal(sf.baseUrl, BASE);
  }
  const local = new Salesforce({ baseUrl: "http://127.0.0.1:8080/", auth: new CountingAuth() });
  assert.equal(local.baseUrl, "http://127.0.0.1:8080");
  assert.equal(local.timeout, 120_000);
  assert.equal(local.concurrencyLimit, 100);
});

const badOptions: Array<[string, Record<string, unknown>, RegExp]> = [
  [
    "an http URL on a public host",
    { baseUrl: "http://acme.my.salesforce.com" },
    /"baseUrl" must be an https:\/\/ URL, or http:\/\/ on localhost/,
  ],
  [
    "a URL that does not parse",
    { baseUrl: "not a url" },
    /"baseUrl" must be .*: received "not a url"/,
  ],
  [
    "a URL with a password",
    { baseUrl: "https://me:hunter2@acme.my.salesforce.com" },
    /"baseUrl" must not contain a user name or password$/,
  ],
  [
    "a URL with a password that does not parse",
    { baseUrl: "https://me:hunter2@acme .my.salesforce.com" },
    /"baseUrl" must be .*: received a URL that does not parse \(not shown: it may hold a password\)$/,
  ],
  [
    "the production login host, which serves no data",
    { baseUrl: "https://login.salesforce.com" },
    /"baseUrl" must be your org's own URL, such as https:\/\/acme\.my\.salesforce\.com .*not a login host: received "https:\/\/login\.salesforce\.com"/,
  ],
  [
    "the sandbox login host",
    { baseUrl: "https://TEST.salesforce.com/" },
    /not a login host: received "https:\/\/test\.salesforce\.com"/,
  ],
  [
    "a minor version",
    { version: "64.1" },
    /"version" must look like "64.0", "64" or "v64.0": received "64.1"/,
  ],
  ["a word as version", { version: "latest" }, /"version" must look like/],
  [
    "a zero concurrency limit",
    { concurrencyLimit: 0 },
    /"concurrencyLimit" must be an integer >= 1: received 0/,
  ],
  [
    "a fractional concurrency limit",
    { concurrencyLimit: 1.5 },
    /"concurrencyLimit" must be an integer >= 1: received 1.5/,
  ],
  [
    "a negative timeout",
    { timeout: -1 },
    /"timeout" must be a number of milliseconds > 0: received -1/,
  ],
  [
    "an infinite timeout",
    { timeout: Infinity },
    /"timeout" must be a number of milliseconds > 0: received Infinity/,
  ],
  [
    "a fetch that is not a function",
    { fetch: "fetch" },
    /"fetch" must be a function: received "fetch"/,
  ],
  [
    "a retry policy of the wrong type",
    { retryPolicy: {} },
    /"retryPolicy" must be a RetryPolicy or null: received an object/,
  ],
  [
    "an event hook that is not a function",
    { eventHooks: [1] },
    /"eventHooks\[\]" must be a function: received 1/,
  ],
  ["a missing auth", { auth: undefined }, /"auth" must be an Auth instance/],
];

for (const [name, override, message] of badOptions) {
  Deno.test(`Salesforce refuses ${name}`, () => {
    assert.throws(
      () => new Salesforce({ baseUrl: BASE, auth: new CountingAuth(), ...override } as never),
      (error: unknown) =>
        (error instanceof TypeError || error instanceof RangeError) &&
        error.message.startsWith("Cannot create Salesforce client: ") &&
        message.test(error.message),
    );
  });
}

Deno.test("Salesforce.request sends the token and the default headers", async () => {
  const seen: Request[] = [];
  const { sf } = client((request) => {
    seen.push(request);
    return Promise.resolve(jsonResponse(200, { ok: true }));
  });
  const response = await sf.request("limits");
  assert.deepEqual(await response.json(), { ok: true });
  const [request] = seen;
  assert.equal(request.url, `${BASE}/services/data/v64.0/limits`);
  assert.equal(request.headers.get("Authorization"), "Bearer token-1");
  assert.equal(request.headers.get("Accept"), "application/json");
  assert.equal(request.headers.get("Sforce-Call-Options"), "client=aiosalesforce");
});

Deno.test("Salesforce.request keeps headers the caller set", async () => {
  const seen: Request[] = [];
  const { sf } = client((request) => {
    seen.push(request);
    return Promise.resolve(jsonResponse(200, {}));
  });
  await (await sf.request("/services/data/", {
    headers: { Accept: "text/csv", "Sforce-Call-Options": "client=mine" },
  })).body?.cancel();
  assert.equal(seen[0].url, `${BASE}/services/data/`);
  assert.equal(seen[0].headers.get("Accept"), "text/csv");
  assert.equal(seen[0].headers.get("Sforce-Call-Options"), "client=mine");
});

Deno.test("Salesforce.request refuses URLs on another origin before sending", async () => {
  const fetch = mock.fn(() => Promise.resolve(jsonResponse(200, {})));
  const { sf } = client(fetch);
  await assert.rejects(
    sf.request("https://evil.example.com/services/data/"),
    /"pathOrUrl" must be on https:\/\/acme.my.salesforce.com: received "https:\/\/evil.example.com"/,
  );
  await assert.rejects(sf.request("//evil.example.com/x"), TypeError);
  await assert.rejects(sf.request("/\\evil.example.com/x"), TypeError);
  assert.equal(fetch.mock.callCount(), 0);
});

Deno.test("Salesforce.request resolves paths on its own origin, dot segments included", async () => {
  const seen: string[] = [];
  const { sf } = client((request) => {
    seen.push(request.url);
    return Promise.resolve(jsonResponse(200, {}));
  });
  for (const path of ["sobjects/../limits", "/services/data/v64.0/a b", "/x/../../y?q=1"]) {
    await (await sf.request(path)).body?.cancel();
  }
  assert.deepEqual(seen, [
    `${BASE}/services/data/v64.0/limits`,
    `${BASE}/services/data/v64.0/a%20b`,
    `${BASE}/y?q=1`,
  ]);
});

Deno.test("Salesforce.request accepts an absolute URL on its own origin", async () => {
  const seen: string[] = [];
  const { sf } = client((request) => {
    seen.push(request.url);
    return Promise.resolve(jsonResponse(200, {}));
  });
  await (await sf.request(new URL(`${BASE}/services/data/v64.0/query/01gxx-2000`))).body
    ?.cancel();
  assert.deepEqual(seen, [`${BASE}/services/data/v64.0/query/01gxx-2000`]);
});

Deno.test("Salesforce.request refreshes the token once on 401 and replays", async () => {
  const tokens: (string | null)[] = [];
  const { sf, auth } = client((request) => {
    tokens.push(request.headers.get("Authorization"));
    return Promise.resolve(
      tokens.length === 1
        ? jsonResponse(401, [{
          message: "Session expired or invalid",
          errorCode: "INVALID_SESSION_ID",
        }])
        : jsonResponse(200, { done: true }),
    );
  });
  const response = await sf.request("limits", { method: "POST", body: '{"a":1}' });
  assert.deepEqual(await response.json(), { done: true });
  assert.deepEqual(tokens, ["Bearer token-1", "Bearer token-2"]);
  assert.equal(auth.refreshes, 1);
});

Deno.test("Salesforce.request replays the same body after a 401", async () => {
  const bodies: string[] = [];
  const { sf } = client(async (request) => {
    bodies.push(await request.text());
    return bodies.length === 1
      ? jsonResponse(401, [{
        message: "Session expired or invalid",
        errorCode: "INVALID_SESSION_ID",
      }])
      : jsonResponse(201, { id: "001" });
  });
  await (await sf.request("sobjects/Account", { method: "POST", body: '{"Name":"Acme"}' })).body
    ?.cancel();
  assert.deepEqual(bodies, ['{"Name":"Acme"}', '{"Name":"Acme"}']);
});

Deno.test("Salesforce.request surfaces a second 401 as AuthenticationError", async () => {
  const fetch = mock.fn(() =>
    Promise.resolve(
      jsonResponse(401, [{
        message: "Session expired or invalid",
        errorCode: "INVALID_SESSION_ID",
      }]),
    )
  );
  const { sf, auth } = client(fetch);
  await assert.rejects(sf.request("limits"), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.errorCode, "INVALID_SESSION_ID");
    assert.equal(
      error.message,
      "INVALID_SESSION_ID: Session expired or invalid (401 GET /services/data/v64.0/limits)",
    );
    return true;
  });
  assert.equal(fetch.mock.callCount(), 2);
  assert.equal(auth.refreshes, 1);
});

Deno.test("Concurrent 401s share one token refresh", async () => {
  let valid = "token-1";
  const { sf, auth } = client((request) =>
    Promise.resolve(
      request.headers.get("Authorization") === `Bearer ${valid}`
        ? jsonResponse(200, {})
        : jsonResponse(401, [{
          message: "Session expired or invalid",
          errorCode: "INVALID_SESSION_ID",
        }]),
    )
  );
  await (await sf.request("limits")).body?.cancel();
  valid = "token-2";
  const responses = await Promise.all(Array.from({ length: 50 }, () => sf.request("limits")));
  await Promise.all(responses.map((response) => response.body?.cancel()));
  assert.equal(auth.acquisitions, 1);
  assert.equal(auth.refreshes, 1);
});

Deno.test("200 concurrent requests on a cold client acquire one token", async () => {
  const fetch = mock.fn(() => Promise.resolve(jsonResponse(200, {})));
  const { sf, auth } = client(fetch);
  const responses = await Promise.all(Array.from({ length: 200 }, () => sf.request("limits")));
  await Promise.all(responses.map((response) => response.body?.cancel()));
  assert.equal(auth.acquisitions, 1);
  assert.equal(fetch.mock.callCount(), 200);
});

Deno.test("Salesforce.request maps non-2xx responses to errors naming the method", async () => {
  const { sf } = client(() =>
    Promise.resolve(
      jsonResponse(404, [{
        errorCode: "NOT_FOUND",
        message: "The requested resource does not exist",
      }]),
    )
  );
  await assert.rejects(
    sf.request("sobjects/Account/001000000000001AAA", { method: "DELETE" }),
    (error: unknown) =>
      error instanceof NotFoundError &&
      error.message ===
        "NOT_FOUND: The requested resource does not exist (404 DELETE /services/data/v64.0/sobjects/Account/001000000000001AAA)",
  );
});

Deno.test("Salesforce publishes request, consumption and response events in order", async () => {
  const events: string[] = [];
  const { sf } = client(
    () => Promise.resolve(jsonResponse(200, {}, { "Sforce-Limit-Info": "api-usage=5/100" })),
    {
      eventHooks: [(event: SalesforceEvent) => {
        events.push(event.type);
      }],
    },
  );
  sf.eventBus.addEventListener("response", () => events.push("listener:response"));
  await (await sf.request("limits")).body?.cancel();
  assert.deepEqual(events, [
    "request",
    "rest_api_call_consumption",
    "listener:response",
    "response",
  ]);
});

Deno.test("Salesforce does not retry when retryPolicy is null", async () => {
  const fetch = mock.fn(() => Promise.resolve(new Response("down", { status: 503 })));
  const { sf } = client(fetch, { retryPolicy: null });
  await assert.rejects(sf.request("limits"), ServerError);
  assert.equal(fetch.mock.callCount(), 1);
});

Deno.test("Salesforce retries a 503 with the default policy", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    let calls = 0;
    const { sf } = client(() =>
      Promise.resolve(
        ++calls < 3 ? new Response("down", { status: 503 }) : jsonResponse(200, { ok: 1 }),
      )
    );
    const response = await sf.request("limits");
    assert.deepEqual(await response.json(), { ok: 1 });
    assert.equal(calls, 3);
    assert.equal(sleep.mock.callCount(), 2);
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("Salesforce keeps at most concurrencyLimit requests in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  const gates: Array<() => void> = [];
  const { sf } = client(async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise<void>((resolve) => gates.push(resolve));
    inFlight--;
    return jsonResponse(200, {});
  }, { concurrencyLimit: 3 });
  const pending = Array.from({ length: 10 }, () => sf.request("limits"));
  while (gates.length < 3) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(inFlight, 3);
  let released = 0;
  while (released < 10) {
    const gate = gates.shift();
    if (gate) {
      gate();
      released++;
    } else await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const responses = await Promise.all(pending);
  await Promise.all(responses.map((response) => response.body?.cancel()));
  assert.equal(peak, 3);
});

Deno.test("An aborted signal rejects a request waiting for a slot, with its reason", async () => {
  let release!: () => void;
  const { sf } = client(async () => {
    await new Promise<void>((resolve) => release = resolve);
    return jsonResponse(200, {});
  }, { concurrencyLimit: 1 });
  const first = sf.request("limits");
  while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 0));
  const controller = new AbortController();
  const second = sf.request("limits", { signal: controller.signal });
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(second, reason);
  release();
  await (await first).body?.cancel();
});

Deno.test("An already aborted signal rejects before any token or request", async () => {
  const fetch = mock.fn(() => Promise.resolve(jsonResponse(200, {})));
  const { sf, auth } = client(fetch);
  const reason = new Error("stop");
  await assert.rejects(sf.request("limits", { signal: AbortSignal.abort(reason) }), reason);
  assert.equal(auth.acquisitions, 0);
  assert.equal(fetch.mock.callCount(), 0);
});

Deno.test("Salesforce.getLimits returns the limits JSON", async () => {
  const { sf } = client(() =>
    Promise.resolve(jsonResponse(200, { DailyApiRequests: { Max: 15000, Remaining: 14982 } }))
  );
  const limits = await sf.getLimits();
  assert.equal(limits.DailyApiRequests.Max - limits.DailyApiRequests.Remaining, 18);
});

/** A fetch answer that never comes: rejects with the request's abort reason. */
function hang(request: Request): Promise<Response> {
  return new Promise((_resolve, reject) => {
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });
}

const SESSION_EXPIRED = [{
  message: "Session expired or invalid",
  errorCode: "INVALID_SESSION_ID",
}];

Deno.test("Salesforce.request sends a caller's lower-case and array headers once, with its own token", async () => {
  const seen: Request[] = [];
  const { sf } = client((request) => {
    seen.push(request);
    return Promise.resolve(jsonResponse(200, {}));
  });
  await (await sf.request("limits", {
    headers: { accept: "text/csv", authorization: "Bearer not-ours", "X-Extra": "1" },
  })).body?.cancel();
  await (await sf.request("limits", { headers: [["ACCEPT", "text/plain"]] })).body?.cancel();
  assert.equal(seen[0].headers.get("Accept"), "text/csv");
  assert.equal(seen[0].headers.get("Authorization"), "Bearer token-1");
  assert.equal(seen[0].headers.get("X-Extra"), "1");
  assert.equal(seen[0].headers.get("Sforce-Call-Options"), "client=aiosalesforce");
  assert.equal(seen[1].headers.get("Accept"), "text/plain");
});

Deno.test("Listeners and callbacks added after construction get every event", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    let calls = 0;
    const { sf } = client(() =>
      Promise.resolve(++calls === 1 ? new Response("down", { status: 503 }) : jsonResponse(200, {}))
    );
    // A first call with nobody listening.
    calls = 1;
    await (await sf.request("limits")).body?.cancel();
    calls = 0;
    const heard: string[] = [];
    for (const type of ["request", "rest_api_call_consumption", "retry", "response"]) {
      sf.eventBus.addEventListener(type, (event) => heard.push(event.type));
    }
    const called: string[] = [];
    sf.eventBus.subscribeCallback((event) => {
      called.push(event.type);
    });
    await (await sf.request("limits")).body?.cancel();
    const expected = [
      "request",
      "rest_api_call_consumption",
      "retry",
      "rest_api_call_consumption",
      "response",
    ];
    assert.deepEqual(heard, expected);
    assert.deepEqual(called, expected);
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("A listener for one event type gets that type's events", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    let calls = 0;
    const { sf } = client(() =>
      Promise.resolve(++calls === 1 ? new Response("down", { status: 503 }) : jsonResponse(200, {}))
    );
    const retries: RetryEvent[] = [];
    sf.eventBus.addEventListener("retry", (event) => retries.push(event as RetryEvent));
    await (await sf.request("limits")).body?.cancel();
    assert.equal(retries.length, 1);
    assert.equal(retries[0].response?.status, 503);
    assert.equal(retries[0].request.headers.get("Authorization"), null);
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("A spy on publishEvent sees every event even with no listener", async () => {
  const { sf } = client(() => Promise.resolve(jsonResponse(200, {})));
  const publish = mock.method(sf.eventBus, "publishEvent");
  await (await sf.request("limits")).body?.cancel();
  assert.deepEqual(
    publish.mock.calls.map((call) => (call.arguments[0] as SalesforceEvent).type),
    ["request", "rest_api_call_consumption", "response"],
  );
});

Deno.test("A caller's abort stops a request in flight with its reason", async () => {
  const controller = new AbortController();
  const { sf } = client((request) => {
    const pending = hang(request);
    controller.abort(new Error("user left"));
    return pending;
  });
  await assert.rejects(sf.request("limits", { signal: controller.signal }), /user left/);
});

Deno.test("A caller's abort still stops the body of a response it already has", async () => {
  const controller = new AbortController();
  const { sf } = client((request) => {
    const body = new ReadableStream({
      start(stream) {
        stream.enqueue(new TextEncoder().encode("["));
        request.signal.addEventListener("abort", () => stream.error(request.signal.reason));
      },
    });
    return Promise.resolve(new Response(body, { status: 200 }));
  });
  const response = await sf.request("limits", { signal: controller.signal });
  const reading = response.text();
  controller.abort(new Error("stop reading"));
  await assert.rejects(reading, /stop reading/);
});

Deno.test("A request without a caller signal still times out after the client's timeout", async () => {
  const { sf } = client(hang, { timeout: 1 });
  await assert.rejects(sf.request("limits"), {
    name: "TimeoutError",
    message: "Request timed out after 1 ms",
  });
});

Deno.test("A fetch that reads only the request still gets the timeout and the caller's abort", async () => {
  // A logging wrapper that forwards its first argument only: the signal must be on the request.
  const onlyTheRequest = (options: Partial<SalesforceOptions>) =>
    new Salesforce({
      baseUrl: BASE,
      auth: new CountingAuth(),
      fetch: (input: RequestInfo | URL) => hang(input as Request),
      retryPolicy: null,
      ...options,
    });
  await assert.rejects(onlyTheRequest({ timeout: 1 }).request("limits"), { name: "TimeoutError" });
  const controller = new AbortController();
  const reason = new Error("caller gave up");
  const pending = onlyTheRequest({}).request("limits", { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, reason);
});

Deno.test("A retried attempt gets a fresh timeout after the first one timed out", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const retryTimeouts = new RetryPolicy({
      exceptionRules: [new ExceptionRule(DOMException, (error) => error.name === "TimeoutError")],
    });
    let calls = 0;
    const { sf } = client(
      (request) => ++calls === 1 ? hang(request) : Promise.resolve(jsonResponse(200, { ok: 1 })),
      { timeout: 1, retryPolicy: retryTimeouts },
    );
    const controller = new AbortController();
    const response = await sf.request("limits", { signal: controller.signal });
    assert.deepEqual(await response.json(), { ok: 1 });
    assert.equal(calls, 2);
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("Salesforce.request sends the same text body on every retry and on the 401 replay", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const bodies: string[] = [];
    const answers = [
      () => new Response("down", { status: 503 }),
      () => jsonResponse(401, SESSION_EXPIRED),
      () => new Response("down", { status: 503 }),
      () => jsonResponse(201, { id: "001" }),
    ];
    const { sf } = client(async (request) => {
      bodies.push(await request.text());
      return answers[bodies.length - 1]();
    });
    const response = await sf.request("sobjects/Account", {
      method: "POST",
      body: '{"Name":"Acme"}',
      headers: { "Content-Type": "application/json" },
    });
    assert.deepEqual(await response.json(), { id: "001" });
    assert.deepEqual(bodies, Array(4).fill('{"Name":"Acme"}'));
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("Salesforce.request replays a byte body after a 401", async () => {
  const bodies: string[] = [];
  const { sf } = client(async (request) => {
    bodies.push(await request.text());
    return bodies.length === 1 ? jsonResponse(401, SESSION_EXPIRED) : jsonResponse(201, {});
  });
  const body = new TextEncoder().encode('{"Name":"Acme"}');
  await (await sf.request("sobjects/Account", { method: "POST", body })).body?.cancel();
  assert.deepEqual(bodies, ['{"Name":"Acme"}', '{"Name":"Acme"}']);
});

Deno.test("A policy with its own contexts sees the caller's signal on the request", async () => {
  const seen: Request[] = [];
  class RecordingContext extends RetryContext {
    override sendRequestWithRetries(client: Salesforce, request: Request): Promise<Response> {
      seen.push(request);
      return super.sendRequestWithRetries(client, request);
    }
  }
  class RecordingPolicy extends RetryPolicy {
    override createContext(): RetryContext {
      return new RecordingContext(this);
    }
  }
  const controller = new AbortController();
  const { sf } = client(hang, { retryPolicy: new RecordingPolicy() });
  const pending = sf.request("limits", { signal: controller.signal });
  while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  controller.abort(new Error("cancelled"));
  await assert.rejects(pending, /cancelled/);
  assert.equal(seen[0].signal.aborted, true);
});

Deno.test("1,000 concurrent calls on one shared signal add at most one abort listener to it", async () => {
  const controller = new AbortController();
  const signal = controller.signal;
  let live = 0;
  let peak = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<AbortSignal["addEventListener"]>) => {
    if (args[0] === "abort") peak = Math.max(peak, ++live);
    add(...args);
  }) as AbortSignal["addEventListener"];
  signal.removeEventListener = ((...args: Parameters<AbortSignal["removeEventListener"]>) => {
    if (args[0] === "abort") live--;
    remove(...args);
  }) as AbortSignal["removeEventListener"];
  const { sf } = client(async () => {
    await Promise.resolve();
    return jsonResponse(200, {});
  }, { concurrencyLimit: 10 });
  const responses = await Promise.all(
    Array.from({ length: 1_000 }, () => sf.request("limits", { signal })),
  );
  await Promise.all(responses.map((response) => response.body?.cancel()));
  assert.ok(peak <= 1, `${peak} abort listeners at once`);
  // The one listener still serves: callers waiting for a slot are released by an abort.
  let release!: () => void;
  const { sf: slow } = client(async () => {
    await new Promise<void>((resolve) => release = resolve);
    return jsonResponse(200, {});
  }, { concurrencyLimit: 1 });
  const first = slow.request("limits");
  while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 0));
  const waiting = Array.from({ length: 20 }, () => slow.request("limits", { signal }));
  controller.abort(new Error("shutting down"));
  for (const call of waiting) await assert.rejects(call, /shutting down/);
  assert.ok(peak <= 1, `${peak} abort listeners at once`);
  release();
  await (await first).body?.cancel();
});

Deno.test("a callback that throws on a response or a consumption event fails the call and releases its body", async () => {
  for (const type of ["response", "rest_api_call_consumption"]) {
    let cancelled = 0;
    const { sf } = client(() => {
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(new TextEncoder().encode("{}")),
        cancel: () => {
          cancelled++;
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    }, {
      eventHooks: [(event) => {
        if (event.type === type) throw new Error(`${type} hook broke`);
      }],
    });
    await assert.rejects(sf.request("limits"), new RegExp(`${type} hook broke`));
    assert.equal(cancelled, 1, type);
  }
});
