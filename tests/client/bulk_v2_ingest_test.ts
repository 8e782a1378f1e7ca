import assert from "node:assert/strict";
import { BulkIngestError, type JobResult } from "../../client/bulk_v2.ts";
import { RequestLimitExceededError, SalesforceError, ServerError } from "../../client/errors.ts";
import type { BulkApiBatchConsumptionEvent } from "../../events/events.ts";
import { makeId } from "../../testing/_store.ts";
import { accounts, ingestJobs, setup, stream, withInstantSleep } from "./_bulk_v2.ts";

function names(rows: Record<string, string>[]): string[] {
  return rows.map((row) => row.Name).sort();
}

Deno.test("bulkV2.insert cuts jobs exactly at maxSizeBytes, header included", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    // "Name\n" is 5 bytes; "Account 00000\n" 14 bytes: 5 + 7 × 14 = 103.
    const result = await sf.bulkV2.insert("Account", accounts(20), {
      fieldNames: ["Name"],
      maxSizeBytes: 103,
    });
    assert.deepEqual(uploads.map((upload) => upload.bytes), [103, 103, 89]);
    assert.equal(result.jobs.length, 3);
    assert.equal(result.successfulResults.length, 20);
  });
});

Deno.test("bulkV2.insert never lets an upload exceed maxSizeBytes by one byte", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    await sf.bulkV2.insert("Account", accounts(20), { fieldNames: ["Name"], maxSizeBytes: 102 });
    // One byte short of 7 rows: 6 rows (89 bytes) per job.
    assert.deepEqual(uploads.map((upload) => upload.bytes), [89, 89, 89, 33]);
  });
});

Deno.test("bulkV2.insert measures bytes, not characters, for multi-byte text", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    const records = Array.from({ length: 10 }, (_, i) => ({ Name: `Zoë ${i} 日本` }));
    // "Zoë 0 日本\n" is 14 bytes (ë 2, each kanji 3); 5 + 3 × 14 = 47.
    await sf.bulkV2.insert("Account", records, { fieldNames: ["Name"], maxSizeBytes: 47 });
    assert.deepEqual(uploads.map((upload) => upload.bytes), [47, 47, 47, 19]);
    assert.ok(uploads.every((upload) => new TextEncoder().encode(upload.text).length <= 47));
  });
});

Deno.test("bulkV2.insert cuts inferred-column jobs of a stream within maxSizeBytes", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    const records = Array.from(
      { length: 40 },
      (_, i) =>
        i % 3 === 0
          ? { Name: `Account ${i}`, Phone: "555-0100" }
          : i % 3 === 1
          ? { Name: `Account ${i}`, Industry: "Energy, Oil" }
          : { Name: `Account ${i}` },
    );
    const result = await sf.bulkV2.insert("Account", stream(records), { maxSizeBytes: 120 });
    assert.ok(uploads.length >= 5);
    assert.ok(uploads.every((upload) => upload.bytes <= 120), `${uploads.map((u) => u.bytes)}`);
    assert.equal(result.successfulResults.length, 40);
    const industries = result.successfulResults.filter((row) => row.Industry === "Energy, Oil");
    assert.equal(industries.length, 13);
  });
});

Deno.test("bulkV2.insert rejects a record larger than maxSizeBytes with its index", async () => {
  const { sf, paths } = setup();
  const records = [{ Name: "Small" }, { Name: "x".repeat(200) }];
  await assert.rejects(
    sf.bulkV2.insert("Account", stream(records), { fieldNames: ["Name"], maxSizeBytes: 100 }),
    (error: Error) => error instanceof RangeError && /index 1\b/.test(error.message),
  );
  assert.ok(!paths.some((path) => path.includes("/jobs/")), "nothing was sent");
});

Deno.test("bulkV2.insert names a field outside fieldNames in a TypeError", async () => {
  const { sf } = setup();
  await assert.rejects(
    sf.bulkV2.insert("Account", [{ Name: "A" }, { Name: "B", Phone: "1" }], {
      fieldNames: ["Name"],
    }),
    (error: Error) => error instanceof TypeError && error.message.includes('"Phone"'),
  );
});

