// deno-lint-ignore-file no-console
// One workload run in a fresh Deno process. Argument: JSON { workload, target, params }.
// Prints one line `RESULT {json}` on stdout: the measurement plus `peakRss`
// (bytes, sampled every 50 ms from inside), or `{ error }`.
import process from "node:process";
import { type Measured, sampleRss, setCpuClock, type Target, WORKLOADS } from "./core.ts";

interface Job {
  workload: string;
  target: Target;
  params: Record<string, unknown>;
}

/** Benches other helpers own: file (beside bench/run.ts) and the function it exports. */
export const EXTERNAL: Record<string, { file: string; exportName: string }> = {
  csv: { file: "csv_bench.ts", exportName: "runCsvBench" },
  bulk: { file: "bulk_bench.ts", exportName: "runBulkBench" },
  collections: {
    file: "collections_bench.ts",
    exportName: "runCollectionsBench",
  },
  fake: { file: "fake_bench.ts", exportName: "runFakeBench" },
};

async function external(
  name: string,
  params: unknown,
): Promise<Record<string, unknown>> {
  const { file, exportName } = EXTERNAL[name];
  // A computed specifier: type checking must not require files that may not exist yet.
  const module = await import(new URL(`../${file}`, import.meta.url).href);
  const run = module[exportName];
  if (typeof run !== "function") {
    throw new Error(`bench/${file} does not export ${exportName}()`);
  }
  const start = performance.now();
  const result = await run(params);
  return { ms: performance.now() - start, count: 1, result };
}

const job = JSON.parse(Deno.args[0]) as Job;
setCpuClock(() => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
});
const sampler = sampleRss(() => Deno.memoryUsage().rss);
let output: Record<string, unknown>;
try {
  let measured: Record<string, unknown>;
  if (job.workload in EXTERNAL) {
    measured = await external(job.workload, job.params);
  } else {
    const run = WORKLOADS[job.workload as keyof typeof WORKLOADS] as
      | ((target: Target, params: unknown) => Promise<Measured>)
      | undefined;
    if (run === undefined) {
      throw new Error(`unknown workload "${job.workload}"`);
    }
    measured = await run(job.target, job.params);
  }
  output = {
    ...measured,
    peakRss: sampler.stop(),
    runtime: `deno ${Deno.version.deno}`,
  };
} catch (error) {
  sampler.stop();
  output = { error: error instanceof Error ? error.message : String(error) };
}
console.log(`RESULT ${JSON.stringify(output)}`);
Deno.exit(0);
