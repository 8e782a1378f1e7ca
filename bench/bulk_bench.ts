// deno-lint-ignore-file no-console
// Bulk API 2.0 against the fake org over real loopback HTTP: bulk query of 100,000 and
// 1,000,000 rows (memory should not grow with the row count), then an insert of 1,000,000
// records × 8 fields through performOperation (memory bounded by the jobs in flight:
// below (maxConcurrentJobs + 1) × maxSizeBytes + 150 MB). Reports wall time and the peak
// RSS of the client process, sampled every 50 ms, for each phase.
//
// The served org runs the bulk query once, in process and untimed, before it listens: the
// clients then read pages made from its cached record bytes, as fast as fake_bench.ts shows.
//
// With --allow-run the org runs in a child process (this file with --serve), so the RSS is
// the client's alone, and the insert runs in a fresh client process of its own (this file
// with --insert-child), as jsforce's does: its RSS starts from the runtime's baseline, not
// from what the queries left. Without --allow-run everything runs in this process, and the
// result says so. A harness may also pass `server` (an org served elsewhere, seeded with
// enough Accounts).
//
// Heap in use, heap size and external (ArrayBuffer) memory are sampled beside the RSS, and so
// are the committed sizes of V8's young generation (new space: two semi-spaces, which V8 grows
// to their maximum once enough data has survived its collections, and never shrinks while the
// process is busy) and of its old space (live data plus the garbage V8 lets accumulate until
// its next full GC: it starts one when the old space reaches about 4 × what the last one left
// alive, plus the young generation's capacity). Run with --v8-flags=--expose-gc to also force
// a full GC every 250 ms and record the live memory (GC lag excluded; the forced GCs lower
// that run's RSS, which is then not the headline).
//
// Run: deno run --allow-net=127.0.0.1 --allow-read --allow-run bench/bulk_bench.ts [--quick]
//        [--insert-only | --no-insert] [--query-rows N,N] [--insert-records N]
//        [--max-size-bytes N] [--max-concurrent-jobs N] [--consumer for-await|next|none]
//        [--scale-records N]
import { getHeapSpaceStatistics } from "node:v8";
import { ClientCredentialsFlow } from "../auth/client_credentials_flow.ts";
import { Salesforce } from "../client/salesforce.ts";
import { FakeSalesforce, type FakeSalesforceOptions } from "../testing/mod.ts";
import { serveWithoutRelay } from "../testing/_served.ts";

// The org's server answers without the relay that exact drops need: no bench drops, and
// its pace must be Deno.serve's (testing/_served.ts).
serveWithoutRelay();

/** The bulk queries' SOQL, without its LIMIT. */
const BULK_QUERY = "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, Phone, " +
  "Website, Description FROM Account";

/** What to run; every field has a default. */
export interface BulkBenchParams {
  /** Records inserted. @default 1_000_000 */
  insertRecords?: number;
  /**
   * Records of a second insert, with the same options, in a fresh process of its own: the
   * peak RSS of both shows whether memory follows the input size or the jobs in flight.
   * 0 (the default) skips it. Needs --allow-run.
   */
  scaleRecords?: number;
  /** Row counts of the bulk queries, run in this order. @default [100_000, 1_000_000] */
  queryRows?: number[];
  /** Largest upload per job. @default 10_000_000 */
  maxSizeBytes?: number;
  /** Jobs open at once. @default 4 */
  maxConcurrentJobs?: number;
  /**
   * How the insert's job results are consumed. `for-await` is what users write; its loop
   * variable keeps the last JobResult, and the rows read from it, alive until the next
   * JobResult is handed out (the whole wait for the next job), so V8's full GCs find them
   * alive. `next` pulls each from a helper that keeps nothing. Both read
   * `successfulResults`, which makes its rows. `none` pulls as `next` does but reads only
   * each job's counts (jobInfo), so no result row is ever made: the client's own memory.
   * @default "for-await"
   */
  consumer?: Consumer;
  /** An org served by another process, holding at least max(queryRows) Accounts. */
  server?: { url: string; clientId: string; clientSecret: string };
}

/** How the insert's job results are consumed; see {@linkcode BulkBenchParams.consumer}. */
export type Consumer = "for-await" | "next" | "none";

