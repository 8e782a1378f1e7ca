// What a Bulk API 2.0 ingest makes of the records it is given: objects a stream reuses,
// records with nothing to write, null relationships, and objects that are not plain.
import assert from "node:assert/strict";
import { BulkIngestError } from "../../client/bulk_v2.ts";
import { setup, stream, withInstantSleep } from "./_bulk_v2.ts";

/** One object, refilled for every record, as row readers often do. */
function* reusing(names: string[]): Generator<Record<string, string>> {
  const record: Record<string, string> = {};
  for (const name of names) {
    record.Name = name;
    // A field only some records have: the columns of each payload are inferred.
    if (name.endsWith("!")) record.Phone = "555-0100";
    else delete record.Phone;
    yield record;
  }
}

async function* reusingSlowly(names: string[]): AsyncGenerator<Record<string, string>> {
  for (const record of reusing(names)) {
    await Promise.resolve();
    yield record;
  }
}

const NAMES = ["A", "Account number two!", "C", "Dd", "Eeeeeeeeeeee!", "F"];

Deno.test("bulkV2.insert writes each streamed record as it was when yielded, though the stream reuses one object", async () => {
  await withInstantSleep(async () => {
    for (const input of [() => reusing(NAMES), () => reusingSlowly(NAMES)]) {
      const { sf, org } = setup();
      // Small jobs: records wait in a payload while later ones change the object.
      const result = await sf.bulkV2.insert("Account", input(), { maxSizeBytes: 60 });
      assert.ok(result.jobs.length >= 2);
      assert.equal(result.successfulResults.length, NAMES.length);
      const saved = org.records("Account").map((row) => `${row.Name}/${row.Phone ?? ""}`);
      assert.deepEqual(
        saved.sort(),
        NAMES.map((name) => `${name}/${name.endsWith("!") ? "555-0100" : ""}`).sort(),
      );
    }
  });
});

Deno.test("bulkV2.insert reports the stream's last records that have no field to write, with the others", async () => {
  await withInstantSleep(async () => {
    const { sf, org } = setup();
    const records = [{ Name: "A" }, { Name: "B" }, { Name: undefined }, {}];
    const error = await sf.bulkV2.insert("Account", stream(records), { maxRecords: 2 })
      .then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError);
    assert.match(error.message, /from index 2: none of them has a field to write/);
    const { successfulResults, failedResults, unprocessedRecords } = error.result;
    assert.deepEqual(successfulResults.map((row) => row.Name), ["A", "B"]);
    assert.equal(failedResults.length, 0);
    assert.equal(unprocessedRecords.length, 2);
    for (const row of unprocessedRecords) {
      assert.match(row.sf__Error, /none of them has a field to write/);
    }
    assert.equal(org.records("Account").length, 2);
  });
});

Deno.test("bulkV2.insert reads a null relationship as no parent, for an array and for a stream", async () => {
  await withInstantSleep(async () => {
    const records = [
      { LastName: "Orphan", Account: null },
      { LastName: "Child", Account: { ExtId__c: "A1" } },
      { LastName: "Second orphan", Account: null },
    ];
    for (const input of [() => records, () => stream(records)]) {
      const { sf, org, uploads } = setup();
      org.insert("Account", [{ Name: "Parent", ExtId__c: "A1" }]);
      const [parent] = org.records("Account");
      const result = await sf.bulkV2.insert("Contact", input());
      assert.equal(uploads[0].text.split("\n")[0], "LastName,Account.ExtId__c");
      assert.equal(result.successfulResults.length, 3);
      const saved = org.records("Contact").map((row) => `${row.LastName}:${row.AccountId ?? ""}`);
      assert.deepEqual(saved.sort(), ["Child:" + parent.Id, "Orphan:", "Second orphan:"]);
    }
  });
});

Deno.test("bulkV2.insert refuses a key that is a field in one streamed record and a relationship in another", async () => {
  await withInstantSleep(async () => {
    for (
      const records of [
        [{ LastName: "A", Account: "x" }, { LastName: "B", Account: { ExtId__c: "A1" } }],
        [{ LastName: "A", Account: { ExtId__c: "A1" } }, { LastName: "B", Account: "x" }],
      ]
    ) {
      const { sf, uploads } = setup();
      await assert.rejects(
        sf.bulkV2.insert("Contact", stream(records)),
        (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, /record at index 1: "Account" is a field holding a value/);
          return true;
        },
      );
      assert.equal(uploads.length, 0);
    }
  });
});

