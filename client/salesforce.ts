/**
 * The Salesforce client and its request pipeline.
 *
 * @module
 */

import type { Auth } from "../auth/auth.ts";
import { EventBus, type EventCallback } from "../events/event_bus.ts";
import { RequestEvent, ResponseEvent } from "../events/events.ts";
import { isObserved } from "../events/_observed.ts";
import { POLICY_DEFAULT, type RetryContext, RetryPolicy } from "../retries/retry_policy.ts";
import { type Prepared, preparedOf, setPrepared } from "../retries/_prepared.ts";
import {
  type Attempts,
  DirectAttempts,
  directAttempts,
  replayOf,
  RequestAttempts,
  sendAttempts,
} from "../retries/_attempts.ts";
import { defaultFetch, isRuntimeFetch } from "./_default_fetch.ts";
import { ApexClient } from "./apex.ts";
import { BulkClientV2 } from "./bulk_v2.ts";
import { CompositeClient } from "./composite.ts";
import { CollectionsClient } from "./collections.ts";
import { createSalesforceError } from "./errors.ts";
import { type QueryIterator, type QueryOptions, queryRecords } from "./query.ts";
import { SObjectClient } from "./sobject.ts";
import { ToolingClient } from "./tooling.ts";
import { cachedDescribe, clearDescribeCache } from "./_describe_cache.ts";
import { abortable } from "./_abort.ts";
import { Semaphore } from "./_semaphore.ts";
import {
  checkBaseUrl,
  checkDuration,
  checkFunction,
  checkInteger,
  checkVersion,
  optionsOf,
  received,
} from "./_validate.ts";
import { readBody } from "./_body_deadline.ts";

/** The `fetch` signature the client calls. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Options for {@linkcode Salesforce}. */
export interface SalesforceOptions {
  /**
   * The org's instance URL, e.g. `https://acme.my.salesforce.com`. Any path is
   * ignored. Must be `https://`, or `http://` on a loopback host.
   */
  baseUrl: string | URL;
  /** How the client gets its access token; one instance can serve several clients. */
  auth: Auth;
  /**
   * API version: `"64"`, `"64."`, `"64.0"` and `"v64.0"` all mean `"64.0"`.
   *
   * @default {"64.0"}
   */
  version?: string;
  /**
   * The `fetch` to send requests with, e.g. `org.fetch` of a `FakeSalesforce`.
   * A custom one is called with one `Request` that carries everything, its
   * `signal` included; the standard one may be called as `fetch(url, init)`.
   *
   * @default {globalThis.fetch}
   */
  fetch?: FetchFunction;
  /**
   * When and how to retry; `null` never retries.
   *
   * @default {POLICY_DEFAULT}
   */
  retryPolicy?: RetryPolicy | null;
  /**
   * Most requests this client has in flight at once.
   *
   * @default {100}
   */
  concurrencyLimit?: number;
  /** Callbacks called, and awaited, with every event the client publishes. */
  eventHooks?: Iterable<EventCallback>;
  /**
   * Per-attempt timeout in milliseconds, until the response headers arrive. A body the client
   * reads itself (JSON answers, query pages, bulk results) is held to it too: reading a JSON
   * body whole, and each wait for more of a page, must end within it (a consumer's own time
   * between rows does not count). A `Response` that `request()` returns is yours to read:
   * pass a `signal` to bound that. A bulk upload restarts it with each piece of its CSV sent,
   * so it bounds a stalled upload, not a long one.
   *
   * @default {120_000}
   */
  timeout?: number;
}

/** The describeGlobal result: the org's objects. */
export interface DescribeGlobal {
  /** Character encoding of the org, e.g. `UTF-8`. */
  encoding: string;
  /** Most records per collections call (200). */
  maxBatchSize: number;
  /** One entry per object: name, label, key prefix and capabilities. */
  sobjects: Array<
    {
      name: string;
      label: string;
      keyPrefix: string | null;
      custom: boolean;
      [key: string]: unknown;
    }
  >;
}

const CONTEXT = "Cannot create Salesforce client";
const NEVER_RETRY = new RetryPolicy({ responseRules: [], exceptionRules: [], maxRetries: 0 });

/**
 * The caller's headers with `Accept` and `Sforce-Call-Options` defaults and the
 * token's `Authorization`. Without caller headers, or with a plain object of
 * them, a plain object: a Request copies one faster than a `Headers`.
 */
