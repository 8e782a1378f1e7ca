// One Bulk API 2.0 ingest job's life (salesforce-api.md §8): create → upload → UploadComplete →
// poll until final, then, once the caller is ready for it, the three result sets. Every failure
// becomes part of the job's outcome: nothing rejects, and no record is lost.

import { BulkApiBatchConsumptionEvent } from "../events/events.ts";
import type { JobInfo, JobResult } from "./bulk_v2.ts";
import {
  AuthenticationError,
  AuthorizationError,
  RequestLimitExceededError,
  SalesforceError,
} from "./errors.ts";
import type { Salesforce } from "./salesforce.ts";
import type { JobPayload } from "./_bulk_split.ts";
import type { BufferPool } from "./_buffer_pool.ts";
import { BODY_PULLS, REPLAYABLE_BODY } from "../retries/_attempts.ts";
import {
  CallbackError,
  collectCsv,
  isFinalState,
  type JobResource,
  type Polling,
  rowsOf,
} from "./_bulk_jobs.ts";

const RESULT_SETS = ["successfulResults", "failedResults", "unprocessedrecords"] as const;
/** Upload body pieces: the size of the writer's chunks (CSV_CHUNK_SIZE). */
const PIECE = 65_536;
/** Salesforce counts one batch per 10,000 records of an upload. */
const BATCH_RECORDS = 10_000;

/** What every job of one operation shares. */
export interface JobContext {
  client: Salesforce;
  jobs: JobResource;
  /** Prefix of error messages, e.g. `Cannot insert Account records`. */
  context: string;
  /** The create-job body. */
  body: Record<string, unknown>;
  polling: Polling;
  signal: AbortSignal;
  /** Where the payloads' buffers came from: a job whose results settled its records gives its back. */
  buffers?: BufferPool;
}

/** How a job ended on the client's side. */
export type Outcome = { result: JobResult; fatal?: unknown } | { aborted: true };

/**
 * A job the client is done with, whose outcome is built when the caller asks for it (so a
 * job waiting for the caller holds its payload, not 3 to 4 times as much in row objects).
 * Salesforce finished it, or it was aborted after its upload: its results are due. Or, with
 * `unsent`, the client could not run it: its payload's rows are what it contributes.
 */
export interface FinishedJob {
  info: JobInfo | null;
  payload: JobPayload;
  /** Why the client aborted it or gave up on it, when it did. */
  error?: unknown;
  fatal?: unknown;
  /** Salesforce has no results for it: its rows all go to `unprocessedRecords`. */
  unsent?: true;
  /** With `unsent`: its CSV was uploaded, so the org may have processed it all the same. */
  uploaded?: boolean;
  /** Its state could not be read: its results count only if they account for every record. */
  tentative?: boolean;
  /**
   * Aborted while Open, with nothing processed: its results are tried, and if they do not
   * account for every record, its rows are plainly unprocessed (Salesforce saved none).
   */
  untouched?: boolean;
}

/** Errors after which no other job can do better: auth, permissions, limits, a throwing callback. */
export function isFatal(error: unknown): boolean {
  return error instanceof AuthenticationError || error instanceof AuthorizationError ||
    error instanceof RequestLimitExceededError || error instanceof CallbackError;
}