/** One measured phase. */
export interface BulkPhase {
  name: string;
  rows: number;
  ms: number;
  rowsPerSecond: number;
  /** RSS when the phase started. */
  startRssBytes: number;
  /** Highest RSS sampled during the phase. */
  peakRssBytes: number;
  /** Highest V8 heap in use sampled during the phase (live objects and garbage not yet collected). */
  peakHeapUsedBytes: number;
  /** Highest V8 heap size (committed: in use, garbage and free space) sampled. */
  peakHeapTotalBytes: number;
  /** Highest memory outside the V8 heap held by JS objects (ArrayBuffer bytes) sampled. */
  peakExternalBytes: number;
  /** Highest committed size of V8's young generation (new space) sampled. */
  peakYoungBytes: number;
  /** Highest committed size of V8's old space sampled. */
  peakOldBytes: number;
  /**
   * Only when run with `--v8-flags=--expose-gc`: the highest heap in use + external memory
   * measured right after a forced full GC (every 250 ms), i.e. live memory without GC lag.
   * The forced GCs also lower the RSS of that run, so its `peakRssBytes` is not the headline.
   */
  peakLiveBytes?: number;
}

/** Everything {@linkcode runBulkBench} measured. */
export interface BulkBenchResult {
  /** True when the fake org ran in this process, so the RSS includes its records. */
  serverInProcess: boolean;
  /** True when the insert ran in a fresh process of its own (needs --allow-run). */
  insertInFreshProcess: boolean;
  queries: BulkPhase[];
  /** Absent when no records were to be inserted. */
  insert?: InsertResult;
  /** The second insert, of `scaleRecords` records; absent without one. */
  insertScale?: InsertResult;
}

/** One insert phase and the options it ran with. */
export type InsertResult = BulkPhase & {
  jobs: number;
  failed: number;
  maxSizeBytes: number;
  maxConcurrentJobs: number;
  consumer: Consumer;
  /** (maxConcurrentJobs + 1) × maxSizeBytes + 150 MB, the bound. */
  rssBoundBytes: number;
};

const FIELDS = [
  "Name",
  "Type",
  "Phone",
  "Website",
  "Industry",
  "AnnualRevenue",
  "NumberOfEmployees",
  "Description",
];

/** Insert input, made as it is read: the input itself never sits in memory. */
function* records(count: number): Generator<Record<string, string | number>> {
  for (let i = 0; i < count; i++) {
    yield {
      Name: `Bulk Account ${i}`,
      Type: i % 2 ? "Customer" : "Prospect",
      Phone: `+1 555 ${String(i % 10_000_000).padStart(7, "0")}`,
      Website: `https://example.com/${i}`,
      Industry: i % 3 ? "Technology" : "Energy, Oil & Gas",
      AnnualRevenue: 1_000 * (i % 100_000) + 0.5,
      NumberOfEmployees: i % 5_000,
      Description: `Inserted by the bulk bench, row ${i}`,
    };
  }
}

/** An org of `accounts` Accounts with 8 filled fields, as the bulk and fake benches read them. */
export function seedOrg(accounts: number, options: FakeSalesforceOptions = {}): FakeSalesforce {
  const org = new FakeSalesforce({ dailyApiLimit: 1_000_000_000, ...options });
  org.insert(
    "Account",
    (function* () {
      for (let i = 0; i < accounts; i++) {
        yield {
          Name: `Seeded Account ${i}`,
          Industry: i % 2 ? "Technology" : "Retail",
          AnnualRevenue: 1_000 * i,
          NumberOfEmployees: i % 5_000,
          Phone: `+1 555 01${String(i % 100).padStart(2, "0")}`,
          Website: `https://example.com/${i}`,
          Description: "Seeded for the benchmarks",
        };
      }
    })(),
  );
  return org;
}

interface Peaks {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  young: number;
  old: number;
  live: number;
}

/**
 * Samples this process's RSS, V8 heap in use and external memory every 50 ms; `phase()`
 * restarts the peaks. With `--v8-flags=--expose-gc` it also forces a full GC every 250 ms
 * and records the live memory (heap in use + external) right after it.
 */
