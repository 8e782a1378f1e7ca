// deno-lint-ignore-file no-console
// One scripted scenario, bundled to plain ESM and run under Deno, Node and Bun
// against a FakeSalesforce served over loopback by tests/runtimes/run.ts.
// Configuration arrives as one JSON argument: { baseUrl, username, password, securityToken }.
import { RetryEvent, Salesforce, type SalesforceEvent, SoapLogin, soql } from "../../mod.ts";

interface Config {
  baseUrl: string;
  username: string;
  password: string;
  securityToken: string;
}

function fail(message: string): never {
  throw new Error(`scenario failed: ${message}`);
}

function check(condition: unknown, message: string): void {
  if (!condition) fail(message);
}

const runtime = (globalThis as { Deno?: { args: string[] } }).Deno;
const argv = runtime ? runtime.args : (globalThis as unknown as { process: { argv: string[] } })
  .process.argv.slice(2);
const config = JSON.parse(argv[0] ?? fail("missing the JSON configuration argument")) as Config;

const retries: number[] = [];
let consumed = 0;
const sf = new Salesforce({
  baseUrl: config.baseUrl,
  auth: new SoapLogin(config),
  eventHooks: [(event: SalesforceEvent) => {
    if (event instanceof RetryEvent) retries.push(event.attempt);
    if (event.type === "rest_api_call_consumption") consumed++;
  }],
});

// SOAP login, then a query over several pages (the org serves 200 records a page).
const tag = `smoke-${Math.random().toString(36).slice(2, 8)}`;
let count = 0;
for await (const _ of sf.query(soql`SELECT Id, Name FROM Account WHERE Industry = ${"Smoke"}`)) {
  count++;
}
check(count === 650, `expected 650 seeded accounts, got ${count}`);

// Create, update, read, delete.
const id = await sf.sobject.create("Contact", { LastName: tag, Email: `${tag}@example.com` });
await sf.sobject.update("Contact", id, { FirstName: "Smoke" });
const contact = await sf.sobject.get<{ Name: string }>("Contact", id, { fields: ["Name"] });
check(contact.Name === `Smoke ${tag}`, `unexpected name ${contact.Name}`);
await sf.sobject.delete("Contact", id);

// The runner injected one 503 on /limits: it is retried.
const limits = await sf.getLimits();
check(limits.DailyApiRequests.Max > 0, "limits without DailyApiRequests");
check(retries.length === 1, `expected one retry, saw ${retries.length}`);
check(consumed >= 8, `expected the event hook to count API calls, saw ${consumed}`);

console.log(
  JSON.stringify({ ok: true, records: count, apiCalls: consumed, retries: retries.length }),
);