Deno.test("bulkV2.insert writes a field missing from a record as an empty cell", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    await sf.bulkV2.insert("Account", [{ Name: "A", Phone: "1" }, { Name: "B" }], {
      fieldNames: ["Name", "Phone"],
    });
    assert.equal(uploads[0].text, "Name,Phone\nA,1\nB,\n");
  });
});

Deno.test("bulkV2.insert collects an array's columns from every record first", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    await sf.bulkV2.insert("Account", [{ Name: "A" }, { Name: "B", Phone: "2" }, {
      Industry: "Energy",
      Name: "C",
    }]);
    assert.equal(uploads[0].text, "Name,Phone,Industry\nA,,\nB,2,\nC,,Energy\n");
  });
});

Deno.test("bulkV2.insert infers each job's columns from that job's records for a stream", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    const records = [{ Name: "A" }, { Name: "B" }, { Name: "C", Phone: "3" }, { Name: "D" }];
    await sf.bulkV2.insert("Account", stream(records), { maxRecords: 2 });
    assert.deepEqual(uploads.map((upload) => upload.text), [
      "Name\nA\nB\n",
      "Name,Phone\nC,3\nD,\n",
    ]);
  });
});

Deno.test("bulkV2.insert accounts for 25,000 records across at least 3 jobs", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup({ bulkPollsToComplete: 2 });
    const counts: number[] = [];
    sf.eventBus.addEventListener("bulk_api_batch_consumption", (event) => {
      counts.push((event as BulkApiBatchConsumptionEvent).count);
    });
    const input = accounts(25_000);
    const result = await sf.bulkV2.insert("Account", input, { maxRecords: 9_000 });
    assert.equal(result.jobs.length, 3);
    assert.ok(result.jobs.every((job) => job.state === "JobComplete"));
    assert.equal(result.failedResults.length, 0);
    assert.equal(result.unprocessedRecords.length, 0);
    assert.deepEqual(names(result.successfulResults), input.map((record) => record.Name));
    assert.equal(new Set(result.successfulResults.map((row) => row.sf__Id)).size, 25_000);
    assert.equal(org.records("Account").length, 25_000);
    assert.deepEqual(counts, [1, 1, 1]);
  });
});

Deno.test("bulkV2.insert puts rows Salesforce refuses in failedResults, the rest succeed", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const result = await sf.bulkV2.insert("Contact", [
      { LastName: "Ok", Email: "ok@example.com" },
      { FirstName: "No last name" },
      { LastName: "Bad email", Email: "not-an-email" },
      { LastName: "Also ok" },
    ]);
    assert.deepEqual(result.successfulResults.map((row) => row.LastName).sort(), [
      "Also ok",
      "Ok",
    ]);
    assert.equal(result.failedResults.length, 2);
    const errors = result.failedResults.map((row) => row.sf__Error).sort();
    assert.match(errors[0], /^INVALID_EMAIL_ADDRESS:.*:Email --$/);
    assert.match(errors[1], /^REQUIRED_FIELD_MISSING:Required fields are missing: \[LastName\]/);
    assert.ok(result.failedResults.every((row) => row.sf__Id === ""));
  });
});

Deno.test("bulkV2.insert resolves relationship objects by external id", async () => {
  await withInstantSleep(async () => {
    const { sf, org, uploads } = setup();
    const [accountId] = org.insert("Account", [{ Name: "Acme", ExtId__c: "A1" }]);
    const result = await sf.bulkV2.insert("Contact", [
      { LastName: "Lee", Account: { ExtId__c: "A1" } },
    ]);
    assert.equal(uploads[0].text, "LastName,Account.ExtId__c\nLee,A1\n");
    assert.equal(result.successfulResults.length, 1);
    assert.equal(org.records("Contact")[0].AccountId, accountId);
  });
});