function rssSampler() {
  const gc = (globalThis as { gc?: () => void }).gc;
  const peaks: Peaks = {
    rss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    young: 0,
    old: 0,
    live: 0,
  };
  const sample = () => {
    const usage = Deno.memoryUsage();
    peaks.rss = Math.max(peaks.rss, usage.rss);
    peaks.heapUsed = Math.max(peaks.heapUsed, usage.heapUsed);
    peaks.heapTotal = Math.max(peaks.heapTotal, usage.heapTotal);
    peaks.external = Math.max(peaks.external, usage.external);
    for (const space of getHeapSpaceStatistics()) {
      if (space.space_name === "new_space") {
        peaks.young = Math.max(peaks.young, space.space_size);
      } else if (space.space_name === "old_space") {
        peaks.old = Math.max(peaks.old, space.space_size);
      }
    }
  };
  const timer = setInterval(sample, 50);
  const gcTimer = gc === undefined ? undefined : setInterval(() => {
    sample(); // before the collection: what GC lag lets accumulate
    gc();
    const usage = Deno.memoryUsage();
    peaks.live = Math.max(peaks.live, usage.heapUsed + usage.external);
  }, 250);
  return {
    phase(): { start: number; peaks: () => Peaks & { gc: boolean } } {
      const start = Deno.memoryUsage().rss;
      peaks.rss = start;
      peaks.heapUsed = 0;
      peaks.heapTotal = 0;
      peaks.external = 0;
      peaks.young = 0;
      peaks.old = 0;
      peaks.live = 0;
      sample();
      return {
        start,
        peaks: () => {
          sample();
          return { ...peaks, gc: gc !== undefined };
        },
      };
    },
    stop(): void {
      clearInterval(timer);
      clearInterval(gcTimer);
    },
  };
}

interface Served {
  url: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
  inProcess: boolean;
}

/** The org in a child process (this file with --serve), or here without --allow-run. */
async function startOrg(accounts: number): Promise<Served> {
  if ((await Deno.permissions.query({ name: "run" })).state !== "granted") {
    const org = seedOrg(accounts);
    const server = org.serve();
    const { clientId, clientSecret } = org.credentials;
    return {
      url: server.url,
      clientId,
      clientSecret,
      close: server.close,
      inProcess: true,
    };
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--v8-flags=--max-old-space-size=16000",
      new URL(import.meta.url).pathname,
      "--serve",
      String(accounts),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The bench org process ended before serving");
    text += value;
  }
  // Nothing more is printed; stop reading (the child keeps serving).
  await reader.cancel();
  const info = JSON.parse(text.slice(0, text.indexOf("\n")));
  return {
    ...info,
    inProcess: false,
    close: async () => {
      await child.stdin.close();
      await child.status;
    },
  };
}

async function phase<T>(
  sampler: ReturnType<typeof rssSampler>,
  name: string,
  run: () => Promise<T & { rows: number }>,
): Promise<BulkPhase & T> {
  const { start, peaks } = sampler.phase();
  const started = performance.now();
  const outcome = await run();
  const ms = performance.now() - started;
  const peak = peaks();
  return {
    ...outcome,
    name,
    ms,
    rowsPerSecond: outcome.rows / (ms / 1000),
    startRssBytes: start,
    peakRssBytes: peak.rss,
    peakHeapUsedBytes: peak.heapUsed,
    peakHeapTotalBytes: peak.heapTotal,
    peakExternalBytes: peak.external,
    peakYoungBytes: peak.young,
    peakOldBytes: peak.old,
    ...(peak.gc ? { peakLiveBytes: peak.live } : {}),
  };
}

type InsertPhase = BulkPhase & { jobs: number; failed: number };

/** What the insert needs, also sent to a fresh process as JSON. */
interface InsertParams {
  url: string;
  clientId: string;
  clientSecret: string;
  insertRecords: number;
  maxSizeBytes: number;
  maxConcurrentJobs: number;
  consumer: Consumer;
}

function client(
  target: { url: string; clientId: string; clientSecret: string },
): Salesforce {
  return new Salesforce({
    baseUrl: target.url,
    auth: new ClientCredentialsFlow({
      clientId: target.clientId,
      clientSecret: target.clientSecret,
    }),
  });
}

/** The insert phase, in this process. */
async function insertPhase(
  params: InsertParams,
  sampler: ReturnType<typeof rssSampler>,
): Promise<InsertPhase> {
  const sf = client(params);
  await sf.getLimits(); // log in before the clock starts
  const { insertRecords, maxSizeBytes, maxConcurrentJobs, consumer } = params;
  return await phase(
    sampler,
    `bulk insert ${insertRecords} × 8 fields`,
    async () => {
      let rows = 0;
      let jobs = 0;
      let failed = 0;
      const operation = sf.bulkV2.ingest.performOperation(
        "insert",
        "Account",
        records(insertRecords),
        {
          fieldNames: FIELDS,
          maxSizeBytes,
          maxConcurrentJobs,
          pollingInterval: 50,
          maxPollingInterval: 500,
        },
      );
      if (consumer === "for-await") {
        for await (const job of operation) {
          jobs++;
          rows += job.successfulResults.length;
          failed += job.failedResults.length + job.unprocessedRecords.length;
        }
      } else {
        // The JobResult lives only in this helper's frame, gone once it returns.
        const pull = async (): Promise<boolean> => {
          const step = await operation.next();
          if (step.done) return false;
          jobs++;
          const { jobInfo } = step.value;
          if (consumer === "none" && jobInfo !== null && step.value.error === undefined) {
            // The org's counts: no result set is read, so no row is made.
            const processed = jobInfo.numberRecordsProcessed ?? 0;
            const refused = jobInfo.numberRecordsFailed ?? 0;
            rows += processed - refused;
            failed += refused;
            return true;
          }
          rows += step.value.successfulResults.length;
          failed += step.value.failedResults.length +
            step.value.unprocessedRecords.length;
          return true;
        };
        while (await pull());
      }
      return { rows, jobs, failed };
    },
  );
}

