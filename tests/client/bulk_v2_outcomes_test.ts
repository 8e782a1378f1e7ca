// Bulk ingest when the answers about a job go missing: records the org may have saved are
// never silently dropped, nor reported as plainly unprocessed, and a stopped operation hands
// back every record it read.
import assert from "node:assert/strict";
import { BulkIngestError } from "../../client/bulk_v2.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/mod.ts";
import { accounts, withInstantSleep } from "./_bulk_v2.ts";

type Around = (
  request: Request,
  next: (request: Request) => Promise<Response>,
) => Promise<Response>;

/**
 * An `around` under which the org answers the requests `matches` picks (the first `times` of
 * them), but the answer is lost on the way back: the connection resets.
 */
function losingAnswers(matches: (request: Request) => boolean, times = Infinity): Around {
  let lost = 0;
  return async (request, next) => {
    const response = await next(request);
    if (matches(request) && lost < times) {
      lost++;
      await response.body?.cancel();
      throw new TypeError("connection reset");
    }
    return response;
  };
}

/** The next successfulResults download gets `body` instead of the job's results. */
function answerSuccessfulResults(org: FakeSalesforce, body: string): void {
  org.inject({
    method: "GET",
    path: /successfulResults/,
    status: 200,
    body,
    contentType: "text/csv",
  });
}

/** A client whose requests pass through `around`, when set, on their way to the org. */
function rig() {
  const org = new FakeSalesforce();
  const state: { around?: Around } = {};
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      const next = (r: Request) => org.fetch(r);
      return state.around ? state.around(request, next) : next(request);
    },
  });
  return { org, sf, state };
}

Deno.test("an empty results file does not drop records: they come back marked outcome unknown", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = rig();
    answerSuccessfulResults(org, "");
    const result = await sf.bulkV2.insert("Account", accounts(5));
    assert.equal(result.successfulResults.length + result.failedResults.length, 0);
    assert.equal(result.unprocessedRecords.length, 5);
    for (const row of result.unprocessedRecords) {
      assert.match(row.sf__Error, /^Outcome unknown: job 750\w+ ended JobComplete on Salesforce/);
      assert.match(row.sf__Error, /account for 0 of its 5 records/);
    }
  });
});

Deno.test("a job whose state cannot be read still gets its results when they account for every record", async () => {
  await withInstantSleep(async () => {
    const { sf, org, state } = rig();
    // Every read of the job (polls, and the check after them) loses its answer.
    state.around = losingAnswers(
      (request) => request.method === "GET" && /jobs\/ingest\/750\w+$/.test(request.url),
    );
    const result = await sf.bulkV2.insert("Account", accounts(5));
    assert.equal(result.successfulResults.length, 5);
    assert.equal(result.unprocessedRecords.length, 0);
    assert.equal(org.records("Account").length, 5);
  });
});

