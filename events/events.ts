/**
 * Event classes published on a client's {@linkcode EventBus}.
 *
 * @module
 */

/** The `type` of every event the client publishes. */
export type SalesforceEventType =
  | "request"
  | "response"
  | "retry"
  | "rest_api_call_consumption"
  | "bulk_api_batch_consumption";

/**
 * Reads `api-usage=consumed/limit` from a `Sforce-Limit-Info` header value.
 *
 * Salesforce may add other items (`api-usage=18/15000; api-bursts=1/750`), so
 * the value is scanned for the `api-usage` item rather than matched whole.
 *
 * @param header The header value, or null when the response had none.
 * @returns `[consumed, limit]`, or `[null, null]` when absent or unreadable.
 *
 * @example Read the daily API usage
 * ```ts
 * import { parseLimitInfo } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseLimitInfo("api-usage=18/15000; api-bursts=1/750"), [18, 15000]);
 * assert.deepEqual(parseLimitInfo(null), [null, null]);
 * ```
 */
export function parseLimitInfo(header: string | null): [number | null, number | null] {
  if (header === null) return [null, null];
  for (const item of header.split(/[;,]/)) {
    const [key, value] = item.split("=", 2).map((part) => part.trim());
    if (key !== "api-usage" || value === undefined) continue;
    const match = /^(\d+)\/(\d+)$/.exec(value);
    if (match) return [Number(match[1]), Number(match[2])];
  }
  return [null, null];
}

/** Request headers that carry a session: never in an event. */
const SECRET_HEADERS = ["Authorization", "Cookie", "X-SFDC-Session"];

/** Builds, on first use only, a copy of a request that holds no secret. */
class RedactedRequest {
  #source: Request | undefined;
  #value: Request | undefined;

  constructor(source: Request) {
    this.#source = source;
  }

  get value(): Request {
    if (this.#value === undefined) {
      const source = this.#source!;
      const headers = new Headers(source.headers);
      // The bearer token, and a session sent any other way a caller may have added.
      for (const name of SECRET_HEADERS) headers.delete(name);
      this.#value = new Request(source.url, { method: source.method, headers });
      this.#source = undefined;
    }
    return this.#value;
  }
}

/**
 * Base class of every event the client publishes.
 *
 * @example Listen to every request
 * ```ts
 * import { EventBus, RequestEvent, SalesforceEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const bus = new EventBus();
 * const seen: string[] = [];
 * bus.addEventListener("request", (e) => seen.push((e as SalesforceEvent).type));
 * await bus.publishEvent(new RequestEvent(new Request("https://acme.my.salesforce.com/")));
 * assert.deepEqual(seen, ["request"]);
 * ```
 */
export class SalesforceEvent extends Event {
  /**
   * Creates an event of the given type.
   *
   * @param type One of the event types the client publishes.
   */
  constructor(type: SalesforceEventType) {
    super(type);
  }

  /** The event type. */
  override get type(): SalesforceEventType {
    return super.type as SalesforceEventType;
  }
}

/**
 * An event about a Salesforce response, with the org's API usage read from its
 * `Sforce-Limit-Info` header.
 *
 * @example Read API usage from a response event
 * ```ts
 * import { ResponseEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const response = new Response(null, { headers: { "Sforce-Limit-Info": "api-usage=25/100" } });
 * const event = new ResponseEvent(response);
 * assert.equal(event.remaining, 75);
 * ```
 */
export abstract class ResponseBoundEvent extends SalesforceEvent {
  /** The response the event is about. Its body belongs to the caller: read `response.clone()`. */
  readonly response: Response;
  /** API requests used in the org's rolling 24 hours, or null without the header. */
  readonly consumed: number | null;
  /** The org's daily API request limit, or null without the header. */
  readonly limit: number | null;

  /**
   * Creates the object.
   *
   * @param type The event type.
   * @param response The response the event is about.
   */
  constructor(type: SalesforceEventType, response: Response) {
    super(type);
    this.response = response;
    [this.consumed, this.limit] = parseLimitInfo(response.headers.get("Sforce-Limit-Info"));
  }

  /** `limit - consumed`, or null when either is unknown. */
  get remaining(): number | null {
    return this.consumed === null || this.limit === null ? null : this.limit - this.consumed;
  }
}

