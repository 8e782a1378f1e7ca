import assert from "node:assert/strict";
import {
  AuthenticationError,
  RequestLimitExceededError,
  SalesforceError,
  ServerError,
} from "../../client/errors.ts";
import { ExceptionRule, ResponseRule } from "../../retries/rules.ts";

Deno.test("ResponseRule allows 3 retries unless told otherwise", () => {
  assert.equal(new ResponseRule(() => true).maxRetries, 3);
  assert.equal(new ResponseRule(() => true, { maxRetries: 0 }).maxRetries, 0);
  assert.equal(new ResponseRule(() => true, { maxRetries: 7 }).maxRetries, 7);
});

Deno.test("ResponseRule awaits an async function and may read the body", async () => {
  const rule = new ResponseRule(async (response) => (await response.text()).includes("BUSY"));
  assert.equal(await rule.shouldRetry(new Response("server BUSY", { status: 409 })), true);
  assert.equal(await rule.shouldRetry(new Response("gone", { status: 409 })), false);
});

Deno.test("ResponseRule refuses a function that is not a function", () => {
  assert.throws(() => new ResponseRule("status >= 500" as never), {
    name: "TypeError",
    message: 'Cannot create ResponseRule: "fn" must be a function: received "status >= 500"',
  });
});

for (
  const [value, name, message] of [
    [-1, "RangeError", "received -1"],
    [1.5, "RangeError", "received 1.5"],
    [Number.NaN, "RangeError", "received NaN"],
    ["3", "TypeError", 'received "3"'],
  ] as const
) {
  Deno.test(`ResponseRule refuses maxRetries ${message.slice(9)} with a ${name}`, () => {
    assert.throws(() => new ResponseRule(() => true, { maxRetries: value as number }), {
      name,
      message: `Cannot create ResponseRule: "maxRetries" must be an integer >= 0: ${message}`,
    });
  });
}

Deno.test("ExceptionRule refuses maxRetries below zero naming the value", () => {
  assert.throws(() => new ExceptionRule(TypeError, () => true, { maxRetries: -2 }), {
    name: "RangeError",
    message: 'Cannot create ExceptionRule: "maxRetries" must be an integer >= 0: received -2',
  });
});

Deno.test("ExceptionRule matches instances of its class when the function agrees", async () => {
  const rule = new ExceptionRule(TypeError, (error) => error.message.includes("reset"));
  assert.equal(await rule.shouldRetry(new TypeError("connection reset")), true);
  assert.equal(await rule.shouldRetry(new TypeError("bad header")), false);
  assert.equal(await rule.shouldRetry(new RangeError("connection reset")), false);
  assert.equal(await rule.shouldRetry("connection reset"), false);
  assert.equal(rule.errorClass, TypeError);
  assert.equal(rule.maxRetries, 3);
});

Deno.test("ExceptionRule matches every instance when no function is given", async () => {
  class ProxyError extends TypeError {}
  const rule = new ExceptionRule(TypeError);
  assert.equal(await rule.shouldRetry(new ProxyError("proxy refused")), true);
});

Deno.test("ExceptionRule awaits an async function", async () => {
  const rule = new ExceptionRule(
    DOMException,
    (error) => Promise.resolve(error.name === "TimeoutError"),
  );
  assert.equal(await rule.shouldRetry(new DOMException("slow", "TimeoutError")), true);
  assert.equal(await rule.shouldRetry(new DOMException("stop", "AbortError")), false);
});

for (
  const errorClass of [SalesforceError, AuthenticationError, ServerError, RequestLimitExceededError]
) {
  Deno.test(`ExceptionRule refuses ${errorClass.name}: it is thrown after retrying ends`, () => {
    assert.throws(() => new ExceptionRule(errorClass), {
      name: "TypeError",
      message:
        `Cannot create ExceptionRule: "errorClass" must not be SalesforceError or a subclass: received "${errorClass.name}": Salesforce errors are thrown after retrying is over; use a ResponseRule instead`,
    });
  });
}

Deno.test("ExceptionRule refuses the bare Error class", () => {
  assert.throws(() => new ExceptionRule(Error), {
    name: "TypeError",
    message: /^Cannot create ExceptionRule: "errorClass" must be a specific error class, not Error/,
  });
});

Deno.test("ExceptionRule refuses an error class that is not a class", () => {
  assert.throws(() => new ExceptionRule("TypeError" as never), {
    name: "TypeError",
    message:
      'Cannot create ExceptionRule: "errorClass" must be an error class such as TypeError: received "TypeError"',
  });
});

Deno.test("ExceptionRule refuses a function that is not a function", () => {
  assert.throws(() => new ExceptionRule(TypeError, null as never), {
    name: "TypeError",
    message: 'Cannot create ExceptionRule: "fn" must be a function: received null',
  });
});
