/**
 * Rules that decide whether a failed attempt is worth another try.
 *
 * @module
 */

import { SalesforceError } from "../client/errors.ts";
import { checkFunction, checkInteger, received } from "../client/_validate.ts";

/**
 * Options for {@linkcode ResponseRule}.
 *
 * @example Allow one retry
 * ```ts
 * import { ResponseRule, type ResponseRuleOptions } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const options: ResponseRuleOptions = { maxRetries: 1 };
 * assert.equal(new ResponseRule((r) => r.status === 502, options).maxRetries, 1);
 * ```
 */
export interface ResponseRuleOptions {
  /**
   * Most retries this rule may cause within one request (one retry context).
   *
   * @default {3}
   */
  maxRetries?: number;
}

/**
 * Options for {@linkcode ExceptionRule}.
 *
 * @example Allow five retries
 * ```ts
 * import { ExceptionRule, type ExceptionRuleOptions } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const options: ExceptionRuleOptions = { maxRetries: 5 };
 * assert.equal(new ExceptionRule(TypeError, () => true, options).maxRetries, 5);
 * ```
 */
export interface ExceptionRuleOptions {
  /**
   * Most retries this rule may cause within one request (one retry context).
   *
   * @default {3}
   */
  maxRetries?: number;
}

function checkOptions(context: string, options: unknown): number {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${context}: "options" must be an object: received ${received(options)}`);
  }
  return checkInteger(context, "maxRetries", (options as ResponseRuleOptions).maxRetries ?? 3, 0);
}

/**
 * Retries a request when its response matches: the function sees every non-2xx
 * response (except `401`, which the client handles by refreshing the token) and
 * returns whether to retry. It may read the body; it gets its own copy.
 *
 * @example Retry a busy Apex service
 * ```ts
 * import { ResponseRule, RetryPolicy } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const busy = new ResponseRule(
 *   async (response) => response.status === 409 && (await response.text()).includes("BUSY"),
 *   { maxRetries: 5 },
 * );
 * const policy = new RetryPolicy({ responseRules: [busy] });
 * assert.equal(policy.responseRules[0].maxRetries, 5);
 * assert.equal(await busy.shouldRetry(new Response("BUSY", { status: 409 })), true);
 * ```
 */
export class ResponseRule {
  /** Most retries this rule may cause within one request. */
  readonly maxRetries: number;
  #fn: (response: Response) => boolean | Promise<boolean>;

  /**
   * Creates a rule from a function of the response.
   *
   * @param fn Returns (or resolves to) true when the response should be retried.
   * @param options The rule's retry budget.
   * @throws {TypeError} When `fn` is not a function or `options` not an object.
   * @throws {RangeError} When `maxRetries` is not an integer >= 0.
   */
  constructor(
    fn: (response: Response) => boolean | Promise<boolean>,
    options: ResponseRuleOptions = {},
  ) {
    const context = "Cannot create ResponseRule";
    this.#fn = checkFunction(context, "fn", fn);
    this.maxRetries = checkOptions(context, options);
  }

  /**
   * Asks the rule about a response.
   *
   * @param response The response; the rule may consume its body.
   * @returns Whether the rule wants the request retried.
   */
  async shouldRetry(response: Response): Promise<boolean> {
    return Boolean(await this.#fn(response));
  }
}

/**
 * Retries a request when sending it throws an error of the given class and the
 * optional function agrees. `fetch` rejects with a `TypeError` when the network
 * fails. An attempt that timed out is never retried for POST or PATCH (the write
 * may have happened); the caller's own abort is never retried.
 *
 * `SalesforceError` and its subclasses are refused: they are thrown after the
 * retries are over, so such a rule could never match (use a
 * {@linkcode ResponseRule}). The bare `Error` class is refused as well: it would
 * retry programming mistakes.
 *
 * @typeParam E The error class the rule matches.
 *
 * @example Retry connection resets, but not TLS failures
 * ```ts
 * import { ExceptionRule } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const resets = new ExceptionRule(TypeError, (error) => !/certificate/i.test(error.message));
 * assert.equal(await resets.shouldRetry(new TypeError("connection reset")), true);
 * assert.equal(await resets.shouldRetry(new TypeError("invalid peer certificate")), false);
 * assert.equal(await resets.shouldRetry(new RangeError("connection reset")), false);
 * ```
 *
 * @example Salesforce errors cannot be retried by an exception rule
 * ```ts
 * import { SalesforceError } from "@x/aiosalesforce";
 * import { ExceptionRule } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new ExceptionRule(SalesforceError), TypeError);
 * ```
 */
export class ExceptionRule<E extends Error = Error> {
  /** The class an error must be an instance of to match. */
  readonly errorClass: abstract new (...args: never[]) => E;
  /** Most retries this rule may cause within one request. */
  readonly maxRetries: number;
  // Typed on Error so that ExceptionRule<TypeError> is an ExceptionRule<Error>;
  // shouldRetry only calls it with an instance of errorClass.
  #fn: (error: Error) => boolean | Promise<boolean>;

  /**
   * Creates a rule for errors of one class.
   *
   * @param errorClass The error class to match, e.g. `TypeError`.
   * @param fn Returns (or resolves to) true when the error should be retried.
   * @param options The rule's retry budget.
   * @throws {TypeError} When `errorClass` is not a class, is `Error`, or is
   *   `SalesforceError` or a subclass; when `fn` is not a function.
   * @throws {RangeError} When `maxRetries` is not an integer >= 0.
   */
  constructor(
    errorClass: abstract new (...args: never[]) => E,
    fn: (error: E) => boolean | Promise<boolean> = () => true,
    options: ExceptionRuleOptions = {},
  ) {
    const context = "Cannot create ExceptionRule";
    if (typeof errorClass !== "function") {
      throw new TypeError(
        `${context}: "errorClass" must be an error class such as TypeError: received ${
          received(errorClass)
        }`,
      );
    }
    if (
      (errorClass as unknown) === SalesforceError || errorClass.prototype instanceof SalesforceError
    ) {
      throw new TypeError(
        `${context}: "errorClass" must not be SalesforceError or a subclass: received ${
          JSON.stringify(errorClass.name)
        }: Salesforce errors are thrown after retrying is over; use a ResponseRule instead`,
      );
    }
    if ((errorClass as unknown) === Error) {
      throw new TypeError(
        `${context}: "errorClass" must be a specific error class, not Error: it would retry programming errors; use TypeError for network failures`,
      );
    }
    this.errorClass = errorClass;
    this.#fn = checkFunction(context, "fn", fn) as (error: Error) => boolean | Promise<boolean>;
    this.maxRetries = checkOptions(context, options);
  }

  /**
   * Asks the rule about an error.
   *
   * @param error What the attempt threw.
   * @returns Whether the error is an `errorClass` and the rule wants a retry.
   */
  async shouldRetry(error: unknown): Promise<boolean> {
    return error instanceof this.errorClass && Boolean(await this.#fn(error));
  }
}
