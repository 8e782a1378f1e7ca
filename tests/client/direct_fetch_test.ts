// A client on the standard fetch sends its plain requests as fetch(url, init), with no
// Request built (retries/_attempts.ts). These tests stub globalThis.fetch and check that
// this path behaves as the Request path does: retries, the 401 replay, timeouts, aborts,
// events, errors, and refusing what fetch would refuse before anything is sent.
import assert from "node:assert/strict";
import { mock } from "node:test";
import { Auth } from "../../auth/auth.ts";
import { Salesforce, type SalesforceOptions } from "../../client/salesforce.ts";
import { NotFoundError } from "../../client/errors.ts";
import { clock } from "../../retries/_clock.ts";
import { RetryPolicy } from "../../retries/retry_policy.ts";
import { ExceptionRule } from "../../retries/rules.ts";
import type { RequestEvent, RetryEvent } from "../../events/events.ts";
import { isNormal } from "../../retries/_attempts.ts";

const BASE = "https://acme.my.salesforce.com";
const DATA = `${BASE}/services/data/v64.0`;

/** Hands out token-1, then token-2 on refresh. */
class NumberedAuth extends Auth {
  #issued = 0;
  protected override _acquireNewAccessToken(): Promise<string> {
    return Promise.resolve(`token-${++this.#issued}`);
  }
  protected override _refreshAccessToken(): Promise<string> {
    return Promise.resolve(`token-${++this.#issued}`);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json;charset=UTF-8" },
  });
}

/** What the stubbed globalThis.fetch was called with. */
interface Call {
  input: unknown;
  init: RequestInit | undefined;
  /** `init.signal` when fetch was called. */
  signal: AbortSignal | null | undefined;
  /** The same call as a Request, as the server would see it. */
  request: Request;
}

/**
 * Runs `body` with globalThis.fetch answering through `answer`, and a client made inside
 * it on the default fetch. The stub is restored afterwards, whatever happens.
 */
async function withStandardFetch(
  answer: (request: Request, call: number) => Response | Promise<Response>,
  body: (sf: Salesforce, calls: Call[]) => Promise<void>,
  options: Partial<SalesforceOptions> = {},
): Promise<void> {
  const calls: Call[] = [];
  const stub = mock.method(
    globalThis,
    "fetch",
    (input: RequestInfo | URL, init?: RequestInit) => {
      // Recorded before the Request is made: a call fetch refuses still counts.
      const call = { input, init, signal: init?.signal } as Call;
      calls.push(call);
      const request = call.request = new Request(input, init);
      return Promise.resolve().then(() => answer(request, calls.length));
    },
  );
  try {
    const sf = new Salesforce({ baseUrl: BASE, auth: new NumberedAuth(), ...options });
    await body(sf, calls);
  } finally {
    stub.mock.restore();
  }
}

/** A fetch that never answers; it rejects with the signal's reason when aborted. */
function hang(request: Request): Promise<Response> {
  return new Promise((_, reject) => {
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });
}

Deno.test("A client on the standard fetch sends a GET as fetch(url, init), token and timeout signal included", async () => {
  await withStandardFetch(() => json(200, { Id: "001", Name: "Acme" }), async (sf, calls) => {
    const record = await sf.sobject.get("Account", "001000000000001AAA");
    assert.deepEqual(record, { Id: "001", Name: "Acme" });
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call.input, `${DATA}/sobjects/Account/001000000000001AAA`);
    assert.equal(call.init?.method ?? "GET", "GET");
    assert.ok(call.signal instanceof AbortSignal);
    assert.equal(call.request.headers.get("Authorization"), "Bearer token-1");
    assert.equal(call.request.headers.get("Accept"), "application/json");
  });
});

Deno.test("A custom fetch gets every call as one Request, never (url, init)", async () => {
  const seen: Array<{ args: number; isRequest: boolean }> = [];
  const sf = new Salesforce({
    baseUrl: BASE,
    auth: new NumberedAuth(),
    fetch: (...args: [RequestInfo | URL, RequestInit?]) => {
      seen.push({ args: args.length, isRequest: args[0] instanceof Request });
      return Promise.resolve(json(200, { ok: true }));
    },
  });
  await sf.sobject.get("Account", "001000000000001AAA");
  await sf.request("sobjects/Account", { method: "POST", body: "{}" });
  assert.deepEqual(seen, [{ args: 1, isRequest: true }, { args: 1, isRequest: true }]);
});

