// deno-lint-ignore-file no-console
// One workload run in a fresh Deno process. Argument: JSON { workload, target, params }.
// Prints one line `RESULT {json}` on stdout: the measurement plus `peakRss`
// (bytes, sampled every 50 ms from inside), or `{ error }`.
import { type Measured, sampleRss, type Target, WORKLOADS } from "./core.ts";

interface Job {
  workload: string;
  target: Target;
  params: Record<string, unknown>;
}

async function csv(): Promise<Measured> {
  // The CSV helper's bench; absent until that file lands.
  const module = await import("../csv_bench.ts") as {
    runCsvBench?: () => Promise<{ writeMBps: number; parseMBps: number }>;
  };
  if (typeof module.runCsvBench !== "function") {
    throw new Error("runCsvBench() not exported");
  }
  const start = performance.now();
  const result = await module.runCsvBench();
  return { ms: performance.now() - start, count: 1, ...result };
}

const job = JSON.parse(Deno.args[0]) as Job;
const sampler = sampleRss(() => Deno.memoryUsage().rss);
let output: Record<string, unknown>;
try {
  const run = job.workload === "csv"
    ? csv
    : WORKLOADS[job.workload as keyof typeof WORKLOADS] as
      | ((target: Target, params: unknown) => Promise<Measured>)
      | undefined;
  if (run === undefined) throw new Error(`unknown workload "${job.workload}"`);
  const measured = await run(job.target, job.params);
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
