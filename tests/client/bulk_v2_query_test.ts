import assert from "node:assert/strict";
import { SalesforceError } from "../../client/errors.ts";
import { accounts, setup, withInstantSleep } from "./_bulk_v2.ts";

function resultPages(paths: string[]): string[] {
  return paths.filter((path) => path.startsWith("GET ") && path.endsWith("/results"));
}

Deno.test("bulkV2.query returns every row once over 4 locator pages", async () => {
  await withInstantSleep(async () => {
    const { org, sf, paths } = setup({ bulkPollsToComplete: 2 });
    const input = accounts(3_500);
    org.insert("Account", input);
    const names: string[] = [];
    for await (
      const row of sf.bulkV2.query("SELECT Id, Name FROM Account", { maxRecords: 1_000 })
    ) {
      names.push(row.Name);
    }
    assert.equal(resultPages(paths).length, 4);
    assert.equal(names.length, 3_500);
    assert.deepEqual(names.sort(), input.map((record) => record.Name));
  });
});

Deno.test("bulkV2.query requests the next page only after the current one is read", async () => {
  const { org, sf, paths } = setup();
  org.insert("Account", accounts(30));
  let index = 0;
  const seen: number[] = [];
  for await (const _ of sf.bulkV2.query("SELECT Name FROM Account", { maxRecords: 10 })) {
    if (index % 10 === 9) seen.push(resultPages(paths).length);
    index++;
  }
  assert.deepEqual(seen, [1, 2, 3]);
});

Deno.test("bulkV2.query keys rows by column, with empty strings for nulls and Z dateTimes", async () => {
  const { org, sf } = setup();
  org.insert("Account", [{
    Name: 'Quote "and", comma\nnewline',
    CreatedDate: new Date("2024-03-15T09:30:00Z"),
  }]);
  org.insert("Contact", [{ LastName: "Orphan" }]);
  const accounts = await Array.fromAsync(
    sf.bulkV2.query("SELECT Name, Phone, CreatedDate FROM Account"),
  );
  assert.deepEqual(accounts, [{
    Name: 'Quote "and", comma\nnewline',
    Phone: "",
    CreatedDate: "2024-03-15T09:30:00.000Z",
  }]);
  const contacts = await Array.fromAsync(
    sf.bulkV2.query("SELECT LastName, Account.Name FROM Contact"),
  );
  assert.deepEqual(contacts, [{ LastName: "Orphan", "Account.Name": "" }]);
});

Deno.test("bulkV2.query with includeAllRecords returns deleted rows too", async () => {
  const { org, sf } = setup();
  org.insert("Account", [{ Name: "Live" }, { Name: "Gone", IsDeleted: true }]);
  const live = await Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account"));
  const all = await Array.fromAsync(
    sf.bulkV2.query("SELECT Name FROM Account", { includeAllRecords: true }),
  );
  assert.deepEqual(live.map((row) => row.Name), ["Live"]);
  assert.deepEqual(all.map((row) => row.Name).sort(), ["Gone", "Live"]);
});

Deno.test("bulkV2.query rejects malformed SOQL with the job-creation error", async () => {
  const { sf } = setup();
  await assert.rejects(
    Array.fromAsync(sf.bulkV2.query("SELECT Nope FROM Account")),
    (error: Error) => error instanceof SalesforceError && error.errorCode === "INVALID_FIELD",
  );
});

/** The methods of the requests made to query job `/jobs/query/<id>` itself, in order. */
function jobCalls(paths: string[]): string[] {
  return paths.filter((path) => /\/jobs\/query\/\w+$/.test(path)).map((path) => path.split(" ")[0]);
}

