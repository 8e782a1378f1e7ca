// The sections that are not client-vs-client runs: bundle size, the other
// helpers' benches (run in a child process), and the jsforce conformance check.
import { runChild, startServer } from "./_process.ts";
import type { BenchResults, ConformanceStep } from "./_results.ts";
import { BENCH, BUILD, capture, exists, type NodeSetup, ROOT } from "./_env.ts";

/** gzip size via CompressionStream, the same way for every file. */
async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(
      new CompressionStream("gzip"),
    );
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** `entry` bundled and minified with deno bundle; undefined when the build fails. */
async function minified(
  entry: string,
): Promise<{ bytes: Uint8Array } | { problem: string }> {
  const out = `${BUILD}${entry.replaceAll("/", "_").replace(/\.ts$/, "")}.min.js`;
  const built = await capture(Deno.execPath(), [
    "bundle",
    "--platform",
    "browser",
    "--minify",
    "--quiet",
    entry,
    "-o",
    out,
  ]);
  if (!built.ok) return { problem: built.stderr.slice(-300) };
  return { bytes: Deno.readFileSync(out) };
}

/**
 * mod.ts bundled and minified (deno bundle), gzipped, beside jsforce's shipped
 * bundles; plus each folder's mod.ts alone, to show where the bytes are.
 */
export async function measureBundle(): Promise<
  NonNullable<BenchResults["bundle"]>
> {
  const ours = await minified("mod.ts");
  if ("problem" in ours) {
    return {
      notMeasured: `deno bundle --minify mod.ts failed: ${ours.problem}`,
    };
  }
  const parts = [];
  for (
    const entry of [
      "client/mod.ts",
      "auth/mod.ts",
      "retries/mod.ts",
      "events/mod.ts",
    ]
  ) {
    const part = await minified(entry);
    if ("problem" in part) continue;
    parts.push({
      file: entry,
      minBytes: part.bytes.length,
      gzipBytes: await gzipSize(part.bytes),
    });
  }
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
    oursMinBytes: ours.bytes.length,
    oursGzipBytes: await gzipSize(ours.bytes),
    jsforce,
    parts,
  };
}

/** What another helper's bench returned, run in its own Deno process. */
export interface ExternalRun {
  notMeasured?: string;
  result?: Record<string, unknown>;
  /** Peak RSS of that process from /usr/bin/time -v, bytes. */
  timeRss?: number;
  /** Peak RSS sampled inside that process, bytes. */
  peakRss?: number;
}

/**
 * Runs `bench/<file>`'s exported function (see EXTERNAL in workloads/deno_main.ts)
 * in a fresh Deno process; "not measured yet" when the file is not there.
 */
export async function measureExternal(
  name: string,
  file: string,
  options: {
    params?: unknown;
    allowNet?: boolean;
    /** For a bench that starts its own server process. */
    allowRun?: boolean;
    timeoutMs: number;
    timeV: boolean;
  },
): Promise<ExternalRun> {
  if (!exists(`${BENCH}${file}`)) {
    return { notMeasured: `not measured yet: no bench/${file}` };
  }
  const permissions = ["--allow-read"];
  if (options.allowNet) permissions.push("--allow-net=127.0.0.1");
  if (options.allowRun) permissions.push("--allow-run");
  const run = await runChild([
    Deno.execPath(),
    "run",
    ...permissions,
    "bench/workloads/deno_main.ts",
    JSON.stringify({
      workload: name,
      target: null,
      params: options.params ?? {},
    }),
  ], { timeoutMs: options.timeoutMs, timeV: options.timeV, cwd: ROOT });
  const output = run.result as {
    error?: string;
    result?: Record<string, unknown>;
    peakRss?: number;
  };
  if (output.error) {
    return { notMeasured: `bench/${file} failed: ${output.error}` };
  }
  return {
    result: output.result,
    timeRss: run.timeRss,
    peakRss: output.peakRss,
  };
}

/** Runs bench/node/conformance.mjs against a fresh fake org of `accounts` Accounts. */
export async function checkConformance(
  node: NodeSetup,
  accounts: number,
): Promise<NonNullable<BenchResults["conformance"]>> {
  if (node.problem) return { notMeasured: node.problem };
  if (node.jsforceProblem) return { notMeasured: node.jsforceProblem };
  const server = await startServer(`${BENCH}_server.ts`, [
    "--accounts",
    String(accounts),
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
        expectedAccounts: accounts,
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
