// Bulk API 2.0 ingest, the parts that keep memory down: upload bodies streamed without copies
// and sent afresh on each retry, and result rows made compact without changing a value.
import assert from "node:assert/strict";
import { mock } from "node:test";
import { replayableBody } from "../../client/_bulk_run.ts";
import { parseCsv } from "../../client/_csv.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/mod.ts";
import { accounts, setup, stream, withInstantSleep } from "./_bulk_v2.ts";

function uploadsOf(uploads: { jobId: string; text: string }[], jobId: string): string[] {
  return uploads.filter((upload) => upload.jobId === jobId).map((upload) => upload.text);
}

Deno.test("bulkV2.insert resends a job's identical CSV when its upload is answered 503", async () => {
  await withInstantSleep(async () => {
    const { sf, org, uploads } = setup();
    org.inject({ method: "PUT", path: /\/batches$/, times: 2, status: 503 });
    const input = accounts(2_000);
    const result = await sf.bulkV2.insert("Account", input);
    assert.equal(result.successfulResults.length, 2_000);
    const [job] = result.jobs;
    const sent = uploadsOf(uploads, job.id);
    assert.equal(sent.length, 3);
    assert.equal(sent[1], sent[0]);
    assert.equal(sent[2], sent[0]);
    assert.deepEqual(parseCsv(sent[0]).map((row) => row.Name), input.map((r) => r.Name));
    assert.equal(org.records("Account").length, 2_000);
  });
});

Deno.test("bulkV2.insert resends the whole CSV after the connection drops mid-upload", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.inject({ method: "PUT", path: /\/batches$/, times: 1, drop: true });
    const result = await sf.bulkV2.insert("Account", accounts(3_000), { maxRecords: 1_000 });
    assert.equal(result.jobs.length, 3);
    assert.equal(result.successfulResults.length, 3_000);
    assert.equal(result.unprocessedRecords.length, 0);
    assert.equal(org.records("Account").length, 3_000);
  });
});

Deno.test("bulkV2.insert uploads the whole CSV again after a token refresh during the upload", async () => {
  await withInstantSleep(async () => {
    const { sf, org, uploads } = setup();
    org.inject({ method: "PUT", path: /\/batches$/, times: 1, expireToken: true });
    const result = await sf.bulkV2.insert("Account", accounts(1_500));
    assert.equal(result.successfulResults.length, 1_500);
    const sent = uploadsOf(uploads, result.jobs[0].id);
    assert.equal(sent.length, 2);
    assert.equal(sent[1], sent[0]);
    assert.equal(org.records("Account").length, 1_500);
  });
});

Deno.test("after a token refresh during an upload, every further attempt sends a fresh stream, never a clone", async () => {
  await withInstantSleep(async () => {
    const org = new FakeSalesforce();
    const puts: boolean[] = [];
    const replayable = Symbol.for("@x/aiosalesforce/replayable-body");
    const sf = new Salesforce({
      baseUrl: org.baseUrl,
      auth: org.auth(),
      fetch: (input, init) => {
        // The client hands its own fetch a Request (one argument) for a streamed upload.
        if (input instanceof Request && input.method === "PUT") {
          // A cloned (teed) body has lost its replay function, and keeps a copy of the upload.
          const body = input.body as unknown as Record<symbol, unknown> | null;
          puts.push(typeof body?.[replayable] === "function");
        }
        return org.fetch(input, init);
      },
    });
    // The token expires on the upload, then the upload sent again is answered 503 twice.
    org.inject({ method: "PUT", path: /\/batches$/, times: 1, expireToken: true });
    org.inject({ method: "PUT", path: /\/batches$/, times: 2, status: 503 });
    const clone = Request.prototype.clone;
    let uploadsCloned = 0;
    const cloned = mock.method(Request.prototype, "clone", function (this: Request) {
      if (this.method === "PUT") uploadsCloned++;
      return clone.call(this);
    });
    try {
      const result = await sf.bulkV2.insert("Account", accounts(1_500));
      assert.equal(result.successfulResults.length, 1_500);
    } finally {
      cloned.mock.restore();
    }
    assert.deepEqual(puts, [true, true, true, true]);
    assert.equal(uploadsCloned, 0);
    assert.equal(org.records("Account").length, 1_500);
  });
});