Deno.test("bulkV2.query aborts, then deletes, its job on Salesforce when the signal aborts while polling", async () => {
  await withInstantSleep(async () => {
    const { org, sf, paths } = setup({ bulkPollsToComplete: 5 });
    org.insert("Account", accounts(3));
    const controller = new AbortController();
    const reason = new Error("stop");
    const rows = sf.bulkV2.query("SELECT Name FROM Account", {
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await assert.rejects(Array.fromAsync(rows), (error) => error === reason);
    assert.deepEqual(jobCalls(paths), ["GET", "PATCH", "DELETE"]);
    assert.deepEqual(await Array.fromAsync(sf.bulkV2.queryJobs.list()), []);
  });
});

Deno.test("bulkV2.query stops reading when the caller breaks out", async () => {
  const { org, sf, paths } = setup();
  org.insert("Account", accounts(50));
  for await (const _ of sf.bulkV2.query("SELECT Name FROM Account", { maxRecords: 10 })) break;
  assert.equal(resultPages(paths).length, 1);
});

Deno.test("bulkV2.query throws a SalesforceError when the job ends Aborted", async () => {
  const { org, sf, hooks } = setup({ bulkPollsToComplete: 2 });
  org.insert("Account", accounts(1));
  hooks.push(async (request) => {
    // Someone else aborts the job between its creation and the first poll.
    if (request.method === "GET" && /\/jobs\/query\/\w+$/.test(request.url)) {
      await org.fetch(request.url, {
        method: "PATCH",
        headers: {
          Authorization: request.headers.get("Authorization")!,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ state: "Aborted" }),
      }).then((response) => response.body?.cancel());
    }
  });
  await assert.rejects(
    Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account")),
    (error: Error) => error instanceof SalesforceError && /ended Aborted/.test(error.message),
  );
  // The error says what happened; the job, of no further use, is deleted.
  assert.deepEqual(await Array.fromAsync(sf.bulkV2.queryJobs.list()), []);
});

Deno.test("bulkV2.query checks its arguments before sending anything", () => {
  const { sf } = setup();
  assert.throws(() => sf.bulkV2.query(""), /"soql" must be a non-empty string/);
  assert.throws(() => sf.bulkV2.query("SELECT Id FROM Account", { maxRecords: 0 }), RangeError);
  assert.throws(
    () => sf.bulkV2.query("SELECT Id FROM Account", { pollingInterval: -1 }),
    RangeError,
  );
});

Deno.test("queryJobs gives create, get, results from a locator, abort and delete", async () => {
  const { org, sf } = setup();
  org.insert("Account", accounts(5));
  const created = await sf.bulkV2.queryJobs.create("SELECT Name FROM Account ORDER BY Name");
  assert.equal(created.state, "UploadComplete");
  assert.equal(created.operation, "query");
  const info = await sf.bulkV2.queryJobs.get(created.id);
  assert.equal(info.state, "JobComplete");
  assert.equal(info.numberRecordsProcessed, 5);
  // The locator of the page after the first 3 rows.
  const rest = await Array.fromAsync(
    sf.bulkV2.queryJobs.results(created.id, {
      maxRecords: 2,
      locator: btoa("3").replace(/=+$/, ""),
    }),
  );
  assert.deepEqual(rest.map((row) => row.Name), ["Account 00003", "Account 00004"]);
  const other = await sf.bulkV2.queryJobs.create("SELECT Name FROM Account");
  assert.equal((await sf.bulkV2.queryJobs.abort(other.id)).state, "Aborted");
  await sf.bulkV2.queryJobs.delete(other.id);
  const ids = (await Array.fromAsync(sf.bulkV2.queryJobs.list())).map((job) => job.id);
  assert.deepEqual(ids, [created.id]);
  assert.throws(() => sf.bulkV2.queryJobs.results("../ingest"), /"jobId" must be/);
});

Deno.test("bulkV2.query rethrows what onProgress threw, and aborts then deletes the job", async () => {
  const { org, sf, paths } = setup({ bulkPollsToComplete: 2 });
  org.insert("Account", accounts(1));
  const oops = new Error("progress bar broke");
  await assert.rejects(
    Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account", {
      onProgress: () => {
        throw oops;
      },
    })),
    (error) => error === oops,
  );
  assert.deepEqual(jobCalls(paths), ["GET", "PATCH", "DELETE"]);
  assert.deepEqual(await Array.fromAsync(sf.bulkV2.queryJobs.list()), []);
});

/** A results page answered by the fault injector: `body`, with the given headers. */
function fakePage(body: string, headers: Record<string, string>) {
  return {
    path: /\/jobs\/query\/\w+\/results/,
    method: "GET",
    status: 200,
    body,
    contentType: "text/csv",
    headers,
  };
}

