// The buffer pool behind bulk payloads: a job done with its buffers gives them back for the
// next payload, and nothing is ever handed out twice or taken in from outside.
import assert from "node:assert/strict";
import { concatBytes } from "../../client/_bytes.ts";
import { BufferPool } from "../../client/_buffer_pool.ts";
import { CsvChunker, parseCsv } from "../../client/_csv.ts";
import { setup, withInstantSleep } from "./_bulk_v2.ts";

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

Deno.test("bulk jobs that reuse finished jobs' buffers upload every record exactly", async () => {
  await withInstantSleep(async () => {
    const { sf, org, uploads } = setup();
    // Rows of different lengths, so that a reused buffer holding an older job's bytes would
    // show in the next job's upload.
    const records = Array.from({ length: 3_000 }, (_, i) => ({
      Name: `Account ${i} ${"é".repeat(i % 37)}`,
    }));
    const result = await sf.bulkV2.insert("Account", records, {
      maxSizeBytes: 70_000,
      maxConcurrentJobs: 1,
    });
    assert.ok(result.jobs.length >= 3);
    assert.equal(result.successfulResults.length, 3_000);
    const sent = uploads.flatMap((upload) => parseCsv(upload.text).map((row) => row.Name));
    assert.deepEqual(sent, records.map((record) => record.Name));
    assert.deepEqual(
      org.records("Account").map((row) => row.Name).sort(),
      records.map((record) => record.Name).sort(),
    );
  });
});
