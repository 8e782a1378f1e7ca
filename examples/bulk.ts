// deno-lint-ignore-file no-console
// Bulk API 2.0: ingest (insert, upsert, delete) with nothing-lost result sets, and bulk query.
// Run: deno run --allow-net=127.0.0.1,localhost examples/bulk.ts
import { BulkIngestError, Salesforce } from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce();
const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });

// Records may come from any iterable or async iterable: they are serialised to CSV as they
// stream, cut into jobs of at most maxRecords rows / maxSizeBytes, up to 4 jobs at a time.
async function* contacts(count: number) {
  for (let i = 0; i < count; i++) {
    yield { FirstName: "Test", LastName: i === 42 ? null : `Contact ${i}`, Email: `c${i}@x.test` };
  }
}
const inserted = await sf.bulkV2.insert("Contact", contacts(25_000), {
  fieldNames: ["FirstName", "LastName", "Email"], // fixed columns: no need to look ahead
  maxRecords: 10_000,
  pollingInterval: 100, // the fake answers fast; keep the default (1 s) for a real org
  onProgress: (job) => console.log(`  job ${job.id} ${job.state}`),
});
// Every record read ends up in exactly one of the three sets.
console.log(
  `insert: ${inserted.jobs.length} jobs, ${inserted.successfulResults.length} saved, ` +
    `${inserted.failedResults.length} failed, ${inserted.unprocessedRecords.length} unprocessed`,
);
console.log(`  failure: ${inserted.failedResults[0].sf__Error}`);

// Upsert by an external id, then delete: rows are CSV rows keyed by column (all strings).
const upserted = await sf.bulkV2.upsert("Account", [
  { ExtId__c: "A-1", Name: "Acme" },
  { ExtId__c: "A-2", Name: "Globex", NumberOfEmployees: 250 },
], "ExtId__c");
console.log(`upsert: created ${upserted.successfulResults.map((r) => r.sf__Created).join(", ")}`);
const ids = upserted.successfulResults.map((row) => ({ Id: row.sf__Id }));
const deleted = await sf.bulkV2.delete("Account", ids); // { hard: true } skips the recycle bin
console.log(`delete: ${deleted.successfulResults.length} deleted`);

// Bulk query streams rows page by page (Sforce-Locator), parsed as each page arrives.
let rows = 0;
let sample: Record<string, string> | undefined;
for await (
  const row of sf.bulkV2.query("SELECT Id, LastName FROM Contact", { maxRecords: 5_000 })
) {
  sample ??= row;
  rows++;
}
console.log(`query: ${rows} rows, e.g. ${JSON.stringify(sample)}`);

// A job whose upload fails keeps its rows, each with sf__Error, in unprocessedRecords.
const { baseUrl, auth, fetch } = sf;
const noRetries = new Salesforce({ baseUrl, auth, fetch, retryPolicy: null });
org.inject({ method: "PUT", path: "/services/data/v64.0/jobs/ingest", status: 500 });
const partial = await noRetries.bulkV2.insert("Contact", [{ LastName: "Lost?" }]);
const [lost] = partial.unprocessedRecords;
console.log(`upload failed: unprocessed ${lost.LastName}, ${lost.sf__Error.split(":")[0]}`);

// A fatal error (auth, permissions, request limit) stops the whole operation with a
// BulkIngestError whose result holds every record read so far.
org.inject({ path: "/services/data/v64.0/jobs/ingest", status: 403, errorCode: "NO_ACCESS" });
try {
  await sf.bulkV2.insert("Contact", [{ LastName: "Nope" }]);
} catch (error) {
  if (!(error instanceof BulkIngestError)) throw error;
  const { unprocessedRecords } = error.result;
  console.log(`stopped: ${error.cause}; unprocessed: ${unprocessedRecords.length}`);
}
