// deno-lint-ignore-file no-console
// `deno task bench`: our client against plain fetch and jsforce 3, on one machine,
// against one FakeSalesforce served over loopback by a separate process
// (bench/_server.ts). Every workload run is a fresh process; results are the
// median (min–max) of the runs. Prints a markdown table, writes
// bench/results/latest.json and, for a full run, bench/RESULTS.md.
//
//   deno task bench            full run (5 runs per client workload; about 5 minutes)
//   deno task bench --quick    smoke run (1 run, 2,000 GETs, 20,000 query records; under a minute)
//   deno task bench --only rest,query,cold,bulk,collections,fake,csv,bundle,conformance
import { type BulkParams, measureBulk } from "./_bulk.ts";
import { type ClientSpec, type Context, measureClients } from "./_clients.ts";
import { BENCH, BUILD, bundleCore, capture, log, machine, ROOT, setUpNode } from "./_env.ts";
import { hasTimeV, startServer } from "./_process.ts";
import { renderMarkdown, renderResultsFile } from "./_render.ts";
import { targetLines } from "./_targets.ts";
import type { BenchResults } from "./_results.ts";
import type { FakeBenchResult } from "./fake_bench.ts";
import { checkConformance, measureBundle, measureExternal } from "./_sections.ts";
import type { ColdParams, QueryParams, RestParams } from "./workloads/core.ts";

const QUICK = Deno.args.includes("--quick");
const onlyIndex = Deno.args.indexOf("--only");
const ONLY = onlyIndex === -1 ? undefined : new Set(Deno.args[onlyIndex + 1]?.split(","));
const RUNS = QUICK ? 1 : 5;
const TIME_V = hasTimeV();

const REST: RestParams = {
  total: QUICK ? 2_000 : 20_000,
  concurrency: 64,
  warmup: QUICK ? 200 : 1_000,
  timeCapMs: 120_000,
};
const PAGE_SIZE = 2_000;
const LATENCY_MS = 10;
const QUERY: QueryParams = {
  soql: "SELECT Id, FirstName, LastName, Email FROM Contact",
  expected: QUICK ? 20_000 : 200_000,
  every: PAGE_SIZE,
  workMs: 10,
  timeCapMs: 120_000,
};
const BULK: BulkParams = {
  insertRecords: QUICK ? 100_000 : 1_000_000,
  queryRows: QUICK ? [10_000, 100_000] : [100_000, 1_000_000],
  // 4× the records (memory should not follow), then the client alone ("none": job counts
  // read, no result row made) at the same and at the default job size, and with wide records.
  extraInserts: [
    { records: QUICK ? 400_000 : 4_000_000 },
    { consumer: "none" },
    { consumer: "none", maxSizeBytes: 100_000_000 },
    // Wide records (about 1.1 KB each), where the payloads are most of the memory.
    {
      records: QUICK ? 50_000 : 400_000,
      descriptionBytes: 1_000,
      maxSizeBytes: 20_000_000,
      maxConcurrentJobs: 2,
      consumer: "none",
    },
  ],
  timeCapMs: 900_000,
};
const COLD: ColdParams = { total: 1_000, timeCapMs: 60_000 };
const CONFORMANCE_ACCOUNTS = 650;

function wanted(section: string): boolean {
  return ONLY === undefined || ONLY.has(section);
}

const REST_CLIENTS: ClientSpec[] = [
  { label: "raw fetch", runtime: "deno", workload: "rest/raw" },
  { label: "raw fetch + timeout signal", runtime: "deno", workload: "rest/raw-timeout" },
  { label: "ours", runtime: "deno", workload: "rest/ours" },
  { label: "raw fetch", runtime: "node", workload: "rest/raw" },
  { label: "raw fetch + timeout signal", runtime: "node", workload: "rest/raw-timeout" },
  { label: "ours (bundled)", runtime: "node", workload: "rest/ours" },
  { label: "jsforce", runtime: "node", workload: "rest/jsforce" },
];

const QUERY_CLIENTS: ClientSpec[] = [
  { label: "ours (prefetch)", runtime: "deno", workload: "query/ours" },
  {
    label: "raw fetch, sequential loop",
    runtime: "deno",
    workload: "query/raw",
  },
  {
    label: "raw fetch, one page ahead",
    runtime: "deno",
    workload: "query/raw-prefetch",
  },
  {
    label: "ours (bundled, prefetch)",
    runtime: "node",
    workload: "query/ours",
  },
  {
    label: "raw fetch, sequential loop",
    runtime: "node",
    workload: "query/raw",
  },
  {
    label: "raw fetch, one page ahead",
    runtime: "node",
    workload: "query/raw-prefetch",
  },
  {
    label: "jsforce autoFetch (record stream)",
    runtime: "node",
    workload: "query/jsforce",
  },
];

const COLD_CLIENTS: ClientSpec[] = [
  {
    label: "ours (SoapLogin, lazy token)",
    runtime: "deno",
    workload: "cold/ours",
  },
  {
    label: "ours (bundled, SoapLogin, lazy token)",
    runtime: "node",
    workload: "cold/ours",
  },
  {
    label: "jsforce: login(), then requests",
    runtime: "node",
    workload: "cold/jsforce-login",
  },
  {
    label: "jsforce: no session + refreshFn (401s trigger login)",
    runtime: "node",
    workload: "cold/jsforce-lazy",
  },
];

// ---------------------------------------------------------------- other sections

