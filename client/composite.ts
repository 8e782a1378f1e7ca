/**
 * Composite Batch and Composite requests: many subrequests in one API call.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { createTree, type TreeOptions, type TreeRecord, type TreeResult } from "./tree.ts";

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

  /**
   * Creates trees of nested records in one all-or-nothing call
   * (`/composite/tree`); see {@linkcode createTree} for the rules.
   *
   * @param sobject The type of the root records, e.g. `Account`.
   * @param records The root records, child relationships as arrays.
   * @param options `signal`.
   * @returns One `{ referenceId, id }` per record, in input order (a parent before its children).
   *
   * @example An account with two contacts
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const [acme, doe] = await sf.composite.tree("Account", [
   *   { Name: "Acme", Contacts: [{ LastName: "Doe" }, { LastName: "Roe" }] },
   * ]);
   * assert.equal(org.records("Contact").find((c) => c.Id === doe.id)?.AccountId, acme.id);
   * ```
   */
  tree(
    sobject: string,
    records: Iterable<TreeRecord>,
    options?: TreeOptions,
  ): Promise<TreeResult[]> {
    return createTree(this.#client, sobject, records, options);
  }
}
