/**
 * The retry policy, its per-request context, and the default rules.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { checkDuration, checkInteger, received } from "../client/_validate.ts";
import { RestApiCallConsumptionEvent, RetryEvent } from "../events/events.ts";
import { isObserved } from "../events/_observed.ts";
import { backoff, retryAfter } from "./_backoff.ts";
import { shownResponse } from "./_prepared.ts";
import { type Attempts, RequestAttempts, setSendAttempts } from "./_attempts.ts";
import { clock } from "./_clock.ts";
import { readBody, watchBody } from "../client/_body_deadline.ts";
import { clearDeadline, renewDeadline, setDeadline } from "./_deadlines.ts";
import { ExceptionRule, ResponseRule } from "./rules.ts";

/**
 * Options for {@linkcode RetryPolicy}. Durations are in milliseconds.
 *
 * @example Never retry, for calls that must not be repeated
 * ```ts
 * import { RetryPolicy, type RetryPolicyOptions } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const options: RetryPolicyOptions = { responseRules: [], exceptionRules: [], maxRetries: 0 };
 * assert.equal(new RetryPolicy(options).maxRetries, 0);
 * ```
 */
export interface RetryPolicyOptions {
  /**
   * Rules for responses, tried in order; the first that matches decides.
   * Omitted: {@linkcode DEFAULT_RESPONSE_RULES}. `[]`: never retry a response.
   *
   * @default {DEFAULT_RESPONSE_RULES}
   */
  responseRules?: Iterable<ResponseRule>;
  /**
   * Rules for errors thrown while sending, tried in order.
   * Omitted: {@linkcode DEFAULT_EXCEPTION_RULES}. `[]`: never retry an error.
   *
   * @default {DEFAULT_EXCEPTION_RULES}
   */
  exceptionRules?: Iterable<ExceptionRule>;
  /**
   * Most retries of one request, whatever the rules allow.
   *
   * @default {3}
   */
  maxRetries?: number;
  /**
   * No retry is started when its sleep would end more than this long after the
   * request was first sent.
   *
   * @default {60_000}
   */
  timeout?: number;
  /**
   * Delay before the first retry.
   *
   * @default {500}
   */
  backoffBase?: number;
  /**
   * Each further retry waits this many times longer (>= 1).
   *
   * @default {2}
   */
  backoffFactor?: number;
  /**
   * Longest delay between two attempts; also caps a `Retry-After` header.
   *
   * @default {10_000}
   */
  backoffMax?: number;
  /**
   * Draw each delay uniformly between 0 and the computed delay, so clients
   * that failed together do not retry together.
   *
   * @default {true}
   */
  backoffJitter?: boolean;
}

const CONTEXT = "Cannot create RetryPolicy";
// setTimeout fires at once for longer delays.
const MAX_DELAY = 2_147_483_647;

/** Reads the `faultcode` of a SOAP 1.1 fault; the element is unqualified by the spec. */
function soapFaultCode(body: string): string | undefined {
  const open = body.indexOf("<faultcode>");
  if (open === -1) return undefined;
  const start = open + "<faultcode>".length;
  const end = body.indexOf("</faultcode>", start);
  return end === -1 ? undefined : body.slice(start, end).trim();
}

// A SOAP fault with one of these codes is the server's fault; any other
// (sf:INVALID_LOGIN, soapenv:Client, ...) is the caller's, and retrying a
// failed login can lock the user out.
const RETRYABLE_FAULTS = new Set(["Server", "UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE"]);

async function isServerFailure(response: Response): Promise<boolean> {
  if (response.status < 500) return false;
  // SOAP 1.1 sends every fault as HTTP 500; other 5xx need no body.
  if (response.status !== 500) return true;
  let body: string;
  try {
    body = await response.text();
  } catch {
    // The body broke off: a server failure all the same.
    return true;
  }
  const code = soapFaultCode(body);
  return code === undefined || RETRYABLE_FAULTS.has(code.slice(code.indexOf(":") + 1));
}

async function bodyIncludes(response: Response, text: string): Promise<boolean> {
  try {
    return (await response.text()).includes(text);
  } catch {
    // An unreadable body says nothing about its contents.
    return false;
  }
}