async function main(): Promise<void> {
  Deno.mkdirSync(BUILD, { recursive: true });
  const node = await setUpNode();
  const results: BenchResults = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine: { ...await machine(), loadStart: Deno.loadavg() },
    runtimes: {
      deno: `deno ${Deno.version.deno}`,
      node: node.version ? `node ${node.version.replace(/^v/, "")}` : undefined,
      nodeSource: node.source,
      jsforce: node.jsforce,
      timeV: TIME_V,
    },
    runs: RUNS,
    targets: [],
  };
  log(
    `${results.machine.cores} cores, ${results.runtimes.deno}, ${
      results.runtimes.node ?? "no node"
    } from ${node.source ?? "nowhere"}, ${node.jsforce ?? "no jsforce"}, /usr/bin/time -v: ${
      TIME_V ? "yes" : "no"
    }`,
  );

  if (wanted("rest") || wanted("query") || wanted("cold")) {
    const coreBundle = node.problem ? { problem: node.problem } : await bundleCore();
    log("starting the bench server (separate Deno process)");
    const server = await startServer(`${BENCH}_server.ts`, [
      "--accounts",
      "1000",
      "--contacts",
      String(QUERY.expected),
      "--page-size",
      String(PAGE_SIZE),
      "--warm-soql",
      QUERY.soql,
    ]);
    const context: Context = {
      server,
      node,
      coreBundle,
      runs: RUNS,
      timeV: TIME_V,
    };
    try {
      if (wanted("rest")) {
        const share = REST.total / (REST.total + REST.warmup);
        results.rest = {
          params: {
            total: REST.total,
            concurrency: REST.concurrency,
            warmup: REST.warmup,
          },
          clients: await measureClients(
            "REST",
            REST_CLIENTS,
            context,
            REST,
            share,
          ),
        };
      }
      if (wanted("query")) {
        const pages = Math.ceil(QUERY.expected / PAGE_SIZE);
        const targetMs = 1.15 *
          Math.max(pages * LATENCY_MS, pages * QUERY.workMs);
        results.query = {
          params: {
            expected: QUERY.expected,
            pageSize: PAGE_SIZE,
            latencyMs: LATENCY_MS,
            workMs: QUERY.workMs,
          },
          targetMs,
          clients: await measureClients(
            "query",
            QUERY_CLIENTS,
            context,
            QUERY,
            1,
            {
              before: async () => {
                await server.clearFaults();
                // Every page request (first query and each nextRecordsUrl) waits 10 ms.
                await server.inject({
                  path: "^/services/data/v\\d+\\.\\d/query",
                  latencyMs: LATENCY_MS,
                  times: 1_000_000,
                });
              },
              after: () => server.clearFaults(),
            },
          ),
        };
      }
      if (wanted("cold")) {
        results.cold = {
          params: { total: COLD.total },
          clients: await measureClients(
            "cold start",
            COLD_CLIENTS,
            context,
            COLD,
            1,
          ),
        };
      }
    } finally {
      log(`bench server: ${await server.stop()}`);
    }
  }

  if (wanted("bulk")) {
    const coreBundle = node.problem ? { problem: node.problem } : await bundleCore();
    results.bulk = await measureBulk({
      params: BULK,
      runs: QUICK ? 1 : 3,
      timeV: TIME_V,
      node,
      coreBundle,
    });
  }
  if (wanted("collections")) {
    log(
      "collections vs one-by-one (bench/collections_bench.ts runCollectionsBench)",
    );
    results.collections = QUICK
      ? { notMeasured: "skipped in --quick" }
      : await measureExternal("collections", "collections_bench.ts", {
        allowNet: true,
        timeoutMs: 600_000,
        timeV: false,
      });
  }
  if (wanted("csv")) {
    log("CSV throughput (bench/csv_bench.ts runCsvBench)");
    if (QUICK) results.csv = { notMeasured: "skipped in --quick" };
    else {
      const csv = await measureExternal("csv", "csv_bench.ts", {
        timeoutMs: 600_000,
        timeV: false,
      });
      const r = csv.result as
        | { writeMBps?: number; parseMBps?: number }
        | undefined;
      results.csv = csv.notMeasured
        ? { notMeasured: csv.notMeasured }
        : { writeMBps: r?.writeMBps, parseMBps: r?.parseMBps };
    }
  }
  if (wanted("fake")) {
    log("fake org speed (bench/fake_bench.ts runFakeBench)");
    const fake = await measureExternal("fake", "fake_bench.ts", {
      params: { quick: QUICK },
      timeoutMs: 300_000,
      timeV: false,
    });
    results.fake = fake.notMeasured
      ? { notMeasured: fake.notMeasured }
      : { result: fake.result as unknown as FakeBenchResult };
  }
  if (wanted("bundle")) {
    log("bundle size (deno bundle --minify, gzip via CompressionStream)");
    results.bundle = await measureBundle();
  }
  if (wanted("conformance")) {
    log("conformance: jsforce against FakeSalesforce");
    results.conformance = await checkConformance(node, CONFORMANCE_ACCOUNTS);
  }

  results.machine.loadEnd = Deno.loadavg();
  results.targets = targetLines(results);
  const markdown = renderMarkdown(results);
  console.log(markdown);
  // Only a full run of everything is "latest"; smoke and partial runs go beside it.
  const name = QUICK ? "quick" : ONLY === undefined ? "latest" : "partial";
  const jsonPath = `${BENCH}results/${name}.json`;
  Deno.writeTextFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
  log(`wrote ${jsonPath.slice(ROOT.length)}`);
  if (!QUICK && ONLY === undefined) {
    Deno.writeTextFileSync(
      `${BENCH}RESULTS.md`,
      renderResultsFile(results, markdown),
    );
    // CI runs `deno fmt --check` (markdown too) with the root config; name it, or
    // bench/package.json makes `deno fmt <file>` fall back to its defaults.
    await capture(Deno.execPath(), [
      "fmt",
      "--quiet",
      "--config",
      "deno.json",
      "bench/RESULTS.md",
    ]);
    log("wrote bench/RESULTS.md");
  }
}

await main();