/** The insert phase in a fresh process (this file with --insert-child), sampled there. */
async function insertInChild(params: InsertParams): Promise<InsertPhase> {
  const gc = (globalThis as { gc?: () => void }).gc !== undefined;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      // The live-memory mode goes with it; no other V8 flag does.
      ...(gc ? ["--v8-flags=--expose-gc"] : []),
      new URL(import.meta.url).pathname,
      "--insert-child",
      JSON.stringify(params),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const line = text.split("\n").find((l) => l.startsWith("INSERT "));
  if (!output.success || line === undefined) {
    throw new Error(
      `The bench insert process failed (exit code ${output.code})`,
    );
  }
  return JSON.parse(line.slice("INSERT ".length));
}

async function insertChildMain(params: InsertParams): Promise<void> {
  const sampler = rssSampler();
  try {
    console.log(`INSERT ${JSON.stringify(await insertPhase(params, sampler))}`);
  } finally {
    sampler.stop();
  }
}

/** Runs the bulk queries, then the insert (in a fresh process); see the top of the file. */
export async function runBulkBench(
  params: BulkBenchParams = {},
): Promise<BulkBenchResult> {
  const insertRecords = params.insertRecords ?? 1_000_000;
  const scaleRecords = params.scaleRecords ?? 0;
  const queryRows = params.queryRows ?? [100_000, 1_000_000];
  const maxSizeBytes = params.maxSizeBytes ?? 10_000_000;
  const maxConcurrentJobs = params.maxConcurrentJobs ?? 4;
  const consumer = params.consumer ?? "for-await";
  const canRun = (await Deno.permissions.query({ name: "run" })).state === "granted";
  if (scaleRecords > 0 && !canRun) {
    throw new Error("The bench's second insert (scaleRecords) needs --allow-run");
  }
  const served: Served = params.server
    ? { ...params.server, inProcess: false, close: () => Promise.resolve() }
    : await startOrg(Math.max(0, ...queryRows));
  const sampler = rssSampler();
  try {
    const sf = client(served);
    await sf.getLimits(); // log in before the clock starts
    const queries: BulkPhase[] = [];
    for (const rows of queryRows) {
      queries.push(
        await phase(sampler, `bulk query ${rows} rows`, async () => {
          let count = 0;
          const soql = `${BULK_QUERY} LIMIT ${rows}`;
          for await (
            const _ of sf.bulkV2.query(soql, { pollingInterval: 50 })
          ) count++;
          if (count !== rows) {
            throw new Error(`bulk query returned ${count} rows, not ${rows}`);
          }
          return { rows: count };
        }),
      );
    }
    const insertParams: InsertParams = {
      url: served.url,
      clientId: served.clientId,
      clientSecret: served.clientSecret,
      insertRecords,
      maxSizeBytes,
      maxConcurrentJobs,
      consumer,
    };
    const insert = insertRecords === 0
      ? undefined
      : canRun
      ? (sampler.stop(), await insertInChild(insertParams))
      : await insertPhase(insertParams, sampler);
    if (insert !== undefined && insert.rows !== insertRecords) {
      throw new Error(
        `bulk insert saved ${insert.rows} of ${insertRecords} records`,
      );
    }
    const scale = scaleRecords > 0
      ? await insertInChild({ ...insertParams, insertRecords: scaleRecords })
      : undefined;
    if (scale !== undefined && scale.rows !== scaleRecords) {
      throw new Error(`bulk insert saved ${scale.rows} of ${scaleRecords} records`);
    }
    const withOptions = (phase: InsertPhase) => ({
      ...phase,
      maxSizeBytes,
      maxConcurrentJobs,
      consumer,
      rssBoundBytes: (maxConcurrentJobs + 1) * maxSizeBytes + 150 * 1024 * 1024,
    });
    return {
      serverInProcess: served.inProcess,
      insertInFreshProcess: canRun,
      queries,
      insert: insert === undefined ? undefined : withOptions(insert),
      insertScale: scale === undefined ? undefined : withOptions(scale),
    };
  } finally {
    sampler.stop();
    await served.close();
  }
}

