// Runtime-neutral workloads for raw fetch and for our client. Deno imports this
// file (workloads/deno_main.ts); for Node the harness bundles it, with mod.ts, into
// one .mjs that bench/node/client.mjs imports. Web standards only, so the very
// same code runs on both runtimes.
import { Salesforce, SoapLogin } from "../../mod.ts";

/** The API version every client uses; the fake org serves up to 66.0. */
export const VERSION = "64.0";

/** What the bench server printed: where the org is and how to log in. */
export interface Target {
  url: string;
  credentials: {
    username: string;
    password: string;
    securityToken: string;
    clientId: string;
    clientSecret: string;
  };
  ids: string[];
}

/** REST workload: `total` GETs of Account records by id, `concurrency` at a time. */
export interface RestParams {
  total: number;
  concurrency: number;
  /** Requests sent (same pattern, untimed) before the clock starts. */
  warmup: number;
  timeCapMs: number;
}

/** Query workload: every record of `soql`, with `workMs` of consumer work every `every` records. */
export interface QueryParams {
  soql: string;
  expected: number;
  every: number;
  workMs: number;
  timeCapMs: number;
}

/** Cold-start workload: `total` concurrent GETs on a client that has no token yet. */
export interface ColdParams {
  total: number;
  timeCapMs: number;
}

/** A workload's measurements: elapsed ms, items done, and workload-specific numbers. */
export interface Measured {
  ms: number;
  count: number;
  [key: string]: number | string;
}

let cpuClock: () => number = () => NaN;

/**
 * Installs the process CPU clock (user + system ms, all threads) of the runtime
 * the workload runs on; the entries call this, this file stays runtime-neutral.
 */
export function setCpuClock(clock: () => number): void {
  cpuClock = clock;
}

/** Resolves after `ms` milliseconds (the consumer's simulated work). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `task(0) … task(total - 1)` with `concurrency` workers; fails when the
 * time cap passes, so a stuck server cannot hang the bench.
 */
export async function pool(
  total: number,
  concurrency: number,
  timeCapMs: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  const deadline = performance.now() + timeCapMs;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      if (performance.now() > deadline) {
        throw new Error(
          `time cap of ${timeCapMs} ms passed after ${next} of ${total} tasks`,
        );
      }
      await task(next++);
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, worker),
  );
}

function recordUrl(target: Target, index: number): string {
  return `${target.url}/services/data/v${VERSION}/sobjects/Account/${
    target.ids[index % target.ids.length]
  }`;
}

