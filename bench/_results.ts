// The shape of bench/results/latest.json, shared by the runner and the renderer.
import type { Spread } from "./_report.ts";
import type { FakeBenchResult } from "./fake_bench.ts";

/** One run of one client: what the process measured plus the server's view. */
export interface RunRecord {
  error?: string;
  /** Measured window, ms (time to last record / last response for query and cold start). */
  ms?: number;
  rps?: number;
  count?: number;
  /** Peak RSS sampled inside the process every 50 ms, bytes. */
  peakRss?: number;
  /** Peak RSS from /usr/bin/time -v, bytes. */
  timeRss?: number;
  runtime?: string;
  /** Server CPU time while this process ran (login, warm-up and measurement), ms. */
  serverCpuMs?: number;
  /** Access tokens the org issued while this process ran. */
  tokens?: number;
  /** Requests the org answered while this process ran. */
  requests?: number;
  /** Client process CPU time in the measured window, ms. */
  cpuMs?: number;
  /** 1-minute load average when the run started. */
  load1?: number;
  [key: string]: unknown;
}

/** All runs of one client in one workload, with spreads over the successful runs. */
export interface ClientResult {
  label: string;
  runtime: "deno" | "node";
  workload: string;
  runs: RunRecord[];
  ms?: Spread;
  rps?: Spread;
  peakRss?: Spread;
  timeRss?: Spread;
  /** Approximate share of one server core busy during the measurement, %. */
  serverBusy?: Spread;
  /** Client process CPU time (all threads) in the measured window, ms. */
  cpuMs?: Spread;
  /** Client process CPU time per request, µs (REST). */
  cpuUsPerRequest?: Spread;
  tokens?: Spread;
  requests?: Spread;
  /** Why there are no numbers (tool missing, every run failed, ...). */
  notMeasured?: string;
}

/** An insert after the first (bench/bulk_bench.ts's ExtraInsert): its records, job size, consumer. */
export interface ExtraInsert {
  records?: number;
  maxSizeBytes?: number;
  maxConcurrentJobs?: number;
  consumer?: "for-await" | "next" | "none";
  /** Bytes added to each record's Description (wide records). */
  descriptionBytes?: number;
}

/** One bulk phase (bench/bulk_bench.ts's BulkPhase; jsforce's has the same shape). */
export interface BulkPhase {
  name: string;
  /** Why this phase has no numbers (jsforce's phases fail one by one). */
  error?: string;
  rows: number;
  ms: number;
  rowsPerSecond: number;
  /** RSS of the client process when the phase started, bytes. */
  startRssBytes: number;
  /** Highest RSS of the client process during the phase (sampled every 50 ms), bytes. */
  peakRssBytes: number;
  jobs?: number;
  failed?: number;
  maxSizeBytes?: number;
  maxConcurrentJobs?: number;
  /** Peak RSS from /usr/bin/time -v of the process that ran this phase (jsforce), bytes. */
  timeRssBytes?: number;
  /** (maxConcurrentJobs + 1) × maxSizeBytes + 150 MiB: the bulk issue's bound. */
  rssBoundBytes?: number;
}

/** One bulk run of one client: its query phases and its insert. */
export interface BulkRun {
  error?: string;
  serverInProcess?: boolean;
  queries?: BulkPhase[];
  insert?: BulkPhase;
  /** Ours only: the inserts of `params.extraInserts`, in order, each in a fresh process. */
  extraInserts?: BulkPhase[];
  /** Peak RSS of the whole client process from /usr/bin/time -v, bytes. */
  timeRss?: number;
}

/** Every bulk run of one client. */
export interface BulkClient {
  label: string;
  runtime: "deno" | "node";
  runs: BulkRun[];
  notMeasured?: string;
}

/** One conformance step. */
export interface ConformanceStep {
  name: string;
  ok: boolean;
  detail?: string;
  error?: string;
}

/** One target line of the summary. */
export interface TargetLine {
  target: string;
  measured: string;
  /** undefined: not measured. */
  ok?: boolean;
}

/** Everything one bench run produced. */
export interface BenchResults {
  date: string;
  quick: boolean;
  machine: {
    cores: number;
    memoryBytes: number;
    cpu: string;
    os: string;
    /** 1/5/15-minute load averages when the run started and when it ended. */
    loadStart?: number[];
    loadEnd?: number[];
  };
  runtimes: {
    deno: string;
    node?: string;
    nodeSource?: string;
    jsforce?: string;
    timeV: boolean;
  };
  runs: number;
  rest?: {
    params: { total: number; concurrency: number; warmup: number };
    clients: ClientResult[];
  };
  query?: {
    params: {
      expected: number;
      pageSize: number;
      latencyMs: number;
      workMs: number;
    };
    /** 1.15 × max(total latency, total consumer work), ms. */
    targetMs: number;
    clients: ClientResult[];
  };
  cold?: { params: { total: number }; clients: ClientResult[] };
  bulk?: {
    notMeasured?: string;
    params?: { insertRecords: number; queryRows: number[]; extraInserts?: ExtraInsert[] };
    clients?: BulkClient[];
  };
  collections?: { notMeasured?: string; result?: Record<string, unknown> };
  csv?: { notMeasured?: string; writeMBps?: number; parseMBps?: number };
  /** bench/fake_bench.ts: the fake org's serve time per page against the client's (issue 3). */
  fake?: { notMeasured?: string; result?: FakeBenchResult };
  bundle?: {
    notMeasured?: string;
    oursMinBytes?: number;
    oursGzipBytes?: number;
    jsforce?: Array<{ file: string; minBytes: number; gzipBytes: number }>;
    /** Each public entry point bundled alone (they share code, so these overlap). */
    parts?: Array<{ file: string; minBytes: number; gzipBytes: number }>;
  };
  conformance?: { notMeasured?: string; steps?: ConformanceStep[] };
  targets: TargetLine[];
}
