// Per-client cache of describe results (describeGlobal and sObject describe, on
// the data API and the Tooling API alike), revalidated with If-Modified-Since.
//
// - Keyed by the request path, so the Tooling API's describes never share the
//   data API's entries (their paths differ by `/tooling`). Object names are
//   case-insensitive in Salesforce, so the key is lower-cased.
// - Concurrent calls for one path share one request; the entry is removed when
//   it settles, so a failure is never cached and the next call tries again.
// - The shared request runs without any caller's signal (one caller giving up
//   must not fail the others); each caller stops waiting when its own signal aborts.
// - Cached bodies are deep-frozen and handed out as they are: no copy per call,
//   and no caller can change what the next caller gets.

import type { Salesforce } from "./salesforce.ts";
import { SalesforceError } from "./errors.ts";
import { abortable } from "./_abort.ts";
import { readBody } from "./_body_deadline.ts";

interface Entry {
  /** The frozen body. */
  body: unknown;
  /** `Last-Modified` (or `Date`) of the response that carried it; undefined: cannot revalidate. */
  since: string | undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** True for the error the pipeline raises for a `304 Not Modified` answer. */
function isNotModified(error: unknown): boolean {
  return error instanceof SalesforceError && error.response?.status === 304;
}

class DescribeCache {
  #client: Salesforce;
  #entries = new Map<string, Entry>();
  #pending = new Map<string, Promise<unknown>>();
  /** Bumped by clear(): a request started before it does not store its answer. */
  #generation = 0;

  constructor(client: Salesforce) {
    this.#client = client;
  }

  get(path: string, signal: AbortSignal | undefined): Promise<unknown> {
    const key = path.toLowerCase();
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#fetch(key, path).finally(() => {
        if (this.#pending.get(key) === pending) this.#pending.delete(key);
      });
      this.#pending.set(key, pending);
    }
    return abortable(pending, signal);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#pending.clear();
  }

  async #fetch(key: string, path: string): Promise<unknown> {
    const generation = this.#generation;
    const cached = this.#entries.get(key);
    const headers = new Headers();
    if (cached?.since !== undefined) headers.set("If-Modified-Since", cached.since);
    let response: Response;
    try {
      response = await this.#client.request(path, { headers });
    } catch (error) {
      // 304 is an answer, not a failure, for a conditional GET; the pipeline raises
      // it like any non-2xx, so it is recognised here and nowhere else.
      if (cached !== undefined && isNotModified(error)) return cached.body;
      if (generation === this.#generation) this.#entries.delete(key);
      throw error;
    }
    const body = deepFreeze(await readBody(response, (answer) => answer.json()));
    if (generation === this.#generation) {
      const since = response.headers.get("Last-Modified") ?? response.headers.get("Date") ??
        undefined;
      this.#entries.set(key, { body, since });
    }
    return body;
  }
}

// One cache per client, kept beside it (the sObject clients of the data and the
// Tooling API reach it through their client); it goes away with the client.
const caches = new WeakMap<Salesforce, DescribeCache>();

function cacheOf(client: Salesforce): DescribeCache {
  let cache = caches.get(client);
  if (cache === undefined) {
    cache = new DescribeCache(client);
    caches.set(client, cache);
  }
  return cache;
}

/**
 * GETs a describe resource through the client's cache: the first call fetches,
 * later calls revalidate with `If-Modified-Since` and reuse the body on 304.
 * The result is deep-frozen.
 */
export function cachedDescribe<T>(
  client: Salesforce,
  path: string,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return cacheOf(client).get(path, signal) as Promise<T>;
}

/** Forgets every cached describe of the client; calls in flight are not stored. */
export function clearDescribeCache(client: Salesforce): void {
  caches.get(client)?.clear();
}