Deno.test("ingest.uploadJobData sends a long string and a view on a larger buffer byte for byte", async () => {
  const { sf, uploads } = setup();
  const rows = Array.from({ length: 6_000 }, (_, i) => `"Ünïcode ✓ ${i}, with a comma",${i}\n`);
  const text = `Name,NumberOfEmployees\n${rows.join("")}`;
  const first = await sf.bulkV2.ingest.createJob("insert", "Account");
  await sf.bulkV2.ingest.uploadJobData(first.id, text);
  assert.equal(uploads[0].text, text);
  // A view in the middle of a buffer: only the view's bytes go out.
  const bytes = new TextEncoder().encode(`xxxx${text}yyyy`);
  const view = bytes.subarray(4, bytes.length - 4);
  const second = await sf.bulkV2.ingest.createJob("insert", "Account");
  await sf.bulkV2.ingest.uploadJobData(second.id, view, { recordCount: 6_000 });
  assert.equal(uploads[1].text, text);
  assert.equal((await sf.bulkV2.ingest.getJob(second.id)).numberRecordsProcessed, 6_000);
});

Deno.test("bulkV2.insert returns every result value exactly as Salesforce wrote it", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    // More rows than a column is tried for sharing (4,096), values short and long, repeated
    // and distinct, with quotes, commas, line breaks and characters outside ASCII.
    const input = Array.from({ length: 5_000 }, (_, i) => ({
      Name: `Account "${i}", ünïcode ✓ 𝄞\nline two`,
      Type: i % 2 ? "Customer - Direct" : "Prospect",
      Industry: i % 7 === 0 ? "" : "Energy, Oil & Gas",
      Description: i % 3 ? `same long description for many rows` : ` padded ${i} `,
      NumberOfEmployees: i % 11,
    }));
    const result = await sf.bulkV2.insert("Account", stream(input), { maxRecords: 2_500 });
    assert.equal(result.successfulResults.length, 5_000);
    const byName = new Map(result.successfulResults.map((row) => [row.Name, row]));
    for (const record of input) {
      const row = byName.get(record.Name)!;
      assert.deepEqual(Object.keys(row), [
        "sf__Id",
        "sf__Created",
        "Name",
        "Type",
        "Industry",
        "Description",
        "NumberOfEmployees",
      ]);
      assert.deepEqual(
        { ...row, sf__Id: "" },
        {
          sf__Id: "",
          sf__Created: "true",
          Name: record.Name,
          Type: record.Type,
          Industry: record.Industry,
          Description: record.Description,
          NumberOfEmployees: String(record.NumberOfEmployees),
        },
      );
      assert.match(row.sf__Id, /^001[0-9A-Za-z]{15}$/);
    }
    // Rows are independent objects: changing one changes no other.
    result.successfulResults[0].Type = "changed";
    assert.ok(result.successfulResults.slice(1).every((row) => row.Type !== "changed"));
  });
});

Deno.test("bulkV2.insert keeps the rows of a job that could not be uploaded, values unchanged", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.inject({ method: "PUT", path: /\/batches$/, times: 100, status: 503 });
    const input = Array.from({ length: 300 }, (_, i) => ({
      Name: `A long account name number ${i} ✓`,
      Type: "Prospect",
    }));
    const result = await sf.bulkV2.insert("Account", input);
    assert.equal(result.unprocessedRecords.length, 300);
    assert.deepEqual(
      result.unprocessedRecords.map(({ sf__Error: _, ...row }) => row),
      input,
    );
    assert.ok(result.unprocessedRecords.every((row) => /503/.test(row.sf__Error)));
  });
});