Deno.test("bulkV2.query rejects a results page that holds fewer rows than it announces", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.insert("Account", accounts(5));
    org.inject(fakePage('"Name"\n"A"\n"B"\n', {
      "Sforce-Locator": "null",
      "Sforce-NumberOfRecords": "5",
    }));
    await assert.rejects(
      Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account")),
      (error: Error) => {
        assert.ok(error instanceof SalesforceError);
        assert.match(error.message, /holds 2 rows where Sforce-NumberOfRecords says 5/);
        return true;
      },
    );
  });
});

Deno.test("bulkV2.query rejects a results page cut in a row, without handing out that row", async () => {
  await withInstantSleep(async () => {
    // Cut after a comma (the reader would pad the row) and inside a quoted cell (it would
    // fail on the open quote): both are a SalesforceError, after the whole rows only.
    for (const cut of ['"Zeta",', '"Zeta","55']) {
      const { sf, org } = setup();
      org.insert("Account", accounts(2));
      org.inject(fakePage(`"Name","Phone"\n"Acme","555-1"\n${cut}`, {
        "Sforce-Locator": "null",
        "Sforce-NumberOfRecords": "2",
      }));
      const seen: Record<string, string>[] = [];
      await assert.rejects(
        (async () => {
          for await (const row of sf.bulkV2.query("SELECT Name, Phone FROM Account")) {
            seen.push(row);
          }
        })(),
        (error: Error) => {
          assert.ok(error instanceof SalesforceError, String(error));
          assert.match(error.message, /was cut off: it does not end with a line break/);
          return true;
        },
      );
      assert.deepEqual(seen, [{ Name: "Acme", Phone: "555-1" }]);
    }
  });
});

Deno.test("bulkV2.query rejects a results page that does not name the next one", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.insert("Account", accounts(2));
    org.inject(fakePage('"Name"\n"A"\n', { "Sforce-NumberOfRecords": "1" }));
    await assert.rejects(
      Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account")),
      /has no Sforce-Locator: the next page is unknown/,
    );
  });
});

Deno.test("leaving bulkV2.query early deletes its job; a query read to the end keeps it", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.insert("Account", accounts(20));
    for await (const _ of sf.bulkV2.query("SELECT Name FROM Account", { maxRecords: 5 })) break;
    assert.deepEqual(await Array.fromAsync(sf.bulkV2.queryJobs.list()), []);
    const rows = await Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account"));
    assert.equal(rows.length, 20);
    const jobs = await Array.fromAsync(sf.bulkV2.queryJobs.list());
    assert.deepEqual(jobs.map((job) => job.state), ["JobComplete"]);
  });
});

Deno.test("bulkV2.query yields nothing more once its signal aborts, even from a page already read", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    org.insert("Account", accounts(10));
    const controller = new AbortController();
    const reason = new Error("enough");
    const rows: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (
          const row of sf.bulkV2.query("SELECT Name FROM Account", { signal: controller.signal })
        ) {
          rows.push(row);
          controller.abort(reason);
        }
      })(),
      (error) => error === reason,
    );
    assert.equal(rows.length, 1);
  });
});

Deno.test("bulkV2.query and queryJobs.create refuse an includeAllRecords that is not a boolean", async () => {
  const { sf } = setup();
  assert.throws(
    () => sf.bulkV2.query("SELECT Name FROM Account", { includeAllRecords: "false" as never }),
    /"includeAllRecords" must be a boolean: received "false"/,
  );
  await assert.rejects(
    sf.bulkV2.queryJobs.create("SELECT Name FROM Account", { includeAllRecords: 1 as never }),
    /"includeAllRecords" must be a boolean: received 1/,
  );
});

Deno.test("bulkV2.query aborted while its job is being created leaves no job on the org", async () => {
  await withInstantSleep(async () => {
    const { org, sf, hooks } = setup();
    org.insert("Account", accounts(1));
    const controller = new AbortController();
    hooks.push((request) => {
      // The org makes the job; the caller gives up before the client reads its answer.
      if (request.method === "POST" && request.url.endsWith("/jobs/query")) {
        queueMicrotask(() => controller.abort(new Error("gave up")));
      }
    });
    await assert.rejects(
      Array.fromAsync(sf.bulkV2.query("SELECT Name FROM Account", { signal: controller.signal })),
      /gave up/,
    );
    assert.deepEqual(await Array.fromAsync(sf.bulkV2.queryJobs.list()), []);
    assert.equal(org.stats.requests["DELETE bulkQueryJob"], 1);
  });
});
