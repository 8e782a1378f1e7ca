// deno-lint-ignore-file no-console
// The fake org must not be the bottleneck of the benchmarks (issue 3): serving a 2,000-record
// REST query page or a 10,000-row Bulk 2.0 results page has to be at least 5× faster than the
// client consumes the same page. Both sides run in this process, one after the other:
//
// - fake: the org answering a page URL as its server does (testing/_served.ts: bodies are
//   views of its cached bytes), until the whole body has been read, for nextRecordsUrl pages
//   (REST) and `results?locator=` pages (bulk) of a query that already ran; also `org.fetch`,
//   which copies each page body for its caller (for information);
// - client: the same page bytes, recorded once, replayed through a `fetch` into
//   `new Salesforce({ fetch })`, consumed by `sf.query` / `sf.bulkV2.query` (the client's real
//   code path: request, events, stream parsing), per page.
//
// Medians and minimums over many pages; the box is shared, so compare repeated runs.
// Run: deno run -A bench/fake_bench.ts [--quick]
import { AccessTokenAuth } from "../auth/access_token_auth.ts";
import { type FetchFunction, Salesforce } from "../client/salesforce.ts";
import type { FakeSalesforce } from "../testing/mod.ts";
import { servedFetch } from "../testing/_served.ts";
import { seedOrg } from "./bulk_bench.ts";

/** Per-page timings of one side, in milliseconds. */
export interface FakeBenchTiming {
  /** Median time per page. */
  medianMs: number;
  /** Fastest page (or, for the client, fastest whole-query average per page). */
  minMs: number;
  /** Number of measurements behind the median. */
  samples: number;
}

/** One page kind: what the fake spends serving a page against what the client spends consuming it. */
export interface FakeBenchCase {
  /** `"rest"`: a REST query page of 2,000 records; `"bulk"`: a 10,000-row Bulk 2.0 CSV page. */
  kind: "rest" | "bulk";
  /** Human label, e.g. "REST query page, 2,000 records". */
  name: string;
  /** Records (rows) per page. */
  rowsPerPage: number;
  /** Size of one page body in bytes. */
  pageBytes: number;
  /**
   * The fake's serve time per page, as its server answers, until the whole body has been read,
   * for pages served again (the steady state of a benchmark that runs its queries more than
   * once).
   */
  fake: FakeBenchTiming;
  /** The same through `org.fetch`, which copies each page body for its caller. */
  fakeFetch: FakeBenchTiming;
  /**
   * The fake's serve time (as its server answers) for each page's first serve in a fresh org
   * (code warmed up, nothing of the org cached yet): what a benchmark that reads each record
   * once sees. Fewer samples.
   */
  fakeFirst: FakeBenchTiming;
  /** The client's consumption time per page of the same bytes (replayed). */
  client: FakeBenchTiming;
  /** client.medianMs / fake.medianMs; the target is ≥ 5. */
  ratio: number;
  /** client.minMs / fake.minMs. */
  minRatio: number;
  /** ratio ≥ target. */
  meetsTarget: boolean;
}

/** Everything {@linkcode runFakeBench} measured. */
export interface FakeBenchResult {
  /** The required client/fake ratio: 5. */
  target: number;
  /** True when run with fewer iterations. */
  quick: boolean;
  /** The REST page case, then the bulk page case. */
  cases: FakeBenchCase[];
}

const TARGET = 5;
const REST_PAGE = 2_000;
const BULK_PAGE = 10_000;
const SOQL = "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, Phone, Website, " +
  "Description FROM Account";

/** Accounts seeded like bench/_server.ts and bench/bulk_bench.ts seed theirs. */
function seededOrg(accounts: number): FakeSalesforce {
  return seedOrg(accounts, { pageSize: REST_PAGE });
}

