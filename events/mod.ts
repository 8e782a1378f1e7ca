/**
 * Events a client publishes while it works: requests, responses, retries and
 * the API usage they consume. Subscribe with `addEventListener` or with
 * callbacks that the client awaits.
 *
 * @example Count retries
 * ```ts
 * import { EventBus, RetryEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * const bus = new EventBus();
 * let retries = 0;
 * bus.addEventListener("retry", () => retries++);
 * await bus.publishEvent(new RetryEvent({ attempt: 1, request: new Request("https://x.my.salesforce.com/") }));
 * assert.equal(retries, 1);
 * ```
 *
 * @module
 */
export * from "./events.ts";
export * from "./event_bus.ts";