/**
 * The response rules used when `responseRules` is omitted, in order: any status
 * >= 500 (except a SOAP fault that blames the caller, such as a failed login),
 * a body containing `UNABLE_TO_LOCK_ROW`, status 429, and a body containing
 * `REQUEST_LIMIT_EXCEEDED`; each allows 3 retries.
 *
 * @example Add a rule after the defaults
 * ```ts
 * import { DEFAULT_RESPONSE_RULES, ResponseRule, RetryPolicy } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const policy = new RetryPolicy({
 *   responseRules: [...DEFAULT_RESPONSE_RULES, new ResponseRule((r) => r.status === 409)],
 * });
 * assert.equal(policy.responseRules.length, DEFAULT_RESPONSE_RULES.length + 1);
 * assert.ok(Object.isFrozen(DEFAULT_RESPONSE_RULES));
 * ```
 */
export const DEFAULT_RESPONSE_RULES: readonly ResponseRule[] = Object.freeze([
  new ResponseRule(isServerFailure),
  new ResponseRule((response) => bodyIncludes(response, "UNABLE_TO_LOCK_ROW")),
  new ResponseRule((response) => response.status === 429),
  new ResponseRule((response) => bodyIncludes(response, "REQUEST_LIMIT_EXCEEDED")),
]);

/**
 * The exception rules used when `exceptionRules` is omitted: a `TypeError`,
 * which is how `fetch` reports a network failure, with 3 retries. Timeouts and
 * aborts are never retried by default.
 *
 * @example Network failures are retried
 * ```ts
 * import { DEFAULT_EXCEPTION_RULES } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_EXCEPTION_RULES.length, 1);
 * assert.equal(await DEFAULT_EXCEPTION_RULES[0].shouldRetry(new TypeError("connection reset")), true);
 * const timeout = new DOMException("Request timed out after 120000 ms", "TimeoutError");
 * assert.equal(await DEFAULT_EXCEPTION_RULES[0].shouldRetry(timeout), false);
 * ```
 */
export const DEFAULT_EXCEPTION_RULES: readonly ExceptionRule[] = Object.freeze([
  new ExceptionRule(TypeError),
]);

function checkRules<T>(
  name: string,
  value: Iterable<T> | undefined,
  defaults: readonly T[],
  type: abstract new (...args: never[]) => T,
): readonly T[] {
  if (value === undefined) return defaults;
  if (
    typeof value !== "object" || value === null ||
    typeof (value as Iterable<T>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `${CONTEXT}: "${name}" must be an array of ${type.name}: received ${received(value)}`,
    );
  }
  const rules = [...value];
  const article = /^[AEIOU]/.test(type.name) ? "an" : "a";
  rules.forEach((rule, index) => {
    if (!(rule instanceof type)) {
      throw new TypeError(
        `${CONTEXT}: "${name}[${index}]" must be ${article} ${type.name}: received ${
          received(rule)
        }`,
      );
    }
  });
  return Object.freeze(rules);
}

function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !(value >= min && value <= max)) {
    const error = typeof value === "number" ? RangeError : TypeError;
    throw new error(
      `${CONTEXT}: "${name}" must be a number from ${min} to ${max}: received ${received(value)}`,
    );
  }
  return value;
}

/**
 * When and how to retry a request: which responses and errors to retry, how
 * many times, and how long to wait in between. The client applies its policy
 * to every request; each request gets a fresh {@linkcode RetryContext}, so
 * budgets are per request.
 *
 * The wait before the n-th retry is `min(backoffBase * backoffFactor^(n-1),
 * backoffMax)`, drawn uniformly from [0, that] with `backoffJitter`. A `429`
 * or `503` carrying `Retry-After` waits as told instead, capped by `backoffMax`.
 *
 * @example Retry more patiently than the default
 * ```ts
 * import { RetryPolicy } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const policy = new RetryPolicy({ maxRetries: 6, backoffBase: 1_000, backoffMax: 30_000 });
 * assert.equal(policy.maxRetries, 6);
 * assert.equal(policy.timeout, 60_000);
 * assert.equal(policy.backoffJitter, true);
 * ```
 *
 * @example Option values are checked
 * ```ts
 * import { RetryPolicy } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new RetryPolicy({ maxRetries: -1 }), {
 *   name: "RangeError",
 *   message: 'Cannot create RetryPolicy: "maxRetries" must be an integer >= 0: received -1',
 * });
 * ```
 */
