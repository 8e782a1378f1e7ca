import assert from "node:assert/strict";
import { RestApiCallConsumptionEvent, RetryEvent } from "../../events/events.ts";
import { clock } from "../../retries/_clock.ts";
import { POLICY_DEFAULT, RetryPolicy } from "../../retries/retry_policy.ts";
import { ExceptionRule, ResponseRule } from "../../retries/rules.ts";
import { API_URL, fakeClock, responses, status, stubClient, trackTimers } from "./_helpers.ts";

const NO_JITTER = new RetryPolicy({ backoffJitter: false });

const INVALID_LOGIN_FAULT =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>';
const SERVER_FAULT =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>UNKNOWN_EXCEPTION: An unexpected error occurred.</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>';
const MAINTENANCE_PAGE =
  "<html><body><table><tr><td>We are down for maintenance.</td></tr></table></body></html>";
const LOGIN_URL = "https://login.salesforce.com/services/Soap/u/64.0";
const LOCK_ROW =
  '[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]';

/** A fetch that never answers on its own: it rejects when its request's signal aborts. */
function hang(request: Request): Promise<Response> {
  return new Promise((_resolve, reject) => {
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });
}

Deno.test("RetryPolicy returns a 2xx response at once, body unread", async () => {
  const { client, fetch } = stubClient(status(200, '{"ok":true}'));
  const response = await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
  assert.equal(fetch.mock.callCount(), 1);
  assert.equal(response.bodyUsed, false);
  assert.deepEqual(await response.json(), { ok: true });
});

Deno.test("RetryPolicy returns 3xx and 401 at once, even when a rule would match them", async () => {
  const everything = new RetryPolicy({ responseRules: [new ResponseRule(() => true)] });
  for (const code of [304, 401]) {
    const { client, fetch } = stubClient(status(code));
    const response = await everything.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, code);
    assert.equal(fetch.mock.callCount(), 1);
  }
});

