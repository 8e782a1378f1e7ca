// Creating 10,000 Accounts over real loopback HTTP against the fake org: by sObject
// Collections (50 calls of 200, sent concurrently) vs one sobject.create per record,
// both through one client with the same concurrencyLimit. Reports wall time, API
// calls and the ratio. Run: deno run --allow-net=127.0.0.1 bench/collections_bench.ts
// deno-lint-ignore-file no-console
import { Salesforce } from "../client/salesforce.ts";
import { FakeSalesforce } from "../testing/mod.ts";
import { serveWithoutRelay } from "../testing/_served.ts";

// The org's server answers without the relay that exact drops need: no bench drops, and
// its pace must be Deno.serve's (testing/_served.ts).
serveWithoutRelay();

/** Wall time (best of the runs) and API calls of each way. */
export interface CollectionsBenchResult {
  records: number;
  concurrency: number;
  collectionsMs: number;
  collectionsCalls: number;
  oneByOneMs: number;
  oneByOneCalls: number;
  /** oneByOneMs / collectionsMs. */
  ratio: number;
}

type Way = (
  sf: Salesforce,
  records: Record<string, string>[],
) => Promise<number>;

const byCollections: Way = async (sf, records) => {
  const results = await sf.collections.create("Account", records);
  return results.filter((result) => result.success).length;
};

const oneByOne: Way = async (sf, records) => {
  const ids = await Promise.all(
    records.map((record) => sf.sobject.create("Account", record)),
  );
  return ids.length;
};

/** Runs one way on a fresh org served over loopback; returns ms and the API calls counted. */
async function measure(
  way: Way,
  count: number,
  concurrency: number,
): Promise<{ ms: number; calls: number }> {
  const org = new FakeSalesforce({ dailyApiLimit: 10_000_000 });
  const server = org.serve();
  try {
    const sf = new Salesforce({
      baseUrl: server.url,
      auth: org.auth(),
      concurrencyLimit: concurrency,
    });
    await sf.getLimits(); // log in before the clock starts
    const before = org.stats.apiCalls;
    const records = Array.from({ length: count }, (_, i) => ({
      Name: `Account ${i}`,
      Industry: "Energy",
      Phone: `+1 555 ${String(i).padStart(7, "0")}`,
    }));
    const start = performance.now();
    const written = await way(sf, records);
    const ms = performance.now() - start;
    if (written !== count || org.records("Account").length !== count) {
      throw new Error(`wrote ${written} of ${count} records`);
    }
    return { ms, calls: org.stats.apiCalls - before };
  } finally {
    await server.close();
  }
}

/** Measures both ways, `runs` times each, and keeps each one's best time. */
export async function runCollectionsBench(
  options: { records?: number; concurrency?: number; runs?: number } = {},
): Promise<CollectionsBenchResult> {
  const { records = 10_000, concurrency = 25, runs = 3 } = options;
  await measure(byCollections, 1_000, concurrency); // warm up both paths
  await measure(oneByOne, 1_000, concurrency);
  let collections = { ms: Infinity, calls: 0 };
  let single = { ms: Infinity, calls: 0 };
  for (let run = 0; run < runs; run++) {
    const a = await measure(byCollections, records, concurrency);
    if (a.ms < collections.ms) collections = a;
    const b = await measure(oneByOne, records, concurrency);
    if (b.ms < single.ms) single = b;
  }
  return {
    records,
    concurrency,
    collectionsMs: collections.ms,
    collectionsCalls: collections.calls,
    oneByOneMs: single.ms,
    oneByOneCalls: single.calls,
    ratio: single.ms / collections.ms,
  };
}

if (import.meta.main) {
  const result = await runCollectionsBench();
  console.log(
    `${result.records} Account creates over loopback, concurrencyLimit ${result.concurrency}, best of 3`,
  );
  console.log("| way | API calls | ms | records/s |");
  console.log("|---|---:|---:|---:|");
  const rows = [
    ["sf.collections.create", result.collectionsMs, result.collectionsCalls],
    ["sf.sobject.create each", result.oneByOneMs, result.oneByOneCalls],
  ] as const;
  for (const [name, ms, calls] of rows) {
    const rate = (result.records / (ms / 1000)).toFixed(0);
    console.log(`| ${name} | ${calls} | ${ms.toFixed(0)} | ${rate} |`);
  }
  console.log(
    `one-by-one / collections time ratio: ${result.ratio.toFixed(1)}x`,
  );
}