function withDefaultHeaders(given: HeadersInit | undefined, token: string): HeadersInit {
  const authorization = `Bearer ${token}`;
  if (given === undefined) {
    return {
      Accept: "application/json",
      "Sforce-Call-Options": "client=aiosalesforce",
      Authorization: authorization,
    };
  }
  if (
    typeof given !== "object" || given === null || given instanceof Headers ||
    Symbol.iterator in given
  ) {
    const headers = new Headers(given);
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    if (!headers.has("Sforce-Call-Options")) {
      headers.set("Sforce-Call-Options", "client=aiosalesforce");
    }
    headers.set("Authorization", authorization);
    return headers;
  }
  const headers: Record<string, string> = {};
  let accept = true;
  let callOptions = true;
  for (const [name, value] of Object.entries(given)) {
    const lower = name.toLowerCase();
    if (lower === "authorization") continue;
    if (lower === "accept") accept = false;
    else if (lower === "sforce-call-options") callOptions = false;
    headers[name] = value;
  }
  if (accept) headers.Accept = "application/json";
  if (callOptions) headers["Sforce-Call-Options"] = "client=aiosalesforce";
  headers.Authorization = authorization;
  return headers;
}

/**
 * An asynchronous Salesforce API client.
 *
 * Every call goes through {@linkcode Salesforce.request}: token from `auth`,
 * events, the concurrency limit, the retry policy, one token refresh on `401`,
 * and error mapping.
 *
 * @example Read the org's limits from the fake org
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const limits = await sf.getLimits();
 * assert.ok("DailyApiRequests" in limits);
 * ```
 */
export class Salesforce {
  /** The instance origin requests go to, e.g. `https://acme.my.salesforce.com`. */
  readonly baseUrl: string;
  /** The API version, e.g. `"64.0"`. */
  readonly version: string;
  /** The authentication strategy. */
  readonly auth: Auth;
  /** The `fetch` every request goes through. */
  readonly fetch: FetchFunction;
  /** Where the client publishes its events. */
  readonly eventBus: EventBus;
  /** The retry policy (a policy that never retries when the option was `null`). */
  readonly retryPolicy: RetryPolicy;
  /** Per-attempt timeout in milliseconds. */
  readonly timeout: number;
  /** Most requests in flight at once. */
  readonly concurrencyLimit: number;
  /** Single-record sObject operations: create, get, update, delete, upsert, describe. */
  readonly sobject: SObjectClient;
  /** sObject Collections: create, update, upsert, delete and get many records per call. */
  readonly collections: CollectionsClient;
  /** Composite Batch and Composite requests: many subrequests in one API call. */
  readonly composite: CompositeClient;
  /** Bulk API 2.0: ingest jobs and streamed bulk queries. */
  readonly bulkV2: BulkClientV2;
  /** Your Apex REST services on `/services/apexrest/`: get, post, put, patch, delete, JSON in and out. */
  readonly apex: ApexClient;
  /** The Tooling API: `query` and `sobject`, the data API's code on `/tooling/`. */
  readonly tooling: ToolingClient;
  #semaphore: Semaphore;
  /** True when `fetch` is the standard one, which takes a URL and an init as well as a Request. */
  #direct: boolean;
  #dataPath: string;

