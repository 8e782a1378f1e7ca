// Bench results to markdown: the targets table, one table per workload, and
// the bench/RESULTS.md page.
import { count, ratio, showBytes, showSpread, status, table } from "./_report.ts";
import type { BenchResults, ClientResult } from "./_results.ts";
import { bulkSection } from "./_render_bulk.ts";
import { find, median } from "./_targets.ts";
import { renderFakeBench } from "./fake_bench.ts";

function runtimeName(client: ClientResult): string {
  return client.runtime === "deno" ? "Deno" : "Node";
}

function failures(client: ClientResult): string {
  const failed = client.runs.filter((r) => r.error !== undefined);
  return failed.length === 0 ? "" : ` (${failed.length} run(s) failed: ${failed[0].error})`;
}

function restSection(results: BenchResults): string {
  const rest = results.rest!;
  const jsforce = median(find(rest.clients, "node", "rest/jsforce")?.rps);
  const rows = rest.clients.map((client) => {
    if (client.notMeasured) {
      return [
        client.label,
        runtimeName(client),
        `not measured: ${client.notMeasured}`,
      ];
    }
    const raw = median(find(rest.clients, client.runtime, "rest/raw")?.rps);
    const rps = median(client.rps);
    return [
      client.label + failures(client),
      runtimeName(client),
      showSpread(client.rps),
      client.workload === "rest/raw" ? "1.00×" : ratio((rps ?? NaN) / (raw ?? NaN)),
      client.workload === "rest/jsforce" ? "1.00×" : ratio((rps ?? NaN) / (jsforce ?? NaN)),
      showSpread(client.cpuUsPerRequest, 0, " µs"),
      showBytes(client.peakRss),
      showBytes(client.timeRss),
      showSpread(client.serverBusy, 0, "%"),
    ];
  });
  return [
    `### 1. REST: ${
      count(rest.params.total)
    } sObject GETs at concurrency ${rest.params.concurrency}`,
    "",
    `Each run: a fresh process logs in, sends ${
      count(rest.params.warmup)
    } untimed warm-up GETs, then the timed ${
      count(rest.params.total)
    } (\`GET /sobjects/Account/{id}\`, all fields, JSON parsed).`,
    "",
    table([
      "client",
      "runtime",
      "req/s",
      "vs raw fetch (same runtime)",
      "vs jsforce",
      "client CPU per request",
      "peak RSS (inside)",
      "peak RSS (time -v)",
      "server busy",
    ], rows),
    "",
    "Client CPU per request (process user + system time over the timed window, all threads) changes little when other processes compete for the cores, unlike req/s.",
    "",
    '"raw fetch + timeout signal" is plain fetch with what our per-attempt timeout needs: an AbortController per request, its signal passed to fetch, its timer cleared when the headers arrive. It is not a target; it shows how much of our gap to raw fetch is the timeout itself (the runtimes build a signal that follows the given one for every request).',
  ].join("\n");
}

function querySection(results: BenchResults): string {
  const query = results.query!;
  const pages = Math.ceil(query.params.expected / query.params.pageSize);
  const rows = query.clients.map((client) => {
    if (client.notMeasured) {
      return [
        client.label,
        runtimeName(client),
        `not measured: ${client.notMeasured}`,
      ];
    }
    const ms = median(client.ms);
    return [
      client.label + failures(client),
      runtimeName(client),
      showSpread(client.ms, 0, " ms"),
      ratio((ms ?? NaN) / query.targetMs),
      showSpread(client.cpuMs, 0, " ms"),
      showBytes(client.peakRss),
      showBytes(client.timeRss),
    ];
  });
  return [
    `### 2. Query: ${count(query.params.expected)} records in pages of ${
      count(query.params.pageSize)
    }`,
    "",
    `${query.params.latencyMs} ms injected server latency on each of the ${pages} page requests (${
      count(pages * query.params.latencyMs)
    } ms in all) and ${query.params.workMs} ms of consumer work after every ${
      count(query.params.pageSize)
    }th record (${count(pages * query.params.workMs)} ms in all). Target: ≤ ${
      count(query.targetMs)
    } ms to the last record. Timed from the first page request (after login).`,
    "",
    table([
      "client",
      "runtime",
      "time to last record",
      "vs target",
      "client CPU",
      "peak RSS (inside)",
      "peak RSS (time -v)",
    ], rows),
    "",
    '"raw fetch, one page ahead" is not a target: plain fetch requesting page k+1 when page k is handed to the consumer, which is as far ahead as `sf.query` may go (issue 4: at most one page ahead, so memory holds two pages). Page k+1 then arrives as the consumer finishes page k, and its transfer and JSON parse come on top of the latency on every page; only requesting further ahead (more pages in memory) would hide them.',
  ].join("\n");
}

