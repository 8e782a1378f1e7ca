// deno-lint-ignore-file no-console no-process-global
// Runs the cross-runtime scenario inside Cloudflare's workerd, driven by Miniflare.
// Usage (Node >= 22): WORKERD_DIR=<npm prefix with miniflare> node run.mjs <scenario_core.mjs> <config JSON>
// Prints the worker's JSON result on one line; exits 1 when the scenario fails.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [bundlePath, config] = process.argv.slice(2);
const dir = process.env.WORKERD_DIR;
if (!bundlePath || !config || !dir) {
  console.error("usage: WORKERD_DIR=<dir> node run.mjs <scenario_core.mjs> <config JSON>");
  process.exit(2);
}
const require = createRequire(join(dir, "package.json"));
const { Miniflare } = await import(pathToFileURL(require.resolve("miniflare")).href);

const mf = new Miniflare({
  modules: [
    {
      type: "ESModule",
      path: "workerd/worker.mjs",
      contents: await readFile(new URL("./worker.mjs", import.meta.url), "utf8"),
    },
    // worker.mjs imports "../scenario_core.ts": serve the bundled JS under that name.
    { type: "ESModule", path: "scenario_core.ts", contents: await readFile(bundlePath, "utf8") },
  ],
  compatibilityDate: "2025-09-01",
});
let status = 1;
try {
  const response = await mf.dispatchFetch("http://worker.local/", { method: "POST", body: config });
  const text = await response.text();
  console.log(text);
  status = response.ok && text.includes('"ok":true') ? 0 : 1;
} finally {
  await mf.dispose();
}
process.exit(status);
