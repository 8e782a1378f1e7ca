// deno-lint-ignore-file no-console
// `deno task bench`: our client against plain fetch and jsforce 3, on one machine,
// against one FakeSalesforce served over loopback by a separate process
// (bench/_server.ts). Every workload run is a fresh process; results are the
// median (min–max) of the runs. Prints a markdown table, writes
// bench/results/latest.json and, for a full run, bench/RESULTS.md.
//
//   deno task bench            full run (3 runs per workload; several minutes)
//   deno task bench --quick    smoke run (1 run, 2,000 GETs, 20,000 query records; under a minute)
//   deno task bench --only rest,query,cold,bulk,csv,bundle,conformance
import { hasTimeV, runChild, startServer } from "./_process.ts";
import type { BenchServer, ServerStats } from "./_process.ts";
import { spread } from "./_report.ts";
import type {
  BenchResults,
  ClientResult,
  ConformanceStep,
  RunRecord,
} from "./_results.ts";
import { renderMarkdown, renderResultsFile, targetLines } from "./_render.ts";
import type { ColdParams, QueryParams, RestParams } from "./workloads/core.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BENCH = `${ROOT}bench/`;
const BUILD = `${BENCH}results/build/`;
const args = new Set(Deno.args);
const QUICK = args.has("--quick");
const onlyIndex = Deno.args.indexOf("--only");
const ONLY = onlyIndex === -1
  ? undefined
  : new Set(Deno.args[onlyIndex + 1]?.split(","));
const RUNS = QUICK ? 1 : 3;
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
const COLD: ColdParams = { total: 1_000, timeCapMs: 60_000 };
const CONFORMANCE_ACCOUNTS = 650;

function wanted(section: string): boolean {
  return ONLY === undefined || ONLY.has(section);
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function capture(
  command: string,
  commandArgs: string[],
  timeoutMs = 120_000,
) {
  try {
    const output = await new Deno.Command(command, {
      args: commandArgs,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return {
      ok: output.success,
      stdout: new TextDecoder().decode(output.stdout).trim(),
      stderr: new TextDecoder().decode(output.stderr).trim(),
    };
  } catch (error) {
    return { ok: false, stdout: "", stderr: String(error) };
  }
}

// ---------------------------------------------------------------- environment

function machine(): BenchResults["machine"] {
  let cpu = "unknown CPU";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))
      ?.[1] ?? cpu;
  } catch {
    // Not Linux: keep "unknown CPU".
  }
  return {
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    cpu,
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
  };
}

interface NodeSetup {
  path?: string;
  version?: string;
  source?: string;
  jsforce?: string;
  problem?: string;
  jsforceProblem?: string;
}

async function setUpNode(): Promise<NodeSetup> {
  const local = `${ROOT}.tools/node22/node_modules/.bin/node`;
  const setup: NodeSetup = {};
  if (exists(local)) {
    setup.path = local;
    setup.source = ".tools/node22 (npm node@22)";
  } else {
    setup.path = "node";
    setup.source =
      "the machine's node (.tools/node22 missing; .ci/run installs it there)";
  }
  const version = await capture(setup.path, ["--version"], 20_000);
  if (!version.ok) {
    return { problem: `no Node runtime found (${setup.source})` };
  }
  setup.version = version.stdout;
  if (!exists(`${BENCH}node_modules/jsforce/package.json`)) {
    log(
      "bench/node_modules is missing: npm ci in bench/ (jsforce, bench-only)",
    );
    const installed = await capture("npm", [
      "ci",
      "--prefix",
      "bench",
      "--no-audit",
      "--no-fund",
    ], 300_000);
    if (!installed.ok) {
      setup.jsforceProblem = `npm ci in bench/ failed: ${
        installed.stderr.slice(-300)
      }`;
      return setup;
    }
  }
  const pkg = JSON.parse(
    Deno.readTextFileSync(`${BENCH}node_modules/jsforce/package.json`),
  );
  setup.jsforce = `jsforce ${pkg.version}`;
  return setup;
}

/** Bundles bench/workloads/core.ts (our client included) for Node. */
async function bundleCore(): Promise<string | { problem: string }> {
  const out = `${BUILD}core.mjs`;
  const built = await capture(Deno.execPath(), [
    "bundle",
    "--platform",
    "browser",
    "--quiet",
    "bench/workloads/core.ts",
    "-o",
    out,
  ]);
  return built.ok
    ? out
    : { problem: `deno bundle failed: ${built.stderr.slice(-300)}` };
}

// ---------------------------------------------------------------- workload runs

interface ClientSpec {
  label: string;
  runtime: "deno" | "node";
  workload: string;
}

interface Context {
  server: BenchServer;
  node: NodeSetup;
  coreBundle: string | { problem: string };
}