Deno.test("On the standard fetch, a text body goes again on a retry and on the 401 replay, with the new token", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const answers = [
      () => new Response("down", { status: 503 }),
      () => json(401, [{ errorCode: "INVALID_SESSION_ID", message: "Session expired" }]),
      () => json(201, { id: "001000000000001AAA", success: true, errors: [] }),
    ];
    await withStandardFetch((_, call) => answers[call - 1](), async (sf, calls) => {
      const id = await sf.sobject.create("Account", { Name: "Acme" });
      assert.equal(id, "001000000000001AAA");
      assert.equal(calls.length, 3);
      for (const call of calls) {
        assert.equal(typeof call.input, "string");
        assert.equal(call.init?.method, "POST");
        assert.equal(await call.request.text(), '{"Name":"Acme"}');
      }
      assert.deepEqual(
        calls.map((call) => call.request.headers.get("Authorization")),
        ["Bearer token-1", "Bearer token-1", "Bearer token-2"],
      );
      // Every attempt has its own signal.
      assert.equal(new Set(calls.map((call) => call.signal)).size, 3);
    });
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("On the standard fetch, a header fetch would refuse is a TypeError before anything is sent, not a retried network error", async () => {
  await withStandardFetch(() => json(200, {}), async (sf, calls) => {
    await assert.rejects(
      sf.request("limits", { headers: { "X-Note": "line one\nline two" } }),
      TypeError,
    );
    await assert.rejects(sf.request("limits", { headers: { "Bad Name": "x" } }), TypeError);
    await assert.rejects(sf.request("limits", { method: "GET", body: "x" }), TypeError);
    assert.equal(calls.length, 0);
  });
});

Deno.test("A URL with a user name or password is refused without echoing them", async () => {
  await withStandardFetch(() => json(200, {}), async (sf, calls) => {
    await assert.rejects(
      sf.request("https://admin:s3cret@acme.my.salesforce.com/services/data/v64.0/limits"),
      (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /"pathOrUrl" must not contain a user name or password/);
        assert.doesNotMatch(error.message, /s3cret|admin/);
        return true;
      },
    );
    assert.equal(calls.length, 0);
  });
});

Deno.test("On the standard fetch, events carry a Request of the call and errors name the normalised URL", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const answers = [
      () => new Response("busy", { status: 503 }),
      () =>
        json(404, [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }]),
    ];
    await withStandardFetch((_, call) => answers[call - 1](), async (sf) => {
      const requests: Request[] = [];
      const retries: RetryEvent[] = [];
      sf.eventBus.subscribeCallback((event) => {
        if (event.type === "request") requests.push((event as RequestEvent).request);
        if (event.type === "retry") retries.push(event as RetryEvent);
      });
      await assert.rejects(sf.request("sobjects/Account/a b"), (error: Error) => {
        assert.ok(error instanceof NotFoundError);
        assert.match(
          error.message,
          /\(404 GET \/services\/data\/v64\.0\/sobjects\/Account\/a%20b\)/,
        );
        return true;
      });
      assert.equal(requests.length, 1);
      assert.equal(requests[0].method, "GET");
      assert.equal(requests[0].url, `${DATA}/sobjects/Account/a%20b`);
      assert.equal(retries.length, 1);
      assert.equal(retries[0].request.url, `${DATA}/sobjects/Account/a%20b`);
      assert.equal(retries[0].response?.status, 503);
    });
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("On the standard fetch, only calls under /services/data count as API calls, dot segments resolved", async () => {
  await withStandardFetch(() => json(200, {}), async (sf) => {
    let counted = 0;
    sf.eventBus.subscribeCallback((event) => {
      if (event.type === "rest_api_call_consumption") counted++;
    });
    await sf.request("limits");
    await sf.request("/services/data/v64.0/../../other/x");
    assert.equal(counted, 1);
  });
});

Deno.test("On the standard fetch, the caller's abort stops the attempt with the caller's reason", async () => {
  await withStandardFetch(hang, async (sf, calls) => {
    const controller = new AbortController();
    const pending = sf.request("limits", { signal: controller.signal });
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    controller.abort(new Error("cancelled by the caller"));
    await assert.rejects(pending, /cancelled by the caller/);
    assert.equal(calls[0].signal?.aborted, true);
  });
});

