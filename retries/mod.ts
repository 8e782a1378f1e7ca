/**
 * Retry policies: which failed attempts to send again, how often, and how long
 * to wait in between. A client applies its `retryPolicy` to every request.
 *
 * @example Retry network failures and 5xx only, up to 5 times
 * ```ts
 * import { ExceptionRule, ResponseRule, RetryPolicy } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const policy = new RetryPolicy({
 *   responseRules: [new ResponseRule((response) => response.status >= 500, { maxRetries: 5 })],
 *   exceptionRules: [new ExceptionRule(TypeError, () => true, { maxRetries: 5 })],
 *   maxRetries: 5,
 * });
 * assert.equal(policy.responseRules.length, 1);
 * assert.equal(policy.exceptionRules[0].errorClass, TypeError);
 * ```
 *
 * @module
 */
export * from "./retry_policy.ts";
export * from "./rules.ts";
