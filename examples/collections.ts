// deno-lint-ignore-file no-console
// sObject Collections (many records per call), sObject Tree (nested inserts), Composite Graph.
// Run: deno run --allow-net=127.0.0.1,localhost examples/collections.ts
import { Salesforce } from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce();
const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });

// Collections: 450 records go out as 3 calls of up to 200, sent concurrently; results in order.
const records = Array.from({ length: 450 }, (_, i) => ({ Name: `Account ${i}` }));
records[7] = { Name: "" }; // Name is required: this one fails alone (allOrNone is off)
const before = org.stats.apiCalls;
const saved = await sf.collections.create("Account", records);
const failed = saved.filter((result) => !result.success);
console.log(`collections.create: ${saved.length} results in ${org.stats.apiCalls - before} calls`);
console.log(`  failed: #${saved.indexOf(failed[0])} ${failed[0].errors[0].statusCode}`);

const ids = saved.flatMap((result) => result.id ?? []);
const updates = ids.slice(0, 3).map((Id) => ({ Id, Industry: "Energy" }));
await sf.collections.update("Account", updates);
const read = await sf.collections.get<{ Name: string; Industry: string }>(
  "Account",
  ids.slice(0, 3),
  ["Name", "Industry"],
);
console.log(`  updated and read back: ${read.map((r) => `${r?.Name}/${r?.Industry}`).join(", ")}`);

const upserted = await sf.collections.upsert("Account", "ExtId__c", [
  { ExtId__c: "A-1", Name: "Upserted" },
]);
console.log(`  upsert by ExtId__c: created=${upserted[0].created}`);
await sf.collections.delete(ids);
console.log(`  deleted ${ids.length}; ${org.records("Account").length} account(s) left`);

// Tree: parents and children in one all-or-nothing call; children link to their parent.
const tree = await sf.composite.tree("Account", [
  { Name: "Acme", Contacts: [{ LastName: "Doe" }, { LastName: "Roe" }] },
  { Name: "Globex" },
]);
console.log(`tree: ${tree.map((node) => `${node.referenceId}=${node.id}`).join(" ")}`);

// Graph: several all-or-nothing requests in one call; each commits or rolls back alone.
const graphs = sf.composite.graph();
const good = graphs.request();
const initech = good.sobject.create("Account", { Name: "Initech" });
good.sobject.create("Contact", { LastName: "Lumbergh", AccountId: initech.ref("id") });
const bad = graphs.request();
const umbrella = bad.sobject.create("Account", { Name: "Umbrella" });
bad.sobject.create("Contact", { AccountId: umbrella.ref("id") }); // no LastName: rolls back
await graphs.execute();
console.log(`graph: good committed=${good.isSuccessful}, bad committed=${bad.isSuccessful}`);
const names = org.records("Account").map((account) => account.Name);
console.log(`  accounts now: ${names.join(", ")}`);
