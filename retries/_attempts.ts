// How the retry engine makes and sends each attempt of one request. Two kinds:
// - from a Request (any request given to `sendRequestWithRetries`, and every request a
//   client with a custom `fetch` sends): each attempt is a Request passed to `client.fetch`;
// - from its parts (the client's own requests over the standard `fetch`, with no body or a
//   text body): each attempt is `fetch(url, init)`, so no Request is built unless an event
//   or an error shows one. A Request costs 2–4 µs to build and fetch builds its own anyway.

import type { Salesforce } from "../client/salesforce.ts";
import { preparedOf } from "./_prepared.ts";
import type { RetryContext } from "./retry_policy.ts";

/** The attempts of one request, as the retry loop sees them. */
export interface Attempts {
  /** The request's method, normalised as a Request would have it. */
  readonly method: string;
  /** The request's URL, normalised as a Request would have it. */
  readonly url: string;
  /** The caller's signal, or null when it passed none. */
  readonly caller: AbortSignal | null;
  /**
   * Makes the next attempt and returns its controller: aborting it stops that attempt (its
   * timeout does). Throws when the attempt cannot be made (a body that cannot be copied):
   * that is no network failure, and the loop calls it outside the part it retries.
   */
  next(): AbortController;
  /** Sends the attempt `next()` made. */
  send(client: Salesforce): Promise<Response>;
  /** The request, to show in events and errors. */
  request(): Request;
  /**
   * Calls `onPull` each time the runtime takes a piece of the attempt `next()` made's body,
   * when that body can tell (a replayable one): the attempt's timeout restarts then.
   */
  watchBody?(onPull: () => void): void;
}

/** The attempt's signal: the controller's, joined with the caller's when there is one. */
function attemptSignal(caller: AbortSignal | null, controller: AbortController): AbortSignal {
  return caller === null ? controller.signal : AbortSignal.any([caller, controller.signal]);
}

/**
 * A request body stream may offer, under this key, a function that returns a fresh stream of
 * the same bytes (bulk uploads do: client/_bulk_run.ts sets it). Such a request is never
 * cloned: each attempt sends a fresh stream. Cloning tees the
 * body, and the request's own branch then keeps a copy of every chunk sent for as long as the
 * request lives: a second copy of a 100 MB upload per attempt.
 */
export const REPLAYABLE_BODY = Symbol.for("@x/aiosalesforce/replayable-body");

/**
 * The key under which such a body takes a listener, called each time the runtime takes a
 * piece of it (client/_bulk_run.ts sets it): a long upload that keeps moving is not a stalled
 * attempt.
 */
export const BODY_PULLS = Symbol.for("@x/aiosalesforce/body-pulls");

/** The replay function of the request's body, when it has one. */
export function replayOf(request: Request): (() => ReadableStream<Uint8Array>) | undefined {
  const body = request.body as
    | (ReadableStream<Uint8Array> & { [REPLAYABLE_BODY]?: unknown })
    | null;
  const replay = body?.[REPLAYABLE_BODY];
  return typeof replay === "function" ? replay as () => ReadableStream<Uint8Array> : undefined;
}

/**
 * Attempts that are Requests: each a fresh copy of `request` (a clone, the text body sent
 * afresh, or a fresh stream of a replayable body). A request the client built is sent itself
 * on its first attempt, under the controller it prepared (retries/_prepared.ts).
 */
export class RequestAttempts implements Attempts {
  readonly method: string;
  readonly url: string;
  readonly caller: AbortSignal | null;
  #request: Request;
  #first: AbortController | undefined;
  #text: string | undefined;
  #replay: (() => ReadableStream<Uint8Array>) | undefined;
  #hasBody: boolean;
  #attempt: Request | undefined;

  constructor(request: Request) {
    const prepared = preparedOf(request);
    this.#request = request;
    this.method = request.method;
    this.url = request.url;
    // A request the client built carries neither the caller's signal nor, after its
    // first attempt, its body: the client passes them aside.
    this.caller = prepared === undefined ? request.signal : prepared.caller;
    this.#first = prepared?.first;
    if (prepared !== undefined) prepared.first = undefined;
    this.#text = prepared?.text;
    // GET and HEAD have no body, so wrapping the request is already a fresh copy.
    this.#hasBody = this.method !== "GET" && this.method !== "HEAD";
    this.#replay = this.#hasBody && this.#text === undefined ? replayOf(request) : undefined;
  }