/** A response as the fake sent it. */
interface Recorded {
  method: string;
  url: string;
  requestHeaders: Headers;
  status: number;
  headers: Headers;
  bytes: Uint8Array<ArrayBuffer>;
  /** The org's answer until the body was read, on this first serve (caches cold). */
  firstServeMs: number;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function replayResponse(recorded: Recorded): Response {
  return new Response(NULL_BODY.has(recorded.status) ? null : recorded.bytes, {
    status: recorded.status,
    headers: recorded.headers,
  });
}

/** A fetch in front of the org (answering as its server does) that keeps every exchange. */
function recorder(org: FakeSalesforce): {
  fetch: typeof globalThis.fetch;
  log: Recorded[];
} {
  const log: Recorded[] = [];
  const served = servedFetch(org);
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const requestHeaders = new Headers(request.headers);
    const started = performance.now();
    const response = await served(request);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const firstServeMs = performance.now() - started;
    const recorded: Recorded = {
      method: request.method,
      url: request.url,
      requestHeaders,
      status: response.status,
      headers: response.headers,
      bytes,
      firstServeMs,
    };
    log.push(recorded);
    return replayResponse(recorded);
  };
  return { fetch, log };
}

/** A fetch that answers from a recording (the last answer per method and URL), no org at all. */
function replayer(log: Recorded[]): typeof globalThis.fetch {
  const byKey = new Map<string, Recorded>();
  for (const recorded of log) {
    byKey.set(`${recorded.method} ${recorded.url}`, recorded);
  }
  return (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request && init === undefined
      ? input
      : new Request(input, init);
    const recorded = byKey.get(`${request.method} ${request.url}`);
    if (recorded === undefined) {
      return Promise.reject(
        new Error(`fake bench: nothing recorded for ${request.url}`),
      );
    }
    // Drain a request body the way a network would, so the client sees no difference.
    request.body?.cancel();
    return Promise.resolve(replayResponse(recorded));
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timing(values: number[]): FakeBenchTiming {
  return {
    medianMs: median(values),
    minMs: Math.min(...values),
    samples: values.length,
  };
}

/**
 * Reads a body to its end the way a server writing it to a socket (or the client) does: chunk
 * by chunk from its stream. (`arrayBuffer()` would add a copy of its own to the fake's time.)
 */
async function drainedLength(response: Response): Promise<number> {
  let byteLength = 0;
  if (response.body === null) return byteLength;
  const reader = response.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    byteLength += chunk.value.byteLength;
  }
  return byteLength;
}

/** Times `fetch` of each URL until its body has been read; checks the sizes. */
async function timeFake(
  fetch: FetchFunction,
  urls: string[],
  headers: Headers,
  sizes: number[],
): Promise<number[]> {
  const samples: number[] = [];
  for (const [i, url] of urls.entries()) {
    const bytes = sizes[i];
    const started = performance.now();
    const response = await fetch(url, { headers });
    const byteLength = await drainedLength(response);
    samples.push(performance.now() - started);
    // The last page of a query may be shorter; every other one has the recorded size.
    if (
      response.status !== 200 ||
      (byteLength !== bytes && url !== urls.at(-1))
    ) {
      throw new Error(
        `fake bench: ${url} answered ${response.status} with ${byteLength} bytes, ` +
          `not 200 with ${bytes}`,
      );
    }
  }
  return samples;
}

/** Times one whole replayed query: its time divided by its pages. */
async function timeClient(
  consume: () => Promise<number>,
  expectedRows: number,
  pages: number,
): Promise<number> {
  const started = performance.now();
  const rows = await consume();
  const ms = performance.now() - started;
  if (rows !== expectedRows) {
    throw new Error(
      `fake bench: the client read ${rows} rows, not ${expectedRows}`,
    );
  }
  return ms / pages;
}

function benchCase(
  kind: "rest" | "bulk",
  name: string,
  rowsPerPage: number,
  pageBytes: number,
  fake: number[],
  fakeFetch: number[],
  first: number[],
  client: number[],
): FakeBenchCase {
  const f = timing(fake);
  const c = timing(client);
  const ratio = c.medianMs / f.medianMs;
  return {
    kind,
    name,
    rowsPerPage,
    pageBytes,
    fake: f,
    fakeFetch: timing(fakeFetch),
    fakeFirst: timing(first),
    client: c,
    ratio,
    minRatio: c.minMs / f.minMs,
    meetsTarget: ratio >= TARGET,
  };
}

/** Runs `consume` against `org` through a recorder: the exchanges, each first serve timed. */
async function recordRun(
  org: FakeSalesforce,
  consume: (sf: Salesforce) => Promise<number>,
  expectedRows: number,
): Promise<Recorded[]> {
  const { fetch, log } = recorder(org);
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch });
  const rows = await consume(sf);
  if (rows !== expectedRows) {
    throw new Error(
      `fake bench: the recorded run read ${rows} rows, not ${expectedRows}`,
    );
  }
  return log;
}