function coldSection(results: BenchResults): string {
  const cold = results.cold!;
  const rows = cold.clients.map((client) => {
    if (client.notMeasured) {
      return [
        client.label,
        runtimeName(client),
        `not measured: ${client.notMeasured}`,
      ];
    }
    return [
      client.label + failures(client),
      runtimeName(client),
      showSpread(client.tokens),
      showSpread(client.requests),
      showSpread(client.ms, 0, " ms"),
      showSpread(client.cpuMs, 0, " ms"),
    ];
  });
  return [
    `### 5. Cold start: ${count(cold.params.total)} concurrent requests on a fresh client`,
    "",
    "Token requests and requests are counted by the server (its access tokens issued, and every request it answered, login included). Time from creating the client to the last response.",
    "",
    table([
      "client",
      "runtime",
      "token requests",
      "requests to the server",
      "time to last response",
      "client CPU",
    ], rows),
  ].join("\n");
}

function collectionsSection(results: BenchResults): string {
  const collections = results.collections!;
  const r = collections.result as {
    records?: number;
    concurrency?: number;
    collectionsMs?: number;
    collectionsCalls?: number;
    oneByOneMs?: number;
    oneByOneCalls?: number;
    ratio?: number;
  } | undefined;
  const head = "### sObject Collections vs one-by-one creates (issue 7)";
  if (
    collections.notMeasured || r?.collectionsMs === undefined ||
    r.oneByOneMs === undefined
  ) {
    return [
      head,
      "",
      collections.notMeasured ?? JSON.stringify(collections.result),
    ].join("\n");
  }
  const perSecond = (ms: number) => `${count((r.records ?? 0) / (ms / 1_000))} records/s`;
  return [
    head,
    "",
    `bench/collections_bench.ts \`runCollectionsBench()\` (its own in-process loopback server): ${
      count(r.records ?? 0)
    } Account creates, concurrencyLimit ${r.concurrency}, best of 3.`,
    "",
    table(["way", "API calls", "time", "throughput"], [
      [
        "`sf.collections.create` (200 per call)",
        count(r.collectionsCalls ?? 0),
        `${count(r.collectionsMs)} ms`,
        perSecond(r.collectionsMs),
      ],
      [
        "`sf.sobject.create` per record",
        count(r.oneByOneCalls ?? 0),
        `${count(r.oneByOneMs)} ms`,
        perSecond(r.oneByOneMs),
      ],
    ]),
    "",
    `One-by-one takes ${ratio(r.ratio)} as long.`,
  ].join("\n");
}

function fakeSection(results: BenchResults): string {
  const fake = results.fake!;
  return [
    "### The fake org's own speed (issue 3)",
    "",
    "bench/fake_bench.ts `runFakeBench()`, in one process: the fake's time to serve a page (from",
    "the request to the last body byte read) against the client's time to consume the same bytes",
    '(replayed through `sf.query` / `sf.bulkV2.query`). "Served" is the org answering as its',
    "server does, with page bodies that are views of the record texts it keeps (what the bench servers",
    "pay); `org.fetch` copies each body for its caller, who may write into it. The bench servers run",
    "each measured query once, untimed, before the clients start (bench/_server.ts --warm-soql,",
    'bulk_bench.ts), so their pages are served from kept texts, as in the "served" column.',
    "",
    "A first serve (a fresh org, nothing kept) is not held to 5×: it serialises every record, and",
    "writing JSON or CSV costs about what the client's parsing of it does. A benchmark that reads",
    "each record only once is paced by the fake too.",
    "",
    fake.result === undefined ? (fake.notMeasured ?? "not measured") : renderFakeBench(fake.result),
  ].join("\n");
}

