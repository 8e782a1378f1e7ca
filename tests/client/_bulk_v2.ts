// Helpers for the Bulk API 2.0 client tests: a client on a fake org that records what it
// sends, and a clock whose sleeps return at once (recording their durations).
import { mock } from "node:test";
import { Salesforce } from "../../client/salesforce.ts";
import type { JobInfo } from "../../client/bulk_v2.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce, type FakeSalesforceOptions } from "../../testing/mod.ts";

export interface Upload {
  jobId: string;
  bytes: number;
  text: string;
}

/** What {@linkcode setup} returns. */
export interface Setup {
  org: FakeSalesforce;
  sf: Salesforce;
  /** Every upload body, in order. */
  uploads: Upload[];
  /** `METHOD /path` of every request. */
  paths: string[];
  /** Called with each request before the org answers it. */
  hooks: Array<(request: Request) => void | Promise<void>>;
}

/** A client on a fresh org; every upload body and request path is recorded. */
export function setup(options: FakeSalesforceOptions = {}): Setup {
  const org = new FakeSalesforce(options);
  const uploads: Upload[] = [];
  const paths: string[] = [];
  const hooks: Array<(request: Request) => void | Promise<void>> = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const { pathname } = new URL(request.url);
      paths.push(`${request.method} ${pathname}`);
      for (const hook of hooks) await hook(request);
      if (request.method === "PUT") {
        const bytes = new Uint8Array(await request.clone().arrayBuffer());
        const jobId = pathname.split("/").at(-2)!;
        uploads.push({ jobId, bytes: bytes.length, text: new TextDecoder().decode(bytes) });
      }
      return org.fetch(request);
    },
  });
  return { org, sf, uploads, paths, hooks };
}

/** Runs `fn` with clock.sleep returning at once (or rejecting when its signal is aborted). */
export async function withInstantSleep<T>(fn: (sleeps: number[]) => Promise<T>): Promise<T> {
  const sleeps: number[] = [];
  const sleep = mock.method(clock, "sleep", (ms: number, signal?: AbortSignal) => {
    sleeps.push(ms);
    return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  });
  try {
    return await fn(sleeps);
  } finally {
    sleep.mock.restore();
  }
}

/** Every ingest job of the org, read through the API. */
export async function ingestJobs(sf: Salesforce): Promise<JobInfo[]> {
  return await Array.fromAsync(sf.bulkV2.ingest.listJobs());
}

/** `count` accounts named `Account 00000`, ... */
export function accounts(count: number, from = 0): Array<{ Name: string }> {
  return Array.from({ length: count }, (_, i) => ({
    Name: `Account ${String(from + i).padStart(5, "0")}`,
  }));
}

/** An async iterable over `records`, one microtask per record. */
export async function* stream<T>(records: Iterable<T>): AsyncGenerator<T> {
  for (const record of records) {
    await Promise.resolve();
    yield record;
  }
}
