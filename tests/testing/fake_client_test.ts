import assert from "node:assert/strict";
import { Salesforce } from "../../mod.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

Deno.test("FakeSalesforce.auth logs a client in and the client pages through a query", async () => {
  const org = new FakeSalesforce({ pageSize: 200 });
  org.insert("Account", Array.from({ length: 450 }, (_, i) => ({ Name: `A${i}` })));
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  const names = [];
  for await (const record of sf.query<{ Name: string }>("SELECT Name FROM Account")) {
    names.push(record.Name);
  }
  assert.equal(names.length, 450);
  assert.equal(names[449], "A449");
  assert.equal(org.stats.logins, 1);
  assert.equal(org.stats.requests["GET queryMore"], 2);
});

Deno.test("FakeSalesforce expired token makes the client log in again and replay once", async () => {
  const org = new FakeSalesforce();
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  const id = await sf.sobject.create("Account", { Name: "Acme" });
  org.inject({ expireToken: true });
  const record = await sf.sobject.get<{ Name: string }>("Account", id);
  assert.equal(record.Name, "Acme");
  assert.equal(org.stats.tokensIssued, 2);
  assert.equal(org.stats.requests["GET sobject"], 2);
});