async function serveMain(accounts: number): Promise<void> {
  const org = seedOrg(accounts);
  // The bulk query once, in process and untimed: the clients' pages then come from the org's
  // cached record bytes, so the fake is not what sets their pace (see fake_bench.ts).
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  for await (
    const _ of sf.bulkV2.query(`${BULK_QUERY} LIMIT ${accounts}`, { pollingInterval: 1 })
  ) {
    /* served once, untimed */
  }
  const server = org.serve();
  const { clientId, clientSecret } = org.credentials;
  console.log(JSON.stringify({ url: server.url, clientId, clientSecret }));
  // Serve until the parent closes stdin.
  for await (const _ of Deno.stdin.readable) { /* discard */ }
  await server.close();
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") {
    await serveMain(Number(Deno.args[1]));
  } else if (Deno.args[0] === "--insert-child") {
    await insertChildMain(JSON.parse(Deno.args[1]));
  } else {
    const quick = Deno.args.includes("--quick");
    const value = (name: string): string | undefined => {
      const index = Deno.args.indexOf(`--${name}`);
      return index === -1 ? undefined : Deno.args[index + 1];
    };
    const option = (name: string): number | undefined => {
      const text = value(name);
      return text === undefined ? undefined : Number(text);
    };
    const consumer = value("consumer");
    if (
      consumer !== undefined && consumer !== "for-await" && consumer !== "next" &&
      consumer !== "none"
    ) {
      throw new TypeError(
        `--consumer must be for-await, next or none: received ${consumer}`,
      );
    }
    const queryRows = value("query-rows");
    const result = await runBulkBench({
      ...(quick ? { insertRecords: 100_000, queryRows: [10_000, 100_000] } : {}),
      ...(queryRows === undefined ? {} : { queryRows: queryRows.split(",").map(Number) }),
      ...(Deno.args.includes("--insert-only") ? { queryRows: [] } : {}),
      ...(Deno.args.includes("--no-insert") ? { insertRecords: 0 } : {}),
      ...(option("insert-records") === undefined
        ? {}
        : { insertRecords: option("insert-records") }),
      scaleRecords: option("scale-records"),
      maxSizeBytes: option("max-size-bytes"),
      maxConcurrentJobs: option("max-concurrent-jobs"),
      consumer: consumer as Consumer | undefined,
    });
    console.log(
      `Bulk API 2.0 over loopback (org ${
        result.serverInProcess ? "in this process" : "in a child process"
      }; insert ${
        result.insertInFreshProcess ? "in a fresh process" : "in this process, after the queries"
      })`,
    );
    console.log(
      "| phase | rows | wall time | rows/s | RSS at start | peak RSS | peak heap used | peak heap size | peak young gen | peak old space | peak external | live (forced GC) |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const phases = [
      ...result.queries,
      ...[result.insert, result.insertScale].filter((p) => p !== undefined),
    ];
    for (const p of phases) {
      console.log(
        `| ${p.name} | ${p.rows} | ${(p.ms / 1000).toFixed(2)} s | ${
          p.rowsPerSecond.toFixed(0)
        } | ${mb(p.startRssBytes)} | ${mb(p.peakRssBytes)} | ${mb(p.peakHeapUsedBytes)} | ${
          mb(p.peakHeapTotalBytes)
        } | ${mb(p.peakYoungBytes)} | ${mb(p.peakOldBytes)} | ${mb(p.peakExternalBytes)} | ${
          p.peakLiveBytes === undefined ? "-" : mb(p.peakLiveBytes)
        } |`,
      );
    }
    for (const insert of [result.insert, result.insertScale]) {
      if (insert === undefined) continue;
      console.log(
        `insert: ${insert.jobs} jobs of ≤ ${
          mb(insert.maxSizeBytes)
        }, ${insert.maxConcurrentJobs} at once; ` +
          `consumer ${insert.consumer}; peak RSS ${mb(insert.peakRssBytes)} vs bound ${
            mb(insert.rssBoundBytes)
          }`,
      );
    }
    console.log(`RESULT ${JSON.stringify(result)}`);
  }
}
