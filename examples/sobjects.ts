// deno-lint-ignore-file no-console
// Single-record sObject calls: create, get, update, upsert, delete, describe, and the errors.
// Run: deno run --allow-net=127.0.0.1,localhost examples/sobjects.ts
import { DuplicatesDetectedError, NotFoundError, Salesforce, SalesforceError } from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce({ duplicateRules: [{ object: "Contact", field: "Email" }] });
const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });

const id = await sf.sobject.create("Contact", { FirstName: "Ada", LastName: "Lovelace" });
console.log(`Created Contact ${id}`);

await sf.sobject.update("Contact", id, { Email: "ada@example.com", Title: null }); // null clears
const ada = await sf.sobject.get<{ Name: string; Email: string }>("Contact", id, {
  fields: ["Name", "Email"],
});
console.log(`Read back: ${ada.Name} <${ada.Email}>`);

// Upsert by an external id field: created the first time, updated the second.
const a = await sf.sobject.upsert("Account", "ACME-1", "ExtId__c", { Name: "Acme" });
const b = await sf.sobject.upsert("Account", "ACME-1", "ExtId__c", { Name: "Acme Corp" });
console.log(
  `Upsert ACME-1: created=${a.created}, then created=${b.created}, same id=${a.id === b.id}`,
);
const acme = await sf.sobject.get<{ Name: string }>("Account", "ACME-1", {
  externalIdField: "ExtId__c",
});
console.log(`Read by external id: ${acme.Name}`);

// Describe: cheap metadata for one object, or the list of all objects.
const describe = await sf.sobject.describe("Contact");
const { sobjects } = await sf.describeGlobal();
console.log(`Contact has ${describe.fields.length} fields; the org has ${sobjects.length} objects`);

// Errors are typed: a duplicate rule, a missing record, a bad field.
try {
  await sf.sobject.create("Contact", { LastName: "Copy", Email: "ada@example.com" });
} catch (error) {
  if (!(error instanceof DuplicatesDetectedError)) throw error;
  console.log(`Duplicate refused: ${error.duplicates.length} match(es) (${error.errorCode})`);
}
await sf.sobject.delete("Account", "ACME-1", { externalIdField: "ExtId__c" });
try {
  await sf.sobject.get("Account", a.id);
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  console.log(`Deleted, then read: NotFoundError ${error.errorCode}`);
}
try {
  await sf.sobject.update("Contact", id, { NoSuchField__c: 1 });
} catch (error) {
  if (!(error instanceof SalesforceError)) throw error;
  console.log(`Bad field: ${error.errorCode}`);
}

// Names and ids are validated before sending: nothing can steer a call elsewhere.
try {
  await sf.sobject.get("Account", "../../limits");
} catch (error) {
  console.log(`Refused before sending: ${(error as TypeError).message}`);
}

// Anything else in the REST API: sf.request() adds auth, retries and error mapping.
const response = await sf.request(`sobjects/Contact/${id}?fields=LastName`);
console.log(`sf.request: ${response.status} ${JSON.stringify(await response.json())}`);
