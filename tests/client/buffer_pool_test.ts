// The buffer pool behind bulk payloads: a job done with its buffers gives them back for the
// next payload, and nothing is ever handed out twice or taken in from outside.
import assert from "node:assert/strict";
import { concatBytes } from "../../client/_bytes.ts";
import { BufferPool } from "../../client/_buffer_pool.ts";
import { mock } from "node:test";
import { CsvChunker, parseCsv } from "../../client/_csv.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/mod.ts";
import { withInstantSleep } from "./_bulk_v2.ts";

Deno.test("BufferPool hands a buffer given back out again, once, and never one it did not make", () => {
  const pool = new BufferPool(8, 2);
  const a = pool.take();
  const b = pool.take();
  assert.notEqual(a.buffer, b.buffer);
  assert.equal(a.byteLength, 8);
  // A view on a's buffer, given twice, and a stranger of the same size.
  pool.recycle([a.subarray(0, 5), a, new Uint8Array(8)]);
  const again = pool.take();
  assert.equal(again.buffer, a.buffer);
  assert.equal(again.byteLength, 8);
  assert.notEqual(pool.take().buffer, a.buffer);
  // At most `keep` free buffers are kept.
  const made = [pool.take(), pool.take(), pool.take()];
  pool.recycle(made);
  const kept = new Set([pool.take().buffer, pool.take().buffer]);
  assert.ok(made.slice(0, 2).every((buffer) => kept.has(buffer.buffer)));
  assert.ok(!made.map((buffer) => buffer.buffer).includes(pool.take().buffer));
});

Deno.test("CsvChunker writes into the buffers it is given and gives back the one it copied out of", () => {
  const pool = new BufferPool(16, 4);
  const chunker = new CsvChunker(16, pool);
  chunker.write("x".repeat(5_000));
  chunker.write("tail\n");
  const chunks = [...chunker.take(), ...chunker.flush()];
  assert.equal(new TextDecoder().decode(concatBytes(chunks)), `${"x".repeat(5_000)}tail\n`);
  // The last chunk is a copy: its buffer went back to the pool and is the next one out.
  const last = chunks.at(-1)!;
  assert.equal(last.buffer.byteLength, last.byteLength);
  const next = pool.take();
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.buffer !== next.buffer));
});

/** Wide-ish records of varied lengths: a reused buffer holding older bytes would show. */
function varied(count: number): Array<{ Name: string }> {
  return Array.from({ length: count }, (_, i) => ({
    Name: `Account ${i} ${"é".repeat(i % 37)}`,
  }));
}

Deno.test("with the runtime's fetch, jobs reuse finished jobs' buffers and upload every record exactly", async () => {
  await withInstantSleep(async () => {
    const org = new FakeSalesforce();
    const sent: string[] = [];
    // The default fetch calls the global one: here the org, reading each upload at once.
    const global = mock.method(
      globalThis,
      "fetch",
      async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        if (request.method === "PUT") sent.push(await request.clone().text());
        return await org.fetch(request);
      },
    );
    const seen = new Set<ArrayBufferLike>();
    let reused = 0;
    const take = BufferPool.prototype.take;
    const taken = mock.method(BufferPool.prototype, "take", function (this: BufferPool) {
      const buffer = take.call(this);
      if (seen.has(buffer.buffer)) reused++;
      seen.add(buffer.buffer);
      return buffer;
    });
    try {
      const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth() });
      const records = varied(6_000);
      const result = await sf.bulkV2.insert("Account", records, {
        maxSizeBytes: 70_000,
        maxConcurrentJobs: 2,
      });
      assert.ok(result.jobs.length >= 5);
      assert.ok(reused > 0, "no buffer was used again");
      assert.equal(result.successfulResults.length, 6_000);
      const uploaded = sent.flatMap((text) => parseCsv(text).map((row) => row.Name));
      assert.deepEqual(uploaded, records.map((record) => record.Name));
      assert.deepEqual(
        org.records("Account").map((row) => row.Name).sort(),
        records.map((record) => record.Name).sort(),
      );
    } finally {
      taken.mock.restore();
      global.mock.restore();
    }
  });
});

/** A client whose own fetch passes each upload's body through `pass` on its way to `org`. */
function passingUploads(
  org: FakeSalesforce,
  pass: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>,
): Salesforce {
  return new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input, init) => {
      const request = new Request(input, init);
      if (request.method !== "PUT" || request.body === null) return org.fetch(request);
      const body = pass(request.body);
      return org.fetch(new Request(request, { body, duplex: "half" } as RequestInit));
    },
  });
}

Deno.test("a caller's fetch that keeps the upload's chunks sees the bytes it was sent, later too", async () => {
  await withInstantSleep(async () => {
    const org = new FakeSalesforce();
    const kept: ReadableStream<Uint8Array>[] = [];
    const sf = passingUploads(org, (body) => {
      // Read only after the whole insert: the chunks must not have changed by then.
      const [mine, theirs] = body.tee();
      kept.push(mine);
      return theirs;
    });
    const records = varied(12_000);
    const result = await sf.bulkV2.insert("Account", records, {
      maxSizeBytes: 70_000,
      maxConcurrentJobs: 1,
    });
    assert.equal(result.successfulResults.length, 12_000);
    const texts = await Promise.all(kept.map((body) => new Response(body).text()));
    assert.deepEqual(
      texts.flatMap((text) => parseCsv(text).map((row) => row.Name)),
      records.map((record) => record.Name),
    );
  });
});

Deno.test("a caller's fetch that takes the upload's chunks over still gets every record's outcome", async () => {
  await withInstantSleep(async () => {
    const org = new FakeSalesforce();
    // The upload passed on as a byte stream, whose enqueue takes over (detaches) each buffer.
    const asBytes = (body: ReadableStream<Uint8Array>) => {
      const reader = body.getReader();
      return new ReadableStream({
        type: "bytes",
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
      });
    };
    const sf = passingUploads(org, asBytes);
    const records = varied(4_000);
    const result = await sf.bulkV2.insert("Account", records, { maxSizeBytes: 70_000 });
    assert.equal(result.successfulResults.length, 4_000);
    // The results files are lost for one job: its records still come back, one row each.
    org.inject({ method: "GET", path: /successfulResults/, status: 500, times: 4 });
    const lost = await sf.bulkV2.insert("Account", varied(50), { maxSizeBytes: 70_000 });
    assert.equal(lost.unprocessedRecords.length, 50);
    assert.ok(lost.unprocessedRecords.every((row) => /Outcome unknown/.test(row.sf__Error)));
  });
});
