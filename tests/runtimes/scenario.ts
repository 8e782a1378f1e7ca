// deno-lint-ignore-file no-console
// One scripted scenario, bundled to plain ESM and run under Deno, Node and Bun
// against a FakeSalesforce served over loopback by tests/runtimes/run.ts.
// Configuration arrives as one JSON argument: { baseUrl, username, password, securityToken }.
// The scenario itself lives in scenario_core.ts (shared with the workerd host).
import { runScenario, type ScenarioConfig } from "./scenario_core.ts";

const runtime = (globalThis as { Deno?: { args: string[] } }).Deno;
const argv = runtime ? runtime.args : (globalThis as unknown as { process: { argv: string[] } })
  .process.argv.slice(2);
if (argv[0] === undefined) {
  throw new Error("scenario failed: missing the JSON configuration argument");
}
const config = JSON.parse(argv[0]) as ScenarioConfig;

console.log(JSON.stringify(await runScenario(config)));