function unavailable(spec: ClientSpec, context: Context): string | undefined {
  if (spec.runtime === "deno") return undefined;
  if (context.node.problem) return context.node.problem;
  if (typeof context.coreBundle !== "string") return context.coreBundle.problem;
  if (spec.workload.includes("jsforce") && context.node.jsforceProblem) {
    return context.node.jsforceProblem;
  }
  return undefined;
}

function command(
  spec: ClientSpec,
  context: Context,
  params: unknown,
): string[] {
  const { url, credentials, ids } = context.server.info;
  const job = JSON.stringify({
    workload: spec.workload,
    target: { url, credentials, ids },
    params,
    bundle: context.coreBundle,
  });
  if (spec.runtime === "deno") {
    return [
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "bench/workloads/deno_main.ts",
      job,
    ];
  }
  return [context.node.path!, "bench/node/client.mjs", job];
}

function totalRequests(stats: ServerStats): number {
  return Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
}

async function runOnce(
  spec: ClientSpec,
  context: Context,
  params: { timeCapMs: number },
): Promise<RunRecord> {
  const before = await context.server.stats();
  const run = await runChild(command(spec, context, params), {
    timeoutMs: params.timeCapMs + 60_000,
    timeV: TIME_V,
    cwd: ROOT,
  });
  const after = await context.server.stats();
  return {
    ...run.result,
    timeRss: run.timeRss,
    serverCpuMs: after.cpuMs - before.cpuMs,
    tokens: after.tokensIssued - before.tokensIssued,
    requests: totalRequests(after) - totalRequests(before),
  };
}

function summarise(
  spec: ClientSpec,
  runs: RunRecord[],
  measuredShare: number,
): ClientResult {
  const good = runs.filter((run) => run.error === undefined);
  const result: ClientResult = { ...spec, runs };
  if (good.length === 0) {
    result.notMeasured = `every run failed: ${runs[0]?.error ?? "no runs"}`;
    return result;
  }
  result.ms = spread(good.map((r) => r.ms));
  result.rps = spread(good.map((r) => r.rps));
  result.peakRss = spread(good.map((r) => r.peakRss));
  result.timeRss = spread(good.map((r) => r.timeRss));
  result.tokens = spread(good.map((r) => r.tokens));
  result.requests = spread(good.map((r) => r.requests));
  result.serverBusy = spread(
    good.map((r) =>
      r.serverCpuMs !== undefined && r.ms
        ? (100 * r.serverCpuMs * measuredShare) / r.ms
        : undefined
    ),
  );
  return result;
}

/** Runs every client `RUNS` times, interleaved (run 1 of each, then run 2, …). */
async function measureClients(
  name: string,
  specs: ClientSpec[],
  context: Context,
  params: { timeCapMs: number },
  measuredShare: number,
  around: { before?: () => Promise<void>; after?: () => Promise<void> } = {},
): Promise<ClientResult[]> {
  const runs = new Map<ClientSpec, RunRecord[]>(
    specs.map((spec) => [spec, []]),
  );
  // One untimed run first, so the server's JIT is warm before the first measured
  // client (otherwise whichever client goes first meets a slower server).
  if (unavailable(specs[0], context) === undefined) {
    log(
      `${name}: untimed server warm-up (${specs[0].label} on ${
        specs[0].runtime
      })`,
    );
    await around.before?.();
    try {
      await runOnce(specs[0], context, params);
    } finally {
      await around.after?.();
    }
  }
  for (let i = 0; i < RUNS; i++) {
    for (const spec of specs) {
      const problem = unavailable(spec, context);
      if (problem !== undefined) continue;
      log(`${name}: ${spec.label} on ${spec.runtime}, run ${i + 1} of ${RUNS}`);
      await around.before?.();
      try {
        const record = await runOnce(spec, context, params);
        if (record.error) log(`  failed: ${record.error}`);
        runs.get(spec)!.push(record);
      } finally {
        await around.after?.();
      }
    }
  }
  return specs.map((spec) => {
    const problem = unavailable(spec, context);
    if (problem !== undefined) {
      return { ...spec, runs: [], notMeasured: problem };
    }
    return summarise(spec, runs.get(spec)!, measuredShare);
  });
}

