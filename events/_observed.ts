// Whether anyone would see an event of a given type on an EventBus, so the client
// can skip building events that no callback and no listener would receive.
// EventTarget cannot count its listeners, so EventBus records every type that
// was ever listened to; a type stays "observed" after its listeners are removed
// (a wasted event now and then, never a missed one).

/** What an EventBus reports about its audience. */
interface Audience {
  /** Callbacks subscribed now; they see every event. */
  callbacks: number;
  /** Event types `addEventListener` was ever called with. */
  types: Set<string>;
}

const audiences = new WeakMap<EventTarget, Audience>();

function audienceOf(bus: EventTarget): Audience {
  let audience = audiences.get(bus);
  if (audience === undefined) {
    audience = { callbacks: 0, types: new Set() };
    audiences.set(bus, audience);
  }
  return audience;
}

/** Records that `bus` has a listener for `type` (called by EventBus.addEventListener). */
export function markListened(bus: EventTarget, type: string): void {
  audienceOf(bus).types.add(type);
}

/** Records how many callbacks `bus` has (called by EventBus on every change). */
export function setCallbackCount(bus: EventTarget, count: number): void {
  audienceOf(bus).callbacks = count;
}

/**
 * True when publishing an event of `type` on `bus` could reach anyone: a
 * callback, a listener for the type, or a `publishEvent`/`dispatchEvent`
 * replaced on the instance (a spy in a test, say).
 */
export function isObserved(bus: EventTarget, type: string): boolean {
  const audience = audiences.get(bus);
  return audience === undefined || audience.callbacks > 0 || audience.types.has(type) ||
    Object.hasOwn(bus, "publishEvent") || Object.hasOwn(bus, "dispatchEvent");
}