export class RetryPolicy {
  /** Response rules, tried in order. */
  readonly responseRules: readonly ResponseRule[];
  /** Exception rules, tried in order. */
  readonly exceptionRules: readonly ExceptionRule[];
  /** Most retries of one request. */
  readonly maxRetries: number;
  /** Time budget for retrying one request, in milliseconds. */
  readonly timeout: number;
  /** Delay before the first retry, in milliseconds. */
  readonly backoffBase: number;
  /** Growth of the delay from one retry to the next. */
  readonly backoffFactor: number;
  /** Longest delay, in milliseconds. */
  readonly backoffMax: number;
  /** Whether delays are drawn at random below the computed delay. */
  readonly backoffJitter: boolean;

  /**
   * Creates a policy; omitted options take the defaults.
   *
   * @param options Rules, limits and backoff; every one is optional.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When a numeric option is out of range.
   */
  constructor(options: RetryPolicyOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${CONTEXT}: "options" must be an object: received ${received(options)}`);
    }
    this.responseRules = checkRules(
      "responseRules",
      options.responseRules,
      DEFAULT_RESPONSE_RULES,
      ResponseRule,
    );
    this.exceptionRules = checkRules(
      "exceptionRules",
      options.exceptionRules,
      DEFAULT_EXCEPTION_RULES,
      ExceptionRule,
    );
    this.maxRetries = checkInteger(CONTEXT, "maxRetries", options.maxRetries ?? 3, 0);
    this.timeout = checkDuration(CONTEXT, "timeout", options.timeout ?? 60_000, true);
    this.backoffBase = checkNumber("backoffBase", options.backoffBase ?? 500, 0, MAX_DELAY);
    this.backoffFactor = checkNumber("backoffFactor", options.backoffFactor ?? 2, 1, 1_000);
    this.backoffMax = checkNumber("backoffMax", options.backoffMax ?? 10_000, 0, MAX_DELAY);
    const jitter = options.backoffJitter ?? true;
    if (typeof jitter !== "boolean") {
      throw new TypeError(
        `${CONTEXT}: "backoffJitter" must be a boolean: received ${received(jitter)}`,
      );
    }
    this.backoffJitter = jitter;
  }

  /**
   * Starts the retry bookkeeping for one request: the budgets and the overall
   * timeout count from here.
   *
   * @returns A fresh context.
   *
   * @example Each request gets its own context
   * ```ts
   * import { POLICY_DEFAULT, RetryContext } from "@x/aiosalesforce/retries";
   * import assert from "node:assert/strict";
   *
   * const context = POLICY_DEFAULT.createContext();
   * assert.ok(context instanceof RetryContext);
   * assert.equal(context.retries, 0);
   * ```
   */
  createContext(): RetryContext {
    return new RetryContext(this);
  }

  /**
   * Sends a request with this policy, in a fresh context: shorthand for
   * `policy.createContext().sendRequestWithRetries(client, request)`.
   *
   * @param client The client whose `fetch`, `eventBus` and `timeout` to use.
   * @param request The request; it is copied for every attempt, never sent itself.
   * @returns The final response (2xx, 401, or one no rule retries).
   * @throws The caller's `signal.reason` on abort; the last error when no rule retries it.
   */
  sendRequestWithRetries(client: Salesforce, request: Request): Promise<Response> {
    return new RetryContext(this).sendRequestWithRetries(client, request);
  }
}

/**
 * The policy a client uses when `retryPolicy` is omitted: the default rules,
 * 3 retries, 60 s overall, backoff 500 ms doubling up to 10 s with jitter.
 *
 * @example Inspect the default policy
 * ```ts
 * import { DEFAULT_RESPONSE_RULES, POLICY_DEFAULT } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * assert.equal(POLICY_DEFAULT.maxRetries, 3);
 * assert.equal(POLICY_DEFAULT.backoffMax, 10_000);
 * assert.equal(POLICY_DEFAULT.responseRules, DEFAULT_RESPONSE_RULES);
 * ```
 */
export const POLICY_DEFAULT: RetryPolicy = Object.freeze(new RetryPolicy());

/** True for calls that count against the org's daily API requests. */
function isCountedApiCall(url: string): boolean {
  const path = url.indexOf("/", url.indexOf("//") + 2);
  return path !== -1 &&
    (url.startsWith("/services/data/v", path) || url.startsWith("/services/apexrest/", path));
}

/**
 * Releases a body we will not read. Not awaited on purpose: cancelling one branch
 * of a tee (a body we cloned for a rule) settles only once every branch is
 * cancelled or the source ends, so awaiting could wait forever.
 */
function discard(response: Response): void {
  response.body?.cancel().catch(() => {
    // Already closed, errored or held by a reader: nothing left to release.
  });
}

/**
 * The retry state of one request: how many retries each rule and the whole
 * request have used, and when the request started. Get one from
 * {@linkcode RetryPolicy.createContext}; a client reuses the same context when
 * it replays a request after refreshing its token.
 *
 * @example A context starts with no retries used
 * ```ts
 * import { RetryPolicy } from "@x/aiosalesforce/retries";
 * import assert from "node:assert/strict";
 *
 * const context = new RetryPolicy({ maxRetries: 1 }).createContext();
 * assert.equal(context.policy.maxRetries, 1);
 * assert.equal(context.retries, 0);
 * ```
 */
export class RetryContext {
  /** The policy this context applies. */
  readonly policy: RetryPolicy;
  #start: number;
  #retries = 0;
  #counts: Map<ResponseRule | ExceptionRule, number> | undefined;

  /**
   * Starts a context now; {@linkcode RetryPolicy.createContext} is the usual way.
   *
   * @param policy The policy to apply.
   */
  constructor(policy: RetryPolicy) {
    this.policy = policy;
    this.#start = clock.now();
  }

  /** Retries made so far in this context. */
  get retries(): number {
    return this.#retries;
  }

  /**
   * Sends a request through `client.fetch`, retrying as the policy says.
   *
   * Every attempt sends a fresh copy of the request (so a retry has its body:
   * a clone, or for a body stream that can replay itself a fresh stream of it),
   * limited to `client.timeout` until the response headers arrive and joined
   * with the request's own `signal`. (A request built by `Salesforce.request`
   * is sent itself on its first attempt, and its caller's signal travels beside
   * it; the effect is the same.) The client's own reads of a returned body are
   * held to the same timeout. After each response to a REST or Apex REST
   * call it publishes a `RestApiCallConsumptionEvent`; before each retry a
   * `RetryEvent`. A response below 400 and a 401 are returned at once.
   *
   * @param client The client whose `fetch`, `eventBus` and `timeout` to use.
   * @param request The request; it is copied for every attempt, never sent itself.
   * @returns The final response, body unread.
   * @throws The request signal's `reason`, unchanged, when the caller aborts.
   * @throws The last attempt's error when no rule retries it, including the
   *   `TimeoutError` `DOMException` of an attempt that timed out.
   */
  async sendRequestWithRetries(client: Salesforce, request: Request): Promise<Response> {
    return await this.#send(client, new RequestAttempts(request));
  }

  static {
    // The client sends its own requests through the same loop, some without a Request.
    setSendAttempts((context, client, attempts) => context.#send(client, attempts));
  }

  async #send(client: Salesforce, attempts: Attempts): Promise<Response> {
    const signal = attempts.caller;
    const bus = client.eventBus;
    const method = attempts.method;
    const isWrite = method === "POST" || method === "PATCH";
    const counted = isCountedApiCall(attempts.url);
    const timeout = client.timeout;
    for (;;) {
      signal?.throwIfAborted();
      // Made before the try: an attempt that cannot be made (a body that cannot be copied)
      // is no network failure to retry.
      const controller = attempts.next();
      const deadline = timeout <= MAX_DELAY ? setDeadline(controller, timeout) : undefined;
      // A streamed upload that keeps moving is no stall: its timeout restarts with each piece.
      if (deadline !== undefined) attempts.watchBody?.(() => renewDeadline(deadline, timeout));
      let response!: Response;
      let failed = false;
      let error: unknown;
      try {
        response = await attempts.send(client);
      } catch (caught) {
        failed = true;
        error = caught;
      } finally {
        if (deadline !== undefined) clearDeadline(deadline, timeout);
      }
      if (failed) {
        if (signal?.aborted) throw signal.reason;
        const timedOut = controller.signal.aborted ||
          (error instanceof DOMException && error.name === "TimeoutError");
        // A write that timed out may have been applied: sending it again could duplicate it.
        if (timedOut && isWrite) throw error;
        const delay = this.#plan(await this.#matchError(error), null);
        if (delay === undefined) throw error;
        if (isObserved(bus, "retry")) {
          await bus.publishEvent(
            new RetryEvent({ attempt: this.#retries, request: attempts.request(), error }),
          );
        }
        await clock.sleep(delay, signal ?? undefined);
        continue;
      }
      if (counted && isObserved(bus, "rest_api_call_consumption")) {
        try {
          await bus.publishEvent(new RestApiCallConsumptionEvent(response, 1));
        } catch (error) {
          // A throwing callback fails the call: the body nobody will read is released.
          discard(response);
          throw error;
        }
      }
      if (deadline !== undefined) watchBody(response, controller, timeout, signal);
      const status = response.status;
      if (status < 400 || status === 401 || this.#retries >= this.policy.maxRetries) {
        return response;
      }
      let rule: ResponseRule | undefined;
      try {
        rule = await this.#matchResponse(response);
      } catch (error) {
        discard(response);
        throw signal?.aborted ? signal.reason : error;
      }
      const delay = this.#plan(
        rule,
        status === 429 || status === 503 ? response.headers.get("Retry-After") : null,
      );
      if (delay === undefined) return response;
      if (isObserved(bus, "retry")) {
        const request = attempts.request();
        await bus.publishEvent(
          new RetryEvent({
            attempt: this.#retries,
            request,
            response: shownResponse(request, response),
          }),
        );
      }
      discard(response);
      await clock.sleep(delay, signal ?? undefined);
    }
  }

  /**
   * The first response rule that wants a retry; each reads its own copy of the body, within
   * the attempt's timeout.
   */
  async #matchResponse(response: Response): Promise<ResponseRule | undefined> {
    for (const rule of this.policy.responseRules) {
      const copy = response.clone();
      try {
        if (await readBody(response, () => rule.shouldRetry(copy))) return rule;
      } finally {
        // Free the copy's half of the tee whether or not the rule read it.
        discard(copy);
      }
    }
    return undefined;
  }

  async #matchError(error: unknown): Promise<ExceptionRule | undefined> {
    if (this.#retries >= this.policy.maxRetries) return undefined;
    for (const rule of this.policy.exceptionRules) {
      if (await rule.shouldRetry(error)) return rule;
    }
    return undefined;
  }

  /**
   * Takes a retry from the rule's and the context's budgets and returns the delay
   * before it, or undefined when a budget is spent or the delay would end past the
   * policy's timeout.
   */
  #plan(rule: ResponseRule | ExceptionRule | undefined, header: string | null): number | undefined {
    if (rule === undefined) return undefined;
    const policy = this.policy;
    const used = this.#counts?.get(rule) ?? 0;
    if (used >= rule.maxRetries || this.#retries >= policy.maxRetries) return undefined;
    const now = clock.now();
    const told = retryAfter(header, now);
    const delay = told === undefined
      ? backoff(this.#retries + 1, policy, clock.random)
      : Math.min(told, policy.backoffMax);
    if (now - this.#start + delay > policy.timeout) return undefined;
    (this.#counts ??= new Map()).set(rule, used + 1);
    this.#retries++;
    return delay;
  }
}