Deno.test("bulkV2.insert puts exactly the records of a job whose upload keeps failing in unprocessedRecords", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    const failing = makeId("750", 2);
    org.inject({
      method: "PUT",
      path: `/services/data/v64.0/jobs/ingest/${failing}/`,
      times: 100,
      status: 503,
    });
    const input = accounts(30);
    const result = await sf.bulkV2.insert("Account", input, { maxRecords: 10 });
    assert.equal(result.successfulResults.length, 20);
    assert.equal(result.failedResults.length, 0);
    assert.equal(result.unprocessedRecords.length, 10);
    assert.ok(result.unprocessedRecords.every((row) => /503/.test(row.sf__Error)));
    const all = [...result.successfulResults, ...result.unprocessedRecords];
    assert.deepEqual(names(all), input.map((record) => record.Name));
    const failed = result.jobs.find((job) => job.id === failing);
    assert.equal(failed?.state, "Aborted");
    assert.equal(org.records("Account").length, 20);
  });
});

Deno.test("performOperation yields a JobResult with the upload error for the failed job", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.inject({ method: "PUT", path: /\/batches$/, times: 4, status: 500 });
    const results: JobResult[] = [];
    for await (const job of sf.bulkV2.ingest.performOperation("insert", "Account", accounts(3))) {
      results.push(job);
    }
    assert.equal(results.length, 1);
    assert.ok(results[0].error instanceof ServerError);
    assert.equal(results[0].jobInfo?.state, "Aborted");
    assert.equal(results[0].unprocessedRecords.length, 3);
  });
});

Deno.test("bulkV2.insert aborts its open jobs on Salesforce when the signal aborts", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup({ bulkPollsToComplete: 5 });
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const promise = sf.bulkV2.insert("Account", accounts(30), {
      maxRecords: 10,
      maxConcurrentJobs: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await assert.rejects(promise, (error) => error === reason);
    const jobs = await ingestJobs(sf);
    assert.equal(jobs.length, 2);
    assert.deepEqual(jobs.map((job) => job.state), ["Aborted", "Aborted"]);
    assert.equal(org.records("Account").length, 0);
  });
});

Deno.test("performOperation aborts the open jobs when the caller stops iterating", async () => {
  await withInstantSleep(async () => {
    const { sf, hooks } = setup();
    // Polls of the second job hang until its request is aborted: the first job finishes first.
    const held = makeId("750", 2);
    hooks.push((request) => {
      if (request.method !== "GET" || !request.url.endsWith(held)) return;
      return new Promise((_, reject) => {
        request.signal.addEventListener("abort", () => reject(request.signal.reason), {
          once: true,
        });
      });
    });
    let seen = 0;
    const operation = sf.bulkV2.ingest.performOperation("insert", "Account", accounts(20), {
      maxRecords: 10,
    });
    for await (const _ of operation) {
      seen++;
      break;
    }
    assert.equal(seen, 1);
    const states = (await ingestJobs(sf)).map((job) => job.state);
    assert.deepEqual(states, ["JobComplete", "Aborted"]);
  });
});

Deno.test("bulkV2.insert never has more than maxConcurrentJobs open at once", async () => {
  await withInstantSleep(async () => {
    const { sf, org, hooks } = setup({ bulkPollsToComplete: 3 });
    let most = 0;
    hooks.push(async (request) => {
      const auth = request.headers.get("Authorization");
      if (auth === null) return;
      const list = await org.fetch("/services/data/v64.0/jobs/ingest", {
        headers: { Authorization: auth },
      });
      const { records } = await list.json() as { records: { state: string }[] };
      const open = records.filter((job) =>
        !["JobComplete", "Aborted", "Failed"].includes(job.state)
      );
      most = Math.max(most, open.length);
    });
    const result = await sf.bulkV2.insert("Account", accounts(60), {
      maxRecords: 10,
      maxConcurrentJobs: 2,
    });
    assert.equal(result.jobs.length, 6);
    assert.equal(result.successfulResults.length, 60);
    assert.equal(most, 2);
  });
});

