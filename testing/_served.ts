// Not exported by mod.ts. The server `org.serve()` uses (serveOrg), and for the benches:
// `org.fetch` as the org's servers answer (what serving a page costs the fake), and a
// process-wide switch to serve without the relay.

import { dispatch, SERVED } from "./_dispatch.ts";
import { type Running, serve, serveDirect } from "./_serve.ts";
import type { OrgState } from "./_org.ts";
import type { FakeSalesforce } from "./fake_salesforce.ts";

/** The state behind an org: given by FakeSalesforce once the class is defined. */
let stateOf: ((org: FakeSalesforce) => OrgState) | undefined;

/** Called once, by FakeSalesforce's static block. */
export function provideState(of: (org: FakeSalesforce) => OrgState): void {
  stateOf = of;
}

/**
 * `org.fetch` as the org's servers answer: page bodies go out as views of the org's cached
 * bytes instead of a copy for the caller (see RouteContext.served). Read its bodies; never
 * write into them.
 */
export function servedFetch(
  org: FakeSalesforce,
): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const state = stateOf!(org);
  return (input, init) => dispatch(state, input, init, SERVED);
}

let server: typeof serve = serve;

/** What `org.serve()` serves with: the relay of _serve.ts, unless told otherwise. */
export function serveOrg(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): Running {
  return server(handler, options);
}

/**
 * Makes `org.serve()` in this process answer with Deno.serve alone: no relay, so a `drop`
 * fault breaks a body off after the headers instead of closing the socket unanswered. For
 * the bench servers, which inject no drops and whose pace must not include the relay's.
 */
export function serveWithoutRelay(): void {
  server = serveDirect;
}