Deno.test("RetryPolicy retries a 503 with backoff until the response succeeds", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(responses(status(503), status(503), status(200, "done")));
    const response = await NO_JITTER.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(await response.text(), "done");
    assert.equal(fetch.mock.callCount(), 3);
    assert.deepEqual(time.sleeps, [500, 1000]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy draws jittered sleeps from the clock's random", async () => {
  const time = fakeClock({ random: 0.25 });
  try {
    const { client } = stubClient(status(502));
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, 502);
    assert.deepEqual(time.sleeps, [125, 250, 500]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy stops when the matching rule's budget is spent", async () => {
  const time = fakeClock();
  try {
    const policy = new RetryPolicy({
      responseRules: [new ResponseRule((r) => r.status === 503, { maxRetries: 2 })],
      maxRetries: 10,
    });
    const { client, fetch } = stubClient(status(503, "busy"));
    const response = await policy.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, 503);
    assert.equal(await response.text(), "busy");
    assert.equal(fetch.mock.callCount(), 3);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy does not fall through to a later rule when the first match is spent", async () => {
  const time = fakeClock();
  try {
    const policy = new RetryPolicy({
      responseRules: [
        new ResponseRule((r) => r.status === 503, { maxRetries: 1 }),
        new ResponseRule((r) => r.status >= 500, { maxRetries: 5 }),
      ],
      maxRetries: 10,
    });
    const { client, fetch } = stubClient(status(503));
    await policy.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy stops at its total maxRetries across rules", async () => {
  const time = fakeClock();
  try {
    const policy = new RetryPolicy({
      responseRules: [
        new ResponseRule((r) => r.status === 502, { maxRetries: 5 }),
        new ResponseRule((r) => r.status === 503, { maxRetries: 5 }),
      ],
      maxRetries: 2,
    });
    const { client, fetch } = stubClient((_request, n) => status(n % 2 ? 502 : 503)());
    const response = await policy.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(fetch.mock.callCount(), 3);
    assert.equal(response.status, 502);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy with maxRetries 0 sends once and returns the failure", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(status(503));
    const response = await new RetryPolicy({ maxRetries: 0 }).sendRequestWithRetries(
      client,
      new Request(API_URL),
    );
    assert.equal(response.status, 503);
    assert.equal(fetch.mock.callCount(), 1);
    assert.deepEqual(time.sleeps, []);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy stops retrying when the next sleep would pass its timeout", async () => {
  const time = fakeClock();
  try {
    const policy = new RetryPolicy({ timeout: 1_200, backoffJitter: false, maxRetries: 10 });
    const { client, fetch } = stubClient(status(503));
    const response = await policy.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, 503);
    // 500 ms ends at 500 <= 1200; the next 1000 ms would end at 1500 > 1200.
    assert.deepEqual(time.sleeps, [500]);
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy counts its timeout from the context's creation", async () => {
  const time = fakeClock();
  try {
    const context = NO_JITTER.createContext();
    time.time.now += 59_800;
    const { client, fetch } = stubClient(status(503));
    const response = await context.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, 503);
    assert.equal(fetch.mock.callCount(), 1);
    assert.equal(context.retries, 0);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy waits as long as a 429's Retry-After says, without jitter", async () => {
  const time = fakeClock({ random: 0 });
  try {
    const { client } = stubClient(
      responses(status(429, null, { "Retry-After": "3" }), status(200)),
    );
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, 200);
    assert.deepEqual(time.sleeps, [3000]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy reads a 503's Retry-After date against the clock", async () => {
  const now = Date.parse("Wed, 21 Oct 2026 07:27:56 GMT");
  const time = fakeClock({ now });
  try {
    const { client } = stubClient(
      responses(status(503, null, { "Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT" }), status(200)),
    );
    await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.deepEqual(time.sleeps, [4000]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy caps Retry-After at backoffMax", async () => {
  const time = fakeClock();
  try {
    const { client } = stubClient(
      responses(status(429, null, { "Retry-After": "3600" }), status(200)),
    );
    await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.deepEqual(time.sleeps, [10_000]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy ignores Retry-After on statuses other than 429 and 503", async () => {
  const time = fakeClock();
  try {
    const { client } = stubClient(
      responses(status(502, null, { "Retry-After": "7" }), status(200)),
    );
    await NO_JITTER.sendRequestWithRetries(client, new Request(API_URL));
    assert.deepEqual(time.sleeps, [500]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy lets a rule read the body and the caller still reads it", async () => {
  const seen: string[] = [];
  const policy = new RetryPolicy({
    responseRules: [
      new ResponseRule(async (response) => {
        seen.push(await response.text());
        return false;
      }),
    ],
  });
  const { client } = stubClient(status(400, LOCK_ROW.replace("UNABLE_TO_LOCK_ROW", "X")));
  const response = await policy.sendRequestWithRetries(client, new Request(API_URL));
  assert.equal(seen.length, 1);
  assert.equal(await response.text(), seen[0]);
});

Deno.test("RetryPolicy retries UNABLE_TO_LOCK_ROW, then returns a readable response", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(status(400, LOCK_ROW));
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(fetch.mock.callCount(), 4);
    assert.equal(response.status, 400);
    assert.equal(await response.text(), LOCK_ROW);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy retries a 403 REQUEST_LIMIT_EXCEEDED", async () => {
  const time = fakeClock();
  try {
    const limit =
      '[{"message":"ConcurrentRequests (Concurrent API Requests) Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]';
    const { client, fetch } = stubClient(responses(status(403, limit), status(200)));
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(response.status, 200);
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy returns a 4xx no rule matches without retrying", async () => {
  const { client, fetch } = stubClient(
    status(404, '[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]'),
  );
  const response = await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
  assert.equal(response.status, 404);
  assert.equal(fetch.mock.callCount(), 1);
  assert.match(await response.text(), /NOT_FOUND/);
});

Deno.test("RetryPolicy sends a fresh copy of the body on every attempt", async () => {
  const time = fakeClock();
  try {
    const body = JSON.stringify({ Name: "Acme", Industry: "Energy" });
    const bodies: string[] = [];
    const { client, requests } = stubClient(async (request, n) => {
      bodies.push(await request.text());
      return status(n < 3 ? 503 : 201)();
    });
    const original = new Request(API_URL, { method: "POST", body });
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, original);
    assert.equal(response.status, 201);
    assert.deepEqual(bodies, [body, body, body]);
    assert.ok(requests.every((request) => request !== original));
    assert.equal(original.bodyUsed, false);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy replays a streamed body on every attempt", async () => {
  const time = fakeClock();
  try {
    const bodies: string[] = [];
    const { client } = stubClient(async (request, n) => {
      bodies.push(await request.text());
      return status(n < 2 ? 503 : 200)();
    });
    const stream = new Blob(["Name\nAcme\n"]).stream();
    const original = new Request(
      API_URL,
      { method: "PUT", body: stream, duplex: "half" } as RequestInit,
    );
    await POLICY_DEFAULT.sendRequestWithRetries(client, original);
    assert.deepEqual(bodies, ["Name\nAcme\n", "Name\nAcme\n"]);
  } finally {
    time.restore();
  }
});

/**
 * A body stream that can replay itself, as bulk uploads send (client/_bulk_run.ts): under
 * `Symbol.for("@x/aiosalesforce/replayable-body")`, a function returning a fresh stream.
 */
function replayableStream(text: string, counts: { made: number; pulled: number }) {
  const make = (): ReadableStream<Uint8Array> => {
    counts.made++;
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        counts.pulled++;
        if (sent) controller.close();
        else controller.enqueue(new TextEncoder().encode(text));
        sent = true;
      },
    }, { highWaterMark: 0 });
    Object.defineProperty(stream, Symbol.for("@x/aiosalesforce/replayable-body"), {
      value: make,
    });
    return stream;
  };
  return make();
}

Deno.test("RetryPolicy sends a replayable body afresh on every attempt and never reads the original", async () => {
  const time = fakeClock();
  try {
    const csv = "Name,Phone\nAcme,555\nGlobex,\n";
    const bodies: string[] = [];
    const { client, requests } = stubClient(async (request, n) => {
      bodies.push(await request.text());
      return status(n < 3 ? 503 : 201)();
    });
    const counts = { made: 0, pulled: 0 };
    const original = new Request(API_URL, {
      method: "PUT",
      body: replayableStream(csv, counts),
      duplex: "half",
    } as RequestInit);
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, original);
    assert.equal(response.status, 201);
    assert.deepEqual(bodies, [csv, csv, csv]);
    // One stream for the request, one per attempt; each attempt read its own to the end.
    assert.equal(counts.made, 4);
    assert.ok(requests.every((request) => request !== original));
    assert.equal(original.bodyUsed, false);
    // The original body is still whole: a token-refresh replay can send it.
    assert.equal(await original.text(), csv);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy resends a POST's identical body after a network failure", async () => {
  const time = fakeClock();
  try {
    const body = JSON.stringify({ records: [{ Name: "Ünïcode ✓" }, { Name: 'a,b"c' }] });
    const bodies: string[] = [];
    const { client } = stubClient(async (request, n) => {
      bodies.push(await request.text());
      if (n === 1) throw new TypeError("connection reset");
      return status(200, "[]")();
    });
    const original = new Request(API_URL, { method: "POST", body });
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, original);
    assert.equal(await response.text(), "[]");
    assert.deepEqual(bodies, [body, body]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy streams a plain body stream on the first attempt without waiting for its end", async () => {
  const time = fakeClock();
  try {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    let step = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        step++;
        if (step === 1) controller.enqueue(new TextEncoder().encode("Name\n"));
        else if (step === 2) {
          await gate; // the second piece comes only once the server has read the first
          controller.enqueue(new TextEncoder().encode("Acme\n"));
        } else controller.close();
      },
    });
    const { client } = stubClient(async (request) => {
      const reader = request.body!.getReader();
      const first = await reader.read();
      release();
      let text = new TextDecoder().decode(first.value);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return status(200, text)();
    });
    const original = new Request(
      API_URL,
      { method: "PUT", body: stream, duplex: "half" } as RequestInit,
    );
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, original);
    assert.equal(await response.text(), "Name\nAcme\n");
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy cancels the body of every response it discards", async () => {
  const time = fakeClock();
  try {
    let cancelled = 0;
    const unread = () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            controller.enqueue(new TextEncoder().encode("<html>maintenance</html>"));
          },
          cancel() {
            cancelled++;
          },
        }),
        { status: 502 },
      );
    const { client } = stubClient(responses(unread, unread, status(200)));
    await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(cancelled, 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy retries a network failure (TypeError) and reports the error", async () => {
  const time = fakeClock();
  try {
    const failure = new TypeError("error sending request: connection reset");
    const { client, fetch, events } = stubClient((_request, n) => {
      if (n < 3) throw failure;
      return new Response("ok");
    });
    const response = await NO_JITTER.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(await response.text(), "ok");
    assert.equal(fetch.mock.callCount(), 3);
    const retries = events.filter((event) => event instanceof RetryEvent);
    assert.deepEqual(retries.map((event) => [event.attempt, event.error]), [
      [1, failure],
      [2, failure],
    ]);
    assert.equal(retries[0].response, undefined);
    assert.deepEqual(time.sleeps, [500, 1000]);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy rethrows a network failure once its retries are spent", async () => {
  const time = fakeClock();
  try {
    const failure = new TypeError("dns error");
    const { client, fetch } = stubClient(() => {
      throw failure;
    });
    await assert.rejects(
      POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL)),
      (error) => error === failure,
    );
    assert.equal(fetch.mock.callCount(), 4);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy rethrows an error no exception rule matches", async () => {
  const failure = new SyntaxError("bad stub");
  const { client, fetch } = stubClient(() => {
    throw failure;
  });
  await assert.rejects(
    POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL)),
    (error) => error === failure,
  );
  assert.equal(fetch.mock.callCount(), 1);
});

for (const method of ["POST", "PATCH"]) {
  Deno.test(`RetryPolicy never retries a ${method} that timed out, whatever the rules`, async () => {
    const everything = new RetryPolicy({ exceptionRules: [new ExceptionRule(DOMException)] });
    const { client, fetch } = stubClient(hang, { timeout: 1 });
    const request = new Request(API_URL, { method, body: "{}" });
    await assert.rejects(everything.sendRequestWithRetries(client, request), {
      name: "TimeoutError",
      message: "Request timed out after 1 ms",
    });
    assert.equal(fetch.mock.callCount(), 1);
  });
}

Deno.test("RetryPolicy does not retry a GET that timed out by default", async () => {
  const { client, fetch } = stubClient(hang, { timeout: 1 });
  await assert.rejects(POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL)), {
    name: "TimeoutError",
  });
  assert.equal(fetch.mock.callCount(), 1);
});