/**
 * First serves in fresh orgs (code warm, nothing cached): `orgs` new orgs, each recording one
 * run; `pick` chooses the page exchanges to report.
 */
async function firstServes(
  orgs: number,
  seed: () => FakeSalesforce,
  consume: (sf: Salesforce) => Promise<number>,
  expectedRows: number,
  pick: (log: Recorded[]) => Recorded[],
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < orgs; i++) {
    const log = await recordRun(seed(), consume, expectedRows);
    for (const page of pick(log)) samples.push(page.firstServeMs);
  }
  return samples;
}

function clientFor(org: FakeSalesforce, log: Recorded[]): Salesforce {
  return new Salesforce({
    baseUrl: org.baseUrl,
    auth: new AccessTokenAuth({ accessToken: "replayed" }),
    fetch: replayer(log),
  });
}

/**
 * Rounds of: the fake serving the pages as its servers answer, then through `org.fetch`, then
 * the client consuming the same pages. Alternating keeps all three under the same machine
 * state; the first `warmup` rounds are not kept.
 */
async function alternate(
  org: FakeSalesforce,
  { rounds, warmup }: { rounds: number; warmup: number },
  timePages: (fetch: FetchFunction) => Promise<number[]>,
  timeClientPage: () => Promise<number>,
): Promise<{ fake: number[]; fakeFetch: number[]; client: number[] }> {
  const served = servedFetch(org);
  const fake: number[] = [];
  const fakeFetch: number[] = [];
  const client: number[] = [];
  for (let round = 0; round < rounds + warmup; round++) {
    const times = await timePages(served);
    const fetchTimes = await timePages(org.fetch);
    const perPage = await timeClientPage();
    if (round >= warmup) {
      fake.push(...times);
      fakeFetch.push(...fetchTimes);
      client.push(perPage);
    }
  }
  return { fake, fakeFetch, client };
}

async function restCase(quick: boolean): Promise<FakeBenchCase> {
  const pages = 10;
  const total = REST_PAGE * pages;
  const consume = async (sf: Salesforce) => {
    let rows = 0;
    for await (const _ of sf.query(SOQL)) rows++;
    return rows;
  };
  // nextRecordsUrl pages: the first page also runs the query.
  const more = (log: Recorded[]) =>
    log.filter((r) => r.method === "GET" && /\/query\/[^/?]+$/.test(new URL(r.url).pathname));
  const org = seededOrg(total);
  const log = await recordRun(org, consume, total);
  const recorded = more(log);
  if (recorded.length !== pages - 1) {
    throw new Error(
      `fake bench: expected ${pages - 1} nextRecordsUrl pages, got ${recorded.length}`,
    );
  }
  // Each round runs the query afresh (a new cursor, untimed) and times its later pages, then
  // the client replays the same pages: fake and client alternate, so both are timed under
  // the same conditions (the cost of copying a large body swings with the machine's state).
  const first = log.find((r) => new URL(r.url).searchParams.has("q"))!;
  const sf = clientFor(org, log);
  const sizes = recorded.map((r) => r.bytes.byteLength);
  const timePages = async (fetch: FetchFunction) => {
    const response = await fetch(first.url, { headers: first.requestHeaders });
    const { nextRecordsUrl } = await response.json() as { nextRecordsUrl: string };
    const base = nextRecordsUrl.slice(0, nextRecordsUrl.lastIndexOf("-") + 1);
    const urls = recorded.map((_, i) => `${org.baseUrl}${base}${REST_PAGE * (i + 1)}`);
    return await timeFake(fetch, urls, first.requestHeaders, sizes);
  };
  const { fake, fakeFetch, client } = await alternate(
    org,
    { rounds: quick ? 6 : 30, warmup: 2 },
    timePages,
    () => timeClient(() => consume(sf), total, pages),
  );
  const cold = await firstServes(
    quick ? 1 : 3,
    () => seededOrg(total),
    consume,
    total,
    more,
  );
  return benchCase(
    "rest",
    "REST query page, 2,000 records",
    REST_PAGE,
    recorded[0].bytes.byteLength,
    fake,
    fakeFetch,
    cold,
    client,
  );
}

