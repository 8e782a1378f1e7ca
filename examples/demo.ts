// deno-lint-ignore-file no-console
/**
 * The demo: a tour of the client against the embedded fake org, with no
 * credentials and no network. `deno task demo` runs it first, then every other
 * example in this folder; run it alone with
 * `deno run --allow-net=127.0.0.1,localhost examples/demo.ts`.
 *
 * @module
 */
import {
  NotFoundError,
  RetryEvent,
  Salesforce,
  type SalesforceEvent,
  SoapLogin,
  soql,
} from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce();
org.insert("Account", [
  { Name: "Acme", Industry: "Energy", AnnualRevenue: 1_500_000 },
  { Name: "Globex", Industry: "Manufacturing", AnnualRevenue: 820_000 },
  { Name: "Initech", Industry: "Technology", AnnualRevenue: 410_000 },
]);

const { username, password, securityToken } = org.credentials;
let apiCalls = 0;
const sf = new Salesforce({
  baseUrl: org.baseUrl,
  auth: new SoapLogin({ username, password, securityToken }),
  fetch: org.fetch,
  eventHooks: [(event: SalesforceEvent) => {
    if (event.type === "rest_api_call_consumption") apiCalls++;
    if (event instanceof RetryEvent) {
      console.log(`  retry #${event.attempt} after HTTP ${event.response?.status}`);
    }
  }],
});

console.log(`Fake org at ${org.baseUrl}; logging in as ${username} with SOAP`);
const token = await sf.auth.getAccessToken(sf);
console.log(`  got a session (${token.length} characters, not shown)`);
const { DailyApiRequests: daily } = await sf.getLimits();
console.log(`Daily API requests: ${daily.Remaining} of ${daily.Max} left`);

console.log("Creating a Contact");
const id = await sf.sobject.create("Contact", {
  FirstName: "Ada",
  LastName: "Lovelace",
  Email: "ada@example.com",
});
console.log(`  created ${id}`);
const contact = await sf.sobject.get<{ Name: string; Email: string }>("Contact", id, {
  fields: ["Name", "Email"],
});
console.log(`  read back: ${contact.Name} <${contact.Email}>`);
await sf.sobject.update("Contact", id, { Email: "ada@analytical.example" });
const upsert = await sf.sobject.upsert("Account", "ACME-1", "ExtId__c", { Name: "Acme Two" });
console.log(`  upsert by external id ACME-1: created=${upsert.created} id=${upsert.id}`);

const minimum = 500_000;
const query = soql`SELECT Name, AnnualRevenue FROM Account WHERE AnnualRevenue > ${minimum}
  ORDER BY AnnualRevenue DESC`;
console.log(`Query: ${query.replace(/\s+/g, " ")}`);
for await (const account of sf.query<{ Name: string; AnnualRevenue: number }>(query)) {
  console.log(`  ${account.Name.padEnd(8)} ${account.AnnualRevenue}`);
}

console.log("Composite: an Account and its Contact in one all-or-nothing call");
const composite = sf.composite.request({ allOrNone: true });
const account = composite.sobject.create("Account", { Name: "Umbrella" });
const employee = composite.sobject.create("Contact", {
  LastName: "Wesker",
  AccountId: account.ref("id"),
});
await composite.execute();
console.log(`  Account ${account.id}, Contact ${employee.id}`);

console.log("Bulk API 2.0: inserting 10,000 Contacts, then querying them back");
const rows = Array.from({ length: 10_000 }, (_, i) => ({ LastName: `Bulk ${i}` }));
const inserted = await sf.bulkV2.insert("Contact", rows, { pollingInterval: 100 });
console.log(
  `  ${inserted.jobs.length} job(s): ${inserted.successfulResults.length} saved, ` +
    `${inserted.failedResults.length} failed, ${inserted.unprocessedRecords.length} unprocessed`,
);
let bulkRows = 0;
for await (const _ of sf.bulkV2.query("SELECT Id FROM Contact WHERE LastName LIKE 'Bulk %'")) {
  bulkRows++;
}
console.log(`  bulk query streamed ${bulkRows} rows`);

console.log("Salesforce has a hiccup: the next request gets a 503, and is retried");
org.inject({ path: /\/limits$/, status: 503, errorCode: "SERVER_UNAVAILABLE", times: 1 });
await sf.getLimits();

try {
  await sf.sobject.delete("Contact", id);
  await sf.sobject.get("Contact", id);
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  console.log(`Reading a deleted record raises NotFoundError: ${error.message}`);
}

console.log(`Done: ${apiCalls} API calls counted by the event hook.`);
