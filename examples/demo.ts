/**
 * The demo: a tour of the client against the embedded fake org, with no
 * credentials and no network. Run it with `deno task demo`.
 *
 * @module
 */
import {
  NotFoundError,
  RetryEvent,
  Salesforce,
  type SalesforceEvent,
  SoapLogin,
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

const limits = await sf.getLimits();
console.log(
  `Daily API requests: ${limits.DailyApiRequests.Remaining} of ${limits.DailyApiRequests.Max} left`,
);

console.log("Creating a Contact with a POST to sobjects/Contact");
const created = await (await sf.request("sobjects/Contact", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com" }),
})).json();
console.log(`  created ${created.id}`);

const contact = await (await sf.request(`sobjects/Contact/${created.id}?fields=Id,Name,Email`))
  .json();
console.log(`  read back: ${contact.Name} <${contact.Email}>`);

const soql = "SELECT Id, Name, AnnualRevenue FROM Account ORDER BY AnnualRevenue DESC";
console.log(`Query: ${soql}`);
const page = await (await sf.request(`query?q=${encodeURIComponent(soql)}`)).json();
for (const record of page.records) {
  console.log(`  ${record.Name.padEnd(8)} ${record.AnnualRevenue}`);
}

console.log("Salesforce has a hiccup: the next request gets a 503, and is retried");
org.inject({ path: /\/limits$/, status: 503, errorCode: "SERVER_UNAVAILABLE", times: 1 });
await sf.getLimits();

try {
  await sf.request(`sobjects/Contact/003000000000000AAA`);
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  console.log(`A missing record maps to NotFoundError: ${error.message}`);
}

console.log(`Done: ${apiCalls} API calls counted by the event hook.`);