Deno.test("On the standard fetch, an attempt past the timeout is aborted with a TimeoutError and retried when a rule says so", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const retryTimeouts = new RetryPolicy({
      exceptionRules: [new ExceptionRule(DOMException, (error) => error.name === "TimeoutError")],
    });
    await withStandardFetch(
      (request, call) => call === 1 ? hang(request) : json(200, { ok: 1 }),
      async (sf, calls) => {
        const response = await sf.request("limits");
        assert.deepEqual(await response.json(), { ok: 1 });
        assert.equal(calls.length, 2);
        assert.equal((calls[0].signal?.reason as DOMException).name, "TimeoutError");
      },
      { timeout: 1, retryPolicy: retryTimeouts },
    );
    await withStandardFetch(hang, async (sf) => {
      await assert.rejects(sf.request("limits"), { name: "TimeoutError" });
    }, { timeout: 1 });
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("On the standard fetch, requests that need a Request still get one", async () => {
  await withStandardFetch(() => json(200, {}), async (sf, calls) => {
    await sf.request("limits", { redirect: "manual" });
    await sf.request("limits", { method: "get" });
    await sf.request("limits", { headers: new Headers([["X-Trace", "1"]]) });
    await sf.request("sobjects/Account", {
      method: "POST",
      body: new Blob(['{"Name":"Acme"}']),
    });
    assert.ok(calls[0].input instanceof Request);
    assert.equal(calls[0].request.redirect, "manual");
    assert.ok(calls[1].input instanceof Request);
    assert.equal(calls[1].request.method, "GET");
    // Headers a Headers object already checked can go as (url, init).
    assert.equal(typeof calls[2].input, "string");
    assert.equal(calls[2].request.headers.get("X-Trace"), "1");
    assert.ok(calls[3].input instanceof Request);
    assert.equal(await calls[3].request.text(), '{"Name":"Acme"}');
  });
});

Deno.test("A URL taken as already normal is one the URL parser gives back unchanged", () => {
  const alphabet = [
    "a",
    "Z",
    "0",
    "/",
    ".",
    "..",
    "%2e",
    "%2E",
    "%20",
    " ",
    "'",
    '"',
    "?",
    "#",
    "\\",
    "=",
    "&",
    "+",
    ":",
    "@",
    "~",
    "-",
    "_",
    "é",
    "%",
    "{",
    "|",
    "!",
    "(",
    "*",
    ",",
  ];
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  let normal = 0;
  for (let i = 0; i < 20_000; i++) {
    let path = "/services/data/v64.0/";
    const length = Math.floor(random() * 12);
    for (let j = 0; j < length; j++) path += alphabet[Math.floor(random() * alphabet.length)];
    const url = `https://acme.my.salesforce.com${path}`;
    if (!isNormal(url)) continue;
    normal++;
    assert.equal(new URL(url).href, url, `isNormal(${JSON.stringify(url)})`);
  }
  // Most generated paths hold some character the parser changes; enough do not.
  assert.ok(normal > 1_000, `only ${normal} normal URLs generated`);
  assert.equal(isNormal(`${DATA}/query?q=SELECT+Id+FROM+Account+WHERE+Name+%3D+%27A%27`), true);
  assert.equal(isNormal(`${DATA}/sobjects/../limits`), false);
});

Deno.test("On the standard fetch, a signal that is not an AbortSignal is refused before sending, never retried", async () => {
  const sleep = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    const lookalike = {
      aborted: false,
      reason: undefined,
      throwIfAborted() {},
      addEventListener() {},
      removeEventListener() {},
      dispatchEvent: () => true,
      onabort: null,
    } as unknown as AbortSignal;
    await withStandardFetch(() => json(200, {}), async (sf, calls) => {
      await assert.rejects(sf.request("limits", { signal: lookalike }), TypeError);
      assert.equal(calls.length, 0);
      assert.equal(sleep.mock.callCount(), 0);
    });
  } finally {
    sleep.mock.restore();
  }
});

Deno.test("On the standard fetch, the 401 replay sends what was sent first, whatever the caller's init holds by then", async () => {
  const init: RequestInit = { method: "POST", body: '{"Name":"A"}', headers: { "X-Run": "1" } };
  const answer = (_: Request, call: number) => {
    if (call > 1) return json(201, { id: "001000000000001AAA", success: true, errors: [] });
    // The caller reuses its init for its next call while this one is in flight.
    init.body = '{"Name":"B"}';
    (init.headers as Record<string, string>)["X-Run"] = "2";
    return json(401, [{ errorCode: "INVALID_SESSION_ID", message: "Session expired" }]);
  };
  await withStandardFetch(answer, async (sf, calls) => {
    await sf.request("sobjects/Account", init);
    const sent = await Promise.all(calls.map(async (call) => [
      await call.request.text(),
      call.request.headers.get("X-Run"),
      call.request.headers.get("Authorization"),
    ]));
    assert.deepEqual(sent, [
      ['{"Name":"A"}', "1", "Bearer token-1"],
      ['{"Name":"A"}', "1", "Bearer token-2"],
    ]);
  });
  // Headers given as a one-shot iterable are not read again for the replay.
  await withStandardFetch(
    (_, call) =>
      call === 1
        ? json(401, [{ errorCode: "INVALID_SESSION_ID", message: "Session expired" }])
        : json(200, {}),
    async (sf, calls) => {
      const headers = (function* () {
        yield ["Content-Type", "application/json"] as [string, string];
      })();
      await sf.request("sobjects/Account/001000000000001AAA", {
        method: "PATCH",
        body: "{}",
        headers,
      });
      assert.deepEqual(
        calls.map((call) => call.request.headers.get("Content-Type")),
        ["application/json", "application/json"],
      );
    },
  );
});

Deno.test("On the standard fetch, errors name the method sent, even one a Request spells from null", async () => {
  await withStandardFetch(
    () => json(404, [{ errorCode: "NOT_FOUND", message: "Not found" }]),
    async (sf, calls) => {
      await assert.rejects(
        sf.request("limits", { method: null as unknown as string }),
        /\(404 null \/services\/data\/v64\.0\/limits\)/,
      );
      assert.equal(calls[0].request.method, "null");
    },
  );
});

Deno.test("A URL holding a password is never echoed, even when it does not parse", async () => {
  await withStandardFetch(() => json(200, {}), async (sf, calls) => {
    for (
      const url of [
        "https://admin:s3cret@acme.my.salesforce.com:99999/services/data/v64.0/limits",
        "//admin:s3cret@acme my.salesforce.com/x",
      ]
    ) {
      await assert.rejects(sf.request(url), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      });
    }
    assert.equal(calls.length, 0);
  });
});
