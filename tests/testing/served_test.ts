// The benches' hooks into the fake org (testing/_served.ts): `servedFetch`, which answers as
// the org's servers do, and `serveWithoutRelay`, which makes `org.serve()` use Deno.serve
// alone. The switch is process-wide, so it lives in this file of its own.
import assert from "node:assert/strict";
import { servedFetch, serveWithoutRelay } from "../../testing/_served.ts";
import { FakeSalesforce } from "../../testing/mod.ts";
import { tokenFor, V } from "./_fake.ts";

Deno.test("servedFetch answers with the bytes org.fetch gives, page after page, again and again", async () => {
  const org = new FakeSalesforce({ pageSize: 200 });
  org.insert("Account", Array.from({ length: 450 }, (_, i) => ({ Name: `A${i}` })));
  const headers = { Authorization: `Bearer ${await tokenFor(org)}` };
  const served = servedFetch(org);
  const pages = async (fetch: typeof served) => {
    const texts: string[] = [];
    let path: string | undefined = `${V}/query?q=${encodeURIComponent("SELECT Name FROM Account")}`;
    while (path !== undefined) {
      const response = await fetch(`${org.baseUrl}${path}`, { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("Content-Length") !== null, true);
      const text = await response.text();
      texts.push(text.replace(/query\/[^"-]+-/, "query/-"));
      path = JSON.parse(text).nextRecordsUrl;
    }
    return texts;
  };
  const expected = await pages(org.fetch);
  assert.equal(expected.length, 3);
  for (let run = 0; run < 3; run++) assert.deepEqual(await pages(served), expected);
});

Deno.test("serveWithoutRelay makes org.serve() answer with Deno.serve alone: a drop cuts a 200's body", async () => {
  serveWithoutRelay();
  const org = new FakeSalesforce();
  const server = org.serve();
  try {
    org.inject({ path: "/services/data/", drop: true });
    const response = await fetch(`${server.url}/services/data/`);
    assert.equal(response.status, 200);
    await assert.rejects(response.text(), TypeError);
  } finally {
    await server.close();
  }
});