Deno.test("records the org may have saved are marked outcome unknown when nothing can be read", async () => {
  await withInstantSleep(async () => {
    const { sf, state } = rig();
    state.around = losingAnswers(
      (request) => request.method === "GET" && /jobs\/ingest\/750/.test(request.url),
    );
    const result = await sf.bulkV2.insert("Account", accounts(5));
    assert.equal(result.unprocessedRecords.length, 5);
    for (const row of result.unprocessedRecords) {
      assert.match(row.sf__Error, /^Outcome unknown: job 750\w+ was uploaded/);
      assert.match(row.sf__Error, /check the job's results before sending them again/);
    }
  });
});

Deno.test("an operation aborted while the input is producing closes the input once it yields", async () => {
  await withInstantSleep(async () => {
    const { sf } = rig();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    let closed = false;
    async function* input() {
      try {
        yield* accounts(25);
        await gate; // a slow source
        yield* accounts(10, 25);
      } finally {
        closed = true;
      }
    }
    const controller = new AbortController();
    const running = sf.bulkV2.insert("Account", input(), {
      maxRecords: 10,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error("stop")),
    });
    await assert.rejects(running, /stop/);
    assert.equal(closed, false);
    release();
    for (let i = 0; i < 20 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    assert.ok(closed, "the input's finally ran");
  });
});

Deno.test("a stop on a fatal error hands back the record read ahead to find a job full by size", async () => {
  await withInstantSleep(async () => {
    const { sf, state } = rig();
    state.around = limitAfterFirstCreate();
    const read: string[] = [];
    function* input() {
      for (const record of accounts(60)) {
        read.push(record.Name);
        yield record;
      }
    }
    // "Name" plus 10 rows of 22 bytes: a job is full when an 11th row would not fit.
    const error = await sf.bulkV2.insert("Account", input(), {
      maxSizeBytes: 240,
      maxConcurrentJobs: 1,
    }).then(() => undefined, (error) => error);
    assert.equal(error?.name, "BulkIngestError", String(error));
    const { successfulResults, failedResults, unprocessedRecords } = error.result;
    const accounted = [...successfulResults, ...failedResults, ...unprocessedRecords]
      .map((row: Record<string, string>) => row.Name).sort();
    // Every record read from the input, the one read ahead included, is in the result once.
    assert.deepEqual(accounted, [...read].sort());
    assert.ok(read.length > 30 && read.length < 60, `read ${read.length}`);
  });
});

Deno.test("a job that reaches maxRecords is sent at once, not when the next record arrives", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = rig();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    async function* input() {
      yield* accounts(10);
      await gate; // the next record takes its time
      yield* accounts(5, 10);
    }
    const running = sf.bulkV2.insert("Account", input(), { maxRecords: 10 });
    for (let i = 0; i < 50 && org.records("Account").length < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.equal(org.records("Account").length, 10, "the first job ran while the input waited");
    release();
    const result = await running;
    assert.equal(result.successfulResults.length, 15);
  });
});

Deno.test("a close whose answer was lost and then retried goes on with the job instead of aborting it", async () => {
  await withInstantSleep(async () => {
    const { sf, org, state } = rig();
    // Salesforce applies UploadComplete, but its answer never arrives: the retry gets 409.
    state.around = losingAnswers((request) => request.method === "PATCH", 1);
    const result = await sf.bulkV2.insert("Account", accounts(10));
    assert.equal(result.successfulResults.length, 10);
    assert.equal(result.unprocessedRecords.length, 0);
    assert.equal(result.jobs[0].state, "JobComplete");
    assert.equal(org.records("Account").length, 10);
  });
});

/** Answers every job creation after the first with REQUEST_LIMIT_EXCEEDED (a fatal error). */
function limitAfterFirstCreate(): Around {
  let creates = 0;
  return (request, next) => {
    const create = request.method === "POST" && /jobs\/ingest$/.test(request.url);
    if (create && ++creates >= 2) {
      return Promise.resolve(
        new Response(
          JSON.stringify([{ errorCode: "REQUEST_LIMIT_EXCEEDED", message: "Limit reached" }]),
          { status: 403, headers: { "Content-Type": "application/json" } },
        ),
      );
    }
    return next(request);
  };
}

/** Records from an async generator whose cleanup throws. */
function failingCleanup(count: number): AsyncGenerator<{ Name: string }> {
  return (async function* () {
    try {
      for (const record of accounts(count)) {
        await Promise.resolve();
        yield record;
      }
    } finally {
      // deno-lint-ignore no-unsafe-finally
      throw new Error("cleanup failed");
    }
  })();
}

Deno.test("an input whose cleanup throws never hides the operation's own error", async () => {
  await withInstantSleep(async () => {
    // A fatal stop: the BulkIngestError and its partial result win.
    const { sf, org, state } = rig();
    state.around = limitAfterFirstCreate();
    const error = await sf.bulkV2.insert("Account", failingCleanup(40), {
      maxRecords: 10,
      maxConcurrentJobs: 1,
    }).then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError, String(error));
    assert.equal(error.result.successfulResults.length, 10);
    assert.equal(org.records("Account").length, 10);
    // Job 2's records and those read for job 3 come back; none is lost or hidden.
    assert.equal(error.result.unprocessedRecords.length, 20);

    // An abort: its reason wins.
    state.around = undefined;
    const controller = new AbortController();
    const reason = new Error("stopped by the caller");
    await assert.rejects(
      sf.bulkV2.insert("Account", failingCleanup(40), {
        maxRecords: 10,
        maxConcurrentJobs: 1,
        signal: controller.signal,
        onProgress: () => controller.abort(reason),
      }),
      (thrown) => thrown === reason,
    );
  });
});

