// Bulk API 2.0 job resources shared by ingest and query (salesforce-api.md §8, §9): JSON calls
// on /jobs/{ingest,query}, listing with nextRecordsUrl, polling until a final state, and
// result CSV parsed as it streams in.

import { clock } from "../retries/_clock.ts";
import type { BulkJobState, JobInfo } from "./bulk_v2.ts";
import type { Salesforce } from "./salesforce.ts";
import {
  checkHeader,
  CsvParser,
  decode,
  endingWithLineBreak,
  pushPieces,
  recordMaker,
} from "./_csv.ts";
import { checkDuration, checkFunction, checkRecordId } from "./_validate.ts";
import { bodyChunks, readBody } from "./_body_deadline.ts";

/** States after which a job never changes. */
export function isFinalState(state: BulkJobState | string): boolean {
  return state === "JobComplete" || state === "Failed" || state === "Aborted";
}

/** How to wait for a job. */
export interface Polling {
  /** First wait between two polls, in ms. */
  pollingInterval: number;
  /** Longest wait: each wait is 1.5 times the previous one up to this. */
  maxPollingInterval: number;
  onProgress?: (jobInfo: JobInfo) => void | Promise<void>;
}

/** An error thrown by the caller's `onProgress`: it stops the whole operation. */
export class CallbackError extends Error {
  constructor(cause: unknown) {
    super(`"onProgress" threw: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "CallbackError";
  }
}

/** Checks the polling options; defaults: 1 s first, growing to 10 s. */
export function checkPolling(
  context: string,
  options: {
    pollingInterval?: number;
    maxPollingInterval?: number;
    onProgress?: (jobInfo: JobInfo) => void | Promise<void>;
  },
): Polling {
  const first = checkDuration(context, "pollingInterval", options.pollingInterval ?? 1_000);
  const max = checkDuration(context, "maxPollingInterval", options.maxPollingInterval ?? 10_000);
  const polling: Polling = { pollingInterval: first, maxPollingInterval: Math.max(first, max) };
  if (options.onProgress !== undefined) {
    polling.onProgress = checkFunction(context, "onProgress", options.onProgress);
  }
  return polling;
}

/** One kind of job resource: `/services/data/vNN.0/jobs/ingest` or `/jobs/query`. */
export class JobResource {
  readonly client: Salesforce;
  readonly kind: "ingest" | "query";

  constructor(client: Salesforce, kind: "ingest" | "query") {
    this.client = client;
    this.kind = kind;
  }

  get base(): string {
    return `/services/data/v${this.client.version}/jobs/${this.kind}`;
  }

  /** The path of a job (or of one of its resources); the id is checked, so it is one segment. */
  path(context: string, jobId: unknown, suffix = ""): string {
    return `${this.base}/${checkRecordId(context, "jobId", jobId)}${suffix}`;
  }

  async #json(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<JobInfo> {
    const response = await this.client.request(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    return await readBody(response, (answer) => answer.json()) as JobInfo;
  }

  /** POST a new job. */
  async create(body: Record<string, unknown>, signal?: AbortSignal): Promise<JobInfo> {
    return await this.#json("POST", this.base, body, signal);
  }

  /** GET a job's info. */
  async get(context: string, jobId: unknown, signal?: AbortSignal): Promise<JobInfo> {
    return await this.#json("GET", this.path(context, jobId), undefined, signal);
  }

  /** PATCH a job to `UploadComplete` or `Aborted`. */
  async setState(
    context: string,
    jobId: unknown,
    state: "UploadComplete" | "Aborted",
    signal?: AbortSignal,
  ): Promise<JobInfo> {
    return await this.#json("PATCH", this.path(context, jobId), { state }, signal);
  }

  /** DELETE a job. */
  async delete(context: string, jobId: unknown, signal?: AbortSignal): Promise<void> {
    const response = await this.client.request(this.path(context, jobId), {
      method: "DELETE",
      signal,
    });
    await response.body?.cancel();
  }

  /** Every job, page by page along `nextRecordsUrl`. */
  async *list(
    params: URLSearchParams,
    signal?: AbortSignal,
  ): AsyncGenerator<JobInfo, void, undefined> {
    const query = params.toString();
    let url: string | null = query === "" ? this.base : `${this.base}?${query}`;
    while (url !== null) {
      signal?.throwIfAborted();
      const response = await this.client.request(url, { signal });
      const page = await readBody(response, (answer) => answer.json()) as {
        records?: JobInfo[];
        done?: boolean;
        nextRecordsUrl?: string | null;
      };
      yield* page.records ?? [];
      url = page.done === false && typeof page.nextRecordsUrl === "string"
        ? page.nextRecordsUrl
        : null;
    }
  }

  /**
   * Polls a job until it reaches a final state: once at once, then after waits that grow
   * from `pollingInterval` by half each time up to `maxPollingInterval`. Every poll's info
   * goes to `onProgress`.
   */
  async wait(
    context: string,
    jobId: string,
    polling: Polling,
    signal?: AbortSignal,
  ): Promise<JobInfo> {
    let interval = polling.pollingInterval;
    for (let poll = 0;; poll++) {
      if (poll > 0) {
        await clock.sleep(interval, signal);
        interval = Math.min(polling.maxPollingInterval, interval * 1.5);
      }
      const info = await this.get(context, jobId, signal);
      if (polling.onProgress !== undefined) {
        try {
          await polling.onProgress(info);
        } catch (error) {
          throw new CallbackError(error);
        }
      }
      if (isFinalState(info.state)) return info;
    }
  }

  /** GETs a CSV resource and parses it as it streams in; an early stop cancels the body. */
  /** A CSV resource (query results), body unread. */
  async csv(path: string, signal?: AbortSignal): Promise<Response> {
    return await this.client.request(path, { headers: { Accept: "text/csv" }, signal });
  }
}

// A CSV reader's cells of 13 characters or more are slices of the text of the chunk they came
// from (V8 makes a "sliced string" from that length on): a kept row keeps its whole chunk of
// text alive, plus 32 bytes per slice. A copy costs only its own characters.
const SLICED_FROM = 13;
/** Distinct values a column remembers for reuse. */
const INTERNED_PER_COLUMN = 256;
/** Lookups after which a column that mostly misses stops looking up. */
const INTERN_TRIAL = 4_096;

/**
 * Makes kept rows smaller without changing a single value: a value seen before in the same
 * column (picklists, booleans, `sf__Created`) is shared, and a long cell is copied out of the
 * chunk text it was sliced from. Result rows stay plain objects of strings, at about 2.3 times
 * their CSV size instead of 3.5 times.
 */
export class RowCompactor {
  #keys: string[] | undefined;
  #seen: Array<Map<string, string> | undefined> = [];
  #lookups: number[] = [];
  #hits: number[] = [];

  /** Replaces the row's values by equal, compact strings; returns the row. */
  compact(row: Record<string, string>): Record<string, string> {
    if (this.#keys === undefined) {
      this.#keys = Object.keys(row);
      for (let i = 0; i < this.#keys.length; i++) {
        this.#seen.push(new Map());
        this.#lookups.push(0);
        this.#hits.push(0);
      }
    }
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const value = row[key];
      if (typeof value === "string") row[key] = this.#cell(i, value);
    }
    return row;
  }

  #cell(column: number, value: string): string {
    if (value.length === 0) return value;
    const seen = this.#seen[column];
    if (seen !== undefined) {
      const known = seen.get(value);
      const lookups = ++this.#lookups[column];
      if (known !== undefined) {
        this.#hits[column]++;
        return known;
      }
      if (lookups >= INTERN_TRIAL && this.#hits[column] * 2 < lookups) {
        this.#seen[column] = undefined; // mostly distinct values: lookups would only cost
      }
      const copy = flatCopy(value);
      if (seen.size < INTERNED_PER_COLUMN) seen.set(copy, copy);
      return copy;
    }
    return flatCopy(value);
  }
}

/** `value` itself, or an equal string that owns its characters when it may be a slice. */
function flatCopy(value: string): string {
  // Joining two pieces allocates one new flat string: the cheapest copy V8 offers.
  return value.length < SLICED_FROM ? value : [value.slice(0, 1), value.slice(1)].join("");
}

/** A chunk kept for later: copied when it holds less than half of its buffer. */
function keep(chunk: Uint8Array): Uint8Array {
  return chunk.byteLength * 2 < chunk.buffer.byteLength ? chunk.slice() : chunk;
}

/**
 * Downloads a CSV resource and keeps its bytes, which take about a third of the memory of the
 * rows they hold (see {@linkcode rowsOf}). The bytes are checked to parse as they arrive (the
 * rows made to check them are dropped at once), so a bad file fails here, as a download, not
 * later when its rows are read.
 */
export async function collectCsv(
  resource: JobResource,
  path: string,
  signal: AbortSignal,
): Promise<{ chunks: Uint8Array[]; rows: number }> {
  const response = await resource.client.request(path, {
    headers: { Accept: "text/csv" },
    signal,
  });
  const parser = new CsvParser();
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let header = true;
  let count = 0;
  const check = (rows: readonly string[][]) => {
    count += rows.length;
    if (header && rows.length > 0) {
      checkHeader(rows[0]);
      header = false;
      count--;
    }
  };
  const chunks: Uint8Array[] = [];
  const body = endingWithLineBreak(
    bodyChunks(response),
    () => new Error(`the results at ${path} were cut off: they do not end with a line break`),
  );
  for await (const chunk of body) {
    pushPieces(parser, decoder, chunk, check);
    chunks.push(keep(chunk));
  }
  check(parser.push(decode(decoder)));
  check(parser.end());
  return { chunks, rows: count };
}

/**
 * The rows of CSV bytes, each made compact (see {@linkcode RowCompactor}); with `sfError`,
 * each row gets that `sf__Error` cell first. Throws as the reader does on bad CSV.
 */
export function rowsOf(
  chunks: readonly Uint8Array[],
  sfError?: string,
): Record<string, string>[] {
  const parser = new CsvParser();
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const compactor = new RowCompactor();
  const out: Record<string, string>[] = [];
  let header: readonly string[] | undefined;
  let make: ReturnType<typeof recordMaker> | undefined;
  const add = (rows: readonly string[][]) => {
    let i = 0;
    if (header === undefined && rows.length > 0) {
      header = rows[0];
      make = recordMaker(header);
      i = 1;
    }
    for (; i < rows.length; i++) {
      const row = compactor.compact(make!(header!, rows[i]));
      out.push(sfError === undefined ? row : { sf__Error: sfError, ...row });
    }
  };
  for (const chunk of chunks) pushPieces(parser, decoder, chunk, add);
  add(parser.push(decode(decoder)));
  add(parser.end());
  return out;
}