Deno.test("bulkV2 polls through clock.sleep with waits growing by half up to the cap", async () => {
  await withInstantSleep(async (sleeps) => {
    const { sf } = setup({ bulkPollsToComplete: 6 });
    const states: string[] = [];
    await sf.bulkV2.insert("Account", accounts(1), {
      pollingInterval: 100,
      maxPollingInterval: 200,
      onProgress: (job) => void states.push(job.state),
    });
    assert.deepEqual(sleeps, [100, 150, 200, 200, 200]);
    assert.deepEqual(states, [
      "InProgress",
      "InProgress",
      "InProgress",
      "InProgress",
      "InProgress",
      "JobComplete",
    ]);
  });
});

Deno.test("bulkV2.insert stops on a request-limit error and carries the partial result", async () => {
  await withInstantSleep(async () => {
    const { sf, org, hooks } = setup();
    let creates = 0;
    hooks.push((request) => {
      if (request.method === "POST" && request.url.endsWith("/jobs/ingest") && ++creates === 2) {
        org.inject({
          method: "POST",
          path: "/services/data/v64.0/jobs/ingest",
          errorCode: "REQUEST_LIMIT_EXCEEDED",
          status: 403,
          times: 10,
        });
      }
    });
    const error = await sf.bulkV2.insert("Account", accounts(50), {
      maxRecords: 10,
      maxConcurrentJobs: 1,
    }).then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError, String(error));
    assert.ok(error.cause instanceof RequestLimitExceededError);
    // Job 1 ran; job 2 could not be created; job 3 was read but never sent; 4 and 5 unread.
    assert.equal(error.result.jobs.length, 1);
    assert.equal(error.result.successfulResults.length, 10);
    assert.equal(error.result.unprocessedRecords.length, 20);
    assert.ok(
      error.result.unprocessedRecords.every((row) => /REQUEST_LIMIT_EXCEEDED/.test(row.sf__Error)),
    );
    assert.deepEqual(
      names([...error.result.successfulResults, ...error.result.unprocessedRecords]),
      accounts(30).map((record) => record.Name),
    );
  });
});

Deno.test("bulkV2.insert reports a bad record found after jobs started as a BulkIngestError", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const records: object[] = accounts(25);
    records.push({ Name: "Bad", Website: Symbol("x") });
    const error = await sf.bulkV2.insert("Account", stream(records), {
      fieldNames: ["Name", "Website"],
      maxRecords: 10,
      maxConcurrentJobs: 1,
    }).then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError);
    assert.ok(error.cause instanceof TypeError);
    assert.match((error.cause as Error).message, /index 25/);
    assert.equal(error.result.successfulResults.length, 20);
    // The 5 read for the next job, then the bad record itself: no cell of it can be written.
    const unprocessed = error.result.unprocessedRecords;
    assert.equal(unprocessed.length, 6);
    assert.deepEqual(names(unprocessed.slice(0, 5)), accounts(5, 20).map((r) => r.Name));
    assert.deepEqual(Object.keys(unprocessed[5]), ["sf__Error"]);
    assert.match(unprocessed[5].sf__Error, /index 25/);
  });
});

Deno.test("bulkV2.insert reports the record that stopped it among the unprocessed, with its cells", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const records: object[] = [...accounts(25), { Name: "Bad", Unknown__c: "x" }];
    const error = await sf.bulkV2.insert("Account", stream(records), {
      fieldNames: ["Name"],
      maxRecords: 10,
      maxConcurrentJobs: 1,
    }).then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError);
    const { successfulResults, failedResults, unprocessedRecords } = error.result;
    // Every record read is in exactly one set: 25 good ones and the bad one.
    const all = [...successfulResults, ...failedResults, ...unprocessedRecords];
    assert.deepEqual(names(all).sort(), [...accounts(25).map((r) => r.Name), "Bad"].sort());
    const bad = unprocessedRecords.at(-1)!;
    assert.equal(bad.Unknown__c, "x");
    assert.match(bad.sf__Error, /Unknown__c/);
  });
});