Deno.test("leaving performOperation early surfaces the input's own cleanup error, as a for…of loop would", async () => {
  await withInstantSleep(async () => {
    const { sf } = rig();
    const operation = sf.bulkV2.ingest.performOperation("insert", "Account", failingCleanup(40), {
      maxRecords: 10,
      maxConcurrentJobs: 1,
    });
    await assert.rejects(
      (async () => {
        for await (const _ of operation) break;
      })(),
      /^Error: cleanup failed$/,
    );
  });
});

/** A promise and its resolve function. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

Deno.test("performOperation hands out a finished job while the input is still producing the next one", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = rig();
    const first = gate();
    const records = accounts(20);
    let sawFirstResult = false;
    // A producer that waits for the first job's result before giving more (children that need
    // their parents' ids). So that a failure cannot hang the test, it also goes on once the
    // first job's records are saved and the event loop has turned a hundred times.
    const input = (async function* () {
      yield* records.slice(0, 10);
      const saved = (async () => {
        while (org.records("Account").length < 10) {
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        for (let i = 0; i < 100; i++) await new Promise((resolve) => setTimeout(resolve, 0));
      })();
      await Promise.race([first.opened, saved]);
      sawFirstResult = await Promise.race([
        first.opened.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 0)),
      ]);
      yield* records.slice(10);
    })();
    let results = 0;
    for await (
      const job of sf.bulkV2.ingest.performOperation("insert", "Account", input, {
        maxRecords: 10,
      })
    ) {
      assert.equal(job.successfulResults.length, 10);
      if (++results === 1) first.open();
    }
    assert.equal(results, 2);
    assert.equal(sawFirstResult, true);
  });
});

Deno.test("a stop while the input is read for the next job still reports what that read gives", async () => {
  await withInstantSleep(async () => {
    const { sf, state } = rig();
    // The second job cannot be created: a limit error, which stops the operation.
    state.around = limitAfterFirstCreate();
    const fatalSeen = gate();
    const records = accounts(30);
    // The third batch comes only once the consumer has seen the failed job: the read for it
    // was started before the operation stopped.
    const input = (async function* () {
      yield* records.slice(0, 20);
      await fatalSeen.opened;
      yield* records.slice(20);
    })();
    const seen: string[] = [];
    let stopped: unknown;
    try {
      for await (
        const job of sf.bulkV2.ingest.performOperation("insert", "Account", input, {
          maxRecords: 10,
          maxConcurrentJobs: 2,
        })
      ) {
        for (const row of [...job.successfulResults, ...job.unprocessedRecords]) {
          seen.push(row.Name);
        }
        if (job.error !== undefined) {
          fatalSeen.open();
          // Time for the input to give its last batch before the operation goes on: the read
          // has ended, unclaimed, when it stops.
          for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
    } catch (error) {
      stopped = error;
    }
    assert.ok(stopped instanceof BulkIngestError, String(stopped));
    for (const row of stopped.result.unprocessedRecords) seen.push(row.Name);
    // Every record read is reported once: the 10 saved, the failed job's 10, the last 10.
    assert.deepEqual(seen.sort(), records.map((r) => r.Name).sort());
  });
});

Deno.test("rows of a job that Salesforce failed say why, from the job's errorMessage", async () => {
  await withInstantSleep(async () => {
    const { sf } = rig();
    const result = await sf.bulkV2.insert("Account", [{ Name: "A", Bogus__c: "x" }, {
      Name: "B",
      Bogus__c: "y",
    }]);
    assert.equal(result.jobs[0].state, "Failed");
    assert.equal(result.unprocessedRecords.length, 2);
    for (const row of result.unprocessedRecords) {
      assert.match(
        row.sf__Error,
        /^job 750\w+ ended Failed on Salesforce: InvalidBatch : .*Bogus__c/,
      );
    }
    assert.deepEqual(result.unprocessedRecords.map((row) => row.Name), ["A", "B"]);
  });
});

Deno.test("an upload's answer is released even when an event callback throws on it", async () => {
  await withInstantSleep(async () => {
    const { sf, state } = rig();
    let cancelled = false;
    state.around = async (request, next) => {
      const response = await next(request);
      if (request.method !== "PUT") return response;
      const body = new ReadableStream({
        pull: (controller) => controller.enqueue(new Uint8Array(1)),
        cancel: () => {
          cancelled = true;
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    sf.eventBus.subscribeCallback((event) => {
      if (event.type === "bulk_api_batch_consumption") throw new Error("hook failed");
    });
    const result = await sf.bulkV2.insert("Account", accounts(3));
    assert.equal(cancelled, true);
    // The job could not go on: its records say why.
    assert.equal(result.unprocessedRecords.length, 3);
    assert.match(result.unprocessedRecords[0].sf__Error, /hook failed/);
  });
});

Deno.test("a results file cut in the middle of its last row is not taken for whole", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = rig();
    // Two rows whose count is right but whose last row stops after a comma.
    answerSuccessfulResults(
      org,
      '"sf__Id","sf__Created","Name"\n"001000000000001AAA","true","A"\n"001000000000002AAA",',
    );
    const result = await sf.bulkV2.insert("Account", [{ Name: "A" }, { Name: "B" }]);
    assert.equal(result.successfulResults.length, 0);
    assert.equal(result.unprocessedRecords.length, 2);
    for (const row of result.unprocessedRecords) {
      assert.match(row.sf__Error, /^Outcome unknown: .*were cut off/);
    }
  });
});

Deno.test("an abort that lands while a job is being created aborts that job too", async () => {
  await withInstantSleep(async () => {
    const { org, sf, state } = rig();
    const controller = new AbortController();
    state.around = async (request, next) => {
      const response = await next(request);
      // The org has made the job; the caller aborts before the client reads the answer.
      if (request.method === "POST" && request.url.endsWith("/jobs/ingest")) {
        controller.abort(new Error("stopped by the caller"));
      }
      return response;
    };
    await assert.rejects(
      sf.bulkV2.insert("Account", accounts(3), { signal: controller.signal }),
      /stopped by the caller/,
    );
    state.around = undefined;
    const jobs = await Array.fromAsync(sf.bulkV2.ingest.listJobs());
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].state, "Aborted");
    assert.equal(org.records("Account").length, 0);
  });
});

Deno.test("a job the client aborts after its upload has its results read, which settle its outcome", async () => {
  await withInstantSleep(async () => {
    const { org, sf, state } = rig();
    const paths: string[] = [];
    state.around = (request, next) => {
      paths.push(`${request.method} ${new URL(request.url).pathname}`);
      return next(request);
    };
    // The close and its 3 retries fail; the abort that follows goes through.
    org.inject({ method: "PATCH", status: 500, times: 4 });
    const result = await sf.bulkV2.insert("Account", accounts(2));
    assert.equal(result.jobs[0].state, "Aborted");
    assert.ok(
      paths.some((path) => path.startsWith("GET ") && path.endsWith("/unprocessedrecords/")),
    );
    assert.equal(result.successfulResults.length, 0);
    assert.equal(result.unprocessedRecords.length, 2);
    for (const row of result.unprocessedRecords) {
      // Salesforce's results say it saved nothing: no "outcome unknown" warning.
      assert.doesNotMatch(row.sf__Error, /Outcome unknown/);
      assert.match(row.sf__Error, /500|Server/);
    }
    assert.equal(org.records("Account").length, 0);
  });
});
