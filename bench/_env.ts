// deno-lint-ignore-file no-console
// The bench's environment: paths, logging, the machine, Node and jsforce, builds.
import type { BenchResults } from "./_results.ts";

/** The repository root (bench/run.ts runs every child process from here). */
export const ROOT = new URL("../", import.meta.url).pathname;
/** bench/ */
export const BENCH = `${ROOT}bench/`;
/** Where bundles go (git-ignored). */
export const BUILD = `${BENCH}results/build/`;

/** Progress on stderr, so stdout holds only the markdown table. */
export function log(message: string): void {
  console.error(`[bench] ${message}`);
}

/** True when `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command from the repository root; never throws (a failure is `ok: false`). */
export async function capture(
  command: string,
  commandArgs: string[],
  timeoutMs = 120_000,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
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

/** Cores, memory, CPU model and OS of this machine. */
export async function machine(): Promise<BenchResults["machine"]> {
  // Deno wants --allow-all to read /proc directly; a child `cat` needs only --allow-run.
  const cpuinfo = await capture("cat", ["/proc/cpuinfo"], 10_000);
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo.stdout)?.[1] ??
    "unknown CPU";
  return {
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    cpu,
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
  };
}

export interface NodeSetup {
  path?: string;
  version?: string;
  source?: string;
  jsforce?: string;
  problem?: string;
  jsforceProblem?: string;
}

export async function setUpNode(): Promise<NodeSetup> {
  const local = `${ROOT}.tools/node22/node_modules/.bin/node`;
  const setup: NodeSetup = {};
  if (exists(local)) {
    setup.path = local;
    setup.source = ".tools/node22 (npm node@22)";
  } else {
    setup.path = "node";
    setup.source = "the machine's node (.tools/node22 missing; .ci/run installs it there)";
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
      setup.jsforceProblem = `npm ci in bench/ failed: ${installed.stderr.slice(-300)}`;
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
export async function bundleCore(): Promise<string | { problem: string }> {
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
  return built.ok ? out : { problem: `deno bundle failed: ${built.stderr.slice(-300)}` };
}
