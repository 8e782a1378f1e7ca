// Test doubles for the retry engine: a minimal client and a clock that never waits.
import { type Mock, mock } from "node:test";
import type { Salesforce } from "../../client/salesforce.ts";
import { EventBus } from "../../events/event_bus.ts";
import type { SalesforceEvent } from "../../events/events.ts";
import { clock } from "../../retries/_clock.ts";

export type Handler = (request: Request, attempt: number) => Response | Promise<Response>;

/**
 * The three members the retry engine uses (`fetch`, `eventBus`, `timeout`), a
 * log of the requests `fetch` received, and every published event in order.
 */
export interface StubClient {
  client: Salesforce;
  fetch: Mock<(input: RequestInfo | URL) => Promise<Response>>;
  requests: Request[];
  events: SalesforceEvent[];
}

export interface FakeClock {
  sleeps: number[];
  time: { now: number };
  restore(): void;
}

export function stubClient(handler: Handler, options: { timeout?: number } = {}): StubClient {
  const requests: Request[] = [];
  const events: SalesforceEvent[] = [];
  const fetch = mock.fn((input: RequestInfo | URL, init?: RequestInit) => {
    // The engine passes each attempt's signal beside the request, as `fetch(request, { signal })`.
    const request = init?.signal
      ? new Request(input as Request, { signal: init.signal })
      : input as Request;
    requests.push(request);
    return Promise.resolve(handler(request, requests.length));
  });
  const eventBus = new EventBus([(event) => {
    events.push(event);
  }]);
  const client = { fetch, eventBus, timeout: options.timeout ?? 120_000 } as unknown as Salesforce;
  return { client, fetch, requests, events };
}

/** Answers with each response in turn, repeating the last one. */
export function responses(...makers: Array<() => Response>): Handler {
  return (_request, attempt) => makers[Math.min(attempt, makers.length) - 1]();
}

export function status(
  code: number,
  body: string | null = null,
  headers?: HeadersInit,
): () => Response {
  return () => new Response(body, { status: code, headers });
}

/**
 * Replaces the clock: `sleep` records its delay and advances `now` instead of
 * waiting; `random` returns a fixed value. Call `restore()` in `finally`.
 */
export function fakeClock(options: { now?: number; random?: number } = {}): FakeClock {
  const sleeps: number[] = [];
  const time = { now: options.now ?? 1_700_000_000_000 };
  mock.method(clock, "now", () => time.now);
  mock.method(clock, "random", () => options.random ?? 0.5);
  mock.method(clock, "sleep", (ms: number, signal?: AbortSignal) => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    sleeps.push(ms);
    time.now += ms;
    return Promise.resolve();
  });
  return {
    sleeps,
    time,
    restore() {
      mock.restoreAll();
    },
  };
}

export const API_URL = "https://acme.my.salesforce.com/services/data/v64.0/sobjects/Account";

export interface TimerTracker {
  /** Timers set and neither cleared nor fired yet. */
  live: Set<unknown>;
  restore(): void;
}

/**
 * Wraps the global timer functions to see which timers are still pending:
 * Deno's test sanitizers do not report a pending timer. Call `restore()` in `finally`.
 */
export function trackTimers(): TimerTracker {
  const live = new Set<unknown>();
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  globalThis.setTimeout = ((callback: () => void, delay?: number) => {
    const id = realSet(() => {
      live.delete(id);
      callback();
    }, delay);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: Parameters<typeof clearTimeout>[0]) => {
    live.delete(id);
    realClear(id);
  }) as typeof clearTimeout;
  return {
    live,
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}