  next(): AbortController {
    const first = this.#first;
    if (first !== undefined) {
      // The first attempt of a prepared request sends it: its signal is this controller's.
      this.#first = undefined;
      this.#attempt = this.#request;
      return first;
    }
    const controller = new AbortController();
    const request = this.#request;
    const signal = attemptSignal(this.caller, controller);
    this.#attempt = this.#text !== undefined
      ? new Request(request, { body: this.#text, signal })
      : this.#replay === undefined
      ? new Request(this.#hasBody ? request.clone() : request, { signal })
      : new Request(request, { body: this.#replay(), signal, duplex: "half" } as RequestInit);
    return controller;
  }

  watchBody(onPull: () => void): void {
    if (this.#replay === undefined) return;
    const body = this.#attempt?.body as
      | (ReadableStream<Uint8Array> & { [BODY_PULLS]?: unknown })
      | null
      | undefined;
    const watch = body?.[BODY_PULLS];
    if (typeof watch === "function") watch(onPull);
  }

  send(client: Salesforce): Promise<Response> {
    const attempt = this.#attempt!;
    // Not kept: a sent attempt's body must not live on in this object.
    this.#attempt = undefined;
    return client.fetch(attempt);
  }

  request(): Request {
    return this.#request;
  }
}

/** Methods a Request keeps as given (it upper-cases the others' spelling, which we never use). */
const DIRECT_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);
/** A header name, as fetch accepts it. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value fetch accepts unchanged: printable ASCII and tabs (anything else goes the Request way). */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Attempts sent as `client.fetch(url, init)`. Made only by {@linkcode directAttempts}, for a
 * request that a Request would take as it is: so a bad header can never reach `fetch`, where
 * its TypeError would look like a network failure and be retried.
 */
export class DirectAttempts implements Attempts {
  readonly method: string;
  readonly url: string;
  readonly caller: AbortSignal | null;
  #init: RequestInit;
  #request: Request | undefined;

  constructor(url: string, method: string, init: RequestInit, caller: AbortSignal | null) {
    this.url = url;
    this.method = method;
    this.#init = init;
    this.caller = caller;
  }

  next(): AbortController {
    const controller = new AbortController();
    // The init is the client's own copy, read by fetch at once: each attempt sets its signal.
    this.#init.signal = attemptSignal(this.caller, controller);
    return controller;
  }

  send(client: Salesforce): Promise<Response> {
    return client.fetch(this.url, this.#init);
  }

  request(): Request {
    return this.#request ??= new Request(this.url, { ...this.#init, signal: this.caller });
  }

  /** The init of a replay with another token: what was sent, not what the caller's init holds now. */
  replayInit(token: string): RequestInit & { headers: HeadersInit } {
    const authorization = `Bearer ${token}`;
    const sent = this.#init.headers;
    let headers: HeadersInit;
    if (sent instanceof Headers) {
      const copy = new Headers(sent);
      copy.set("Authorization", authorization);
      headers = copy;
    } else {
      headers = { ...sent as Record<string, string>, Authorization: authorization };
    }
    return { ...this.#init, headers, signal: undefined };
  }
}

/** URL characters the URL parser keeps as they are (no `'`: a query would get it escaped). */
const KEPT_AS_IS = /^[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*$/;
/** A `.` or `..` path segment, which the URL parser resolves (`%2e` spells a dot too). */
const DOT_SEGMENT = /\/\.\.?(?:[/?]|$)|%2e/i;

/**
 * True when the URL parser would give `url` back unchanged (most of ours): spares parsing it.
 * Only for a normal origin (the client's `baseUrl`) followed by a path: the origin itself is
 * not checked (`HTTPS://X:443` passes, though the parser would rewrite it).
 */
export function isNormal(url: string): boolean {
  return KEPT_AS_IS.test(url) && !DOT_SEGMENT.test(url);
}

/** The init members a direct request may have: any other (mode, window, referrer…) goes the Request way. */
const DIRECT_INIT = new Set(["method", "headers", "body", "signal"]);

/**
 * Attempts sent as `fetch(url, init)`, or undefined when the request must go as a Request
 * (which then throws for whatever it refuses, before any attempt): an init member other than
 * method, headers, body and signal; a method other than the six plain ones; a body other
 * than text, or one on GET or HEAD; a signal that is not an AbortSignal; headers as an
 * object whose names or values fetch would not take unchanged.
 *
 * @param url The client's `baseUrl` and a path (see {@linkcode isNormal}), without credentials
 *   (the client refuses those).
 * @param init The init to send, its headers final (a `Headers` or a plain object); its
 *   signal is ignored.
 * @param caller The caller's signal.
 */
export function directAttempts(
  url: string,
  init: RequestInit,
  caller: AbortSignal | null,
): Attempts | undefined {
  for (const key in init) if (!DIRECT_INIT.has(key)) return undefined;
  // A Request takes the signal and the method as given (`null` becomes "null"), so anything
  // but an AbortSignal and a plain method goes that way.
  if (caller !== null && !(caller instanceof AbortSignal)) return undefined;
  const method = init.method === undefined ? "GET" : init.method;
  if (!DIRECT_METHODS.has(method)) return undefined;
  const body = init.body;
  if (body !== undefined && body !== null) {
    if (typeof body !== "string" || method === "GET" || method === "HEAD") return undefined;
  }
  const headers = init.headers;
  if (!(headers instanceof Headers)) {
    const record = headers as Record<string, unknown> | undefined;
    for (const name in record) {
      const value = record[name];
      if (typeof value !== "string" || !HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
        return undefined;
      }
    }
  }
  return new DirectAttempts(isNormal(url) ? url : new URL(url).href, method, init, caller);
}

/** Sends `attempts` in `context`, retrying as its policy says: RetryContext's loop, set by it. */
export let sendAttempts: (
  context: RetryContext,
  client: Salesforce,
  attempts: Attempts,
) => Promise<Response>;

/** Called once, by RetryContext, to hand over its loop. */
export function setSendAttempts(send: typeof sendAttempts): void {
  sendAttempts = send;
}
