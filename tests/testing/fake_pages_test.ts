// Query pages and bulk results pages are written from cached record bytes, and a page served
// again over the same records from the page kept whole: the same bytes as a serialisation from
// scratch, on the first serve and every later one, and never stale.
import assert from "node:assert/strict";
import { formatCsvRow } from "../../client/_csv_format.ts";
import type { SoqlDataSource, StoredRecord } from "../../testing/_schema.ts";
import { recordBytes } from "../../testing/_text_cache.ts";
import type { FakeSalesforce } from "../../testing/mod.ts";
import { call, loggedIn, V } from "./_fake.ts";

const NAMES = [
  "Plain",
  'Quote "q"',
  "Back\\slash",
  "New\nline\r\nCRLF",
  "Tab\there",
  "Ctl\u0001\u001f",
  "Unicodé ✓ 😀",
  "Lone \ud800 surrogate",
  "Sep \u2028 \u2029",
  "Comma, here",
  "  spaced  ",
  "\ufeffBOM",
  "</script>",
  "Tail\\",
];
const REVENUES = [0, 1.5, 1e21, -3, 123456789012, null, 0.1 + 0.2];

function seed(org: FakeSalesforce): string[] {
  const ids = org.insert(
    "Account",
    NAMES.map((Name, i) => ({
      Name,
      AnnualRevenue: REVENUES[i % REVENUES.length],
      NumberOfEmployees: i % 3 === 0 ? null : i,
      Description: i % 2 ? NAMES[(i + 3) % NAMES.length] : null,
      Website: `https://e.com/"${i}`,
    })),
  );
  org.insert(
    "Contact",
    ids.map((AccountId, i) => ({
      LastName: `L${NAMES[i]}`,
      AccountId: i % 5 === 4 ? null : AccountId,
    })),
  );
  return ids;
}

const FIELDS = "Id, Name, AnnualRevenue, NumberOfEmployees, Description, Website, IsDeleted, " +
  "CreatedDate";

async function bytes(response: Response): Promise<Uint8Array> {
  assert.equal(response.status, 200);
  return new Uint8Array(await response.arrayBuffer());
}

/** Every page of a REST query: raw bytes and parsed bodies. */
async function restPages(
  org: FakeSalesforce,
  token: string,
  soql: string,
): Promise<{ raw: Uint8Array[]; records: Record<string, unknown>[] }> {
  const raw: Uint8Array[] = [];
  const records: Record<string, unknown>[] = [];
  let path: string | undefined = `${V}/query?q=${encodeURIComponent(soql)}`;
  while (path !== undefined) {
    const body = await bytes(await call(org, token, "GET", path));
    raw.push(body);
    const page = JSON.parse(new TextDecoder().decode(body));
    records.push(...page.records);
    path = page.nextRecordsUrl;
  }
  return { raw, records };
}

/** The page JSON.stringify writes for `page`, as UTF-8. */
function stringified(page: Uint8Array): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(JSON.parse(new TextDecoder().decode(page))));
}

Deno.test("REST query pages are the bytes JSON.stringify writes, on the first serve and again", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  seed(org);
  const soql = `SELECT ${FIELDS} FROM Account`;
  const first = await restPages(org, token, soql);
  const again = await restPages(org, token, soql);
  assert.equal(first.raw.length, Math.ceil(NAMES.length / 3));
  // The same bytes but for the cursor's locator.
  const unlocated = (page: Uint8Array) =>
    new TextDecoder().decode(page).replace(/query\/01g\w+-/, "query/LOCATOR-");
  assert.deepEqual(again.raw.map(unlocated), first.raw.map(unlocated));
  assert.deepEqual(again.records, first.records);
  for (const page of first.raw) assert.deepEqual(page, stringified(page));
  // Strings come back as stored (a lone surrogate as an escape JSON.parse turns back).
  assert.deepEqual(first.records.map((r) => r.Name), NAMES);
  assert.deepEqual(first.records.map((r) => r.AnnualRevenue), NAMES.map((_, i) => REVENUES[i % 7]));
});

