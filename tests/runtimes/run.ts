// deno-lint-ignore-file no-console
// Cross-runtime smoke: bundles tests/runtimes/scenario.ts to ESM, serves a
// FakeSalesforce over loopback, and runs the bundle under Deno, Node and Bun.
// Runtimes come from env: NODE_BIN (Node >= 22) and BUN_BIN; a missing one fails.
// With WORKERD_DIR (an npm prefix with miniflare installed) it also runs the
// scenario inside Cloudflare's workerd via tests/runtimes/workerd/run.mjs (on NODE_BIN).
// Under Node and Bun it also runs tests/runtimes/listen_scenario.ts: the fake org served from
// inside that runtime with org.listen() (node:http), our client against it.
import { FakeSalesforce } from "../../testing/mod.ts";

const here = new URL(".", import.meta.url).pathname;
const outDir = Deno.makeTempDirSync({ prefix: "aiosf-smoke-" });
const bundle = `${outDir}/scenario.mjs`;
const coreBundle = `${outDir}/scenario_core.mjs`;
const workerdDir = Deno.env.get("WORKERD_DIR");

async function run(command: string, args: string[], timeoutMs = 60_000) {
  const child = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout).trim(),
    stderr: new TextDecoder().decode(stderr).trim(),
  };
}

/** Bundles `entry` (beside this file) to plain ESM at `out`; exits when that fails. */
async function bundleTo(entry: string, out: string): Promise<void> {
  const built = await run(Deno.execPath(), [
    "bundle",
    "--platform",
    "browser",
    "--quiet",
    `${here}${entry}`,
    "-o",
    out,
  ]);
  if (built.code !== 0) {
    console.error(built.stderr);
    Deno.exit(1);
  }
}

await bundleTo("scenario.ts", bundle);
// org.listen() inside Node and Bun (node:http there), our client against it.
const listenBundle = `${outDir}/listen_scenario.mjs`;
await bundleTo("listen_scenario.ts", listenBundle);
// The Workers module imports the scenario as a function, not as a CLI.
if (workerdDir) await bundleTo("scenario_core.ts", coreBundle);

const org = new FakeSalesforce({ pageSize: 200 });
org.insert(
  "Account",
  Array.from({ length: 650 }, (_, i) => ({ Name: `Smoke ${i}`, Industry: "Smoke" })),
);
const server = org.serve({ port: 0, hostname: "127.0.0.1" });
const { username, password, securityToken } = org.credentials;
const config = JSON.stringify({ baseUrl: server.url, username, password, securityToken });

// "workerd 2026-07-30 (miniflare 4.20260730.0)"; a broken install fails later, in run.mjs.
async function workerdVersion(): Promise<string> {
  try {
    const workerd = await run(`${workerdDir}/node_modules/workerd/bin/workerd`, ["--version"]);
    const pkg = JSON.parse(
      Deno.readTextFileSync(`${workerdDir}/node_modules/miniflare/package.json`),
    ) as { version: string };
    return `${workerd.stdout} (miniflare ${pkg.version})`;
  } catch (error) {
    return `(no workerd in WORKERD_DIR=${workerdDir}: ${(error as Error).message})`;
  }
}

const runtimes: Array<[string, string | undefined, string[]]> = [
  ["deno", Deno.execPath(), ["run", "--allow-net=127.0.0.1", bundle, config]],
  ["node", Deno.env.get("NODE_BIN"), [bundle, config]],
  ["bun", Deno.env.get("BUN_BIN"), [bundle, config]],
];
if (workerdDir) {
  // Miniflare (Node >= 22) starts workerd; the worker fetches the org on loopback.
  runtimes.push(["workerd", Deno.env.get("NODE_BIN"), [
    `${here}workerd/run.mjs`,
    coreBundle,
    config,
  ]]);
}

let failures = 0;
try {
  for (const [name, bin, args] of runtimes) {
    if (!bin) {
      console.log(`FAIL ${name}: not installed (set ${name.toUpperCase()}_BIN)`);
      failures++;
      continue;
    }
    const version = name === "workerd"
      ? await workerdVersion()
      : (await run(bin, ["--version"])).stdout.split("\n")[0];
    org.clearFaults();
    org.inject({ path: /\/limits$/, status: 503, errorCode: "SERVER_UNAVAILABLE", times: 1 });
    // Two requests that hang: one cut by the client's timeout, one by the caller's signal.
    org.inject({ path: /\/sobjects\/Lead\/describe$/, latencyMs: 20_000, times: 2 });
    const result = await run(bin, args);
    if (result.code === 0 && result.stdout.includes('"ok":true')) {
      console.log(`ok   ${name} ${version}: ${result.stdout}`);
    } else {
      failures++;
      console.log(
        `FAIL ${name} ${version} (exit ${result.code})\n${result.stdout}\n${result.stderr}`,
      );
    }
    if (name === "node" || name === "bun") {
      const listened = await run(bin, [listenBundle]);
      if (listened.code === 0 && listened.stdout.includes('"ok":true')) {
        console.log(`ok   ${name} org.listen(): ${listened.stdout}`);
      } else {
        failures++;
        console.log(
          `FAIL ${name} org.listen() (exit ${listened.code})\n${listened.stdout}\n${listened.stderr}`,
        );
      }
    }
  }
} finally {
  await server.close();
  Deno.removeSync(outDir, { recursive: true });
}
const checks = runtimes.length +
  runtimes.filter(([name]) => name === "node" || name === "bun").length;
console.log(`${checks - failures} passed, ${failures} failed`);
Deno.exit(failures === 0 ? 0 : 1);
