// deno-lint-ignore-file no-console
// Testing your own code against FakeSalesforce: seed, run, inspect, break it on purpose, serve.
// Run: deno run --allow-net=127.0.0.1,localhost examples/testing_your_code.ts
// (In a test suite, put each check in a Deno.test / node:test / bun:test case.)
import assert from "node:assert/strict";
import { RetryPolicy, Salesforce, ServerError, soql } from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

/** The code under test: closes every open invoice of an account, returns how many. */
async function closeInvoices(sf: Salesforce, accountId: string): Promise<number> {
  let closed = 0;
  const open = soql`SELECT Id FROM Invoice__c WHERE Account__c = ${accountId} AND Paid__c = false`;
  for await (const invoice of sf.query<{ Id: string }>(open)) {
    await sf.sobject.update("Invoice__c", invoice.Id, { Paid__c: true });
    closed++;
  }
  return closed;
}

// An org with a custom object; seeding needs no API call and skips validation.
const org = new FakeSalesforce({
  objects: [{
    name: "Invoice__c",
    fields: [
      { name: "Account__c", type: "reference", referenceTo: ["Account"] },
      { name: "Paid__c", type: "boolean" },
      { name: "Total__c", type: "currency" },
    ],
  }],
});
const [acme, globex] = org.insert("Account", [{ Name: "Acme" }, { Name: "Globex" }]);
org.insert("Invoice__c", [
  { Account__c: acme, Paid__c: false, Total__c: 100 },
  { Account__c: acme, Paid__c: true, Total__c: 50 },
  { Account__c: globex, Paid__c: false, Total__c: 75 },
]);
const { baseUrl, fetch } = org;
const retryPolicy = new RetryPolicy({ backoffBase: 0 }); // the default rules, without waiting
const sf = new Salesforce({ baseUrl, auth: org.auth(), fetch, retryPolicy });

// 1. Behaviour: read the org's state afterwards with records(), count calls with stats.
assert.equal(await closeInvoices(sf, acme), 1);
const unpaid = org.records("Invoice__c").filter((invoice) => !invoice.Paid__c);
assert.deepEqual(unpaid.map((invoice) => invoice.Account__c), [globex]);
console.log(
  `closeInvoices closed 1 invoice; calls by route: ${JSON.stringify(org.stats.requests)}`,
);

// 2. Resilience: a transient 503 is retried by the client, so the code still succeeds.
org.inject({ method: "PATCH", status: 503, errorCode: "SERVER_UNAVAILABLE" });
assert.equal(await closeInvoices(sf, globex), 1);
console.log("a transient 503 is absorbed by the default retry policy");

// 3. Failure: Salesforce down for longer than the retries last.
org.inject({ path: /\/query/, status: 503, body: "<html>Down for maintenance</html>", times: 4 });
await assert.rejects(closeInvoices(sf, acme), ServerError);
console.log("a lasting outage surfaces as ServerError");

// 4. Expired sessions: the client refreshes the token once and replays the call.
const tokens = org.stats.tokensIssued;
org.inject({ expireToken: true });
await closeInvoices(sf, acme);
assert.equal(org.stats.tokensIssued, tokens + 1);
console.log("an expired token costs one refresh");

// 5. Over real HTTP on loopback (Deno only: serve() uses Deno.serve): same org, same data.
const server = org.serve({ port: 0 });
try {
  const http = new Salesforce({ baseUrl: server.url, auth: org.auth() }); // global fetch
  const count = (await Array.fromAsync(http.query("SELECT Id FROM Account"))).length;
  assert.equal(count, 2);
  console.log(`served at ${server.url}: ${count} accounts over HTTP`);
} finally {
  await server.close();
}
org.reset(); // back to an empty org (options kept) for the next test