Deno.test("bulkV2.insert refuses a record that is not a plain object, naming its class and index", async () => {
  class Contact {
    #last = "Smith";
    get LastName(): string {
      return this.#last;
    }
  }
  await withInstantSleep(async () => {
    for (const fieldNames of [["LastName"], undefined]) {
      for (
        const input of [
          () => [{ LastName: "Doe" }, new Contact()],
          () => stream([{ LastName: "Doe" }, new Contact()]),
        ]
      ) {
        const { sf, uploads } = setup();
        await assert.rejects(
          sf.bulkV2.insert("Contact", input(), { fieldNames }),
          (error: unknown) => {
            assert.ok(error instanceof TypeError);
            assert.match(
              error.message,
              /record at index 1: expected a plain object .*received an instance of Contact/,
            );
            return true;
          },
        );
        assert.equal(uploads.length, 0);
      }
    }
    // Records made by Object.create(null) are plain.
    const { sf } = setup();
    const bare = Object.assign(Object.create(null), { LastName: "Bare" });
    const result = await sf.bulkV2.insert("Contact", stream([bare]));
    assert.equal(result.successfulResults.length, 1);
  });
});

Deno.test("bulkV2.insert refuses text with a lone surrogate, naming the field, rather than send U+FFFD", async () => {
  await withInstantSleep(async () => {
    const records = [
      { Name: "Fine 🎉", Description: "ok" },
      { Name: "Fine", Description: "cut emoji \ud83d" },
    ];
    for (const fieldNames of [["Name", "Description"], undefined]) {
      for (const input of [() => records, () => stream(records)]) {
        const { sf, org, uploads } = setup();
        await assert.rejects(
          sf.bulkV2.insert("Account", input(), { fieldNames }),
          (error: unknown) => {
            assert.ok(error instanceof TypeError, String(error));
            assert.match(
              error.message,
              /record at index 1: field "Description" holds a lone surrogate/,
            );
            return true;
          },
        );
        assert.equal(uploads.length, 0);
        assert.equal(org.records("Account").length, 0);
      }
    }
  });
});

Deno.test("a null relationship is no parent in every job of a stream, not only the first", async () => {
  await withInstantSleep(async () => {
    const { sf, org, uploads } = setup();
    org.insert("Account", [{ Name: "Parent", ExtId__c: "A1" }]);
    const records = [
      { LastName: "Child", Account: { ExtId__c: "A1" } },
      { LastName: "Orphan", Account: null },
    ];
    const result = await sf.bulkV2.insert("Contact", stream(records), { maxRecords: 1 });
    assert.equal(result.successfulResults.length, 2);
    assert.deepEqual(uploads.map((upload) => upload.text.split("\n")[0]), [
      "LastName,Account.ExtId__c",
      "LastName",
    ]);
  });
});

Deno.test("the record that stopped a stream is the last of unprocessedRecords, after those with no cell", async () => {
  await withInstantSleep(async () => {
    const { sf } = setup();
    const records = [
      { LastName: "A", Account: { ExtId__c: "A1" } },
      { LastName: "B" },
      {},
      { LastName: "Bad", Account: "x" },
    ];
    const error = await sf.bulkV2.insert("Contact", stream(records), { maxRecords: 2 })
      .then(() => undefined, (error) => error);
    assert.ok(error instanceof BulkIngestError, String(error));
    const rows = error.result.unprocessedRecords;
    // {} (no cell to show), then the bad record with the cells it could give.
    assert.equal(rows.length, 2);
    assert.equal(rows[0].LastName, undefined);
    assert.equal(rows[1].LastName, "Bad");
    assert.match(rows[1].sf__Error, /"Account" is a field holding a value/);
  });
});

Deno.test("a field name with a lone surrogate is refused naming the record, or naming fieldNames", async () => {
  await withInstantSleep(async () => {
    const { sf, uploads } = setup();
    const records = [{ Name: "A" }, { ["Na\ud800me"]: "B" }];
    for (const input of [() => records, () => stream(records)]) {
      await assert.rejects(
        sf.bulkV2.insert("Account", input()),
        new TypeError(
          'Cannot write CSV record at index 1: field name "Na\\ud800me" holds a lone surrogate (text that is not valid Unicode), which UTF-8 cannot carry',
        ),
      );
    }
    await assert.rejects(
      sf.bulkV2.insert("Account", records, { fieldNames: ["Na\ud800me"] }),
      /Cannot insert Account records: "fieldNames" must be a non-empty array of distinct field names/,
    );
    assert.equal(uploads.length, 0);
  });
});
