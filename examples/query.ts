// deno-lint-ignore-file no-console
// SOQL: safe value quoting with soql`` / formatSoql / like, paging, queryAll, early exit.
// Run: deno run --allow-net=127.0.0.1,localhost examples/query.ts
import { formatSoql, like, Salesforce, soql } from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce({ pageSize: 200 }); // small pages, to show paging
org.insert("Account", [
  { Name: "O'Brien & Sons", Industry: "Retail", AnnualRevenue: 120_000 },
  { Name: "100% Organic", Industry: "Food", AnnualRevenue: 900_000 },
  { Name: "Acme", Industry: "Energy", AnnualRevenue: 1_500_000 },
]);
org.insert(
  "Contact",
  Array.from({ length: 1_000 }, (_, i) => ({ LastName: `Contact ${i}` })),
);
const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });

// Values are rendered as SOQL literals: quotes escaped, arrays for IN, dates in UTC.
const name = "O'Brien & Sons";
const industries = ["Retail", "Food"];
const since = new Date(Date.UTC(2020, 0, 1));
const query = soql`SELECT Name FROM Account
  WHERE (Name = ${name} OR Industry IN ${industries}) AND CreatedDate > ${since}`;
console.log(query.replace(/\s+/g, " "));
for await (const account of sf.query<{ Name: string }>(query)) {
  console.log(`  ${account.Name}`);
}

// like() escapes % and _ in user text; you write the quotes and wildcards.
const text = "100%";
const pattern = soql`SELECT Name FROM Account WHERE Name LIKE '${like(text)}%'`;
console.log(pattern);
for await (const account of sf.query<{ Name: string }>(pattern)) console.log(`  ${account.Name}`);

// formatSoql: named placeholders; {name:like} escapes a LIKE fragment.
const named = formatSoql(
  "SELECT Name FROM Account WHERE AnnualRevenue >= {min} AND Name LIKE '%{text:like}%'",
  { min: 500_000, text: "cm" },
);
console.log(named);
for await (const account of sf.query<{ Name: string }>(named)) console.log(`  ${account.Name}`);

// Paging is automatic: 1,000 contacts arrive in pages of 200, the next page fetched ahead.
let count = 0;
for await (const _ of sf.query("SELECT Id FROM Contact")) count++;
const pages = org.stats.requests["GET queryMore"] + 1;
console.log(`Paged through ${count} contacts in ${pages} requests`);

// Breaking out of the loop stops fetching pages.
const first: string[] = [];
for await (const contact of sf.query<{ LastName: string }>("SELECT LastName FROM Contact")) {
  first.push(contact.LastName);
  if (first.length === 3) break;
}
console.log(`First three: ${first.join(", ")}`);

// includeAllRecords (queryAll) also returns deleted records.
const [deletedId] = org.insert("Lead", [{ LastName: "Gone", Company: "Old Co" }]);
await sf.sobject.delete("Lead", deletedId);
let live = 0, all = 0;
for await (const _ of sf.query("SELECT Id FROM Lead")) live++;
for await (const _ of sf.query("SELECT Id FROM Lead", { includeAllRecords: true })) all++;
console.log(`Leads: ${live} live, ${all} including deleted`);
