import assert from "node:assert/strict";
import {
  DEFAULT_EXCEPTION_RULES,
  DEFAULT_RESPONSE_RULES,
  POLICY_DEFAULT,
  RetryContext,
  RetryPolicy,
} from "../../retries/retry_policy.ts";
import { ExceptionRule, ResponseRule } from "../../retries/rules.ts";

Deno.test("RetryPolicy defaults match the original's policy", () => {
  const policy = new RetryPolicy();
  assert.equal(policy.maxRetries, 3);
  assert.equal(policy.timeout, 60_000);
  assert.equal(policy.backoffBase, 500);
  assert.equal(policy.backoffFactor, 2);
  assert.equal(policy.backoffMax, 10_000);
  assert.equal(policy.backoffJitter, true);
  assert.equal(policy.responseRules, DEFAULT_RESPONSE_RULES);
  assert.equal(policy.exceptionRules, DEFAULT_EXCEPTION_RULES);
});

Deno.test("RetryPolicy default rules each allow 3 retries", () => {
  assert.equal(DEFAULT_RESPONSE_RULES.length, 4);
  assert.equal(DEFAULT_EXCEPTION_RULES.length, 1);
  for (const rule of [...DEFAULT_RESPONSE_RULES, ...DEFAULT_EXCEPTION_RULES]) {
    assert.equal(rule.maxRetries, 3);
  }
  assert.equal(DEFAULT_EXCEPTION_RULES[0].errorClass, TypeError);
});

Deno.test("RetryPolicy default rule lists and POLICY_DEFAULT cannot be changed", () => {
  assert.ok(Object.isFrozen(DEFAULT_RESPONSE_RULES));
  assert.ok(Object.isFrozen(DEFAULT_EXCEPTION_RULES));
  assert.ok(Object.isFrozen(POLICY_DEFAULT));
  assert.throws(() =>
    (DEFAULT_RESPONSE_RULES as ResponseRule[]).push(new ResponseRule(() => true))
  );
});

Deno.test("RetryPolicy with empty rule lists retries nothing", () => {
  const policy = new RetryPolicy({ responseRules: [], exceptionRules: [] });
  assert.deepEqual(policy.responseRules, []);
  assert.deepEqual(policy.exceptionRules, []);
});

Deno.test("RetryPolicy copies the rules it is given, so later changes do not leak in", () => {
  const rules = [new ResponseRule(() => true)];
  const policy = new RetryPolicy({ responseRules: rules });
  rules.push(new ResponseRule(() => false));
  assert.equal(policy.responseRules.length, 1);
  assert.ok(Object.isFrozen(policy.responseRules));
});

Deno.test("RetryPolicy accepts any iterable of rules", () => {
  const rule = new ExceptionRule(TypeError);
  const policy = new RetryPolicy({ exceptionRules: new Set([rule]) });
  assert.deepEqual(policy.exceptionRules, [rule]);
});

Deno.test("RetryPolicy.createContext starts a fresh context each time", () => {
  const policy = new RetryPolicy();
  const first = policy.createContext();
  const second = policy.createContext();
  assert.ok(first instanceof RetryContext);
  assert.notEqual(first, second);
  assert.equal(first.policy, policy);
  assert.equal(first.retries, 0);
});

const CASES: Array<[string, Record<string, unknown>, string, string]> = [
  [
    "maxRetries",
    { maxRetries: -1 },
    "RangeError",
    '"maxRetries" must be an integer >= 0: received -1',
  ],
  [
    "maxRetries",
    { maxRetries: 2.5 },
    "RangeError",
    '"maxRetries" must be an integer >= 0: received 2.5',
  ],
  [
    "maxRetries",
    { maxRetries: "3" },
    "TypeError",
    '"maxRetries" must be an integer >= 0: received "3"',
  ],
  [
    "timeout",
    { timeout: -5 },
    "RangeError",
    '"timeout" must be a number of milliseconds >= 0: received -5',
  ],
  [
    "timeout",
    { timeout: Infinity },
    "RangeError",
    '"timeout" must be a number of milliseconds >= 0: received Infinity',
  ],
  [
    "backoffBase",
    { backoffBase: -1 },
    "RangeError",
    '"backoffBase" must be a number from 0 to 2147483647: received -1',
  ],
  [
    "backoffBase",
    { backoffBase: Number.NaN },
    "RangeError",
    '"backoffBase" must be a number from 0 to 2147483647: received NaN',
  ],
  [
    "backoffFactor",
    { backoffFactor: 0.5 },
    "RangeError",
    '"backoffFactor" must be a number from 1 to 1000: received 0.5',
  ],
  [
    "backoffMax",
    { backoffMax: 1e12 },
    "RangeError",
    '"backoffMax" must be a number from 0 to 2147483647: received 1000000000000',
  ],
  [
    "backoffMax",
    { backoffMax: "10s" },
    "TypeError",
    '"backoffMax" must be a number from 0 to 2147483647: received "10s"',
  ],
  [
    "backoffJitter",
    { backoffJitter: "yes" },
    "TypeError",
    '"backoffJitter" must be a boolean: received "yes"',
  ],
  [
    "responseRules",
    { responseRules: null },
    "TypeError",
    '"responseRules" must be an array of ResponseRule: received null',
  ],
  [
    "responseRules",
    { responseRules: [() => true] },
    "TypeError",
    '"responseRules[0]" must be a ResponseRule: received a function',
  ],
  [
    "exceptionRules",
    { exceptionRules: [new ExceptionRule(TypeError), TypeError] },
    "TypeError",
    '"exceptionRules[1]" must be an ExceptionRule: received a function',
  ],
  [
    "exceptionRules",
    { exceptionRules: [new ResponseRule(() => true)] },
    "TypeError",
    '"exceptionRules[0]" must be an ExceptionRule: received an object',
  ],
];

for (const [option, options, name, detail] of CASES) {
  Deno.test(`RetryPolicy refuses ${option} ${detail.slice(detail.lastIndexOf("received ") + 9)} with a ${name}`, () => {
    assert.throws(() => new RetryPolicy(options), {
      name,
      message: `Cannot create RetryPolicy: ${detail}`,
    });
  });
}

Deno.test("RetryPolicy refuses options that are not an object", () => {
  assert.throws(() => new RetryPolicy(3 as never), {
    name: "TypeError",
    message: 'Cannot create RetryPolicy: "options" must be an object: received 3',
  });
});

Deno.test("RetryPolicy accepts zero retries, zero timeout and zero backoff", () => {
  const policy = new RetryPolicy({ maxRetries: 0, timeout: 0, backoffBase: 0, backoffMax: 0 });
  assert.equal(policy.maxRetries, 0);
  assert.equal(policy.timeout, 0);
});