function csvBundleSection(results: BenchResults): string {
  const rows: string[][] = [];
  const csv = results.csv;
  if (csv !== undefined) {
    rows.push([
      "CSV write (records → UTF-8, `encodeCsv`)",
      csv.notMeasured ?? `${csv.writeMBps?.toFixed(0)} MB/s`,
    ]);
    rows.push([
      "CSV parse (UTF-8 stream → records, `readCsvRecords`)",
      csv.notMeasured ?? `${csv.parseMBps?.toFixed(0)} MB/s`,
    ]);
  }
  const bundle = results.bundle;
  if (bundle !== undefined) {
    if (bundle.notMeasured) rows.push(["bundle size", bundle.notMeasured]);
    else {
      rows.push([
        "ours: `mod.ts`, `deno bundle --minify`, gzip",
        `${count(bundle.oursMinBytes!)} B minified, **${count(bundle.oursGzipBytes!)} B gzip**`,
      ]);
      for (const part of bundle.parts ?? []) {
        rows.push([
          `ours, one entry alone: \`${part.file}\``,
          `${count(part.minBytes)} B minified, ${count(part.gzipBytes)} B gzip`,
        ]);
      }
      for (const file of bundle.jsforce ?? []) {
        const times = file.gzipBytes / bundle.oursGzipBytes!;
        rows.push([
          `jsforce: \`${file.file}\` (shipped), gzip`,
          `${count(file.minBytes)} B minified, **${count(file.gzipBytes)} B gzip** (${
            times.toFixed(0)
          }× ours)`,
        ]);
      }
    }
  }
  return [
    "### 6. CSV throughput and bundle size",
    "",
    'CSV: `runCsvBench()` of bench/csv_bench.ts, ~50 MB of 8-field rows, best of 3, one core (Deno). gzip: `CompressionStream("gzip")`.',
    "",
    table(["measure", "result"], rows),
  ].join("\n");
}

function conformanceSection(results: BenchResults): string {
  const conformance = results.conformance!;
  const body = conformance.notMeasured ?? table(
    ["step", "result"],
    (conformance.steps ?? []).map((step) => [
      step.name,
      step.ok ? `pass${step.detail ? `: ${step.detail}` : ""}` : `**FAIL**: ${step.error}`,
    ]),
  );
  return [
    "### Conformance: jsforce against FakeSalesforce",
    "",
    `bench/node/conformance.mjs, ${
      results.runtimes.jsforce ?? "jsforce"
    } on Node, against a fresh fake org (650 Accounts, page size 200) over loopback.`,
    "",
    body,
  ].join("\n");
}

/** The whole report: header, targets, then one section per workload that ran. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, runtimes } = results;
  const header = [
    `## Bench results${results.quick ? " (--quick smoke run: reduced sizes, 1 run)" : ""}`,
    "",
    `${results.date.slice(0, 10)} · ${machine.cpu}, ${machine.cores} cores, ${
      (machine.memoryBytes / 2 ** 30).toFixed(0)
    } GiB RAM, ${machine.os} · ${runtimes.deno}, ${runtimes.node ?? "no node"} (${
      runtimes.nodeSource ?? "—"
    }), ${
      runtimes.jsforce ?? "no jsforce"
    } · ${results.runs} run(s) per client, median (min–max) · /usr/bin/time -v: ${
      runtimes.timeV ? "yes" : "not available"
    }`,
    "",
    `Load average (1/5/15 min) at start ${
      machine.loadStart?.map((n) => n.toFixed(2)).join(" ") ?? "—"
    }, at end ${
      machine.loadEnd?.map((n) => n.toFixed(2)).join(" ") ?? "—"
    }: other processes on the machine add noise to throughput (each run's load is in the JSON).`,
    "",
    'Client and fake org run in separate processes on the same machine and share its cores; "server busy" is the server\'s CPU time during the run as a share of one core (near 100% means the server, not the client, set the pace).',
  ].join("\n");
  const sections = [
    header,
    "### Targets",
    table(
      ["target", "measured", "status"],
      results.targets.map((t) => [t.target, t.measured, status(t.ok)]),
    ),
  ];
  if (results.rest) sections.push(restSection(results));
  if (results.query) sections.push(querySection(results));
  if (results.bulk) sections.push(bulkSection(results));
  if (results.cold) sections.push(coldSection(results));
  if (results.collections) sections.push(collectionsSection(results));
  if (results.fake) sections.push(fakeSection(results));
  if (results.csv || results.bundle) sections.push(csvBundleSection(results));
  if (results.conformance) sections.push(conformanceSection(results));
  return sections.join("\n\n") + "\n";
}

/** bench/RESULTS.md: how to run, what is measured, then the latest table. */
export function renderResultsFile(
  results: BenchResults,
  markdown: string,
): string {
  return [
    "# Benchmarks",
    "",
    "`deno task bench` measures this client against plain `fetch` doing the same HTTP calls and against",
    "jsforce 3 (installed with npm into `bench/` only), against one `FakeSalesforce` served over loopback",
    "by a separate process (`bench/_server.ts`). Every run of every client is a fresh process; Node runs",
    "our client from a `deno bundle --platform browser` build. `deno task bench --quick` is a smoke run.",
    "Machine-readable results: `bench/results/latest.json` (git-ignored). Absolute numbers depend on the",
    "machine; the ratios are what the targets (issue 8) are about. A target we miss says **MISSED**.",
    "",
    `Latest full run: ${results.date}.`,
    "",
    markdown.replace(/^## /, "## Latest run: "),
  ].join("\n");
}
