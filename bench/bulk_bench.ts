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
// the client's alone, and the insert runs in a fresh client process of its own
// (bench/_bulk_insert.ts, which loads the client only, not the fake org), as jsforce's does:
// its RSS starts from the runtime's baseline, not from what the queries left. Without --allow-run everything runs in this process, and the
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
//        [--scale-records N] [--description-bytes N]
import { Salesforce } from "../client/salesforce.ts";
import { FakeSalesforce, type FakeSalesforceOptions } from "../testing/mod.ts";
import { serveWithoutRelay } from "../testing/_served.ts";
import {
  type BulkPhase,
  client,
  type Consumer,
  insertInChild,
  type InsertParams,
  type InsertPhase,
  insertPhase,
  phase,
  rssSampler,
} from "./_bulk_insert.ts";

export type { BulkPhase, Consumer } from "./_bulk_insert.ts";

// The org's server answers without the relay that exact drops need: no bench drops, and
// its pace must be Deno.serve's (testing/_served.ts).
serveWithoutRelay();

/** The bulk queries' SOQL, without its LIMIT. */
const BULK_QUERY = "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, Phone, " +
  "Website, Description FROM Account";

/** An insert run after the first; what it leaves out is the first's. */
export interface ExtraInsert {
  records?: number;
  maxSizeBytes?: number;
  maxConcurrentJobs?: number;
  consumer?: Consumer;
  /** Bytes added to each record's Description (wide records). */
  descriptionBytes?: number;
}

/** What to run; every field has a default. */
export interface BulkBenchParams {
  /** Records inserted. @default 1_000_000 */
  insertRecords?: number;
  /** Bytes added to each inserted record's Description (wide records). @default 0 */
  descriptionBytes?: number;
  /**
   * More inserts after the first, each in a fresh process of its own (needs --allow-run),
   * with the first's options unless given: more records show whether memory follows the
   * input size or the jobs in flight; consumer "none" shows the client's own memory.
   * @default []
   */
  extraInserts?: ExtraInsert[];
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

/** Everything {@linkcode runBulkBench} measured. */
export interface BulkBenchResult {
  /** True when the fake org ran in this process, so the RSS includes its records. */
  serverInProcess: boolean;
  /** True when the insert ran in a fresh process of its own (needs --allow-run). */
  insertInFreshProcess: boolean;
  queries: BulkPhase[];
  /** Absent when no records were to be inserted. */
  insert?: InsertResult;
  /** The extra inserts, in the order of `extraInserts`. */
  extraInserts: InsertResult[];
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

/** Runs the bulk queries, then the insert (in a fresh process); see the top of the file. */
export async function runBulkBench(
  params: BulkBenchParams = {},
): Promise<BulkBenchResult> {
  const insertRecords = params.insertRecords ?? 1_000_000;
  const extras = params.extraInserts ?? [];
  const queryRows = params.queryRows ?? [100_000, 1_000_000];
  const maxSizeBytes = params.maxSizeBytes ?? 10_000_000;
  const maxConcurrentJobs = params.maxConcurrentJobs ?? 4;
  const consumer = params.consumer ?? "for-await";
  const canRun = (await Deno.permissions.query({ name: "run" })).state === "granted";
  if (extras.length > 0 && !canRun) {
    throw new Error("The bench's extra inserts (extraInserts) need --allow-run");
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
      descriptionBytes: params.descriptionBytes,
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
    const withOptions = (phase: InsertPhase, options: InsertParams): InsertResult => ({
      ...phase,
      maxSizeBytes: options.maxSizeBytes,
      maxConcurrentJobs: options.maxConcurrentJobs,
      consumer: options.consumer,
      rssBoundBytes: (options.maxConcurrentJobs + 1) * options.maxSizeBytes +
        150 * 1024 * 1024,
    });
    const extraInserts: InsertResult[] = [];
    for (const extra of extras) {
      const options: InsertParams = {
        ...insertParams,
        insertRecords: extra.records ?? insertRecords,
        maxSizeBytes: extra.maxSizeBytes ?? maxSizeBytes,
        maxConcurrentJobs: extra.maxConcurrentJobs ?? maxConcurrentJobs,
        consumer: extra.consumer ?? consumer,
        descriptionBytes: extra.descriptionBytes,
      };
      const phase = await insertInChild(options);
      if (phase.rows !== options.insertRecords) {
        throw new Error(`bulk insert saved ${phase.rows} of ${options.insertRecords} records`);
      }
      extraInserts.push(withOptions(phase, options));
    }
    return {
      serverInProcess: served.inProcess,
      insertInFreshProcess: canRun,
      queries,
      insert: insert === undefined ? undefined : withOptions(insert, insertParams),
      extraInserts,
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
      ...(option("scale-records") === undefined
        ? {}
        : { extraInserts: [{ records: option("scale-records") }] }),
      maxSizeBytes: option("max-size-bytes"),
      maxConcurrentJobs: option("max-concurrent-jobs"),
      descriptionBytes: option("description-bytes"),
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
      ...[result.insert, ...result.extraInserts].filter((p) => p !== undefined),
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
    for (const insert of [result.insert, ...result.extraInserts]) {
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