/** The text an `sf__Error` cell of a client-side failure holds. */
export function describeError(error: unknown): string {
  if (error instanceof SalesforceError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The payload's own rows, each with `sf__Error`: what a job that never ran contributes. */
export function payloadRows(payload: JobPayload, error: unknown): Record<string, string>[] {
  return payloadRowsOf(payload.chunks, payload.count, describeError(error));
}

/**
 * The rows of a payload's bytes, each with `sfError`; `count` of them whatever happened to the
 * bytes. A caller's fetch may have taken the chunks over while sending (a byte stream detaches
 * what it is given): a record whose cells are gone still gets its row, with only `sf__Error`.
 */
function payloadRowsOf(
  chunks: readonly Uint8Array[],
  count: number,
  sfError: string,
): Record<string, string>[] {
  const rows = rowsOf(chunks, sfError);
  for (let i = rows.length; i < count; i++) {
    rows.push({
      sf__Error: `${sfError} (the record's cells were lost: the fetch took the upload's bytes)`,
    });
  }
  return rows;
}

/** Rows of a result set: made already, or CSV bytes to parse (each row given `sfError`). */
type RowSource =
  | Record<string, string>[]
  | { chunks: readonly Uint8Array[]; sfError?: string; count?: number };

const SETS = ["successfulResults", "failedResults", "unprocessedRecords"] as const;

/**
 * A JobResult whose row sets are kept as the CSV bytes they came in until first read: each is
 * an accessor that parses its bytes into a real array on first access, then replaces itself
 * with a plain data property holding that array (so later reads, writes, spreads and
 * JSON.stringify see an ordinary object). A result nobody reads costs its CSV size, not the
 * 3 times as much its rows take as objects.
 */
export function jobResult(
  jobInfo: JobInfo | null,
  error: unknown,
  sources: readonly [RowSource, RowSource, RowSource],
): JobResult {
  const result = (error === undefined ? { jobInfo } : { jobInfo, error }) as JobResult;
  for (let i = 0; i < SETS.length; i++) {
    const key = SETS[i];
    const source = sources[i];
    if (Array.isArray(source)) {
      result[key] = source;
      continue;
    }
    let bytes: RowSource | undefined = source;
    let rows: Record<string, string>[] | undefined;
    const settle = (value: Record<string, string>[]) => {
      rows = value;
      bytes = undefined; // the bytes go once the rows exist
      // A frozen or sealed result keeps the accessor, which goes on returning the same rows.
      if (Object.getOwnPropertyDescriptor(result, key)?.configurable) {
        Object.defineProperty(result, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
      return value;
    };
    Object.defineProperty(result, key, {
      get: () => {
        if (rows !== undefined) return rows;
        const { chunks, sfError, count } = bytes as Exclude<RowSource, unknown[]>;
        return settle(
          count === undefined || sfError === undefined
            ? rowsOf(chunks, sfError)
            : payloadRowsOf(chunks, count, sfError),
        );
      },
      set: (value: Record<string, string>[]) => {
        if (!Object.getOwnPropertyDescriptor(result, key)?.configurable) {
          throw new TypeError(`Cannot assign to read only property '${key}' of object`);
        }
        settle(value);
      },
      enumerable: true,
      configurable: true,
    });
  }
  // Printed (console.log, util.inspect; Deno and Bun honour the same symbol) as the plain object
  // it stands for, not as accessors: reading each set parses it, as any other read would.
  Object.defineProperty(result, Symbol.for("nodejs.util.inspect.custom"), {
    value: () => ({ ...result }),
  });
  return result;
}

/**
 * A request body streaming `chunks` in pieces of at most 64 KiB, never copying the job's bytes
 * unless a piece is a view on a larger buffer: should a runtime end up cloning the stream
 * anyway (Request.clone() copies each piece's whole buffer), a view on a caller's 100 MB
 * buffer would be copied whole for every 64 KiB piece. It carries a replay function for the
 * retry engine, so no attempt ever clones it; the chunks are only read, never transferred.
 */
export function replayableBody(
  chunks: readonly Uint8Array[],
  size = chunks.reduce((total, chunk) => total + chunk.byteLength, 0),
): ReadableStream<Uint8Array> {
  let chunk = 0;
  let offset = 0;
  let sent = 0;
  let onPull: (() => void) | undefined;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      onPull?.();
      while (chunk < chunks.length && offset >= chunks[chunk].byteLength) {
        chunk++;
        offset = 0;
      }
      if (chunk === chunks.length) {
        // A runtime that detached a chunk on an earlier attempt would make us send less:
        // fail the attempt rather than upload a truncated job.
        if (sent !== size) {
          controller.error(new Error(`Bulk upload body changed: sent ${sent} of ${size} bytes`));
        } else {
          controller.close();
        }
        return;
      }
      const end = Math.min(offset + PIECE, chunks[chunk].byteLength);
      const piece = chunks[chunk].subarray(offset, end);
      controller.enqueue(
        piece.byteLength === piece.buffer.byteLength || piece.buffer.byteLength <= 2 * PIECE
          ? piece
          : piece.slice(),
      );
      sent += piece.byteLength;
      offset = end;
    },
  });
  // Each replay checks against the size measured before the first attempt.
  Object.defineProperty(stream, REPLAYABLE_BODY, { value: () => replayableBody(chunks, size) });
  Object.defineProperty(stream, BODY_PULLS, {
    value: (listener: () => void) => {
      onPull = listener;
    },
  });
  return stream;
}

/** PUTs CSV to an Open job and publishes the batch-consumption event. */
export async function upload(
  client: Salesforce,
  jobs: JobResource,
  context: string,
  jobId: string,
  chunks: readonly Uint8Array[],
  count: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const response = await client.request(jobs.path(context, jobId, "/batches"), {
    method: "PUT",
    headers: { "Content-Type": "text/csv" },
    body: replayableBody(chunks),
    signal,
  });
  try {
    await client.eventBus.publishEvent(
      new BulkApiBatchConsumptionEvent(response, Math.ceil(count / BATCH_RECORDS)),
    );
  } finally {
    // Released even when a callback throws.
    await response.body?.cancel();
  }
}

/** Aborts a job on Salesforce, ignoring failure (the caller's signal may be aborted already). */
async function abortQuietly(job: JobContext, jobId: string): Promise<JobInfo | undefined> {
  try {
    return await job.jobs.setState(job.context, jobId, "Aborted");
  } catch {
    // The job may have finished meanwhile, or the org is unreachable: nothing more to do.
    return undefined;
  }
}

/**
 * The outcome of a job whose results are not known: its payload's rows, each with `sf__Error`.
 * `unknown` says why the org may have processed them anyway (the upload went through), so
 * that nobody sends them again unchecked.
 */
function fallback(
  info: JobInfo | null,
  payload: JobPayload,
  error: unknown,
  fatal: unknown,
  unknown?: string,
): Outcome {
  const sfError = unknown === undefined
    ? describeError(error)
    : `Outcome unknown: ${unknown}. Salesforce may have saved these records: check the job's results before sending them again. ${
      describeError(error)
    }`;
  const unprocessed = { chunks: payload.chunks, sfError, count: payload.count };
  return { result: jobResult(info, error, [[], [], unprocessed]), fatal };
}

/** A job's info read again, or undefined when that fails too. */
async function reread(job: JobContext, jobId: string): Promise<JobInfo | undefined> {
  try {
    return await job.jobs.get(job.context, jobId);
  } catch {
    return undefined;
  }
}

/** States a job can be in once its upload is closed. */
const CLOSED_STATES = new Set(["UploadComplete", "InProgress", "JobComplete", "Failed"]);

/**
 * Closes a job's upload (UploadComplete). A close retried after its first answer was lost
 * finds the job closed already (409 INVALIDJOBSTATE): the job is read again and, if it is
 * closed, goes on; aborting it would throw away records Salesforce is saving.
 */
async function close(job: JobContext, jobId: string): Promise<JobInfo> {
  try {
    return await job.jobs.setState(job.context, jobId, "UploadComplete", job.signal);
  } catch (error) {
    if (!(error instanceof SalesforceError) || error.errorCode !== "INVALIDJOBSTATE") throw error;
    const now = await reread(job, jobId);
    if (now === undefined || !CLOSED_STATES.has(now.state)) throw error;
    return now;
  }
}

/** Runs a job until Salesforce is done with it; the results are fetched by {@linkcode finishJob}. */
export async function runJob(job: JobContext, payload: JobPayload): Promise<FinishedJob | Outcome> {
  const { client, jobs, context, signal } = job;
  let info: JobInfo | null = null;
  let uploaded = false;
  let closed = false;
  try {
    // Not cancelled by the caller's signal: an abort during the request would leave a job the
    // org made, whose id the client never read, Open. The abort is seen once it is made.
    info = await jobs.create(job.body);
    signal.throwIfAborted();
    await upload(client, jobs, context, info.id, payload.chunks, payload.count, signal);
    uploaded = true;
    info = await close(job, info.id);
    closed = true;
    info = await jobs.wait(context, info.id, job.polling, signal);
    return { info, payload };
  } catch (error) {
    if (signal.aborted) {
      if (info !== null && !isFinalState(info.state)) await abortQuietly(job, info.id);
      return { aborted: true };
    }
    // Every job is created from the same body: one Salesforce refuses (an unknown object or
    // field, a bad operation: 400, 404) it refuses for every job, so the operation stops.
    const refused = info === null && error instanceof SalesforceError &&
      (error.response?.status === 400 || error.response?.status === 404);
    const fatal = isFatal(error) || refused ? error : undefined;
    // After an auth or limit error no call can succeed: do not try.
    const reachable = fatal === undefined || error instanceof CallbackError;
    if (info !== null && !isFinalState(info.state) && reachable) {
      // An abort refused (the job finished meanwhile, or the close went through unanswered)
      // leaves the job's state to read again.
      info = await abortQuietly(job, info.id) ?? await reread(job, info.id) ?? info;
    }
    if (reachable && info !== null && uploaded) {
      // A job whose CSV went up may have saved records: its results, when they account for
      // every record, say which (even when its state could not be read: `tentative`). Only
      // an Open job aborted before any processing surely saved nothing: `untouched`.
      const untouched = info.state === "Aborted" && !closed &&
        (info.numberRecordsProcessed ?? 0) === 0;
      return { info, payload, error, fatal, tentative: !isFinalState(info.state), untouched };
    }
    return { info, payload, error, fatal, unsent: true, uploaded };
  }
}

/** The three result sets, downloaded at once; one failing cancels the others. */
async function results(
  job: JobContext,
  jobId: string,
): Promise<Array<{ chunks: Uint8Array[]; rows: number }>> {
  const local = new AbortController();
  const both = AbortSignal.any([job.signal, local.signal]);
  const downloads = RESULT_SETS.map((name) =>
    collectCsv(job.jobs, job.jobs.path(job.context, jobId, `/${name}/`), both)
  );
  try {
    return await Promise.all(downloads);
  } catch (error) {
    local.abort(error);
    await Promise.allSettled(downloads);
    throw error;
  }
}

/** Downloads a finished job's results; without them, its rows go to unprocessed with the error. */
export async function finishJob(job: JobContext, finished: FinishedJob): Promise<Outcome> {
  const { info, payload, error, fatal } = finished;
  if (finished.unsent || info === null) {
    const unknown = finished.uploaded && info !== null
      ? `job ${info.id} was uploaded and its state on Salesforce could not be confirmed`
      : undefined;
    return fallback(info, payload, error, fatal, unknown);
  }
  try {
    const [successful, failed, unprocessed] = await results(job, info.id);
    const rows = successful.rows + failed.rows + unprocessed.rows;
    if (rows !== payload.count) {
      // An empty or cut results file would otherwise drop records without a word.
      throw new Error(
        `the results of job ${info.id} account for ${rows} of its ${payload.count} records`,
      );
    }
    // Unprocessed rows say why: the client's error, or the job's own end (Failed, Aborted),
    // whose reason Salesforce gives only on the job, not on its rows.
    const sfError = error !== undefined
      ? describeError(error)
      : info.state === "Failed" || info.state === "Aborted"
      ? `job ${info.id} ended ${info.state} on Salesforce` +
        (info.errorMessage ? `: ${info.errorMessage}` : "")
      : undefined;
    const result = jobResult(info, error, [
      { chunks: successful.chunks },
      { chunks: failed.chunks },
      { chunks: unprocessed.chunks, sfError },
    ]);
    // The results account for every record: the payload is read no more, nor are its buffers.
    job.buffers?.recycle(payload.chunks);
    return error === undefined ? { result } : { result, fatal };
  } catch (failure) {
    if (job.signal.aborted) return { aborted: true };
    const reason = error ?? failure;
    if (finished.untouched) {
      // Salesforce saved none of them: plainly unprocessed, with the client's error.
      return fallback(info, payload, reason, fatal ?? (isFatal(failure) ? failure : undefined));
    }
    // The org had the job's CSV: its records may well be saved; say so, not just "unprocessed".
    const unknown = finished.tentative
      ? `job ${info.id} was uploaded and its state on Salesforce could not be confirmed`
      : `job ${info.id} ended ${info.state} on Salesforce`;
    return fallback(
      info,
      payload,
      reason,
      fatal ?? (isFatal(failure) ? failure : undefined),
      `${unknown}, and its results could not be read (${describeError(failure)})`,
    );
  }
}
