// A Workers module: POST the scenario's JSON config, get its JSON result back.
// Inside workerd, "../scenario_core.ts" is the `deno bundle --platform browser`
// output (plain ESM) of that file: run.mjs registers the bundle under that name,
// so `deno check tests/` still resolves this import to the real source.
import { runScenario } from "../scenario_core.ts";

export default {
  async fetch(request) {
    if (request.method !== "POST") return new Response("POST a config", { status: 405 });
    try {
      const result = await runScenario(await request.json());
      // navigator.userAgent is "Cloudflare-Workers" inside workerd: proof of where this ran.
      return Response.json({ ...result, runtime: navigator.userAgent });
    } catch (error) {
      const message = error instanceof Error ? `${error.stack ?? error.message}` : String(error);
      return Response.json({ ok: false, error: message }, { status: 500 });
    }
  },
};