async function bulkCase(quick: boolean): Promise<FakeBenchCase> {
  const pages = quick ? 5 : 10;
  const total = BULK_PAGE * pages;
  const options = { maxRecords: BULK_PAGE, pollingInterval: 1 };
  const consume = async (sf: Salesforce) => {
    let rows = 0;
    for await (const _ of sf.bulkV2.query(SOQL, options)) rows++;
    return rows;
  };
  const results = (log: Recorded[]) =>
    log.filter((r) => r.method === "GET" && new URL(r.url).pathname.endsWith("/results"));
  const org = seededOrg(total);
  const log = await recordRun(org, consume, total);
  const recorded = results(log);
  if (recorded.length !== pages) {
    throw new Error(
      `fake bench: expected ${pages} results pages, got ${recorded.length}`,
    );
  }
  // Each round serves the job's pages again, then the client replays them (alternating, as
  // in restCase).
  const sf = clientFor(org, log);
  const timePages = async (fetch: FetchFunction) => {
    const times: number[] = [];
    for (const page of recorded) {
      times.push(
        ...await timeFake(fetch, [page.url], page.requestHeaders, [page.bytes.byteLength]),
      );
    }
    return times;
  };
  const { fake, fakeFetch, client } = await alternate(
    org,
    { rounds: quick ? 4 : 15, warmup: 1 },
    timePages,
    () => timeClient(() => consume(sf), total, pages),
  );
  const cold = await firstServes(
    quick ? 1 : 2,
    () => seededOrg(total),
    consume,
    total,
    results,
  );
  return benchCase(
    "bulk",
    "Bulk 2.0 results page, 10,000 rows",
    BULK_PAGE,
    recorded[1].bytes.byteLength,
    fake,
    fakeFetch,
    cold,
    client,
  );
}

/**
 * Measures the fake org's serve time per page against the client's consumption time of the
 * same page, for a 2,000-record REST query page and a 10,000-row Bulk 2.0 CSV page.
 * `quick` runs fewer iterations (a few seconds in all).
 */
export async function runFakeBench(
  opts: { quick?: boolean } = {},
): Promise<FakeBenchResult> {
  const quick = opts.quick === true;
  const rest = await restCase(quick);
  const bulk = await bulkCase(quick);
  return { target: TARGET, quick, cases: [rest, bulk] };
}

function ms(value: number): string {
  return value.toFixed(2);
}

/** The result as a markdown table. */
export function renderFakeBench(result: FakeBenchResult): string {
  const lines = [
    `| page | bytes | fake ms, served (median / min) | org.fetch ms (median / min) | fake first serve ms | client ms (median / min) | client/fake (median / min) | ≥ ${result.target}× |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
  ];
  const pair = (timing: FakeBenchTiming) => `${ms(timing.medianMs)} / ${ms(timing.minMs)}`;
  for (const c of result.cases) {
    lines.push(
      `| ${c.name} | ${c.pageBytes.toLocaleString("en-US")} | ${pair(c.fake)} | ${
        pair(c.fakeFetch)
      } | ${pair(c.fakeFirst)} | ${pair(c.client)} | ${c.ratio.toFixed(1)}× / ${
        c.minRatio.toFixed(1)
      }× | ${c.meetsTarget ? "yes" : "no"} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const result = await runFakeBench({ quick: Deno.args.includes("--quick") });
  console.log(renderFakeBench(result));
  if (Deno.args.includes("--json")) console.log(JSON.stringify(result));
}
