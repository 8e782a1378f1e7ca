import assert from "node:assert/strict";
import { EventBus } from "../../events/event_bus.ts";
import {
  BulkApiBatchConsumptionEvent,
  parseLimitInfo,
  RequestEvent,
  ResponseEvent,
  RestApiCallConsumptionEvent,
  RetryEvent,
  type SalesforceEvent,
} from "../../events/events.ts";

Deno.test("parseLimitInfo reads api-usage among other items", () => {
  assert.deepEqual(parseLimitInfo("api-usage=18/15000"), [18, 15000]);
  assert.deepEqual(parseLimitInfo("api-usage=10018/100000; api-bursts=1/750"), [10018, 100000]);
  assert.deepEqual(
    parseLimitInfo("per-app-api-usage=17/250(appName=foo); api-usage=3/10"),
    [3, 10],
  );
  assert.deepEqual(parseLimitInfo("api-usage=abc/10"), [null, null]);
  assert.deepEqual(parseLimitInfo(""), [null, null]);
  assert.deepEqual(parseLimitInfo(null), [null, null]);
});

Deno.test("Response events expose consumed, limit and remaining", () => {
  const response = new Response(null, { headers: { "Sforce-Limit-Info": "api-usage=40/100" } });
  for (
    const event of [
      new ResponseEvent(response),
      new RestApiCallConsumptionEvent(response, 1),
      new BulkApiBatchConsumptionEvent(response, 2),
    ]
  ) {
    assert.equal(event.consumed, 40);
    assert.equal(event.limit, 100);
    assert.equal(event.remaining, 60);
    assert.equal(event.response, response);
  }
  const bare = new ResponseEvent(new Response());
  assert.deepEqual([bare.consumed, bare.limit, bare.remaining], [null, null, null]);
});

Deno.test("Events carry their type", () => {
  const request = new Request("https://acme.my.salesforce.com/services/data/");
  assert.equal(new RequestEvent(request).type, "request");
  assert.equal(new ResponseEvent(new Response()).type, "response");
  assert.equal(new RetryEvent({ attempt: 2, request, error: new TypeError("x") }).type, "retry");
  assert.equal(new RestApiCallConsumptionEvent(new Response()).count, 1);
  assert.equal(
    new BulkApiBatchConsumptionEvent(new Response(), 3).type,
    "bulk_api_batch_consumption",
  );
});

Deno.test("Request events hide the Authorization, Cookie and X-SFDC-Session headers and the body", async () => {
  const request = new Request("https://acme.my.salesforce.com/services/Soap/u/64.0", {
    method: "POST",
    headers: {
      Authorization: "Bearer 00Dxx!secret-token",
      Cookie: "sid=00Dxx!secret-token",
      "X-SFDC-Session": "00Dxx!secret-token",
      "X-Other": "kept",
    },
    body: "<password>hunter2</password>",
  });
  for (
    const event of [
      new RequestEvent(request),
      new RetryEvent({ attempt: 1, request, response: new Response(null, { status: 503 }) }),
    ]
  ) {
    for (const name of ["Authorization", "Cookie", "X-SFDC-Session"]) {
      assert.equal(event.request.headers.get(name), null, name);
    }
    assert.equal(event.request.headers.get("X-Other"), "kept");
    assert.equal(event.request.method, "POST");
    assert.equal(event.request.url, request.url);
    assert.equal(event.request.body, null);
    assert.equal(event.request, event.request, "the copy is made once");
  }
  // The original request is untouched and still sendable.
  assert.equal(request.headers.get("Authorization"), "Bearer 00Dxx!secret-token");
  assert.equal(await request.text(), "<password>hunter2</password>");
});

Deno.test("RetryEvent keeps the attempt and its cause", () => {
  const request = new Request("https://acme.my.salesforce.com/");
  const error = new TypeError("network");
  const event = new RetryEvent({ attempt: 3, request, error });
  assert.equal(event.attempt, 3);
  assert.equal(event.error, error);
  assert.equal(event.response, undefined);
});

Deno.test("EventBus dispatches to listeners, then awaits every callback", async () => {
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const bus = new EventBus([
    async (event: SalesforceEvent) => {
      order.push(`slow start ${event.type}`);
      await gate;
      order.push("slow end");
    },
  ]);
  bus.subscribeCallback((event) => {
    order.push(`fast ${event.type}`);
  });
  bus.addEventListener("response", () => order.push("listener"));
  const published = bus.publishEvent(new ResponseEvent(new Response()));
  await Promise.resolve();
  assert.deepEqual(order, ["listener", "slow start response", "fast response"]);
  release();
  await published;
  assert.deepEqual(order.at(-1), "slow end");
});

Deno.test("EventBus rejects with a callback's error after all callbacks settle", async () => {
  let finished = false;
  const failure = new Error("hook failed");
  const bus = new EventBus([
    () => {
      throw failure;
    },
    async () => {
      await Promise.resolve();
      finished = true;
    },
  ]);
  await assert.rejects(bus.publishEvent(new ResponseEvent(new Response())), failure);
  assert.ok(finished);
});

Deno.test("EventBus unsubscribes callbacks and ignores duplicates", async () => {
  let calls = 0;
  const callback = () => {
    calls++;
  };
  const bus = new EventBus([callback, callback]);
  await bus.publishEvent(new ResponseEvent(new Response()));
  assert.equal(calls, 1);
  bus.unsubscribeCallback(callback);
  await bus.publishEvent(new ResponseEvent(new Response()));
  assert.equal(calls, 1);
});

Deno.test("EventBus refuses a callback that is not a function", () => {
  assert.throws(
    () => new EventBus(["nope" as never]),
    new TypeError('Cannot subscribe callback: "callback" must be a function: received string'),
  );
});
