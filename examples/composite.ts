// deno-lint-ignore-file no-console
// Composite Batch (independent subrequests) and Composite (dependent ones, with references).
// Run: deno run --allow-net=127.0.0.1,localhost examples/composite.ts
import { Salesforce } from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce();
const [acmeId] = org.insert("Account", [{ Name: "Acme" }, { Name: "Globex" }]);
const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });

// A batch: up to 25 subrequests per API call (more are split transparently), results in order.
const batch = sf.composite.batch();
const accounts = batch.query<{ Name: string }>("SELECT Name FROM Account ORDER BY Name");
const created = batch.sobject.create("Contact", { LastName: "Doe", AccountId: acmeId });
const acme = batch.sobject.get<{ Name: string }>("Account", acmeId, { fields: ["Name"] });
const broken = batch.sobject.create("Contact", { FirstName: "No last name" });
await batch.execute();
const calls = org.stats.apiCalls;
console.log(`Batch of ${batch.subrequests.length} subrequests, ${calls} API call(s) so far:`);
console.log(`  query:  ${accounts.records.map((account) => account.Name).join(", ")}`);
console.log(`  create: ${created.id} (status ${created.statusCode})`);
console.log(`  get:    ${acme.record.Name}`);
console.log(`  failed: ${broken.isSuccess ? "no" : broken.error?.errorCode}`);

// autoraise throws after execute(): the first error, or an AggregateError with groupErrors.
const strict = sf.composite.batch({ autoraise: true, groupErrors: true });
strict.sobject.create("Contact", {});
strict.sobject.update("Account", acmeId, { NoSuchField__c: 1 });
try {
  await strict.execute();
} catch (error) {
  if (!(error instanceof AggregateError)) throw error;
  const codes = error.errors.map((e) => e.errorCode).join(", ");
  console.log(`autoraise + groupErrors: ${error.errors.length} errors (${codes})`);
}

// A composite request: later subrequests use earlier results through ref().
const composite = sf.composite.request({ allOrNone: true });
const account = composite.sobject.create("Account", { Name: "Initech" });
const contact = composite.sobject.create("Contact", {
  LastName: "Lumbergh",
  AccountId: account.ref("id"), // "@{Account_create_0.id}"
});
const readBack = composite.query<{ Name: string }>(
  `SELECT Name FROM Contact WHERE AccountId = '${account.ref("id")}'`,
);
await composite.execute();
console.log(`Composite: Account ${account.id} with Contact ${contact.id}`);
console.log(`  the query saw: ${readBack.records.map((r) => r.Name).join(", ")}`);

// allOrNone: one failure rolls back the whole request.
const doomed = sf.composite.request({ allOrNone: true });
doomed.sobject.create("Account", { Name: "Rolled back" });
const bad = doomed.sobject.create("Contact", {}); // LastName is required
await doomed.execute();
const kept = org.records("Account").some((record) => record.Name === "Rolled back");
console.log(`allOrNone failure: ${bad.error?.errorCode}; account kept: ${kept}`);