Deno.test("bulkV2.update, upsert and delete send their operation and key", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    const [a, b] = org.insert("Account", [{ Name: "A", ExtId__c: "1" }, { Name: "B" }]);
    const updated = await sf.bulkV2.update("Account", [{ Id: a, Name: "A2" }, {
      Id: makeId("001", 999),
      Name: "ghost",
    }]);
    assert.equal(updated.successfulResults[0].sf__Created, "false");
    assert.match(updated.failedResults[0].sf__Error, /^INVALID_CROSS_REFERENCE_KEY/);
    const upserted = await sf.bulkV2.upsert("Account", [{ ExtId__c: "1", Name: "A3" }, {
      ExtId__c: "2",
      Name: "C",
    }], "ExtId__c");
    assert.deepEqual(upserted.jobs[0].externalIdFieldName, "ExtId__c");
    assert.deepEqual(upserted.successfulResults.map((row) => row.sf__Created), ["false", "true"]);
    const deleted = await sf.bulkV2.delete("Account", [{ Id: b }], { hard: true });
    assert.equal(deleted.jobs[0].operation, "hardDelete");
    assert.deepEqual(org.records("Account").map((record) => record.Name).sort(), ["A3", "C"]);
  });
});

Deno.test("bulkV2.insert checks its arguments before sending anything", () => {
  const { sf } = setup();
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("insert", "Account; DROP", []),
    TypeError,
  );
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("merge" as "insert", "Account", []),
    /"operation" must be one of/,
  );
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("insert", "Account", [], { maxSizeBytes: 0 }),
    RangeError,
  );
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("insert", "Account", [], { maxConcurrentJobs: 1.5 }),
    RangeError,
  );
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("insert", "Account", [], { fieldNames: [] }),
    /"fieldNames" must be a non-empty array/,
  );
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("upsert", "Account", []),
    /"externalIdFieldName"/,
  );
  assert.throws(
    () => sf.bulkV2.ingest.performOperation("insert", "Account", "Name\nA\n" as never),
    /"records" must be an iterable/,
  );
});

Deno.test("bulkV2.insert of no records creates no job", async () => {
  const { sf, paths } = setup();
  const result = await sf.bulkV2.insert("Account", []);
  assert.deepEqual(result, {
    jobs: [],
    successfulResults: [],
    failedResults: [],
    unprocessedRecords: [],
  });
  assert.ok(!paths.some((path) => path.includes("/jobs/")));
});

Deno.test("performOperation starts no job and downloads no results while the caller holds one", async () => {
  await withInstantSleep(async () => {
    const { sf, paths } = setup();
    const operation = sf.bulkV2.ingest.performOperation("insert", "Account", accounts(60), {
      maxRecords: 10,
      maxConcurrentJobs: 2,
    });
    const creates = () => paths.filter((path) => path.endsWith("/jobs/ingest")).length;
    const downloads = () => paths.filter((path) => path.endsWith("/successfulResults/")).length;
    let results = 0;
    for await (const _ of operation) {
      results++;
      if (results === 1) {
        // A slow caller: let every other task run to its end meanwhile.
        for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 0));
        assert.equal(creates(), 2);
        assert.equal(downloads(), 1);
      }
    }
    assert.equal(results, 6);
    assert.equal(creates(), 6);
  });
});

Deno.test("bulkV2.insert stops when onProgress throws, aborting the job, with the throw as cause", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup({ bulkPollsToComplete: 3 });
    const oops = new Error("progress bar broke");
    const error = await sf.bulkV2.insert("Account", accounts(5), {
      onProgress: () => {
        throw oops;
      },
    }).then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError);
    assert.equal(error.cause, oops);
    assert.equal(error.result.jobs[0].state, "Aborted");
    assert.equal(error.result.unprocessedRecords.length, 5);
    assert.ok(
      error.result.unprocessedRecords.every((row) => /progress bar broke/.test(row.sf__Error)),
    );
  });
});

