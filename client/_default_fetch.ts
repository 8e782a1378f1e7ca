// The client's fetch when the caller gives none: the global fetch, looked up at each call so
// that a stub put in its place later is used too.

/** Calls the global `fetch`. */
export function defaultFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  return fetch(input, init);
}

/**
 * Whether `fetch` is the runtime's own (the default, or the global one given explicitly): it
 * reads a request body's chunks while sending and keeps none of them afterwards, nor takes them
 * over. A caller's fetch may keep or transfer them.
 */
export function isRuntimeFetch(fetch: unknown): boolean {
  return fetch === defaultFetch || fetch === globalThis.fetch;
}
