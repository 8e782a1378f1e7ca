import assert from "node:assert/strict";
import { AccessTokenAuth } from "../../auth/access_token_auth.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { SalesforceError } from "../../client/errors.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

/** A client on a fresh org, with every request URL the org receives recorded. */
function setup(pageSize = 200) {
  const org = new FakeSalesforce({ pageSize });
  const urls: string[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      urls.push(new URL(request.url).pathname);
      return org.fetch(request);
    },
  });
  const pageRequests = () => urls.filter((path) => /\/query(All)?(\/|$)/.test(path)).length;
  return { org, sf, urls, pageRequests };
}

function names(count: number): Array<{ Name: string }> {
  return Array.from(
    { length: count },
    (_, i) => ({ Name: `Account ${String(i).padStart(5, "0")}` }),
  );
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("query returns every record once and in order across 6 pages", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(1_100));
  const seen: string[] = [];
  for await (const record of sf.query<{ Name: string }>("SELECT Name FROM Account ORDER BY Name")) {
    seen.push(record.Name);
  }
  assert.equal(seen.length, 1_100);
  assert.deepEqual(seen, names(1_100).map((r) => r.Name));
  assert.equal(pageRequests(), 6);
});

Deno.test("query has no cap: 12,000 records all come back", async () => {
  const { org, sf } = setup(2000);
  org.insert("Account", names(12_000));
  let count = 0;
  for await (const _ of sf.query("SELECT Id FROM Account")) count++;
  assert.equal(count, 12_000);
});

Deno.test("query fetches the next page before the caller sees a page, never two ahead", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(1_000));
  let index = 0;
  const observed: Array<[number, number]> = [];
  for await (const _ of sf.query("SELECT Name FROM Account")) {
    if (index % 200 === 0) {
      await tick();
      observed.push([index / 200 + 1, pageRequests()]);
    }
    index++;
  }
  // Holding the first record of page k, the request for page k+1 has reached the org
  // (k + 1 requests in all), and page k+2 has not been asked for.
  assert.deepEqual(observed, [[1, 2], [2, 3], [3, 4], [4, 5], [5, 5]]);
});

Deno.test("breaking out of a query stops fetching pages", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(1_000));
  let count = 0;
  for await (const _ of sf.query("SELECT Name FROM Account")) {
    if (++count === 250) break;
  }
  await tick();
  const after = pageRequests();
  assert.ok(after <= 3, `expected at most 3 page requests, saw ${after}`);
  await tick();
  assert.equal(pageRequests(), after);
});

Deno.test("query with includeAllRecords sees deleted records", async () => {
  const { org, sf } = setup();
  const [kept, gone] = org.insert("Account", [{ Name: "Kept" }, { Name: "Gone" }]);
  await sf.sobject.delete("Account", gone);
  const live = [];
  for await (const r of sf.query<{ Id: string }>("SELECT Id FROM Account")) live.push(r.Id);
  const all = [];
  for await (
    const r of sf.query<{ Id: string; IsDeleted: boolean }>("SELECT Id, IsDeleted FROM Account", {
      includeAllRecords: true,
    })
  ) all.push([r.Id, r.IsDeleted]);
  assert.deepEqual(live, [kept]);
  assert.deepEqual(all, [[kept, false], [gone, true]]);
});

Deno.test("query sends batchSize as Sforce-Query-Options", async () => {
  const org = new FakeSalesforce();
  org.insert("Account", names(450));
  const headers: (string | null)[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      if (request.url.includes("/query")) headers.push(request.headers.get("Sforce-Query-Options"));
      return org.fetch(request);
    },
  });
  let count = 0;
  for await (const _ of sf.query("SELECT Id FROM Account", { batchSize: 200 })) count++;
  assert.equal(count, 450);
  assert.deepEqual(headers, ["batchSize=200", "batchSize=200", "batchSize=200"]);
});

Deno.test("query refuses a bad batchSize and an empty query before sending", () => {
  const { sf, urls } = setup();
  assert.throws(
    () => sf.query("SELECT Id FROM Account", { batchSize: 100 }),
    new RangeError(
      'Cannot run query: "batchSize" must be an integer from 200 to 2000: received 100',
    ),
  );
  assert.throws(
    () => sf.query("  "),
    new TypeError('Cannot run query: "soql" must be a non-empty string: received "  "'),
  );
  assert.equal(urls.length, 0);
});

Deno.test("query surfaces a malformed query as SalesforceError", async () => {
  const { sf } = setup();
  await assert.rejects(
    async () => {
      for await (const _ of sf.query("SELECT Id FORM Account")) { /* never reached */ }
    },
    (error: unknown) => error instanceof SalesforceError && error.errorCode === "MALFORMED_QUERY",
  );
});

Deno.test("an aborted signal rejects the pending page promptly", async () => {
  const { org, sf } = setup(200);
  org.insert("Account", names(600));
  const controller = new AbortController();
  const reason = new Error("caller stopped");
  // Page 2 (the first nextRecordsUrl) hangs for a minute.
  org.inject({ path: /\/query\/01g/, latencyMs: 60_000 });
  const iterator = sf.query("SELECT Id FROM Account", { signal: controller.signal })[
    Symbol.asyncIterator
  ]();
  for (let i = 0; i < 200; i++) assert.equal((await iterator.next()).done, false);
  const pending = iterator.next();
  controller.abort(reason);
  await assert.rejects(pending, reason);
});