Deno.test("REST query pages in another order, or cut at other sizes, hold the same records", async () => {
  const { org, token } = await loggedIn({ pageSize: 4 });
  seed(org);
  const ascending = await restPages(org, token, `SELECT ${FIELDS} FROM Account`);
  const descending = await restPages(
    org,
    token,
    `SELECT ${FIELDS} FROM Account ORDER BY CreatedDate DESC, Id DESC`,
  );
  assert.deepEqual(descending.records, [...ascending.records].reverse());
  for (const page of descending.raw) assert.deepEqual(page, stringified(page));
  const offset = await restPages(org, token, `SELECT ${FIELDS} FROM Account LIMIT 9 OFFSET 3`);
  assert.deepEqual(offset.records, ascending.records.slice(3, 12));
  for (const page of offset.raw) assert.deepEqual(page, stringified(page));
});

Deno.test("A query run after an update, a delete or a rollback shows the records as they are now", async () => {
  const { org, token } = await loggedIn({ pageSize: 200 });
  const ids = seed(org);
  const soql = `SELECT Id, Name, Description FROM Account`;
  await restPages(org, token, soql);
  const patched = await call(org, token, "PATCH", `${V}/sobjects/Account/${ids[1]}`, {
    Name: "Renamed ✓",
    Description: null,
  });
  assert.equal(patched.status, 204);
  let { records } = await restPages(org, token, soql);
  assert.equal(records[1].Name, "Renamed ✓");
  assert.equal(records[1].Description, null);

  assert.equal((await call(org, token, "DELETE", `${V}/sobjects/Account/${ids[2]}`)).status, 204);
  ({ records } = await restPages(org, token, soql));
  assert.equal(records.length, NAMES.length - 1);
  const all = await bytes(
    await call(
      org,
      token,
      "GET",
      `${V}/queryAll?q=${encodeURIComponent("SELECT Id, IsDeleted FROM Account")}`,
    ),
  );
  assert.equal(JSON.parse(new TextDecoder().decode(all)).records[2].IsDeleted, true);

  // An all-or-none composite that fails rolls its update back.
  const composite = await call(org, token, "POST", `${V}/composite`, {
    allOrNone: true,
    compositeRequest: [
      {
        method: "PATCH",
        url: `${V}/sobjects/Account/${ids[0]}`,
        referenceId: "a",
        body: { Name: "Rolled back" },
      },
      {
        method: "PATCH",
        url: `${V}/sobjects/Account/001000000000000AAA`,
        referenceId: "b",
        body: { Name: "Nobody" },
      },
    ],
  });
  assert.equal(composite.status, 200);
  await composite.body?.cancel();
  ({ records } = await restPages(org, token, soql));
  assert.equal(records[0].Name, "Plain");
});

Deno.test("REST query pages with relationship fields are right before and after the parent changes", async () => {
  const { org, token } = await loggedIn({ pageSize: 5 });
  const ids = seed(org);
  const soql = "SELECT Id, LastName, Account.Name, Account.AnnualRevenue FROM Contact";
  const before = await restPages(org, token, soql);
  for (const page of before.raw) assert.deepEqual(page, stringified(page));
  assert.equal((before.records[0].Account as Record<string, unknown>).Name, "Plain");
  assert.equal(before.records[4].Account, null);
  await call(org, token, "PATCH", `${V}/sobjects/Account/${ids[0]}`, { Name: "Parent ✓" });
  const after = await restPages(org, token, soql);
  assert.equal((after.records[0].Account as Record<string, unknown>).Name, "Parent ✓");
});

/** The old writer of query result pages, kept as the reference: one formatCsvRow per row. */
function referenceCsv(
  header: string[],
  rows: (string | number | boolean | null)[][],
  ending: "\n" | "\r\n",
): Uint8Array {
  const options = { quoteAll: true, lineEnding: ending } as const;
  let text = formatCsvRow(header, options);
  for (const row of rows) {
    text += formatCsvRow(row.map((value) => (value === null ? "" : String(value))), options);
  }
  return new TextEncoder().encode(text);
}