async function rawToken(target: Target): Promise<string> {
  const { clientId, clientSecret } = target.credentials;
  const response = await fetch(`${target.url}/services/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  if (!response.ok) {
    throw new Error(`raw token request failed: ${response.status}`);
  }
  const body = await response.json() as { access_token: string };
  return body.access_token;
}

async function rawGetJson(
  url: string,
  headers: HeadersInit,
  timeoutMs?: number,
): Promise<unknown> {
  let response: Response;
  if (timeoutMs === undefined) response = await fetch(url, { headers });
  else {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      response = await fetch(url, { headers, signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  }
  if (!response.ok) {
    const text = await response.text();
    throw new Error(
      `GET ${new URL(url).pathname} answered ${response.status}: ${text}`,
    );
  }
  return await response.json();
}

function ourClient(target: Target): Salesforce {
  const { username, password, securityToken } = target.credentials;
  return new Salesforce({
    baseUrl: target.url,
    auth: new SoapLogin({ username, password, securityToken }),
    version: VERSION,
  });
}

async function timedRest(
  params: RestParams,
  get: (index: number) => Promise<unknown>,
): Promise<Measured> {
  await pool(params.warmup, params.concurrency, params.timeCapMs, get);
  const cpu = cpuClock();
  const start = performance.now();
  await pool(params.total, params.concurrency, params.timeCapMs, get);
  const ms = performance.now() - start;
  const cpuMs = cpuClock() - cpu;
  return {
    ms,
    count: params.total,
    rps: params.total / (ms / 1_000),
    cpuMs,
    cpuUsPerRequest: (cpuMs * 1_000) / params.total,
  };
}

async function restPlain(
  target: Target,
  params: RestParams,
  timeoutMs?: number,
): Promise<Measured> {
  const token = await rawToken(target);
  const headers = {
    Authorization: `Bearer ${token}`,
    Accept: "application/json",
  };
  return await timedRest(
    params,
    (i) => rawGetJson(recordUrl(target, i), headers, timeoutMs),
  );
}

/** REST GETs with plain `fetch` and a bearer token: the floor. */
export function restRaw(target: Target, params: RestParams): Promise<Measured> {
  return restPlain(target, params);
}

/**
 * REST GETs with plain `fetch` and what our client adds for its per-attempt timeout: an
 * AbortController per request whose signal goes to `fetch`, cleared when the headers arrive.
 * Not a target: it shows how much of our gap to raw fetch the timeout alone costs.
 */
export function restRawTimeout(target: Target, params: RestParams): Promise<Measured> {
  return restPlain(target, params, 120_000);
}

/** REST GETs with `sf.sobject.get`. */
export async function restOurs(
  target: Target,
  params: RestParams,
): Promise<Measured> {
  const sf = ourClient(target);
  await sf.auth.getAccessToken(sf);
  return await timedRest(
    params,
    (i) => sf.sobject.get("Account", target.ids[i % target.ids.length]),
  );
}

/** Counts records and does `workMs` of work after every `every`-th one. */
export function consumer(
  params: QueryParams,
): (record: unknown) => Promise<void> | undefined {
  let count = 0;
  return () => {
    count++;
    return count % params.every === 0 ? sleep(params.workMs) : undefined;
  };
}

function checkCount(count: number, params: QueryParams): void {
  if (count !== params.expected) {
    throw new Error(`expected ${params.expected} records, got ${count}`);
  }
}

interface RawPage {
  records: unknown[];
  nextRecordsUrl?: string;
}

/**
 * Query with a `nextRecordsUrl` loop over plain `fetch`: sequential, or with the next page
 * requested as each page is handed to the consumer (one page ahead, as `sf.query` does).
 */
async function queryPlain(
  target: Target,
  params: QueryParams,
  prefetch: boolean,
): Promise<Measured> {
  const token = await rawToken(target);
  const headers = {
    Authorization: `Bearer ${token}`,
    Accept: "application/json",
  };
  const get = (path: string) => rawGetJson(target.url + path, headers) as Promise<RawPage>;
  const consume = consumer(params);
  const deadline = performance.now() + params.timeCapMs;
  let count = 0;
  let pages = 0;
  const cpu = cpuClock();
  const start = performance.now();
  let pending: Promise<RawPage> | undefined = get(
    `/services/data/v${VERSION}/query?q=${encodeURIComponent(params.soql)}`,
  );
  while (pending !== undefined) {
    if (performance.now() > deadline) {
      throw new Error(`time cap passed after ${count} records`);
    }
    const page: RawPage = await pending;
    pages++;
    const next = page.nextRecordsUrl;
    pending = next && prefetch ? get(next) : undefined;
    for (const record of page.records) {
      count++;
      await consume(record);
    }
    if (next && !prefetch) pending = get(next);
  }
  const ms = performance.now() - start;
  const cpuMs = cpuClock() - cpu;
  checkCount(count, params);
  return { ms, count, pages, cpuMs };
}

/** Query with a sequential `nextRecordsUrl` loop over plain `fetch`. */
export function queryRaw(target: Target, params: QueryParams): Promise<Measured> {
  return queryPlain(target, params, false);
}

/** Query over plain `fetch`, requesting page k+1 as page k is handed over (not a target). */
export function queryRawPrefetch(target: Target, params: QueryParams): Promise<Measured> {
  return queryPlain(target, params, true);
}

/** Query with `sf.query` (one page prefetched). */
export async function queryOurs(
  target: Target,
  params: QueryParams,
): Promise<Measured> {
  const sf = ourClient(target);
  await sf.auth.getAccessToken(sf);
  const consume = consumer(params);
  const deadline = performance.now() + params.timeCapMs;
  let count = 0;
  const cpu = cpuClock();
  const start = performance.now();
  for await (const record of sf.query(params.soql)) {
    // Checked once a page, as the raw loops do: a clock read per record costs ~0.1 µs.
    if (count % params.every === 0 && performance.now() > deadline) {
      throw new Error(`time cap passed after ${count} records`);
    }
    count++;
    await consume(record);
  }
  const ms = performance.now() - start;
  const cpuMs = cpuClock() - cpu;
  checkCount(count, params);
  return { ms, count, cpuMs };
}

/** Rejects after `ms` unless `work` settles first; the timer never outlives it. */
export function withTimeCap<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`time cap of ${ms} ms passed`)),
      ms,
    );
  });
  return Promise.race([work, cap]).finally(() => clearTimeout(timer));
}

/**
 * A new client (no token yet) sends `total` GETs at once; timed from construction.
 * No AbortSignal is passed, as with jsforce (its retrieve takes none).
 */
export async function coldOurs(
  target: Target,
  params: ColdParams,
): Promise<Measured> {
  const cpu = cpuClock();
  const start = performance.now();
  const sf = ourClient(target);
  await withTimeCap(
    Promise.all(
      Array.from(
        { length: params.total },
        (_, i) => sf.sobject.get("Account", target.ids[i % target.ids.length]),
      ),
    ),
    params.timeCapMs,
  );
  return {
    ms: performance.now() - start,
    count: params.total,
    cpuMs: cpuClock() - cpu,
  };
}

/** Samples the process's RSS every `everyMs` ms; `stop()` returns the peak in bytes. */
export function sampleRss(
  read: () => number,
  everyMs = 50,
): { stop(): number } {
  let peak = read();
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, read());
    },
  };
}

/** Workloads by name, as the Deno and Node entries dispatch them. */
export const WORKLOADS = {
  "rest/raw": restRaw,
  "rest/raw-timeout": restRawTimeout,
  "rest/ours": restOurs,
  "query/raw": queryRaw,
  "query/raw-prefetch": queryRawPrefetch,
  "query/ours": queryOurs,
  "cold/ours": coldOurs,
} as const;