Deno.test("RetryPolicy retries a GET that timed out when an exception rule matches", async () => {
  const time = fakeClock();
  try {
    const policy = new RetryPolicy({
      exceptionRules: [new ExceptionRule(DOMException, (error) => error.name === "TimeoutError")],
    });
    const { client, fetch } = stubClient(
      (request, n) => n === 1 ? hang(request) : new Response("late but fine"),
      { timeout: 1 },
    );
    const response = await policy.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(await response.text(), "late but fine");
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy rethrows the caller's abort reason unchanged and never retries it", async () => {
  const controller = new AbortController();
  const reason = new Error("user left the page");
  const everything = new RetryPolicy({
    exceptionRules: [new ExceptionRule(TypeError), new ExceptionRule(DOMException)],
  });
  const { client, fetch } = stubClient((request) => {
    const pending = hang(request);
    controller.abort(reason);
    return pending;
  });
  const request = new Request(API_URL, { signal: controller.signal });
  await assert.rejects(everything.sendRequestWithRetries(client, request), (e) => e === reason);
  assert.equal(fetch.mock.callCount(), 1);
});

Deno.test("RetryPolicy reports the abort reason even when fetch fails differently", async () => {
  const controller = new AbortController();
  const { client, fetch } = stubClient(() => {
    controller.abort("stop");
    throw new TypeError("connection closed");
  });
  const request = new Request(API_URL, { signal: controller.signal });
  await assert.rejects(
    POLICY_DEFAULT.sendRequestWithRetries(client, request),
    (e) => e === "stop",
  );
  assert.equal(fetch.mock.callCount(), 1);
});

Deno.test("RetryPolicy sends nothing when the caller aborted before the call", async () => {
  const { client, fetch } = stubClient(status(200));
  const request = new Request(API_URL, { signal: AbortSignal.abort("too late") });
  await assert.rejects(
    POLICY_DEFAULT.sendRequestWithRetries(client, request),
    (e) => e === "too late",
  );
  assert.equal(fetch.mock.callCount(), 0);
});

Deno.test("RetryPolicy stops its backoff sleep when the caller aborts", async () => {
  const controller = new AbortController();
  const reason = new DOMException("cancelled by user", "AbortError");
  const realSleep = clock.sleep;
  const delays: number[] = [];
  const timers = trackTimers();
  try {
    // The real sleep with a real 10 s timer: only the abort can end it in time.
    clock.sleep = (ms, signal) => {
      delays.push(ms);
      const sleeping = realSleep(ms, signal);
      controller.abort(reason);
      return sleeping;
    };
    const policy = new RetryPolicy({ backoffBase: 10_000, backoffJitter: false });
    const { client, fetch } = stubClient(status(503));
    const request = new Request(API_URL, { signal: controller.signal });
    await assert.rejects(policy.sendRequestWithRetries(client, request), (e) => e === reason);
    assert.deepEqual(delays, [10_000]);
    assert.equal(fetch.mock.callCount(), 1);
    assert.equal(timers.live.size, 0);
  } finally {
    clock.sleep = realSleep;
    timers.restore();
  }
});

Deno.test("RetryPolicy publishes usage for every response and a RetryEvent before each retry", async () => {
  const time = fakeClock();
  try {
    const limitInfo = (used: number) => ({ "Sforce-Limit-Info": `api-usage=${used}/15000` });
    const { client, events } = stubClient(
      responses(
        status(503, null, limitInfo(10)),
        status(500, null, limitInfo(11)),
        status(200, "{}", limitInfo(12)),
      ),
    );
    const request = new Request(API_URL, { headers: { Authorization: "Bearer 00Dxx!secret" } });
    await NO_JITTER.sendRequestWithRetries(client, request);
    assert.deepEqual(events.map((event) => event.type), [
      "rest_api_call_consumption",
      "retry",
      "rest_api_call_consumption",
      "retry",
      "rest_api_call_consumption",
    ]);
    const usage = events.filter((e) => e instanceof RestApiCallConsumptionEvent);
    assert.deepEqual(usage.map((e) => [e.count, e.consumed, e.response.status]), [
      [1, 10, 503],
      [1, 11, 500],
      [1, 12, 200],
    ]);
    const retries = events.filter((e) => e instanceof RetryEvent);
    assert.deepEqual(retries.map((e) => [e.attempt, e.response?.status]), [[1, 503], [2, 500]]);
    assert.equal(retries[0].request.url, API_URL);
    assert.equal(retries[0].request.headers.get("Authorization"), null);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy counts Apex REST calls but not logins or token requests", async () => {
  for (
    const [url, counted] of [
      ["https://acme.my.salesforce.com/services/apexrest/Orders/1", 1],
      ["https://acme.my.salesforce.com/services/data/v64.0/limits", 1],
      ["https://acme.my.salesforce.com/services/data/", 0],
      ["https://acme.my.salesforce.com/services/oauth2/token", 0],
      [LOGIN_URL, 0],
    ] as const
  ) {
    const { client, events } = stubClient(status(200));
    await POLICY_DEFAULT.sendRequestWithRetries(client, new Request(url));
    assert.equal(events.length, counted, url);
  }
});

Deno.test("RetryPolicy does not retry a SOAP INVALID_LOGIN fault (HTTP 500)", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(
      status(500, INVALID_LOGIN_FAULT, { "Content-Type": "text/xml;charset=UTF-8" }),
    );
    const request = new Request(LOGIN_URL, { method: "POST", body: "<env:Envelope/>" });
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, request);
    assert.equal(fetch.mock.callCount(), 1);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), INVALID_LOGIN_FAULT);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy retries a SOAP server fault (soapenv:Server)", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(
      responses(status(500, SERVER_FAULT, { "Content-Type": "text/xml" }), status(200)),
    );
    const request = new Request(LOGIN_URL, { method: "POST", body: "<env:Envelope/>" });
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, request);
    assert.equal(response.status, 200);
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy retries a 503 maintenance page", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(
      responses(status(503, MAINTENANCE_PAGE, { "Content-Type": "text/html" }), status(200)),
    );
    const request = new Request(LOGIN_URL, { method: "POST", body: "<env:Envelope/>" });
    const response = await POLICY_DEFAULT.sendRequestWithRetries(client, request);
    assert.equal(response.status, 200);
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy rethrows a rule's own error and releases the response", async () => {
  let cancelled = false;
  const bug = new Error("rule bug");
  const policy = new RetryPolicy({
    responseRules: [
      new ResponseRule(() => {
        throw bug;
      }),
    ],
  });
  const { client } = stubClient(() =>
    new Response(new ReadableStream({ cancel: () => void (cancelled = true) }), { status: 500 })
  );
  await assert.rejects(
    policy.sendRequestWithRetries(client, new Request(API_URL)),
    (e) => e === bug,
  );
  assert.ok(cancelled);
});

