/**
 * An in-memory Salesforce org for tests, demos and benchmarks: it answers the REST,
 * SOQL query, SOAP login and OAuth wire formats, counts API usage, and injects faults.
 *
 * ```ts
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce({ pageSize: 2000 });
 * org.insert("Account", [{ Name: "Acme" }]);
 * const response = await org.fetch("/services/data/");
 * assert.equal(response.status, 200);
 * assert.equal(org.records("Account").length, 1);
 * ```
 *
 * @module
 */
export * from "./fake_salesforce.ts";