Deno.test("COUNT() queries yield no records and tell the count in totalSize", async () => {
  const { org, sf } = setup();
  org.insert("Account", names(3));
  org.insert("Account", [{ Name: "Other" }]);
  const query = sf.query("SELECT COUNT() FROM Account WHERE Name LIKE 'Account%'");
  assert.equal(query.totalSize, undefined);
  const records = [];
  for await (const r of query) records.push(r);
  assert.deepEqual(records, []);
  assert.equal(query.totalSize, 3);
});

Deno.test("totalSize is the whole query's row count from the first page on", async () => {
  const { org, sf, pageRequests } = setup(200);
  org.insert("Account", names(450));
  const query = sf.query("SELECT Name FROM Account");
  const iterator = query[Symbol.asyncIterator]();
  assert.equal(iterator, query);
  assert.equal((await iterator.next()).done, false);
  assert.equal(query.totalSize, 450);
  await iterator.return();
  assert.ok(pageRequests() < 3, "left after the first page");
  assert.equal(query.totalSize, 450);
  assert.ok(Object.keys(query).includes("totalSize"), "enumerable, so it shows when logged");
});

Deno.test("totalSize stays undefined when the first page fails", async () => {
  const { sf } = setup();
  const query = sf.query("SELECT Id FORM Account");
  await assert.rejects(async () => {
    for await (const _ of query) { /* never reached */ }
  }, SalesforceError);
  assert.equal(query.totalSize, undefined);
});

Deno.test("Tooling queries tell totalSize too", async () => {
  const { org, sf } = setup();
  org.insertTooling("ApexLog", [
    { Operation: "Api", Status: "Success", LogLength: 1 },
    { Operation: "Api", Status: "Success", LogLength: 2 },
  ]);
  const query = sf.tooling.query("SELECT Id FROM ApexLog");
  let count = 0;
  for await (const _ of query) count++;
  assert.equal(count, 2);
  assert.equal(query.totalSize, 2);
});

/** A body in two parts: `head` at once, `rest` when `gate` resolves. */
interface ScriptedPage {
  head: string;
  rest?: string;
  gate?: Promise<void>;
}

/**
 * A client whose fetch answers the query path and each page path from `pages`,
 * recording the path and signal of every request in order.
 */
function scripted(pages: Record<string, ScriptedPage>) {
  const requests: Array<{ path: string; signal: AbortSignal }> = [];
  const sf = new Salesforce({
    baseUrl: "https://acme.my.salesforce.com",
    auth: new AccessTokenAuth({ accessToken: "00Dxx!token" }),
    fetch: (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      const path = url.pathname.endsWith("/query") ? "first" : url.pathname;
      requests.push({ path, signal: request.signal });
      const page = pages[path];
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(stream) {
          // As fetch does, an abort errors a body still streaming.
          request.signal.addEventListener("abort", () => stream.error(request.signal.reason));
          stream.enqueue(encoder.encode(page.head));
          if (page.gate) await page.gate;
          if (request.signal.aborted) return;
          if (page.rest) stream.enqueue(encoder.encode(page.rest));
          stream.close();
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    },
  });
  return { sf, requests };
}

function records(...ids: string[]): string {
  return JSON.stringify(ids.map((Id) => ({ attributes: { type: "Account" }, Id })));
}

Deno.test("query asks for the next page once the head of the current one arrives", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const { sf, requests } = scripted({
    first: {
      head:
        '{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v64.0/query/01g-2","records":',
      rest: `${records("a", "b")}}`,
      gate,
    },
    "/services/data/v64.0/query/01g-2": {
      head: '{"totalSize":3,"done":true,',
      rest: `"records":${records("c")}}`,
    },
  });
  const iterator = sf.query<{ Id: string }>("SELECT Id FROM Account")[Symbol.asyncIterator]();
  const first = iterator.next();
  for (let i = 0; i < 50 && requests.length < 2; i++) await tick();
  // Page 2 was asked for while page 1's records had not arrived yet.
  assert.deepEqual(requests.map((r) => r.path), ["first", "/services/data/v64.0/query/01g-2"]);
  release();
  const ids = [(await first).value?.Id];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    ids.push(next.value.Id);
  }
  assert.deepEqual(ids, ["a", "b", "c"]);
});

Deno.test("query follows nextRecordsUrl from the parsed page when the head has another form", async () => {
  const { sf, requests } = scripted({
    // Records before the URL, and an escaped slash: the head tells nothing.
    first: {
      head: `{"records":${records("a")},"totalSize":3,`,
      rest: '"done":false,"nextRecordsUrl":"\\/services\\/data\\/v64.0\\/query\\/01g-1"}',
    },
    "/services/data/v64.0/query/01g-1": {
      head: '{"totalSize":3,"done":false,"nextRecordsUrl":"\\/services/data/v64.0/query/01g-2",',
      rest: `"records":${records("b")}}`,
    },
    "/services/data/v64.0/query/01g-2": {
      head: `{"totalSize":3,"done":true,"nextRecordsUrl":null,"records":${records("c")}}`,
    },
  });
  const ids: string[] = [];
  for await (const record of sf.query<{ Id: string }>("SELECT Id FROM Account")) {
    ids.push(record.Id);
  }
  assert.deepEqual(ids, ["a", "b", "c"]);
  assert.equal(requests.length, 3);
});