Deno.test("an upload body whose bytes were taken away fails its attempt instead of sending less", async () => {
  const chunks = [new TextEncoder().encode("Name\n"), new TextEncoder().encode("Acme\nGlobex\n")];
  const body = replayableBody(chunks);
  const replay = (body as unknown as Record<symbol, () => ReadableStream<Uint8Array>>)[
    Symbol.for("@x/aiosalesforce/replayable-body")
  ];
  assert.equal(await new Response(replay()).text(), "Name\nAcme\nGlobex\n");
  // A runtime that transferred a chunk while sending leaves it detached (empty).
  structuredClone(chunks[1], { transfer: [chunks[1].buffer] });
  await assert.rejects(new Response(replay()).text(), /sent 5 of 17 bytes/);
  await body.cancel();
});

Deno.test("a JobResult's row sets, read on first access, behave as ordinary arrays", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const input = [...accounts(3), { Name: "" }]; // the last one fails: Name is required
    const jobs = await Array.fromAsync(
      sf.bulkV2.ingest.performOperation("insert", "Account", input),
    );
    assert.equal(jobs.length, 1);
    const [job] = jobs;
    assert.deepEqual(Object.keys(job), [
      "jobInfo",
      "successfulResults",
      "failedResults",
      "unprocessedRecords",
    ]);
    const successful = job.successfulResults;
    assert.ok(Array.isArray(successful));
    assert.equal(successful.length, 3);
    assert.equal(job.successfulResults, successful); // the same array on every read
    assert.deepEqual([...successful].map((row) => row.Name), input.slice(0, 3).map((r) => r.Name));
    successful.push({ Name: "added by the caller" });
    assert.equal(job.successfulResults.length, 4);
    // JSON, spread and structuredClone see plain arrays of plain objects.
    const json = JSON.parse(JSON.stringify(job));
    assert.equal(json.successfulResults.length, 4);
    assert.match(json.failedResults[0].sf__Error, /^REQUIRED_FIELD_MISSING/);
    assert.deepEqual(json.unprocessedRecords, []);
    assert.deepEqual({ ...job }.failedResults, job.failedResults);
    assert.deepEqual(structuredClone(job).successfulResults, job.successfulResults);
    // A set may be replaced, before or after its first read.
    job.unprocessedRecords = [{ Name: "replaced" }];
    assert.deepEqual(job.unprocessedRecords, [{ Name: "replaced" }]);
    const other = (await Array.fromAsync(
      sf.bulkV2.ingest.performOperation("insert", "Account", accounts(2)),
    ))[0];
    other.failedResults = [];
    assert.deepEqual(other.failedResults, []);
    assert.equal(other.successfulResults.length, 2);
  });
});

Deno.test("a frozen JobResult gives its rows, the same array on every read, and refuses writes", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const [first] = await Array.fromAsync(
      sf.bulkV2.ingest.performOperation("insert", "Account", [{ Name: "Acme" }, { Name: "" }]),
    );
    const job = Object.freeze(first);
    assert.equal(job.successfulResults.length, 1);
    assert.equal(job.successfulResults, job.successfulResults);
    assert.equal(job.failedResults[0].Name, "");
    assert.throws(() => {
      (job as { successfulResults: unknown[] }).successfulResults = [];
    }, TypeError);
    assert.equal(job.successfulResults.length, 1);
  });
});

Deno.test("a JobResult prints its rows, not accessors, before anything read them", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const [job] = await Array.fromAsync(
      sf.bulkV2.ingest.performOperation("insert", "Account", [{ Name: "Printed Co" }]),
    );
    const text = Deno.inspect(job, { depth: 4 });
    assert.doesNotMatch(text, /Getter|Setter/);
    assert.match(text, /Printed Co/);
    assert.deepEqual(Object.keys(job), [
      "jobInfo",
      "successfulResults",
      "failedResults",
      "unprocessedRecords",
    ]);
  });
});
