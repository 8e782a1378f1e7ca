// The summary lines: one per target of issue 8 (plus issue 5's CSV targets).
import { count, ratio, showSpread, type Spread } from "./_report.ts";
import type { BenchResults, ClientResult, TargetLine } from "./_results.ts";
import { bulkTargets } from "./_render_bulk.ts";

const BUNDLE_LIMIT = 25_000;
const CSV_WRITE_TARGET = 150;
const CSV_PARSE_TARGET = 100;

/** The client of `workload` on `runtime`. */
export function find(
  clients: ClientResult[] | undefined,
  runtime: string,
  workload: string,
): ClientResult | undefined {
  return clients?.find((c) => c.runtime === runtime && c.workload === workload);
}

/** The median of a spread, if any. */
export function median(s: Spread | undefined): number | undefined {
  return s?.median;
}

function rpsLine(client: ClientResult | undefined): string {
  if (client === undefined) return "not run";
  if (client.notMeasured) return `not measured: ${client.notMeasured}`;
  return `${showSpread(client.rps)} req/s`;
}

function restTargets(results: BenchResults): TargetLine[] {
  const clients = results.rest?.clients;
  if (clients === undefined) return [];
  const lines: TargetLine[] = [];
  for (const runtime of ["deno", "node"]) {
    const ours = find(clients, runtime, "rest/ours");
    const raw = find(clients, runtime, "rest/raw");
    const r = (median(ours?.rps) ?? NaN) / (median(raw?.rps) ?? NaN);
    lines.push({
      target: `REST: ours ≥ 0.9× raw fetch, both on ${runtime === "deno" ? "Deno" : "Node"}`,
      measured: `${ratio(r)} (ours ${rpsLine(ours)}; raw ${rpsLine(raw)}; client CPU per request ${
        showSpread(ours?.cpuUsPerRequest, 0, " µs")
      } vs ${showSpread(raw?.cpuUsPerRequest, 0, " µs")})`,
      ok: Number.isFinite(r) ? r >= 0.9 : undefined,
    });
  }
  const oursNode = find(clients, "node", "rest/ours");
  const jsforce = find(clients, "node", "rest/jsforce");
  const r = (median(oursNode?.rps) ?? NaN) / (median(jsforce?.rps) ?? NaN);
  lines.push({
    target: "REST: ours ≥ 1.5× jsforce, both on Node",
    measured: `${ratio(r)} (ours ${rpsLine(oursNode)}; jsforce ${rpsLine(jsforce)})`,
    ok: Number.isFinite(r) ? r >= 1.5 : undefined,
  });
  return lines;
}

function queryTargets(results: BenchResults): TargetLine[] {
  const query = results.query;
  if (query === undefined) return [];
  return ["deno", "node"].map((runtime) => {
    const ours = find(query.clients, runtime, "query/ours");
    const ms = median(ours?.ms);
    return {
      target: `Query (${count(query.params.expected)} records): ours on ${
        runtime === "deno" ? "Deno" : "Node"
      } ≤ 1.15 × max(latency, work) = ${count(query.targetMs)} ms`,
      measured: ours?.notMeasured
        ? `not measured: ${ours.notMeasured}`
        : `${showSpread(ours?.ms)} ms = ${
          ratio(ms === undefined ? undefined : ms / query.targetMs)
        } of the target`,
      ok: ms === undefined ? undefined : ms <= query.targetMs,
    };
  });
}

function coldTargets(results: BenchResults): TargetLine[] {
  const cold = results.cold;
  if (cold === undefined) return [];
  return ["deno", "node"].map((runtime) => {
    const ours = find(cold.clients, runtime, "cold/ours");
    const tokens = ours?.tokens;
    return {
      target: `Cold start (${count(cold.params.total)} concurrent requests): ours on ${
        runtime === "deno" ? "Deno" : "Node"
      } asks for 1 token`,
      measured: ours?.notMeasured
        ? `not measured: ${ours.notMeasured}`
        : `${showSpread(tokens)} token request(s) per run`,
      ok: tokens === undefined ? undefined : tokens.min === 1 && tokens.max === 1,
    };
  });
}

/** Issue 3: the fake org serves a page ≥ 5× faster than the client consumes it. */
function fakeTargets(results: BenchResults): TargetLine[] {
  const fake = results.fake;
  if (fake === undefined) return [];
  if (fake.result === undefined) {
    return [{
      target: "Fake org: serves a page ≥ 5× faster than the client consumes it (issue 3)",
      measured: fake.notMeasured ?? "not measured",
      ok: undefined,
    }];
  }
  const { target, cases } = fake.result;
  const lines: TargetLine[] = [];
  for (const c of cases) {
    const times = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
    lines.push({
      target:
        `Fake org: ${c.name}, as the bench servers serve it, ≥ ${target}× faster than the client (issue 3)`,
      measured: `${times(c.client.medianMs, c.fake.medianMs)} (fake ${
        c.fake.medianMs.toFixed(2)
      } ms, client ${c.client.medianMs.toFixed(2)} ms per page, medians)`,
      ok: c.ratio >= target,
    });
  }
  return lines;
}

/** The summary lines: one per target in issue 8 (and the CSV targets of issue 5). */
export function targetLines(results: BenchResults): TargetLine[] {
  const lines = [
    ...restTargets(results),
    ...queryTargets(results),
    ...coldTargets(results),
  ];
  lines.push(...bulkTargets(results));
  const csv = results.csv;
  if (csv !== undefined) {
    lines.push({
      target: `CSV write ≥ ${CSV_WRITE_TARGET} MB/s (issue 5)`,
      measured: csv.notMeasured ??
        `${csv.writeMBps?.toFixed(0)} MB/s (best of 3)`,
      ok: csv.writeMBps === undefined ? undefined : csv.writeMBps >= CSV_WRITE_TARGET,
    });
    lines.push({
      target: `CSV parse ≥ ${CSV_PARSE_TARGET} MB/s (issue 5)`,
      measured: csv.notMeasured ??
        `${csv.parseMBps?.toFixed(0)} MB/s (best of 3)`,
      ok: csv.parseMBps === undefined ? undefined : csv.parseMBps >= CSV_PARSE_TARGET,
    });
  }
  lines.push(...fakeTargets(results));
  const bundle = results.bundle;
  if (bundle !== undefined) {
    lines.push({
      target: `Core bundle (mod.ts, minified + gzip) ≤ 25 KB (${count(BUNDLE_LIMIT)} bytes)`,
      measured: bundle.notMeasured ?? `${count(bundle.oursGzipBytes!)} bytes`,
      ok: bundle.oursGzipBytes === undefined ? undefined : bundle.oursGzipBytes <= BUNDLE_LIMIT,
    });
  }
  const conformance = results.conformance;
  if (conformance !== undefined) {
    const steps = conformance.steps ?? [];
    const passed = steps.filter((s) => s.ok).length;
    lines.push({
      target: "Conformance: jsforce against FakeSalesforce, every step passes",
      measured: conformance.notMeasured ??
        `${passed} of ${steps.length} steps pass`,
      ok: conformance.steps === undefined ? undefined : passed === steps.length,
    });
  }
  return lines;
}
