// Query pages and bulk results pages are written from cached record bytes: the same bytes as a
// serialisation from scratch, on the first serve and every later one, and never stale.
import assert from "node:assert/strict";
import { formatCsvRow } from "../../client/_csv_format.ts";
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
): Promise<Uint8Array[]> {
  const created = await call(org, token, "POST", `${V}/jobs/query`, {
    operation: "query",
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
