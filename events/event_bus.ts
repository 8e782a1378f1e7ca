import type { SalesforceEvent } from "./events.ts";
import { markListened, setCallbackCount } from "./_observed.ts";

/** A function called with every event a client publishes; it may be async. */
export type EventCallback = (event: SalesforceEvent) => void | Promise<void>;

/**
 * The client's event bus: an `EventTarget` for listeners, plus callbacks that
 * the client awaits, so async hooks (writing usage to a database) finish before
 * the call that caused them returns.
 *
 * @example Track API usage with a callback
 * ```ts
 * import { EventBus, RestApiCallConsumptionEvent, type SalesforceEvent } from "@x/aiosalesforce/events";
 * import assert from "node:assert/strict";
 *
 * let used = 0;
 * const bus = new EventBus([(event: SalesforceEvent) => {
 *   if (event instanceof RestApiCallConsumptionEvent) used += event.count;
 * }]);
 * await bus.publishEvent(new RestApiCallConsumptionEvent(new Response(), 1));
 * assert.equal(used, 1);
 * ```
 */
export class EventBus extends EventTarget {
  #callbacks = new Set<EventCallback>();

  /**
   * Creates the object.
   *
   * @param callbacks Callbacks subscribed from the start.
   * @throws {TypeError} When a callback is not a function.
   */
  constructor(callbacks: Iterable<EventCallback> = []) {
    super();
    setCallbackCount(this, 0);
    for (const callback of callbacks) this.subscribeCallback(callback);
  }

  /**
   * Adds a listener, as `EventTarget.addEventListener` does. The client builds
   * an event only when a callback or a listener for its type exists, so a
   * listener added at any time gets every event published after that.
   *
   * @param type The event type, e.g. `"retry"`.
   * @param listener The listener.
   * @param options `once`, `signal`, ... as for `EventTarget`.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    markListened(this, type);
    super.addEventListener(type, listener, options);
  }

  /**
   * Adds a callback; adding the same function twice has no effect.
   *
   * @param callback Called with every published event.
   * @throws {TypeError} When `callback` is not a function.
   */
  subscribeCallback(callback: EventCallback): void {
    if (typeof callback !== "function") {
      throw new TypeError(
        `Cannot subscribe callback: "callback" must be a function: received ${typeof callback}`,
      );
    }
    this.#callbacks.add(callback);
    setCallbackCount(this, this.#callbacks.size);
  }

  /**
   * Removes a callback; removing one that is not subscribed has no effect.
   *
   * @param callback The callback to remove.
   */
  unsubscribeCallback(callback: EventCallback): void {
    this.#callbacks.delete(callback);
    setCallbackCount(this, this.#callbacks.size);
  }

  /**
   * Dispatches the event to listeners, then calls every callback concurrently
   * and waits for all of them.
   *
   * @param event The event to publish.
   * @returns Resolves once every callback has settled.
   * @throws The first callback error, after all callbacks have settled.
   */
  async publishEvent(event: SalesforceEvent): Promise<void> {
    this.dispatchEvent(event);
    if (this.#callbacks.size === 0) return;
    const results = await Promise.allSettled(
      [...this.#callbacks].map(async (callback) => await callback(event)),
    );
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
  }
}
