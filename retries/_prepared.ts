// What the client tells the retry engine about a request it built, beside the
// Request itself (whose signal and body cannot carry it):
// - the caller's AbortSignal. A Request built with a signal follows it (Node adds
//   an "abort" listener that lives until the Request is collected: thousands on
//   one shared signal), so the client leaves it off and the engine joins it to
//   each attempt's signal itself; without one, an attempt needs no join at all.
// - a controller that aborts the request's own signal, so the first attempt can
//   send the request itself instead of a copy (a GET, or a body kept as text).
// - the body as text, so later attempts send it afresh without cloning.

/** A request the client prepared for the engine. */
export interface Prepared {
  /** The caller's signal, or null when it passed none. */
  caller: AbortSignal | null;
  /**
   * Aborts `request.signal` (it follows `caller` too): the first attempt sends
   * the request itself under this controller's timeout. Taken by that attempt.
   */
  first?: AbortController;
  /** The body, when it is text: each later attempt sends it afresh. */
  text?: string;
}

const prepared = new WeakMap<Request, Prepared>();

/** Records what the client knows about a request it built. */
export function setPrepared(request: Request, details: Prepared): void {
  prepared.set(request, details);
}

/** What the client recorded about `request`, if it built it. */
export function preparedOf(request: Request): Prepared | undefined {
  return prepared.get(request);
}

// Requests whose answers may echo a secret (a login sends a password or a client secret): a
// RetryEvent for them carries the response without its body. Auth flows mark them.
const secretBodies = new WeakSet<Request>();

/** Marks a request whose response body must not reach events (it may echo a secret). */
export function markSecretBody(request: Request): void {
  secretBodies.add(request);
}

/** The response to show in an event about `request`: without its body when that may hold a secret. */
export function shownResponse(request: Request, response: Response): Response {
  if (!secretBodies.has(request)) return response;
  return new Response(null, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
