import assert from "node:assert/strict";
import { NotFoundError, SalesforceError } from "../../client/errors.ts";
import type { BulkApiBatchConsumptionEvent } from "../../events/events.ts";
import { makeId } from "../../testing/_store.ts";
import { setup } from "./_bulk_v2.ts";

Deno.test("ingest.createJob opens a job with the CSV dialect the client writes", async () => {
  const { sf } = setup();
  const job = await sf.bulkV2.ingest.createJob("upsert", "Account", {
    externalIdFieldName: "ExtId__c",
  });
  assert.equal(job.state, "Open");
  assert.equal(job.operation, "upsert");
  assert.equal(job.object, "Account");
  assert.equal(job.externalIdFieldName, "ExtId__c");
  assert.equal(job.lineEnding, "LF");
  assert.equal(job.columnDelimiter, "COMMA");
});

Deno.test("ingest.uploadJobData uploads, closes, and counts batches of 10,000 records", async () => {
  const { sf, uploads } = setup();
  const counts: number[] = [];
  sf.eventBus.addEventListener("bulk_api_batch_consumption", (event) => {
    counts.push((event as BulkApiBatchConsumptionEvent).count);
  });
  const rows = Array.from({ length: 20_001 }, (_, i) => `"Name ${i}\nsecond line"\n`).join("");
  const job = await sf.bulkV2.ingest.createJob("insert", "Account");
  const closed = await sf.bulkV2.ingest.uploadJobData(job.id, `Name\n${rows}`);
  assert.equal(closed.state, "UploadComplete");
  assert.deepEqual(counts, [3]);
  assert.equal(uploads[0].bytes, new TextEncoder().encode(`Name\n${rows}`).length);
  const info = await sf.bulkV2.ingest.getJob(job.id);
  assert.equal(info.state, "JobComplete");
  assert.equal(info.numberRecordsProcessed, 20_001);
});

Deno.test("ingest.uploadJobData takes byte chunks and a given record count", async () => {
  const { sf, uploads } = setup();
  const counts: number[] = [];
  sf.eventBus.addEventListener("bulk_api_batch_consumption", (event) => {
    counts.push((event as BulkApiBatchConsumptionEvent).count);
  });
  const encoder = new TextEncoder();
  const job = await sf.bulkV2.ingest.createJob("insert", "Account");
  await sf.bulkV2.ingest.uploadJobData(
    job.id,
    [encoder.encode("Name\nA"), encoder.encode("\nB\n")],
    {
      recordCount: 2,
    },
  );
  assert.equal(uploads[0].text, "Name\nA\nB\n");
  assert.deepEqual(counts, [1]);
});

Deno.test("ingest.listJobs follows nextRecordsUrl across pages", async () => {
  const { sf, paths } = setup({ pageSize: 2 });
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push((await sf.bulkV2.ingest.createJob("insert", "Account")).id);
  }
  const listed = (await Array.fromAsync(sf.bulkV2.ingest.listJobs())).map((job) => job.id);
  assert.deepEqual(listed, created);
  assert.equal(paths.filter((path) => path === "GET /services/data/v64.0/jobs/ingest").length, 3);
});

Deno.test("ingest.abortJob and deleteJob end a job; getJob of a deleted job is NotFoundError", async () => {
  const { sf } = setup();
  const job = await sf.bulkV2.ingest.createJob("insert", "Account");
  assert.equal((await sf.bulkV2.ingest.abortJob(job.id)).state, "Aborted");
  await assert.rejects(sf.bulkV2.ingest.abortJob(job.id), SalesforceError);
  await sf.bulkV2.ingest.deleteJob(job.id);
  await assert.rejects(sf.bulkV2.ingest.getJob(job.id), NotFoundError);
  await assert.rejects(sf.bulkV2.ingest.getJob(makeId("750", 99)), NotFoundError);
});

Deno.test("ingest calls refuse a job id that is not a record id", async () => {
  const { sf, paths } = setup();
  await assert.rejects(
    sf.bulkV2.ingest.getJob("../query"),
    /"jobId" must be a 15- or 18-character/,
  );
  await assert.rejects(sf.bulkV2.ingest.uploadJobData("x/y", "Name\nA\n"), /"jobId" must be/);
  assert.deepEqual(paths, []);
});

Deno.test("ingest.createJob refuses an upsert without externalIdFieldName", async () => {
  const { sf } = setup();
  await assert.rejects(
    sf.bulkV2.ingest.createJob("upsert", "Account"),
    /"externalIdFieldName" must be an API name/,
  );
  await assert.rejects(
    sf.bulkV2.ingest.createJob("upsert", "Account", { externalIdFieldName: "Name" }),
    (error: Error) => error instanceof SalesforceError && error.errorCode === "INVALIDJOB",
  );
});

Deno.test("a job's data must break lines as its lineEnding says, as Salesforce requires", async () => {
  const { sf, org } = setup();
  // A file saved on Windows (CRLF; the quoted cell keeps its own LF) in the default LF job fails.
  const windows = 'Name,Description\r\nA,"two\nlines"\r\nB,x\r\n';
  const lf = await sf.bulkV2.ingest.createJob("insert", "Account");
  assert.equal(lf.lineEnding, "LF");
  await sf.bulkV2.ingest.uploadJobData(lf.id, windows);
  const failed = await sf.bulkV2.ingest.getJob(lf.id);
  assert.equal(failed.state, "Failed");
  assert.equal(
    failed.errorMessage,
    "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
  );
  assert.equal(org.records("Account").length, 0);
  // The same file in a CRLF job loads; LF data in a CRLF job fails the other way.
  const crlf = await sf.bulkV2.ingest.createJob("insert", "Account", { lineEnding: "CRLF" });
  assert.equal(crlf.lineEnding, "CRLF");
  await sf.bulkV2.ingest.uploadJobData(crlf.id, windows);
  const done = await sf.bulkV2.ingest.getJob(crlf.id);
  assert.equal(done.state, "JobComplete");
  assert.deepEqual(
    org.records("Account").map((row) => row.Description),
    ["two\nlines", "x"],
  );
  const unix = await sf.bulkV2.ingest.createJob("insert", "Account", { lineEnding: "CRLF" });
  await sf.bulkV2.ingest.uploadJobData(unix.id, "Name\nC\n");
  assert.match((await sf.bulkV2.ingest.getJob(unix.id)).errorMessage ?? "", /setting is CRLF/);
  await assert.rejects(
    sf.bulkV2.ingest.createJob("insert", "Account", {
      lineEnding: "crlf",
    } as unknown as { lineEnding: "CRLF" }),
    new TypeError(
      'Cannot create ingest job: "lineEnding" must be "LF" or "CRLF": received "crlf"',
    ),
  );
});
