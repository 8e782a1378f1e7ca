// jsforce's side of the Bulk API 2.0 workloads, the same phases as bench/bulk_bench.ts
// (which measures ours): bulk queries of growing size, then one insert, each with
// its wall time and the peak RSS of this process sampled every 50 ms.
//
// The insert uses jsforce the memory-friendly way: a Readable of CSV text piped
// into one job (`loadAndWaitForResults`; jsforce uploads a job once and does not
// split). The rows mirror bench/_bulk_insert.ts's generator field for field (a Node
// script cannot import that TypeScript file).
import process from "node:process";
import { Readable } from "node:stream";

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

function csvValue(value) {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV text of `count` rows, made as it is read; the input never sits in memory. */
function* csvChunks(count) {
  yield FIELDS.join(",") + "\n";
  let chunk = "";
  for (let i = 0; i < count; i++) {
    const row = [
      `Bulk Account ${i}`,
      i % 2 ? "Customer" : "Prospect",
      `+1 555 ${String(i % 10_000_000).padStart(7, "0")}`,
      `https://example.com/${i}`,
      i % 3 ? "Technology" : "Energy, Oil & Gas",
      1_000 * (i % 100_000) + 0.5,
      i % 5_000,
      `Inserted by the bulk bench, row ${i}`,
    ];
    chunk += row.map(csvValue).join(",") + "\n";
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

function rssSampler() {
  const rss = () => process.memoryUsage().rss;
  let peak = rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 50);
  return {
    phase() {
      const start = rss();
      peak = start;
      return { start, peak: () => Math.max(peak, rss()) };
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Runs one phase; a failure is recorded in the phase (the next phases still run). */
async function phase(sampler, name, rows, run) {
  const { start, peak } = sampler.phase();
  const started = performance.now();
  let outcome;
  try {
    outcome = await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      name,
      rows,
      error: message.slice(0, 300),
      startRssBytes: start,
      peakRssBytes: peak(),
    };
  }
  const ms = performance.now() - started;
  return {
    ...outcome,
    name,
    ms,
    rowsPerSecond: outcome.rows / (ms / 1_000),
    startRssBytes: start,
    peakRssBytes: peak(),
  };
}

/**
 * Bulk queries of `queryRows` rows each, then an insert of `insertRecords`
 * (`only: "queries"` or `"insert"` runs just those); `conn` is a logged-in
 * jsforce Connection. Same result shape as runBulkBench,
 * except that a phase that fails carries `error` instead of failing the run.
 */
// deno-lint-ignore explicit-module-boundary-types -- plain JavaScript for Node: no annotations
export async function bulkJsforce(conn, params) {
  const polling = { pollInterval: 50, pollTimeout: params.timeCapMs };
  const sampler = rssSampler();
  try {
    const queries = [];
    for (const rows of params.only === "insert" ? [] : params.queryRows) {
      queries.push(
        await phase(sampler, `bulk query ${rows} rows`, rows, async () => {
          const soql = "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, Phone, " +
            `Website, Description FROM Account LIMIT ${rows}`;
          const stream = await conn.bulk2.query(soql, polling);
          let count = 0;
          for await (const _ of stream) count++;
          if (count !== rows) {
            throw new Error(`bulk query returned ${count} rows, not ${rows}`);
          }
          return { rows: count };
        }),
      );
    }
    if (params.only === "queries") return { serverInProcess: false, queries };
    const insert = await phase(
      sampler,
      `bulk insert ${params.insertRecords} × 8 fields`,
      params.insertRecords,
      async () => {
        const results = await conn.bulk2.loadAndWaitForResults({
          object: "Account",
          operation: "insert",
          input: Readable.from(csvChunks(params.insertRecords)),
          ...polling,
        });
        const rows = results.successfulResults.length;
        if (rows !== params.insertRecords) {
          throw new Error(
            `bulk insert saved ${rows} of ${params.insertRecords} records`,
          );
        }
        return {
          rows,
          jobs: 1,
          failed: results.failedResults.length +
            results.unprocessedRecords.length,
        };
      },
    );
    return { serverInProcess: false, queries, insert };
  } finally {
    sampler.stop();
  }
}