Deno.test("bulkV2.delete refuses a hard option that is not a boolean, before any request", async () => {
  const { sf, org } = setup();
  const [id] = org.insert("Account", [{ Name: "A" }]);
  for (const hard of ["yes", 1, null]) {
    await assert.rejects(
      sf.bulkV2.delete("Account", [{ Id: id }], { hard } as unknown as { hard: boolean }),
      new TypeError(
        `Cannot run bulk delete: "hard" must be a boolean: received ${
          hard === null ? "null" : typeof hard === "string" ? `"${hard}"` : hard
        }`,
      ),
    );
  }
  assert.equal(org.records("Account").length, 1);
  assert.equal(org.stats.requests["POST bulkIngestJobs"], undefined);
});

Deno.test("bulkV2.insert refuses a maxSizeBytes above what one Salesforce upload takes, before any request", async () => {
  const { sf, org } = setup();
  for (
    const [maxSizeBytes, error] of [[100_000_001, RangeError], [0, RangeError], ["10", TypeError]]
  ) {
    await assert.rejects(
      sf.bulkV2.insert("Account", [{ Name: "A" }], { maxSizeBytes } as { maxSizeBytes: number }),
      (thrown: Error) => {
        assert.ok(thrown instanceof (error as typeof RangeError), String(thrown));
        assert.match(thrown.message, /"maxSizeBytes" must be an integer from 1 to 100000000/);
        return true;
      },
    );
  }
  // The largest allowed value is taken.
  await sf.bulkV2.insert("Account", [{ Name: "A" }], { maxSizeBytes: 100_000_000 });
  assert.equal(org.records("Account").length, 1);
  assert.equal(org.stats.requests["POST bulkIngestJobs"], 1);
});

Deno.test("bulkV2.insert rejects when Salesforce refuses to create the job, rather than resolve with every record unprocessed", async () => {
  await withInstantSleep(async () => {
    const { sf, org, paths } = setup();
    const error = await sf.bulkV2.insert("Acount", accounts(30), {
      maxRecords: 10,
      maxConcurrentJobs: 1,
    }).then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError, String(error));
    assert.ok(error.cause instanceof SalesforceError);
    assert.equal(error.cause.response?.status, 400);
    assert.match(error.message, /Cannot insert Acount records/);
    // One create was tried; the records it held and the ones read for the next job are
    // handed back, each saying why; nothing was saved.
    assert.equal(
      paths.filter((path) => path === "POST /services/data/v64.0/jobs/ingest").length,
      1,
    );
    assert.equal(error.result.jobs.length, 0);
    assert.equal(error.result.successfulResults.length, 0);
    assert.ok(error.result.unprocessedRecords.length >= 10);
    assert.ok(error.result.unprocessedRecords.every((row) => row.sf__Error !== ""));
    assert.equal(org.records("Account").length, 0);
    // A 500 on create, past the retries, is not the caller's fault: the other jobs still run.
    org.inject({ method: "POST", path: "/services/data/v64.0/jobs/ingest", status: 500, times: 4 });
    const result = await sf.bulkV2.insert("Account", accounts(30), {
      maxRecords: 10,
      maxConcurrentJobs: 1,
    });
    assert.equal(result.successfulResults.length, 20);
    assert.equal(result.unprocessedRecords.length, 10);
  });
});

Deno.test("bulkV2.upsert by Id updates the records that have one and creates those that do not", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    const [id] = org.insert("Account", [{ Name: "Before" }]);
    const result = await sf.bulkV2.upsert("Account", [
      { Id: id, Name: "After" },
      { Id: null, Name: "New" },
    ], "Id");
    assert.deepEqual(result.failedResults, []);
    assert.deepEqual(result.successfulResults.map((row) => row.sf__Created), ["false", "true"]);
    assert.deepEqual(org.records("Account").map((row) => row.Name).sort(), ["After", "New"]);
  });
});
