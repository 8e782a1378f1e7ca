// CSV throughput: the Bulk 2.0 writer (records → UTF-8 chunks) and reader (UTF-8 stream →
// records) on ~50 MB of realistic 8-field rows. Run: deno run bench/csv_bench.ts
// deno-lint-ignore-file no-console
import process from "node:process";
import { concatBytes } from "../client/_bytes.ts";
import {
  CsvRecordEncoder,
  encodeCsv,
  parseCsv,
  parseCsvRows,
  readCsvRecords,
  readCsvRows,
} from "../client/_csv.ts";

/** Throughput in MB/s (1 MB = 1,000,000 bytes of CSV), best of the runs. */
export interface CsvBenchResult {
  writeMBps: number;
  parseMBps: number;
}

interface Measurement {
  name: string;
  MBps: number;
  cpuMBps: number;
}

const COLUMNS = [
  "Id",
  "Name",
  "Amount",
  "CloseDate",
  "IsActive",
  "NumberOfEmployees",
  "Email",
  "Description",
];

const WORDS = [
  "Acme",
  "Global",
  "Dynamics",
  "Solutions",
  "Blue",
  "River",
  "Systems",
  "North",
  "Café",
  "Müller",
  "Trading",
  "Partners",
  "Labs",
  "Ventures",
];

// mulberry32: a tiny seeded PRNG, so every run writes the same data.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRecords(targetBytes: number): Record<string, unknown>[] {
  const random = prng(42);
  const word = () => WORDS[Math.floor(random() * WORDS.length)];
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const records: Record<string, unknown>[] = [];
  // ~150 bytes per row; the exact size is measured after writing.
  const count = Math.ceil(targetBytes / 150);
  for (let i = 0; i < count; i++) {
    let id = "001";
    for (let j = 0; j < 15; j++) id += alphabet[Math.floor(random() * 62)];
    const kind = random();
    const name = kind < 0.1
      ? `${word()} ${word()}, Inc.`
      : kind < 0.15
      ? `"${word()}" ${word()}`
      : `${word()} ${word()} ${word()}`;
    records.push({
      Id: id,
      Name: name,
      Amount: Math.round(random() * 10_000_000) / 100,
      CloseDate: new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 2e11)),
      IsActive: random() < 0.5,
      NumberOfEmployees: Math.floor(random() * 100_000),
      Email: `${word().toLowerCase()}.${i}@example.com`,
      Description: random() < 0.3
        ? `Line one of ${word()}\nline two, with "quotes"`
        : `${word()} ${word()} account managed by ${word()}`,
    });
  }
  return records;
}

async function collect(
  chunks: AsyncIterable<Uint8Array>,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

function streamOf(
  bytes: Uint8Array,
  chunkSize: number,
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

// Wall-clock MB/s decides; CPU-time MB/s (process user + system time, GC threads included) is
// printed beside it because a shared machine can stretch wall-clock time without our doing.
async function best(
  runs: number,
  bytes: number,
  task: () => Promise<unknown>,
): Promise<{ MBps: number; cpuMBps: number }> {
  let fastest = Infinity;
  let leastCpu = Infinity;
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await task();
    fastest = Math.min(fastest, performance.now() - start);
    const used = process.cpuUsage(cpu);
    leastCpu = Math.min(leastCpu, (used.user + used.system) / 1000);
  }
  return {
    MBps: bytes / 1e6 / (fastest / 1000),
    cpuMBps: bytes / 1e6 / (leastCpu / 1000),
  };
}

async function countBytes(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of chunks) bytes += chunk.length;
  return bytes;
}

const WRITE = "write: encodeCsv (records → 64 KiB chunks)";
const PARSE = "parse: readCsvRecords (64 KiB stream → records)";

async function measure(
  targetBytes: number,
  runs: number,
  all: boolean,
): Promise<{ bytes: number; rows: number; results: Measurement[] }> {
  const records = makeRecords(targetBytes);
  // Warm the JIT on a slice first, so that every measured run is a steady-state run.
  const warm = concatBytes(
    await collect(encodeCsv(records.slice(0, 20_000), COLUMNS)),
  );
  for await (const _ of readCsvRecords(streamOf(warm, 65_536)));
  parseCsv(new TextDecoder().decode(warm));

  const bytes = await countBytes(encodeCsv(records, COLUMNS));
  const results: Measurement[] = [];
  const add = async (name: string, task: () => Promise<unknown>) => {
    results.push({ name, ...await best(runs, bytes, task) });
  };
  // The writer runs first, before the parse inputs below take up the heap.
  await add(WRITE, () => countBytes(encodeCsv(records, COLUMNS)));
  if (all) {
    await add("write: CsvRecordEncoder.encodeText (rows as text)", () => {
      const encoder = new CsvRecordEncoder(COLUMNS);
      let total = 0;
      for (let i = 0; i < records.length; i++) {
        total += encoder.encodeText(records[i], i).length;
      }
      return Promise.resolve(total);
    });
  }
  const data = concatBytes(await collect(encodeCsv(records, COLUMNS)));
  await add(PARSE, async () => {
    let count = 0;
    for await (const _ of readCsvRecords(streamOf(data, 65_536))) count++;
    if (count !== records.length) {
      throw new Error(`parsed ${count} of ${records.length} rows`);
    }
  });
  if (all) {
    const text = new TextDecoder().decode(data);
    await add("parse: readCsvRows (64 KiB stream → string[])", async () => {
      let count = 0;
      for await (const _ of readCsvRows(streamOf(data, 65_536))) count++;
      return count;
    });
    await add(
      "parse: parseCsv (string → records)",
      () => Promise.resolve(parseCsv(text).length),
    );
    await add("parse: parseCsvRows (string → string[])", () => {
      return Promise.resolve(parseCsvRows(text).length);
    });
  }
  return { bytes, rows: records.length, results };
}

/**
 * Measures the CSV writer (`encodeCsv`) and streaming reader (`readCsvRecords`) on ~50 MB of
 * generated rows; best of 3 runs each.
 */
export async function runCsvBench(): Promise<CsvBenchResult> {
  const { results } = await measure(50_000_000, 3, false);
  const find = (name: string) => results.find((result) => result.name === name)!.MBps;
  return { writeMBps: find(WRITE), parseMBps: find(PARSE) };
}

if (import.meta.main) {
  const { bytes, rows, results } = await measure(50_000_000, 3, true);
  console.log(
    `CSV bench: ${
      (bytes / 1e6).toFixed(1)
    } MB, ${rows} rows of 8 fields, best of 3 (Deno ${Deno.version.deno})\n`,
  );
  console.log("| operation | MB/s | MB/s by CPU time |");
  console.log("|---|---:|---:|");
  for (const { name, MBps, cpuMBps } of results) {
    console.log(`| ${name} | ${MBps.toFixed(0)} | ${cpuMBps.toFixed(0)} |`);
  }
}
