/**
 * The Salesforce client, its errors and its data APIs.
 *
 * @example Create a client on the fake org
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * assert.equal(sf.version, "64.0");
 * ```
 *
 * @module
 */
export * from "./salesforce.ts";
export * from "./errors.ts";
export * from "./soql.ts";
export * from "./query.ts";
export * from "./sobject.ts";
export * from "./collections.ts";
export * from "./tree.ts";
export * from "./graph.ts";
export * from "./composite.ts";
export * from "./subrequest.ts";
export { type SObjectSubrequestMethods, SubrequestBuilder } from "./subrequest_builder.ts";
export * from "./bulk_v2.ts";
export * from "./apex.ts";
export * from "./tooling.ts";
