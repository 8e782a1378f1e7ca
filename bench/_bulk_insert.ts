// deno-lint-ignore-file no-console
// The bulk bench's insert and its memory sampler: run by bench/bulk_bench.ts in this process,
// or as a fresh process of its own (this file as main), which then holds the client and the
// sampler only (not the fake org's code that bulk_bench.ts also serves), so its RSS is the
// client's.
//
// Run (as bulk_bench.ts does): deno run --allow-net=127.0.0.1 bench/_bulk_insert.ts '<JSON params>'
import { getHeapSpaceStatistics } from "node:v8";
import { ClientCredentialsFlow } from "../auth/client_credentials_flow.ts";
import { Salesforce } from "../client/salesforce.ts";

/** How the insert's job results are consumed; see BulkBenchParams.consumer in bulk_bench.ts. */
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

export const FIELDS = [
  "Name",
  "Type",
  "Phone",
  "Website",
  "Industry",
  "AnnualRevenue",
  "NumberOfEmployees",
  "Description",
];

/**
 * Insert input, made as it is read: the input itself never sits in memory. With
 * `descriptionBytes`, each Description is that many bytes longer (wide records).
 */
export function* records(
  count: number,
  descriptionBytes = 0,
): Generator<Record<string, string | number>> {
  const filler = "x".repeat(descriptionBytes);
  for (let i = 0; i < count; i++) {
    yield {
      Name: `Bulk Account ${i}`,
      Type: i % 2 ? "Customer" : "Prospect",
      Phone: `+1 555 ${String(i % 10_000_000).padStart(7, "0")}`,
      Website: `https://example.com/${i}`,
      Industry: i % 3 ? "Technology" : "Energy, Oil & Gas",
      AnnualRevenue: 1_000 * (i % 100_000) + 0.5,
      NumberOfEmployees: i % 5_000,
      Description: `Inserted by the bulk bench, row ${i}${filler}`,
    };
  }
}

export interface Peaks {
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
/** What {@linkcode rssSampler} returns. */
export interface RssSampler {
  /** Restarts the peaks; `peaks()` reads them, sampling once more. */
  phase(): { start: number; peaks: () => Peaks & { gc: boolean } };
  stop(): void;
}

export function rssSampler(): RssSampler {
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

export async function phase<T>(
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

export type InsertPhase = BulkPhase & { jobs: number; failed: number };

/** What the insert needs, also sent to a fresh process as JSON. */
export interface InsertParams {
  url: string;
  clientId: string;
  clientSecret: string;
  insertRecords: number;
  maxSizeBytes: number;
  maxConcurrentJobs: number;
  consumer: Consumer;
  /** Bytes added to each record's Description (wide records). @default 0 */
  descriptionBytes?: number;
}

export function client(
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
export async function insertPhase(
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
        records(insertRecords, params.descriptionBytes),
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

/** The insert phase in a fresh process (this file as main), sampled there. */
export async function insertInChild(params: InsertParams): Promise<InsertPhase> {
  const gc = (globalThis as { gc?: () => void }).gc !== undefined;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      // The live-memory mode goes with it; no other V8 flag does.
      ...(gc ? ["--v8-flags=--expose-gc"] : []),
      new URL(import.meta.url).pathname,
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

if (import.meta.main) await insertChildMain(JSON.parse(Deno.args[0]));