/**
 * Published once per `request()` call, before the first attempt is sent.
 *
 * @example Build a request event
 * ```ts
 * import { RequestEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const event = new RequestEvent(new Request("https://acme.my.salesforce.com/services/data/"));
 * assert.equal(event.type, "request");
 * ```
 */
export class RequestEvent extends SalesforceEvent {
  #request: RedactedRequest;

  /**
   * Creates the object.
   *
   * @param request The request about to be sent.
   */
  constructor(request: Request) {
    super("request");
    this.#request = new RedactedRequest(request);
  }

  /**
   * A copy of the request about to be sent: method, URL and headers, without
   * the `Authorization`, `Cookie` and `X-SFDC-Session` headers and without the body
   * (login bodies hold secrets).
   */
  get request(): Request {
    return this.#request.value;
  }
}

/**
 * Published once per successful (2xx) `request()` call.
 *
 * @example Build a response event
 * ```ts
 * import { ResponseEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const event = new ResponseEvent(new Response("{}"));
 * assert.equal(event.type, "response");
 * assert.equal(event.consumed, null);
 * ```
 */
export class ResponseEvent extends ResponseBoundEvent {
  /**
   * Creates the object.
   *
   * @param response The successful response.
   */
  constructor(response: Response) {
    super("response", response);
  }
}

/**
 * Published before each retry sleep.
 *
 * @example Build a retry event
 * ```ts
 * import { RetryEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("https://acme.my.salesforce.com/services/data/");
 * const event = new RetryEvent({ attempt: 1, request, response: new Response(null, { status: 503 }) });
 * assert.equal(event.attempt, 1);
 * assert.equal(event.response?.status, 503);
 * ```
 */
export class RetryEvent extends SalesforceEvent {
  /** 1 for the first retry, 2 for the second, ... */
  readonly attempt: number;
  #request: RedactedRequest;
  /** The response that triggered the retry, when a response rule matched. */
  readonly response?: Response;
  /** The error that triggered the retry, when an exception rule matched. */
  readonly error?: unknown;

  /**
   * Creates the object.
   *
   * @param init The retry number, the request, and the response or error that caused it.
   */
  constructor(init: { attempt: number; request: Request; response?: Response; error?: unknown }) {
    super("retry");
    this.attempt = init.attempt;
    this.#request = new RedactedRequest(init.request);
    if (init.response !== undefined) this.response = init.response;
    if ("error" in init) this.error = init.error;
  }

  /** A copy of the request that will be sent again, without its session headers and body. */
  get request(): Request {
    return this.#request.value;
  }
}

/**
 * Published for every response received from the REST API, retried or not:
 * each one counts against the org's daily API requests.
 *
 * @example Count API calls
 * ```ts
 * import { RestApiCallConsumptionEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const response = new Response(null, { headers: { "Sforce-Limit-Info": "api-usage=7/15000" } });
 * const event = new RestApiCallConsumptionEvent(response, 1);
 * assert.equal(event.count, 1);
 * assert.equal(event.consumed, 7);
 * ```
 */
export class RestApiCallConsumptionEvent extends ResponseBoundEvent {
  /** Number of API calls the response consumed. */
  readonly count: number;

  /**
   * Creates the object.
   *
   * @param response The response received.
   * @param count API calls consumed.
   */
  constructor(response: Response, count = 1) {
    super("rest_api_call_consumption", response);
    this.count = count;
  }
}

/**
 * Published for each Bulk API 2.0 data upload: Salesforce counts one batch per
 * 10,000 records against `DailyBulkApiBatches`.
 *
 * @example Count bulk batches
 * ```ts
 * import { BulkApiBatchConsumptionEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const event = new BulkApiBatchConsumptionEvent(new Response(null, { status: 201 }), 3);
 * assert.equal(event.type, "bulk_api_batch_consumption");
 * assert.equal(event.count, 3);
 * ```
 */
export class BulkApiBatchConsumptionEvent extends ResponseBoundEvent {
  /** Number of bulk batches consumed. */
  readonly count: number;

  /**
   * Creates the object.
   *
   * @param response The upload response.
   * @param count Bulk batches consumed.
   */
  constructor(response: Response, count: number) {
    super("bulk_api_batch_consumption", response);
    this.count = count;
  }
}
