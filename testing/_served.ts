// What serving a page costs the fake, for bench/fake_bench.ts: `org.fetch` as `org.serve()`
// and `org.listen()` answer. Not exported by mod.ts.

import { dispatch } from "./_dispatch.ts";
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
  return (input, init) => dispatch(state, input, init, true);
}