  /**
   * Creates the object.
   *
   * @param options The org URL, the auth strategy and optional settings.
   * @throws {TypeError} When an option has the wrong type or form.
   * @throws {RangeError} When a numeric option is out of range.
   */
  constructor(options: SalesforceOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${CONTEXT}: "options" must be an object: received ${received(options)}`);
    }
    this.baseUrl = checkBaseUrl(CONTEXT, options.baseUrl);
    const auth = options.auth as unknown;
    if (
      typeof auth !== "object" || auth === null ||
      typeof (auth as Auth).getAccessToken !== "function" ||
      typeof (auth as Auth).refreshAccessToken !== "function"
    ) {
      throw new TypeError(
        `${CONTEXT}: "auth" must be an Auth instance such as SoapLogin or ClientCredentialsFlow: received ${
          received(auth)
        }`,
      );
    }
    this.auth = options.auth;
    this.version = checkVersion(CONTEXT, options.version ?? "64.0");
    this.fetch = checkFunction(CONTEXT, "fetch", options.fetch ?? defaultFetch);
    this.#direct = isRuntimeFetch(this.fetch);
    const policy = options.retryPolicy;
    if (policy !== undefined && policy !== null && !(policy instanceof RetryPolicy)) {
      throw new TypeError(
        `${CONTEXT}: "retryPolicy" must be a RetryPolicy or null: received ${received(policy)}`,
      );
    }
    this.retryPolicy = policy === undefined ? POLICY_DEFAULT : policy ?? NEVER_RETRY;
    this.concurrencyLimit = checkInteger(
      CONTEXT,
      "concurrencyLimit",
      options.concurrencyLimit ?? 100,
      1,
    );
    this.timeout = checkDuration(CONTEXT, "timeout", options.timeout ?? 120_000);
    const hooks = options.eventHooks ?? [];
    if (typeof (hooks as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(
        `${CONTEXT}: "eventHooks" must be an iterable of functions: received ${received(hooks)}`,
      );
    }
    for (const hook of hooks) checkFunction(CONTEXT, "eventHooks[]", hook);
    this.eventBus = new EventBus(hooks);
    this.#semaphore = new Semaphore(this.concurrencyLimit);
    this.#dataPath = `/services/data/v${this.version}/`;
    this.sobject = new SObjectClient(this);
    this.collections = new CollectionsClient(this);
    this.composite = new CompositeClient(this);
    this.bulkV2 = new BulkClientV2(this);
    this.apex = new ApexClient(this);
    this.tooling = new ToolingClient(this);
  }

  /**
   * Runs a SOQL query and iterates over every record, following
   * `nextRecordsUrl` with one page fetched ahead. There is no cap on the
   * number of records, and memory holds two pages at most.
   *
   * @param soql The query; build it with {@linkcode soql} or {@linkcode formatSoql} to quote values safely.
   * @param options `includeAllRecords` (queryAll), `batchSize` (200 to 2,000), `signal`.
   * @returns An async iterable of records; its `totalSize` is the query's row
   *   count (the `COUNT()` value) once the first page has arrived.
   * @throws {TypeError} When `soql` is empty.
   * @throws {SalesforceError} When a page request fails (e.g. `MALFORMED_QUERY`).
   *
   * @example Query with a safely quoted value
   * ```ts
   * import { Salesforce, soql } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "O'Brien & Sons" }, { Name: "Acme" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const name = "O'Brien & Sons";
   * const found = [];
   * for await (const account of sf.query(soql`SELECT Id, Name FROM Account WHERE Name = ${name}`)) {
   *   found.push(account);
   * }
   * assert.equal(found.length, 1);
   * ```
   */
  query<T = Record<string, unknown>>(
    soql: string,
    options: QueryOptions = {},
  ): QueryIterator<T> {
    return queryRecords<T>(this, soql, options);
  }

  /**
   * Lists the org's sObjects (`GET /sobjects`).
   *
   * Cached per client: the first call fetches; later calls send
   * `If-Modified-Since` (the cached response's `Last-Modified`, or its `Date`)
   * and reuse the cached copy when Salesforce answers `304`. Concurrent calls
   * share one request; a failed call is not cached. The result is deep-frozen
   * and shared between callers; {@linkcode Salesforce.clearDescribeCache}
   * forgets it.
   *
   * @param options `signal`: stops this caller waiting; a request shared with
   *   other callers still completes for them.
   * @returns The describeGlobal JSON, with `sobjects`, frozen.
   * @throws {SalesforceError} When the call fails.
   *
   * @example List the org's objects
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const { sobjects } = await sf.describeGlobal();
   * assert.ok(sobjects.some((sobject) => sobject.name === "Account"));
   * ```
   */
  describeGlobal(options: { signal?: AbortSignal } = {}): Promise<DescribeGlobal> {
    options = optionsOf("Cannot describe the org", options);
    return cachedDescribe<DescribeGlobal>(this, `${this.#dataPath}sobjects`, options.signal);
  }

  /**
   * Forgets every cached describe of this client (describeGlobal and sObject
   * describes, data and Tooling API alike), so the next call fetches in full.
   * Calls already in flight finish but do not refill the cache.
   *
   * @example Fetch a describe again after a deployment
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const before = await sf.sobject.describe("Account");
   * sf.clearDescribeCache();
   * const after = await sf.sobject.describe("Account");
   * assert.notEqual(before, after);
   * assert.equal(org.stats.requests["GET describe"], 2);
   * ```
   */
  clearDescribeCache(): void {
    clearDescribeCache(this);
  }

  /**
   * Sends a request to the org and returns its response, body unread.
   *
   * `pathOrUrl` may be a path from the host (`/services/data/v64.0/limits`),
   * a path relative to the versioned data API (`limits`, `sobjects/Account`),
   * or an absolute URL on the client's own origin (others are refused, so the
   * token never leaves the org).
   *
   * @param pathOrUrl Where to send the request.
   * @param init Method, headers, body and `signal`, as for `fetch`.
   * @returns The 2xx response with its body unread.
   * @throws {SalesforceError} The mapped subclass for any non-2xx response.
   * @throws {TypeError} When `pathOrUrl` points to another origin.
   *
   * @example Call any REST resource
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const response = await sf.request("sobjects");
   * const body = await response.json();
   * assert.ok(Array.isArray(body.sobjects));
   * ```
   */
  async request(pathOrUrl: string | URL, init: RequestInit = {}): Promise<Response> {
    // As fetch does, a null init is no init; anything else that is not an object is refused.
    if (init === null) init = {};
    else if (typeof init !== "object") {
      throw new TypeError(
        `Cannot send request: "init" must be a RequestInit object: received ${received(init)}`,
      );
    }
    const url = this.#resolve(pathOrUrl);
    const signal = init.signal ?? null;
    signal?.throwIfAborted();
    let token = await abortable(this.auth.getAccessToken(this), signal);
    let attempts = this.#attempts(url, init, token, signal);
    const bus = this.eventBus;
    if (isObserved(bus, "request")) await bus.publishEvent(new RequestEvent(attempts.request()));

    signal?.throwIfAborted();
    if (!this.#semaphore.tryAcquire()) await this.#semaphore.acquire(signal);
    let response: Response;
    try {
      const context = this.retryPolicy.createContext();
      response = await this.#send(context, attempts);
      if (response.status === 401) {
        // The token expired or was revoked: refresh it once and replay.
        await response.body?.cancel();
        token = await abortable(this.auth.refreshAccessToken(this, token), signal);
        attempts = this.#reattempts(attempts, url, token, signal);
        response = await this.#send(context, attempts);
      }
    } finally {
      this.#semaphore.release();
    }
    if (!response.ok) {
      // The token is hidden in case the server echoed the request's headers.
      throw await createSalesforceError(response, {
        method: attempts.method,
        url: attempts.url,
        secrets: [token],
      });
    }
    if (isObserved(bus, "response")) {
      try {
        await bus.publishEvent(new ResponseEvent(response));
      } catch (error) {
        // A throwing callback fails the call: the body nobody will read is released.
        await response.body?.cancel().catch(() => {});
        throw error;
      }
    }
    return response;
  }

  /**
   * Reads the org's limits (`GET /limits`).
   *
   * @param options `signal` to abort the call.
   * @returns The limits JSON: each limit name to `{ Max, Remaining }`.
   *
   * @example Read the org's daily API limit
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const { DailyApiRequests } = await sf.getLimits();
   * assert.ok(DailyApiRequests.Max > 0);
   * ```
   */
  async getLimits(
    options: { signal?: AbortSignal } = {},
  ): Promise<Record<string, { Max: number; Remaining: number; [app: string]: unknown }>> {
    options = optionsOf("Cannot read limits", options);
    const response = await this.request("limits", { signal: options.signal });
    return await readBody(response, (answer) => answer.json());
  }

  /**
   * The attempts of a request: sent as `fetch(url, init)` when the client's `fetch` is the
   * standard one and the request needs no Request (retries/_attempts.ts), otherwise as a
   * Request built here.
   */
  #attempts(url: string, init: RequestInit, token: string, signal: AbortSignal | null): Attempts {
    const headers = withDefaultHeaders(init.headers, token);
    if (this.#direct && !this.#customContexts()) {
      const attempts = directAttempts(url, { ...init, headers }, signal);
      if (attempts !== undefined) return attempts;
    }
    return new RequestAttempts(this.#build(url, init, headers, signal));
  }

  /** True when the retry policy makes its own contexts: they get every request as a Request. */
  #customContexts(): boolean {
    return this.retryPolicy.createContext !== RetryPolicy.prototype.createContext;
  }

  /** Sends the attempts in `context`: through its own `sendRequestWithRetries` if it has one. */
  #send(context: RetryContext, attempts: Attempts): Promise<Response> {
    return this.#customContexts()
      ? context.sendRequestWithRetries(this, attempts.request())
      : sendAttempts(context, this, attempts);
  }