Deno.test("query trusts the parsed page when its head names another next page", async () => {
  const { sf, requests } = scripted({
    first: {
      head: '{"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v64.0/query/01g-A",',
      rest: `"records":${records("a")},"nextRecordsUrl":"/services/data/v64.0/query/01g-B"}`,
    },
    "/services/data/v64.0/query/01g-A": {
      head: `{"totalSize":2,"done":true,"records":${records("wrong")}}`,
    },
    "/services/data/v64.0/query/01g-B": {
      head: `{"totalSize":2,"done":true,"records":${records("b")}}`,
    },
  });
  const ids: string[] = [];
  for await (const record of sf.query<{ Id: string }>("SELECT Id FROM Account")) {
    ids.push(record.Id);
  }
  assert.deepEqual(ids, ["a", "b"]);
  const early = requests.find((r) => r.path.endsWith("01g-A"));
  assert.equal(early?.signal.aborted, true);
});

Deno.test("an abort while a page's body streams rejects the pending record promptly", async () => {
  const { sf } = scripted({
    first: {
      head: '{"totalSize":2,"done":true,',
      rest: `"records":${records("a")}}`,
      gate: new Promise<void>(() => {}),
    },
  });
  const controller = new AbortController();
  const iterator = sf.query("SELECT Id FROM Account", { signal: controller.signal })[
    Symbol.asyncIterator
  ]();
  const pending = iterator.next();
  await tick();
  controller.abort(new Error("caller stopped"));
  await assert.rejects(pending, /caller stopped/);
});

Deno.test("query yields nothing more once its signal aborts, even from pages already read", async () => {
  const { sf, org } = setup(200);
  org.insert("Account", names(450));
  const controller = new AbortController();
  const reason = new Error("enough");
  const iterator = sf.query("SELECT Name FROM Account", { signal: controller.signal })[
    Symbol.asyncIterator
  ]();
  assert.equal((await iterator.next()).done, false);
  controller.abort(reason);
  await assert.rejects(iterator.next(), (error) => error === reason);
});

Deno.test("query sends no request for an empty nextRecordsUrl in a page's head", async () => {
  const { sf, requests } = scripted({
    first: { head: `{"totalSize":1,"done":true,"nextRecordsUrl":"","records":${records("a")}}` },
  });
  const rows = await Array.fromAsync(sf.query<{ Id: string }>("SELECT Id FROM Account"));
  assert.deepEqual(rows.map((row) => row.Id), ["a"]);
  assert.deepEqual(requests.map((r) => r.path), ["first"]);
});

Deno.test("query never splices a page's head from two chunks", async () => {
  // The first chunk is longer than the head scan decodes (its first 2 KB hold fewer than 2,048
  // characters); the next chunk must not be read as if it followed the decoded part.
  const next = "/services/data/v64.0/query/01g-2" + "é".repeat(1_400);
  const { sf, requests } = scripted({
    first: {
      head: `{"totalSize":2,"done":false,"nextRecordsUrl":"${next}","records":[{"Id":"`,
      // Read after the first chunk's decoded part, this would complete a head naming a URL
      // that is nowhere in the body.
      rest: 'a","records":1}]}',
    },
    [new URL(next, "https://x").pathname]: {
      head: `{"totalSize":2,"done":true,"records":${records("b")}}`,
    },
  });
  const rows = await Array.fromAsync(sf.query<{ Id: string }>("SELECT Id FROM Account"));
  assert.deepEqual(rows.map((row) => row.Id), ["a", "b"]);
  assert.equal(requests.length, 2);
});

Deno.test("query rejects a page that is not the last but names no next page, or holds no records", async () => {
  for (
    const head of [
      `{"totalSize":3,"done":false,"records":${records("a")}}`,
      `{"totalSize":1,"done":true}`,
    ]
  ) {
    const { sf } = scripted({ first: { head } });
    await assert.rejects(
      Array.fromAsync(sf.query("SELECT Id FROM Account")),
      (error: Error) => {
        assert.ok(error instanceof SalesforceError);
        assert.match(error.message, /names no nextRecordsUrl|holds no records array/);
        return true;
      },
    );
  }
});

Deno.test("query refuses an includeAllRecords that is not a boolean and a signal that is not an AbortSignal", () => {
  const { sf } = setup();
  assert.throws(
    () => sf.query("SELECT Id FROM Account", { includeAllRecords: "false" as never }),
    /"includeAllRecords" must be a boolean: received "false"/,
  );
  assert.throws(
    () => sf.query("SELECT Id FROM Account", { signal: { aborted: false } as never }),
    /"signal" must be an AbortSignal/,
  );
});