const REST_CLIENTS: ClientSpec[] = [
  { label: "raw fetch", runtime: "deno", workload: "rest/raw" },
  { label: "ours", runtime: "deno", workload: "rest/ours" },
  { label: "raw fetch", runtime: "node", workload: "rest/raw" },
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

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(
      new CompressionStream("gzip"),
    );
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function measureBundle(): Promise<NonNullable<BenchResults["bundle"]>> {
  const out = `${BUILD}mod.min.js`;
  const built = await capture(Deno.execPath(), [
    "bundle",
    "--platform",
    "browser",
    "--minify",
    "--quiet",
    "mod.ts",
    "-o",
    out,
  ]);
  if (!built.ok) {
    return {
      notMeasured: `deno bundle --minify failed: ${built.stderr.slice(-300)}`,
    };
  }
  const ours = Deno.readFileSync(out);
  const jsforce = [];
  for (const file of ["dist/jsforce.min.js", "dist/jsforce-core.min.js"]) {
    const path = `${BENCH}node_modules/jsforce/${file}`;
    if (!exists(path)) continue;
    const bytes = Deno.readFileSync(path);
    jsforce.push({
      file,
      minBytes: bytes.length,
      gzipBytes: await gzipSize(bytes),
    });
  }
  return {
    oursMinBytes: ours.length,
    oursGzipBytes: await gzipSize(ours),
    jsforce,
  };
}

async function measureCsv(): Promise<NonNullable<BenchResults["csv"]>> {
  if (!exists(`${BENCH}csv_bench.ts`)) {
    return { notMeasured: "not measured yet: no bench/csv_bench.ts" };
  }
  const run = await runChild([
    Deno.execPath(),
    "run",
    "--allow-read",
    "bench/workloads/deno_main.ts",
    JSON.stringify({ workload: "csv", target: null, params: {} }),
  ], { timeoutMs: 600_000, timeV: false, cwd: ROOT });
  const result = run.result as {
    error?: string;
    writeMBps?: number;
    parseMBps?: number;
  };
  if (result.error) {
    return { notMeasured: `runCsvBench() failed: ${result.error}` };
  }
  return { writeMBps: result.writeMBps, parseMBps: result.parseMBps };
}

async function checkConformance(
  node: NodeSetup,
): Promise<NonNullable<BenchResults["conformance"]>> {
  if (node.problem) return { notMeasured: node.problem };
  if (node.jsforceProblem) return { notMeasured: node.jsforceProblem };
  const server = await startServer(`${BENCH}_server.ts`, [
    "--accounts",
    String(CONFORMANCE_ACCOUNTS),
    "--page-size",
    "200",
  ]);
  try {
    const { url, credentials } = server.info;
    const run = await runChild([
      node.path!,
      "bench/node/conformance.mjs",
      JSON.stringify({
        url,
        credentials,
        expectedAccounts: CONFORMANCE_ACCOUNTS,
      }),
    ], { timeoutMs: 180_000, timeV: false, cwd: ROOT });
    const result = run.result as { error?: string; steps?: ConformanceStep[] };
    if (result.error) {
      return { notMeasured: `conformance script failed: ${result.error}` };
    }
    return { steps: result.steps };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  Deno.mkdirSync(BUILD, { recursive: true });
  const node = await setUpNode();
  const results: BenchResults = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine: machine(),
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
    } from ${node.source ?? "nowhere"}, ${
      node.jsforce ?? "no jsforce"
    }, /usr/bin/time -v: ${TIME_V ? "yes" : "no"}`,
  );

  if (wanted("rest") || wanted("query") || wanted("cold")) {
    const coreBundle = node.problem
      ? { problem: node.problem }
      : await bundleCore();
    log("starting the bench server (separate Deno process)");
    const server = await startServer(`${BENCH}_server.ts`, [
      "--accounts",
      "1000",
      "--contacts",
      String(QUERY.expected),
      "--page-size",
      String(PAGE_SIZE),
    ]);
    const context: Context = { server, node, coreBundle };
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
    results.bulk = {
      notMeasured: "not measured yet: bench/bulk_bench.ts has no usable export",
    };
    results.collections = {
      notMeasured:
        "not measured yet: bench/collections_bench.ts has no usable export",
    };
  }
  if (wanted("csv")) {
    log("CSV throughput (bench/csv_bench.ts runCsvBench)");
    results.csv = QUICK
      ? { notMeasured: "skipped in --quick" }
      : await measureCsv();
  }
  if (wanted("bundle")) {
    log("bundle size (deno bundle --minify, gzip via CompressionStream)");
    results.bundle = await measureBundle();
  }
  if (wanted("conformance")) {
    log("conformance: jsforce against FakeSalesforce");
    results.conformance = await checkConformance(node);
  }

  results.targets = targetLines(results);
  const markdown = renderMarkdown(results);
  console.log(markdown);
  const jsonPath = `${BENCH}results/${QUICK ? "quick" : "latest"}.json`;
  Deno.writeTextFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
  log(`wrote ${jsonPath.slice(ROOT.length)}`);
  if (!QUICK && ONLY === undefined) {
    Deno.writeTextFileSync(
      `${BENCH}RESULTS.md`,
      renderResultsFile(results, markdown),
    );
    log("wrote bench/RESULTS.md");
  }
}

await main();