Deno.test("RetryPolicy clears its attempt timer whether fetch answers or fails", async () => {
  const timers = trackTimers();
  try {
    const ok = stubClient(status(200));
    await POLICY_DEFAULT.sendRequestWithRetries(ok.client, new Request(API_URL));
    assert.equal(timers.live.size, 0);
    const failing = stubClient(() => {
      throw new RangeError("stub failure");
    });
    await assert.rejects(
      POLICY_DEFAULT.sendRequestWithRetries(failing.client, new Request(API_URL)),
      RangeError,
    );
    assert.equal(timers.live.size, 0);
  } finally {
    timers.restore();
  }
});

Deno.test("RetryPolicy shares one context's budget across calls, as a token refresh replay does", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(status(503));
    const context = NO_JITTER.createContext();
    await context.sendRequestWithRetries(client, new Request(API_URL));
    await context.sendRequestWithRetries(client, new Request(API_URL));
    assert.equal(context.retries, 3);
    assert.equal(fetch.mock.callCount(), 5);
  } finally {
    time.restore();
  }
});

Deno.test("Concurrent attempts each time out on their own, and no timer outlives them", async () => {
  const timers = trackTimers();
  try {
    const { client } = stubClient(
      (request, n) => n === 2 ? new Response("quick") : hang(request),
      { timeout: 5 },
    );
    const results = await Promise.allSettled(
      Array.from(
        { length: 4 },
        () => POLICY_DEFAULT.sendRequestWithRetries(client, new Request(API_URL)),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status === "fulfilled" ? "answered" : (r.reason as Error).name),
      ["TimeoutError", "answered", "TimeoutError", "TimeoutError"],
    );
    await (results[1] as PromiseFulfilledResult<Response>).value.body?.cancel();
    // A later attempt gets its full timeout, after the earlier ones expired.
    const late = stubClient(hang, { timeout: 5 });
    await assert.rejects(
      POLICY_DEFAULT.sendRequestWithRetries(late.client, new Request(API_URL)),
      { name: "TimeoutError", message: "Request timed out after 5 ms" },
    );
    assert.equal(timers.live.size, 0);
  } finally {
    timers.restore();
  }
});

Deno.test("RetryPolicy throws at once for a request whose body cannot be copied, never retrying it as a network failure", async () => {
  const time = fakeClock();
  try {
    const { client, fetch } = stubClient(status(200));
    const request = new Request(API_URL, { method: "POST", body: "already read" });
    await request.text();
    await assert.rejects(POLICY_DEFAULT.sendRequestWithRetries(client, request), TypeError);
    assert.equal(fetch.mock.callCount(), 0);
    assert.deepEqual(time.sleeps, []);
  } finally {
    time.restore();
  }
});
