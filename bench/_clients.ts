// Measuring clients: one fresh process per run, the server's counters read
// before and after, runs interleaved, median/min/max per client.
import { type BenchServer, runChild, type ServerStats } from "./_process.ts";
import { spread } from "./_report.ts";
import type { ClientResult, RunRecord } from "./_results.ts";
import { log, type NodeSetup, ROOT } from "./_env.ts";

export interface ClientSpec {
  label: string;
  runtime: "deno" | "node";
  workload: string;
}

export interface Context {
  server: BenchServer;
  node: NodeSetup;
  coreBundle: string | { problem: string };
  /** Runs per client. */
  runs: number;
  /** Wrap each process in /usr/bin/time -v. */
  timeV: boolean;
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
  const load1 = Deno.loadavg()[0];
  const before = await context.server.stats();
  const run = await runChild(command(spec, context, params), {
    timeoutMs: params.timeCapMs + 60_000,
    timeV: context.timeV,
    cwd: ROOT,
  });
  const after = await context.server.stats();
  return {
    ...run.result,
    timeRss: run.timeRss,
    serverCpuMs: after.cpuMs - before.cpuMs,
    tokens: after.tokensIssued - before.tokensIssued,
    requests: totalRequests(after) - totalRequests(before),
    load1,
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
  result.cpuMs = spread(good.map((r) => r.cpuMs));
  result.cpuUsPerRequest = spread(
    good.map((r) => r.cpuUsPerRequest as number | undefined),
  );
  result.serverBusy = spread(
    good.map((r) =>
      r.serverCpuMs !== undefined && r.ms ? (100 * r.serverCpuMs * measuredShare) / r.ms : undefined
    ),
  );
  return result;
}

/** Runs every client `context.runs` times, interleaved (run 1 of each, then run 2, …). */
export async function measureClients(
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
      `${name}: untimed server warm-up (${specs[0].label} on ${specs[0].runtime})`,
    );
    await around.before?.();
    try {
      await runOnce(specs[0], context, params);
    } finally {
      await around.after?.();
    }
  }
  for (let i = 0; i < context.runs; i++) {
    for (const spec of specs) {
      const problem = unavailable(spec, context);
      if (problem !== undefined) continue;
      log(
        `${name}: ${spec.label} on ${spec.runtime}, run ${i + 1} of ${context.runs}`,
      );
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