async function bulkPages(
  org: FakeSalesforce,
  token: string,
  soql: string,
  lineEnding: "LF" | "CRLF",
  maxRecords: number,
  operation: "query" | "queryAll" = "query",
): Promise<Uint8Array[]> {
  const created = await call(org, token, "POST", `${V}/jobs/query`, {
    operation,
    query: soql,
    lineEnding,
  });
  const { id } = await created.json();
  await (await call(org, token, "GET", `${V}/jobs/query/${id}`)).body?.cancel();
  const pages: Uint8Array[] = [];
  let locator: string | null = null;
  do {
    const response: Response = await call(
      org,
      token,
      "GET",
      `${V}/jobs/query/${id}/results?maxRecords=${maxRecords}${
        locator ? `&locator=${locator}` : ""
      }`,
    );
    locator = response.headers.get("Sforce-Locator");
    pages.push(await bytes(response));
  } while (locator !== null && locator !== "null");
  return pages;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A results page without its header line. */
function body(page: Uint8Array, header: Uint8Array): Uint8Array {
  assert.deepEqual(page.subarray(0, header.length), header);
  return page.subarray(header.length);
}

Deno.test("Bulk results pages are the bytes of a row-by-row writer, first serve and again, LF and CRLF", async () => {
  const { org, token } = await loggedIn();
  seed(org);
  const soql = "SELECT Id, Name, AnnualRevenue, NumberOfEmployees, Description, IsDeleted, " +
    "CreatedDate FROM Account";
  const columns = [
    "Id",
    "Name",
    "AnnualRevenue",
    "NumberOfEmployees",
    "Description",
    "IsDeleted",
    "CreatedDate",
  ];
  const stored = org.records("Account");
  const rows = stored.map((r) =>
    columns.map((c) => c === "CreatedDate" ? (r[c] as string).replace("+0000", "Z") : r[c])
  );
  for (const ending of ["LF", "CRLF"] as const) {
    const eol = ending === "LF" ? "\n" : "\r\n";
    const expected = referenceCsv(columns, rows, eol);
    const header = referenceCsv(columns, [], eol);
    for (const maxRecords of [100, 3, 5, 100]) {
      const pages = await bulkPages(org, token, soql, ending, maxRecords);
      assert.equal(pages.length, Math.ceil(NAMES.length / maxRecords));
      const joined = concat([header, ...pages.map((page) => body(page, header))]);
      assert.deepEqual(joined, expected, `${ending}, maxRecords ${maxRecords}`);
    }
  }
});

Deno.test("Bulk results pages in another order, with relationships, and after an update are right", async () => {
  const { org, token } = await loggedIn();
  const ids = seed(org);
  const soql = "SELECT Id, Name FROM Account";
  await bulkPages(org, token, soql, "LF", 4);
  const reversed = await bulkPages(
    org,
    token,
    `${soql} ORDER BY CreatedDate DESC, Id DESC`,
    "LF",
    4,
  );
  const stored = org.records("Account");
  const header = referenceCsv(["Id", "Name"], [], "\n");
  assert.deepEqual(
    concat([header, ...reversed.map((page) => body(page, header))]),
    referenceCsv(["Id", "Name"], stored.reverse().map((r) => [r.Id, r.Name]), "\n"),
  );

  await call(org, token, "PATCH", `${V}/sobjects/Account/${ids[0]}`, { Name: 'Renamed, "now"' });
  const [page] = await bulkPages(org, token, soql, "LF", 1);
  assert.equal(
    new TextDecoder().decode(page),
    `"Id","Name"\n"${ids[0]}","Renamed, ""now"""\n`,
  );

  const [contacts] = await bulkPages(
    org,
    token,
    "SELECT LastName, Account.Name FROM Contact",
    "LF",
    100,
  );
  const text = new TextDecoder().decode(contacts);
  assert.ok(text.startsWith(`"LastName","Account.Name"\n"LPlain","Renamed, ""now"""\n`));
  // The fifth contact has no account.
  assert.ok(text.includes(`\n"LTab\there",""\n`));
});

// ---- pages served again (kept whole: _text_cache.ts segments) ---------------------------------

interface RestPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

/**
 * Every page of a REST query, each checked: the bytes JSON.stringify writes, totalSize the
 * same on each, done only on the last, each nextRecordsUrl naming the first cursor and the
 * count served so far. Returns the records with their attributes checked and removed.
 */
async function servedRecords(
  org: FakeSalesforce,
  token: string,
  soql: string,
  { all = false, batchSize }: { all?: boolean; batchSize?: number } = {},
): Promise<{ pages: number[]; records: Record<string, unknown>[] }> {
  const headers: Record<string, string> = batchSize === undefined
    ? {}
    : { "Sforce-Query-Options": `batchSize=${batchSize}` };
  const pages: number[] = [];
  const records: Record<string, unknown>[] = [];
  let path: string | undefined = `${V}/${all ? "queryAll" : "query"}?q=${encodeURIComponent(soql)}`;
  let locator: string | undefined;
  let total: number | undefined;
  while (path !== undefined) {
    const raw = await bytes(await call(org, token, "GET", path, undefined, headers));
    assert.deepEqual(raw, stringified(raw));
    const page: RestPage = JSON.parse(new TextDecoder().decode(raw));
    total ??= page.totalSize;
    assert.equal(page.totalSize, total);
    pages.push(page.records.length);
    for (const { attributes, ...fields } of page.records) {
      assert.deepEqual(attributes, {
        type: "Account",
        url: `${V}/sobjects/Account/${fields.Id}`,
      });
      records.push(fields);
    }
    path = page.nextRecordsUrl;
    assert.equal(page.done, path === undefined);
    if (path !== undefined) {
      const match = /^\/services\/data\/v66\.0\/query\/(01g\w+)-(\d+)$/.exec(path);
      assert.ok(match, path);
      locator ??= match[1];
      assert.equal(match[1], locator);
      assert.equal(Number(match[2]), records.length);
    }
  }
  assert.equal(records.length, total);
  return { pages, records };
}

const FIELDS_BY_NAME = ["Id", "Name", "AnnualRevenue", "IsDeleted"];

/** The live Accounts as a query of `fields` (Id, Name, ...) reads them, ordered by name. */
function byName(org: FakeSalesforce, fields = FIELDS_BY_NAME): Record<string, unknown>[] {
  return org.records("Account")
    .sort((a, b) => (a.Name as string) < (b.Name as string) ? -1 : 1)
    .map((record) => Object.fromEntries(fields.map((field) => [field, record[field]])));
}

function soqlByName(fields = FIELDS_BY_NAME): string {
  return `SELECT ${fields.join(", ")} FROM Account ORDER BY Name`;
}

const BY_NAME = soqlByName();

function named(count: number): { Name: string; AnnualRevenue: number }[] {
  return Array.from({ length: count }, (_, i) => ({
    Name: `N${String(i * 2).padStart(2, "0")}`,
    AnnualRevenue: i,
  }));
}

/** Serves the query twice (the second time from kept pages) and checks both against `expected`. */
async function servedTwice(
  org: FakeSalesforce,
  token: string,
  expected: Record<string, unknown>[],
  message: string,
  soql = BY_NAME,
): Promise<void> {
  for (const time of ["first", "again"]) {
    const { records } = await servedRecords(org, token, soql);
    assert.deepEqual(records, expected, `${message}, ${time}`);
  }
}

Deno.test("REST pages served again show an insert, update, delete and rollback made since", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  org.insert("Account", named(8));
  await servedTwice(org, token, byName(org), "seeded");

  // An insert changes no stored record: the pages after it hold other records.
  org.insert("Account", [{ Name: "N03", AnnualRevenue: 99 }]);
  await servedTwice(org, token, byName(org), "after an insert");

  const [, second] = byName(org);
  const patched = await call(org, token, "PATCH", `${V}/sobjects/Account/${second.Id}`, {
    Name: "N01",
    AnnualRevenue: 7,
  });
  assert.equal(patched.status, 204);
  await servedTwice(org, token, byName(org), "after an update");

  const deleted = byName(org)[4].Id as string;
  assert.equal((await call(org, token, "DELETE", `${V}/sobjects/Account/${deleted}`)).status, 204);
  await servedTwice(org, token, byName(org), "after a delete");
  const all = await servedRecords(org, token, BY_NAME, { all: true });
  assert.deepEqual(all.records.filter((r) => r.IsDeleted).map((r) => r.Id), [deleted]);
  assert.deepEqual(all.records.filter((r) => !r.IsDeleted), byName(org));
  await servedTwice(org, token, byName(org), "query after queryAll");

  // All-or-none composites that fail: the query inside each is the first to serve its
  // projection's pages, over the records as they are between the writes; the rollback takes
  // the writes back, so none of those pages may be served again.
  const writes = [
    // An insert undone: no stored record changes, one leaves the first page.
    { method: "POST", url: `${V}/sobjects/Account`, body: { Name: "N001" } },
    // An update undone: a record's fields change back.
    { method: "PATCH", url: `${V}/sobjects/Account/${byName(org)[0].Id}`, body: { Name: "N99" } },
  ];
  for (const [i, write] of writes.entries()) {
    const fields = ["Id", "Name", ...(i === 0 ? [] : ["AnnualRevenue"])];
    const before = byName(org, fields);
    const composite = await call(org, token, "POST", `${V}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { ...write, referenceId: "write" },
        {
          method: "GET",
          url: `${V}/query?q=${encodeURIComponent(soqlByName(fields))}`,
          referenceId: "read",
        },
        {
          method: "PATCH",
          url: `${V}/sobjects/Account/001000000000000AAA`,
          referenceId: "fails",
          body: { Name: "Nobody" },
        },
      ],
    });
    assert.equal(composite.status, 200);
    const { compositeResponse } = await composite.json();
    assert.equal(compositeResponse[2].httpStatusCode, 404);
    const message = `after a rolled back ${write.method}`;
    await servedTwice(org, token, before, message, soqlByName(fields));
  }
});

Deno.test("REST pages of the same records under another LIMIT, OFFSET or batch size are right", async () => {
  const { org, token } = await loggedIn({ pageSize: 500 });
  org.insert("Account", named(450));
  const expected = byName(org);
  const cuts: [string, number | undefined, number[], Record<string, unknown>[]][] = [
    ["", undefined, [450], expected],
    ["", 200, [200, 200, 50], expected],
    ["", 300, [300, 150], expected],
    // The records of the 200-batch's second page, as the first page of a shorter result.
    [" LIMIT 200 OFFSET 200", 300, [200], expected.slice(200, 400)],
    [" LIMIT 260 OFFSET 190", 200, [200, 60], expected.slice(190, 450)],
    [" LIMIT 3 OFFSET 1", undefined, [3], expected.slice(1, 4)],
    ["", 200, [200, 200, 50], expected],
  ];
  for (const [clause, batchSize, pages, records] of cuts) {
    for (const time of ["first", "again"]) {
      const served = await servedRecords(org, token, BY_NAME + clause, { batchSize });
      const message = `${clause || "all"}, batch ${batchSize ?? "default"}, ${time}`;
      assert.deepEqual(served.pages, pages, message);
      assert.deepEqual(served.records, records, message);
    }
  }
});

Deno.test("A REST page served again for another cursor leaves an earlier response's bytes alone", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  org.insert("Account", named(7));
  const soql = encodeURIComponent(BY_NAME);
  // Two cursors over the same records; their second pages differ only in the locator.
  const firstPages = await Promise.all(
    [0, 1].map(async () => await (await call(org, token, "GET", `${V}/query?q=${soql}`)).json()),
  );
  const urls: string[] = firstPages.map((page) => page.nextRecordsUrl);
  assert.notEqual(urls[0], urls[1]);
  // Both responses are made before either body is read.
  const responses = [];
  for (const url of [...urls, ...urls]) responses.push(await call(org, token, "GET", url));
  const texts = await Promise.all(responses.map((response) => response.text()));
  const expected = byName(org).slice(3, 6);
  for (const [i, text] of texts.entries()) {
    const page: RestPage = JSON.parse(text);
    const locator = urls[i % 2].slice(0, urls[i % 2].lastIndexOf("-"));
    assert.equal(page.nextRecordsUrl, `${locator}-6`);
    assert.deepEqual(page.records.map(({ attributes: _, ...fields }) => fields), expected);
  }
  // The same records as the last page of a shorter query: another totalSize, no next page.
  const last = await call(
    org,
    token,
    "GET",
    `${V}/query?q=${soql}${encodeURIComponent(" LIMIT 6")}`,
  );
  const lastPage: RestPage = await last.json();
  assert.equal(lastPage.nextRecordsUrl?.endsWith("-3"), true);
  const tail = await (await call(org, token, "GET", lastPage.nextRecordsUrl!)).text();
  assert.equal(
    tail,
    JSON.stringify({
      totalSize: 6,
      done: true,
      records: byName(org).slice(3, 6).map((r) => ({
        attributes: { type: "Account", url: `${V}/sobjects/Account/${r.Id}` },
        ...r,
      })),
    }),
  );
});

Deno.test("Bulk results pages served again show an insert, update or delete made since", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", named(8));
  const fields = ["Id", "Name", "AnnualRevenue"];
  const header = referenceCsv(fields, [], "\n");
  const check = async (
    expected: Record<string, unknown>[],
    message: string,
    { clause = "", operation = "query" }: { clause?: string; operation?: "query" | "queryAll" } =
      {},
  ) => {
    const soql = `${soqlByName(fields)}${clause}`;
    const csv = referenceCsv(
      fields,
      expected.map((record) => fields.map((field) => record[field] as string | number)),
      "\n",
    );
    for (const maxRecords of [3, 5, 3, 100, 3]) {
      const pages = await bulkPages(org, token, soql, "LF", maxRecords, operation);
      assert.equal(pages.length, Math.ceil(expected.length / maxRecords));
      assert.deepEqual(
        concat([header, ...pages.map((page) => body(page, header))]),
        csv,
        `${message}, maxRecords ${maxRecords}`,
      );
    }
  };
  await check(byName(org, fields), "seeded");
  // (Bulk queries take no OFFSET.)
  await check(byName(org, fields).slice(0, 4), "LIMIT 4", { clause: " LIMIT 4" });
  // An insert changes no stored record: the pages after it hold other records.
  org.insert("Account", [{ Name: "N03", AnnualRevenue: 99 }]);
  await check(byName(org, fields), "after an insert");
  const [, second] = byName(org);
  await call(org, token, "PATCH", `${V}/sobjects/Account/${second.Id}`, { AnnualRevenue: -1 });
  await check(byName(org, fields), "after an update");
  const gone = byName(org, fields)[3];
  assert.equal((await call(org, token, "DELETE", `${V}/sobjects/Account/${gone.Id}`)).status, 204);
  await check(byName(org, fields), "after a delete");
  const all = [...byName(org, fields), gone]
    .sort((a, b) => (a.Name as string) < (b.Name as string) ? -1 : 1);
  await check(all, "queryAll", { operation: "queryAll" });
  await check(byName(org, fields), "query after queryAll");
});

Deno.test("Query pages served again over a server keep their Content-Length, with no chunked body", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  org.insert("Account", named(7));
  const server = org.serve();
  try {
    const url = `${server.url}${V}/query?q=${encodeURIComponent(BY_NAME)}`;
    const headers = { Authorization: `Bearer ${token}` };
    const sizes: number[] = [];
    for (let time = 0; time < 3; time++) {
      // Each run opens a cursor: the page served again carries another nextRecordsUrl.
      const response = await fetch(url, { headers });
      const raw = new Uint8Array(await response.arrayBuffer());
      assert.equal(response.headers.get("Content-Length"), String(raw.length));
      assert.equal(response.headers.get("Transfer-Encoding"), null);
      assert.deepEqual(raw, stringified(raw));
      sizes.push(raw.length);
    }
    assert.equal(new Set(sizes).size, 1);
  } finally {
    await server.close();
  }
});

/** Reads a body chunk by chunk, overwriting each chunk once read; returns what it held. */
async function readAndScribble(response: Response): Promise<Uint8Array> {
  assert.equal(response.status, 200);
  const chunks: Uint8Array[] = [];
  const reader = response.body!.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    chunks.push(chunk.value.slice());
    chunk.value.fill(0x21);
  }
  return concat(chunks);
}

Deno.test("A page body from org.fetch is the caller's own: writing into it changes no later page", async () => {
  const { org, token } = await loggedIn({ pageSize: 3 });
  org.insert("Account", named(7));
  // REST: every page, three times (cached texts, then pages kept whole), each scribbled over.
  const restRuns: string[][] = [];
  for (let run = 0; run < 3; run++) {
    const texts: string[] = [];
    let path: string | undefined = `${V}/query?q=${encodeURIComponent(BY_NAME)}`;
    while (path !== undefined) {
      const text = new TextDecoder().decode(
        await readAndScribble(await call(org, token, "GET", path)),
      );
      texts.push(text.replace(/query\/[^"]+-/, "query/-"));
      path = JSON.parse(text).nextRecordsUrl;
    }
    restRuns.push(texts);
  }
  const records = restRuns[0].flatMap((text) =>
    JSON.parse(text).records.map(({ attributes: _, ...fields }: Record<string, unknown>) => fields)
  );
  assert.deepEqual(records, byName(org));
  assert.deepEqual(restRuns[1], restRuns[0]);
  assert.deepEqual(restRuns[2], restRuns[0]);
  // Bulk: one job's results pages, three times.
  const created = await call(org, token, "POST", `${V}/jobs/query`, { query: BY_NAME });
  const { id } = await created.json();
  await (await call(org, token, "GET", `${V}/jobs/query/${id}`)).body?.cancel();
  const bulkRuns: string[] = [];
  for (let run = 0; run < 3; run++) {
    const pages: Uint8Array[] = [];
    for (const locator of ["", "&locator=Mw", "&locator=Ng"]) {
      const url = `${V}/jobs/query/${id}/results?maxRecords=3${locator}`;
      pages.push(await readAndScribble(await call(org, token, "GET", url)));
    }
    bulkRuns.push(new TextDecoder().decode(concat(pages)));
  }
  assert.equal(bulkRuns[0].includes("!!!"), false);
  assert.equal(bulkRuns[0].match(/"N\d\d"/g)?.length, 7);
  assert.equal(bulkRuns[1], bulkRuns[0]);
  assert.equal(bulkRuns[2], bulkRuns[0]);
});

/** A store of `records` for the text cache alone; `mutations` as the test sets it. */
function source(): SoqlDataSource & { mutations: number } {
  return {
    mutations: 0,
    object: () => undefined,
    records: () => [],
    byId: () => undefined,
  };
}

Deno.test("A page kept whole is sent again between any prefix and suffix, long or short", () => {
  const store = source();
  const rows: StoredRecord[] = ["a", "bé", "c"].map((Name) => ({ Name }));
  let serialised = 0;
  const textOf = (record: StoredRecord) => {
    serialised++;
    return JSON.stringify(record.Name);
  };
  const page = (prefix: string, suffix: string, from = 0, to = rows.length) =>
    new TextDecoder().decode(
      concat(recordBytes(store, "test", ",")!.page(rows, from, to, textOf, prefix, suffix)),
    );
  const long = `{"p":"${"x".repeat(1000)}",[`;
  const frames: [string, string][] = [
    ["[", "]"],
    ["[", "]"],
    [long, "]}"],
    ["{[", "]}"],
    ["[", "]"],
    [`${long}${long}`, "]"],
  ];
  for (const [prefix, suffix] of frames) {
    assert.equal(page(prefix, suffix), `${prefix}"a","bé","c"${suffix}`);
  }
  assert.equal(page("<", ">", 1, 3), '<"bé","c">');
  assert.equal(page("<", ">", 2, 2), "<>");
  assert.equal(serialised, 3);
  // A record changed: its text is written afresh.
  rows[1].Name = "B";
  store.mutations++;
  assert.equal(page("[", "]"), '["a","B","c"]');
  assert.equal(serialised, 6);
});

Deno.test("each cached projection of a few records keeps kilobytes, not a chunk of megabytes", async () => {
  const { org, token } = await loggedIn();
  org.insert("Account", [{ Name: "A" }]);
  const fields = ["Name", "Description", "Industry", "Phone", "Website", "Type"];
  const read = async (select: string) => {
    const soql = encodeURIComponent(`SELECT ${select} FROM Account`);
    const response = await call(org, token, "GET", `${V}/query?q=${soql}`);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  };
  await read("Id");
  const before = Deno.memoryUsage().external;
  // 63 projections, each a cache of its own holding one record.
  for (let mask = 1; mask < 64; mask++) {
    await read(["Id", ...fields.filter((_, i) => mask & (1 << i))].join(","));
  }
  const grown = Deno.memoryUsage().external - before;
  // An 8 MB chunk each made 504 MB; 64 KB each makes about 4 MB.
  assert.ok(grown < 64 * 2 ** 20, `external memory grew ${(grown / 2 ** 20).toFixed(0)} MB`);
});