  /** The attempts of the replay after a 401, with the new token. */
  #reattempts(
    attempts: Attempts,
    url: string,
    token: string,
    signal: AbortSignal | null,
  ): Attempts {
    if (attempts instanceof DirectAttempts) {
      // Replayed from what was sent: the caller may have changed its init since.
      const sent = attempts.replayInit(token);
      return directAttempts(url, sent, signal) ??
        new RequestAttempts(this.#build(url, sent, sent.headers, signal));
    }
    const request = attempts.request();
    const headers = new Headers(request.headers);
    headers.set("Authorization", `Bearer ${token}`);
    const text = preparedOf(request)?.text;
    const replay = text === undefined ? replayOf(request) : undefined;
    if (replay !== undefined) {
      // A replayable body (a bulk upload) goes on as a fresh stream that can replay itself
      // too: taking over the request's body would drop that, and each retry would then clone
      // (tee) it, a branch keeping a copy of the whole upload.
      const body = replay();
      const init = { headers, body, duplex: "half" } as RequestInit;
      return new RequestAttempts(this.#prepare(request, init, signal, body));
    }
    // A text body is sent afresh; any other is taken over from the request, never sent itself.
    return new RequestAttempts(
      this.#prepare(request, { headers, body: text }, signal, text ?? request.body),
    );
  }

  /**
   * Builds the request to send: the caller's init with the default headers and
   * the token. What the retry engine needs beside it (the caller's signal, the
   * first attempt's controller, a text body) goes aside: see retries/_prepared.ts.
   */
  #build(
    url: string,
    init: RequestInit,
    headers: HeadersInit,
    signal: AbortSignal | null,
  ): Request {
    const requestInit: RequestInit & { duplex?: "half" } = { ...init, headers };
    const body = init.body;
    if (body instanceof ReadableStream) requestInit.duplex = "half";
    return this.#prepare(url, requestInit, signal, body);
  }

  #prepare(
    input: string | Request,
    init: RequestInit,
    signal: AbortSignal | null,
    body: BodyInit | null | undefined,
  ): Request {
    // A policy that makes its own contexts may read only `request.signal`.
    if (this.#customContexts()) {
      init.signal = signal;
      return new Request(input, init);
    }
    const prepared: Prepared = { caller: signal };
    if (typeof body === "string") prepared.text = body;
    // Without a body, or with one to send afresh, the first attempt can send the request itself.
    if (body === undefined || body === null || prepared.text !== undefined) {
      const first = new AbortController();
      prepared.first = first;
      init.signal = signal === null ? first.signal : AbortSignal.any([signal, first.signal]);
    } else {
      init.signal = null;
    }
    const request = new Request(input, init);
    setPrepared(request, prepared);
    return request;
  }

  #resolve(pathOrUrl: string | URL): string {
    if (typeof pathOrUrl !== "string" && !(pathOrUrl instanceof URL)) {
      throw new TypeError(
        `Cannot send request: "pathOrUrl" must be a path or a URL: received ${received(pathOrUrl)}`,
      );
    }
    const text = String(pathOrUrl);
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(text);
    const path = text.startsWith("/") || absolute ? text : this.#dataPath + text;
    // A path that starts with one slash (not `//` or `/\`, which name a host) stays on
    // the origin whatever follows; the Request parses and normalises it.
    if (!absolute && path[1] !== "/" && path[1] !== "\\") return this.baseUrl + path;
    let url: URL;
    try {
      url = new URL(path, this.baseUrl);
    } catch {
      // Not echoed: an unparsable URL may still hold a password.
      throw new TypeError(
        `Cannot send request: "pathOrUrl" must be a path or a URL on ${this.baseUrl}: received a URL that does not parse`,
      );
    }
    if (url.username !== "" || url.password !== "") {
      // Not echoed: the password is a secret (Node's Request would print it in its error).
      throw new TypeError(
        'Cannot send request: "pathOrUrl" must not contain a user name or password',
      );
    }
    if (url.origin !== this.baseUrl) {
      throw new TypeError(
        `Cannot send request: "pathOrUrl" must be on ${this.baseUrl}: received ${
          received(url.origin)
        }`,
      );
    }
    return url.href;
  }
}
