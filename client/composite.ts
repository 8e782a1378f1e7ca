/**
 * Composite Batch and Composite requests: many subrequests in one API call.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";

/**
 * Composite resources, available as `sf.composite`.
 *
 * @example Reach the composite builders from a client
 * ```ts
 * import { CompositeClient, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * assert.ok(sf.composite instanceof CompositeClient);
 * ```
 */
export class CompositeClient {
  #client: Salesforce;

  /** @param client The client that sends the composite calls. */
  constructor(client: Salesforce) {
    this.#client = client;
  }
}
