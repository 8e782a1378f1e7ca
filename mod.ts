/**
 * An asynchronous Salesforce API client built on Web standards (`fetch`,
 * `Request`/`Response`, `EventTarget`, `AbortSignal`, WebCrypto) with no
 * dependencies: pluggable auth with deduplicated token refresh, retry policies
 * that understand Salesforce, and events for API-usage tracking. A port of the
 * Python `aiosalesforce`.
 *
 * @example Quick start against the in-memory fake org
 * ```ts
 * import { Salesforce, SoapLogin } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { username, password, securityToken } = org.credentials;
 * const sf = new Salesforce({
 *   baseUrl: org.baseUrl,
 *   auth: new SoapLogin({ username, password, securityToken }),
 *   fetch: org.fetch,
 * });
 * const response = await sf.request("limits");
 * const limits = await response.json();
 * assert.ok(limits.DailyApiRequests.Max > 0);
 * ```
 *
 * @module
 */
export * from "./client/mod.ts";
export * from "./auth/mod.ts";
export * from "./retries/mod.ts";
export * from "./events/mod.ts";
