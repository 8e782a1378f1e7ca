// Workloads 3 and 4, Bulk API 2.0: ours through bench/bulk_bench.ts's
// runBulkBench() (the bulk helper's bench; it serves its own fake org from a child
// process), jsforce through bench/node/_jsforce_bulk.mjs against a bench server
// seeded with enough Accounts. Each run of each client gets a fresh org.
import { BENCH, log, type NodeSetup, ROOT } from "./_env.ts";
import { runChild, startServer } from "./_process.ts";
import type { BenchResults, BulkClient, BulkRun, ExtraInsert } from "./_results.ts";
import { measureExternal } from "./_sections.ts";

/** Sizes of the bulk phases. */
export interface BulkParams {
  insertRecords: number;
  queryRows: number[];
  /** Ours only: inserts after the first (more records; the client's own memory). */
  extraInserts: ExtraInsert[];
  timeCapMs: number;
}

async function oursOnce(params: BulkParams, timeV: boolean): Promise<BulkRun> {
  const run = await measureExternal("bulk", "bulk_bench.ts", {
    params: {
      insertRecords: params.insertRecords,
      queryRows: params.queryRows,
      extraInserts: params.extraInserts,
    },
    allowNet: true,
    allowRun: true,
    timeoutMs: params.timeCapMs + 120_000,
    timeV,
  });
  if (run.notMeasured) return { error: run.notMeasured };
  return { ...(run.result as BulkRun), timeRss: run.timeRss };
}

async function jsforceOnce(
  params: BulkParams,
  node: NodeSetup,
  coreBundle: string,
  timeV: boolean,
): Promise<BulkRun> {
  const server = await startServer(
    `${BENCH}_server.ts`,
    ["--accounts", String(Math.max(0, ...params.queryRows))],
    // The org holds the seeded and the inserted Accounts.
    ["--v8-flags=--max-old-space-size=16000"],
  );
  try {
    const { url, credentials, ids } = server.info;
    // Queries and insert in two fresh processes, one after the other: the
    // insert's RSS then starts from a clean process, whatever the queries did.
    const parts: BulkRun[] = [];
    for (const only of ["queries", "insert"]) {
      const run = await runChild([
        node.path!,
        "bench/node/client.mjs",
        JSON.stringify({
          workload: "bulk/jsforce",
          target: { url, credentials, ids },
          params: { ...params, only },
          bundle: coreBundle,
        }),
      ], { timeoutMs: params.timeCapMs + 120_000, timeV, cwd: ROOT });
      const output = run.result as { error?: string; result?: BulkRun };
      if (output.error) return { error: output.error };
      // Each process's own time -v peak goes with its phases.
      const result = output.result!;
      for (const phase of [...result.queries ?? [], result.insert]) {
        if (phase) phase.timeRssBytes = run.timeRss;
      }
      parts.push(result);
    }
    return {
      serverInProcess: false,
      queries: parts[0].queries,
      insert: parts[1].insert,
    };
  } finally {
    await server.stop();
  }
}

/** Runs ours `runs` times, then jsforce `runs` times. */
export async function measureBulk(options: {
  params: BulkParams;
  runs: number;
  timeV: boolean;
  node: NodeSetup;
  coreBundle: string | { problem: string };
}): Promise<NonNullable<BenchResults["bulk"]>> {
  const { params, node, coreBundle } = options;
  const ours: BulkClient = {
    label: "ours (bulkV2, bench/bulk_bench.ts)",
    runtime: "deno",
    runs: [],
  };
  const jsforce: BulkClient = {
    label: "jsforce bulk2 (one job, CSV stream in)",
    runtime: "node",
    runs: [],
  };
  const jsforceProblem = node.problem ?? node.jsforceProblem ??
    (typeof coreBundle === "string" ? undefined : coreBundle.problem);
  if (jsforceProblem) jsforce.notMeasured = jsforceProblem;
  for (let i = 0; i < options.runs; i++) {
    log(`bulk: ours, run ${i + 1} of ${options.runs}`);
    const run = await oursOnce(params, options.timeV);
    if (run.error) log(`  failed: ${run.error}`);
    ours.runs.push(run);
    if (ours.runs.length === 1 && run.error?.startsWith("not measured yet")) {
      ours.notMeasured = run.error;
      ours.runs = [];
      break;
    }
  }
  if (!jsforce.notMeasured) {
    for (let i = 0; i < options.runs; i++) {
      log(`bulk: jsforce, run ${i + 1} of ${options.runs}`);
      const run = await jsforceOnce(
        params,
        node,
        coreBundle as string,
        options.timeV,
      );
      if (run.error) log(`  failed: ${run.error}`);
      jsforce.runs.push(run);
    }
  }
  return {
    params: {
      insertRecords: params.insertRecords,
      queryRows: params.queryRows,
      extraInserts: params.extraInserts,
    },
    clients: [ours, jsforce],
  };
}
