// deno-lint-ignore-file no-console
// FakeSalesforce served from inside Node or Bun with org.listen() (node:http there), and our
// client talking to it over loopback: bundled to plain ESM and run by tests/runtimes/run.ts.
import { Salesforce, SoapLogin } from "../../mod.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

function check(condition: unknown, message: string): void {
  if (!condition) throw new Error(`listen scenario failed: ${message}`);
}

const org = new FakeSalesforce({ pageSize: 200 });
org.insert("Account", Array.from({ length: 450 }, (_, i) => ({ Name: `Listen ${i}` })));
const server = await org.listen();
try {
  check(org.baseUrl === server.url, `baseUrl ${org.baseUrl} is not ${server.url}`);
  // node:http closes the socket of a dropped request without an answer. First, on a fresh
  // connection: on a kept-alive one a runtime may resend the request by itself.
  org.inject({ path: "/services/data/", drop: true });
  const dropped = await fetch(`${server.url}/services/data/`).then(
    () => "answered",
    (error: unknown) => (error as Error).name,
  );
  check(dropped === "TypeError", `a dropped request ended as ${dropped}`);
  const sf = new Salesforce({ baseUrl: server.url, auth: new SoapLogin(org.credentials) });
  let count = 0;
  for await (const _ of sf.query("SELECT Id FROM Account")) count++;
  check(count === 450, `query returned ${count} records`);
  const rows = Array.from({ length: 500 }, (_, i) => ({ LastName: `Listen ${i}` }));
  const result = await sf.bulkV2.insert("Contact", rows, { pollingInterval: 10 });
  check(result.successfulResults.length === 500, `bulk saved ${result.successfulResults.length}`);
  console.log(JSON.stringify({ ok: true, records: count, bulk: 500, dropped }));
} finally {
  await server.close();
}
