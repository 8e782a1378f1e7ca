// Bulk API 2.0 ingest (salesforce-api.md §8): the low-level job calls behind `sf.bulkV2.ingest`
// and performOperation, which cuts records into jobs and runs at most `maxConcurrentJobs` of
// them at once: create → upload → UploadComplete → poll → results.

import { BulkApiBatchConsumptionEvent } from "../events/events.ts";
import type {
  CreateJobOptions,
  IngestOperation,
  IngestResult,
  JobInfo,
  JobResult,
  ListJobsOptions,
  PerformOperationOptions,
  UploadJobDataOptions,
} from "./bulk_v2.ts";
import {
  AuthenticationError,
  AuthorizationError,
  RequestLimitExceededError,
  SalesforceError,
} from "./errors.ts";
import type { Salesforce } from "./salesforce.ts";
import { readCsvRecords } from "./_csv.ts";
import { type JobPayload, SplitError, splitRecords } from "./_bulk_split.ts";
import {
  CallbackError,
  checkPolling,
  collectCsv,
  isFinalState,
  JobResource,
  type Polling,
} from "./_bulk_jobs.ts";
import { checkApiName, checkInteger, checkRecordId, received } from "./_validate.ts";

const OPERATIONS = new Set(["insert", "update", "upsert", "delete", "hardDelete"]);
const RESULT_SETS = ["successfulResults", "failedResults", "unprocessedrecords"] as const;
/** Upload body pieces: small enough that copying one per retry attempt stays cheap. */
const PIECE = 65_536;
/** Salesforce counts one batch per 10,000 records of an upload. */
const BATCH_RECORDS = 10_000;

function checkOperation(context: string, operation: unknown): IngestOperation {
  if (typeof operation !== "string" || !OPERATIONS.has(operation)) {
    throw new TypeError(
      `${context}: "operation" must be one of "insert", "update", "upsert", "delete", "hardDelete": received ${
        received(operation)
      }`,
    );
  }
  return operation as IngestOperation;
}

function checkSignal(context: string, signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `${context}: "signal" must be an AbortSignal: received ${received(signal)}`,
    );
  }
  return signal;
}

/** The create-job body (§8.1). */
function createBody(
  context: string,
  operation: unknown,
  sobject: unknown,
  options: CreateJobOptions,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    object: checkApiName(context, "sobject", sobject),
    operation: checkOperation(context, operation),
    contentType: "CSV",
    columnDelimiter: "COMMA",
    lineEnding: "LF",
  };
  if (options.externalIdFieldName !== undefined || operation === "upsert") {
    body.externalIdFieldName = checkApiName(
      context,
      "externalIdFieldName",
      options.externalIdFieldName,
    );
  }
  if (options.assignmentRuleId !== undefined) {
    body.assignmentRuleId = checkRecordId(context, "assignmentRuleId", options.assignmentRuleId);
  }
  return body;
}

/** A request body streaming `chunks` in small pieces; each retry attempt re-reads a clone. */
function bodyStream(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let chunk = 0;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      while (chunk < chunks.length && offset >= chunks[chunk].length) {
        chunk++;
        offset = 0;
      }
      if (chunk === chunks.length) {
        controller.close();
        return;
      }
      const end = Math.min(offset + PIECE, chunks[chunk].length);
      controller.enqueue(chunks[chunk].subarray(offset, end));
      offset = end;
    },
  });
}

/**
 * Counts the records of caller-made CSV for the batch event: line feeds outside quotes,
 * less the header. Not a parser: quotes only toggle whether a line feed ends a row.
 */
function countRecords(chunks: readonly Uint8Array[]): number {
  let rows = 0;
  let quoted = false;
  let last = 10;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === 34) quoted = !quoted;
      else if (byte === 10 && !quoted) rows++;
    }
    if (chunk.length > 0) last = chunk[chunk.length - 1];
  }
  if (last !== 10) rows++;
  return Math.max(0, rows - 1);
}

/** Errors after which no other job can do better: auth, permissions, limits, a throwing callback. */
export function isFatal(error: unknown): boolean {
  return error instanceof AuthenticationError || error instanceof AuthorizationError ||
    error instanceof RequestLimitExceededError || error instanceof CallbackError;
}

function describeError(error: unknown): string {
  if (error instanceof SalesforceError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The payload's own rows, each with `sf__Error`: what a job that never ran contributes. */
export async function payloadRows(
  payload: JobPayload,
  error: unknown,
): Promise<Record<string, string>[]> {
  const message = describeError(error);
  const rows: Record<string, string>[] = [];
  for await (const row of readCsvRecords(payload.chunks)) rows.push({ sf__Error: message, ...row });
  return rows;
}

/** What one job task ends with; it never rejects. */
type Outcome = { result: JobResult; fatal?: unknown } | { aborted: true };

/** Everything one performOperation shares among its jobs. */
interface IngestRun {
  context: string;
  body: Record<string, unknown>;
  polling: Polling;
  signal: AbortSignal;
}

/** Builds the public BulkIngestError (passed in: bulk_v2.ts imports this file). */
export type StopErrorFactory = (message: string, cause: unknown, result: IngestResult) => Error;

/** The calls behind `sf.bulkV2.ingest`. */
export class IngestJobs {
  #client: Salesforce;
  #jobs: JobResource;
  #stopError: StopErrorFactory;

  constructor(client: Salesforce, stopError: StopErrorFactory) {
    this.#client = client;
    this.#jobs = new JobResource(client, "ingest");
    this.#stopError = stopError;
  }

  async createJob(
    operation: IngestOperation,
    sobject: string,
    options: CreateJobOptions = {},
  ): Promise<JobInfo> {
    const context = "Cannot create ingest job";
    const body = createBody(context, operation, sobject, options);
    return await this.#jobs.create(body, checkSignal(context, options.signal));
  }

  async getJob(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobInfo> {
    return await this.#jobs.get("Cannot get ingest job", jobId, options.signal);
  }

  listJobs(options: ListJobsOptions = {}): AsyncGenerator<JobInfo, void, undefined> {
    const params = new URLSearchParams();
    if (options.isPkChunkingEnabled !== undefined) {
      params.set("isPkChunkingEnabled", String(options.isPkChunkingEnabled));
    }
    if (options.jobType !== undefined) params.set("jobType", options.jobType);
    if (options.concurrencyMode !== undefined) {
      params.set("concurrencyMode", options.concurrencyMode);
    }
    return this.#jobs.list(params, options.signal);
  }

  async abortJob(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobInfo> {
    return await this.#jobs.setState("Cannot abort ingest job", jobId, "Aborted", options.signal);
  }

  async deleteJob(jobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#jobs.delete("Cannot delete ingest job", jobId, options.signal);
  }

  async uploadJobData(
    jobId: string,
    data: string | Uint8Array | Iterable<Uint8Array>,
    options: UploadJobDataOptions = {},
  ): Promise<JobInfo> {
    const context = "Cannot upload ingest job data";
    let chunks: readonly Uint8Array[];
    if (typeof data === "string") chunks = [new TextEncoder().encode(data)];
    else if (data instanceof Uint8Array) chunks = [data];
    else if (typeof data === "object" && data !== null && Symbol.iterator in data) {
      chunks = [...data];
      if (!chunks.every((chunk) => chunk instanceof Uint8Array)) {
        throw new TypeError(`${context}: "data" must hold only Uint8Array chunks`);
      }
    } else {
      throw new TypeError(
        `${context}: "data" must be CSV text, a Uint8Array or an iterable of Uint8Array: received ${
          received(data)
        }`,
      );
    }
    const count = options.recordCount === undefined
      ? countRecords(chunks)
      : checkInteger(context, "recordCount", options.recordCount, 0);
    await this.#upload(context, jobId, chunks, count, options.signal);
    return await this.#jobs.setState(context, jobId, "UploadComplete", options.signal);
  }

  async #upload(
    context: string,
    jobId: string,
    chunks: readonly Uint8Array[],
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const response = await this.#client.request(this.#jobs.path(context, jobId, "/batches"), {
      method: "PUT",
      headers: { "Content-Type": "text/csv" },
      body: bodyStream(chunks),
      signal,
    });
    await this.#client.eventBus.publishEvent(
      new BulkApiBatchConsumptionEvent(response, Math.ceil(count / BATCH_RECORDS)),
    );
    await response.body?.cancel();
  }

  performOperation(
    operation: IngestOperation,
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options: PerformOperationOptions = {},
  ): AsyncGenerator<JobResult, void, undefined> {
    const context = `Cannot ${operation} ${sobject} records`;
    const body = createBody(context, operation, sobject, options);
    if (
      typeof records !== "object" || records === null ||
      !(Symbol.iterator in records || Symbol.asyncIterator in records)
    ) {
      throw new TypeError(
        `${context}: "records" must be an iterable or async iterable of objects: received ${
          received(records)
        }`,
      );
    }
    let fieldNames: readonly string[] | undefined;
    if (options.fieldNames !== undefined) {
      const names = options.fieldNames as unknown;
      if (
        !Array.isArray(names) || names.length === 0 ||
        !names.every((name) => typeof name === "string" && name !== "") ||
        new Set(names).size !== names.length
      ) {
        throw new TypeError(
          `${context}: "fieldNames" must be a non-empty array of distinct field names: received ${
            received(names)
          }`,
        );
      }
      fieldNames = [...names];
    }
    const split = {
      fieldNames,
      maxSizeBytes: checkInteger(
        context,
        "maxSizeBytes",
        options.maxSizeBytes ?? 100_000_000,
        1,
        150_000_000,
      ),
      maxRecords: checkInteger(context, "maxRecords", options.maxRecords ?? 150_000_000, 1),
    };
    const maxJobs = checkInteger(context, "maxConcurrentJobs", options.maxConcurrentJobs ?? 4, 1);
    const polling = checkPolling(context, options);
    const signal = checkSignal(context, options.signal);
    return this.#run(
      { context, body, polling, signal: signal ?? new AbortController().signal },
      splitRecords(records, split),
      maxJobs,
    );
  }

  async *#run(
    run: IngestRun,
    payloads: AsyncGenerator<JobPayload, void, undefined>,
    maxJobs: number,
  ): AsyncGenerator<JobResult, void, undefined> {
    // `stop` ends the jobs when the caller leaves the loop early; it joins the caller's signal.
    const stop = new AbortController();
    const signal = AbortSignal.any([run.signal, stop.signal]);
    const job: IngestRun = { ...run, signal };
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason);
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
    aborted.catch(() => {}); // raced below, never awaited alone
    const running = new Set<Promise<void>>();
    const done: Outcome[] = [];
    let wake: (() => void) | undefined;
    let pending: JobPayload | undefined;
    let inputDone = false;
    let started = 0;
    let stopError: unknown;
    let fatal = false;
    let finished = false;
    let reading = false;
    try {
      for (;;) {
        while (done.length > 0) {
          const outcome = done.shift()!;
          if ("aborted" in outcome) continue;
          if (outcome.fatal !== undefined && stopError === undefined) {
            stopError = outcome.fatal;
            fatal = true;
          }
          yield outcome.result;
        }
        if (signal.aborted) break;
        const stopping = stopError !== undefined;
        if (!stopping && pending === undefined && !inputDone) {
          const next = payloads.next();
          reading = true;
          // Raced with the abort below, which may leave it pending: its end is noted, not awaited.
          next.then(() => reading = false, () => reading = false);
          try {
            const step = await Promise.race([next, aborted]);
            if (step.done) inputDone = true;
            else pending = step.value;
          } catch (error) {
            if (!signal.aborted) {
              // A bad record or a failing input: records read before it were never sent.
              stopError = error instanceof SplitError ? error.error : error;
              if (error instanceof SplitError) pending = error.unsent;
            }
          }
          continue;
        }
        if (!stopping && pending !== undefined && running.size < maxJobs) {
          const payload = pending;
          pending = undefined;
          started++;
          const task: Promise<void> = this.#runJob(job, payload).then((outcome) => {
            running.delete(task);
            done.push(outcome);
            wake?.();
          });
          running.add(task);
          continue;
        }
        if (running.size === 0) break;
        const completion = new Promise<void>((resolve) => wake = resolve);
        await Promise.race([completion, aborted]).catch(() => {});
        wake = undefined;
      }
      if (signal.aborted) {
        await Promise.all(running);
        throw run.signal.aborted ? run.signal.reason : signal.reason;
      }
      finished = true;
      if (stopError === undefined) return;
      if (!fatal && started === 0) throw stopError;
      const leftover = pending === undefined ? [] : await payloadRows(pending, stopError);
      throw this.#stopError(`${run.context}: ${describeError(stopError)}`, stopError, {
        jobs: [],
        successfulResults: [],
        failedResults: [],
        unprocessedRecords: leftover,
      });
    } finally {
      if (!finished && running.size > 0) {
        // The caller left early or aborted: abort the jobs still open, then let them settle.
        stop.abort(new DOMException("The bulk operation was stopped", "AbortError"));
        await Promise.all(running);
      }
      // Closes the caller's iterator too; not while it is still producing (it may never end).
      if (!reading) await payloads.return();
    }
  }

  /** One job from create to results; failures become the outcome, never a rejection. */
  async #runJob(run: IngestRun, payload: JobPayload): Promise<Outcome> {
    const { context, signal } = run;
    let info: JobInfo | null = null;
    let closed = false;
    let fetching = false;
    try {
      info = await this.#jobs.create(run.body, signal);
      await this.#upload(context, info.id, payload.chunks, payload.count, signal);
      info = await this.#jobs.setState(context, info.id, "UploadComplete", signal);
      closed = true;
      info = await this.#jobs.wait(context, info.id, run.polling, signal);
      fetching = true;
      const [successfulResults, failedResults, unprocessedRecords] = await this.#results(
        context,
        info.id,
        signal,
      );
      return { result: { jobInfo: info, successfulResults, failedResults, unprocessedRecords } };
    } catch (error) {
      if (signal.aborted) {
        if (info !== null && !isFinalState(info.state)) await this.#abortQuietly(context, info.id);
        return { aborted: true };
      }
      const fatal = isFatal(error) ? error : undefined;
      const reachable = fatal === undefined || error instanceof CallbackError;
      if (info !== null && !isFinalState(info.state) && reachable) {
        info = await this.#abortQuietly(context, info.id) ?? info;
      }
      if (closed && !fetching && reachable && info !== null && isFinalState(info.state)) {
        // Aborted after its upload: Salesforce's results say which rows it processed.
        try {
          const [successfulResults, failedResults, unprocessed] = await this.#results(
            context,
            info.id,
            signal,
          );
          const message = describeError(error);
          const unprocessedRecords = unprocessed.map((row) => ({ sf__Error: message, ...row }));
          return {
            result: { jobInfo: info, error, successfulResults, failedResults, unprocessedRecords },
            fatal,
          };
        } catch {
          // No results either: fall back to the rows we sent, below.
        }
      }
      const unprocessedRecords = await payloadRows(payload, error);
      return {
        result: {
          jobInfo: info,
          error,
          successfulResults: [],
          failedResults: [],
          unprocessedRecords,
        },
        fatal,
      };
    }
  }

  /** The three result sets, downloaded at once; one failing cancels the others. */
  async #results(
    context: string,
    jobId: string,
    signal: AbortSignal,
  ): Promise<Record<string, string>[][]> {
    const local = new AbortController();
    const both = AbortSignal.any([signal, local.signal]);
    const downloads = RESULT_SETS.map((name) =>
      collectCsv(this.#jobs, this.#jobs.path(context, jobId, `/${name}/`), both)
    );
    try {
      return await Promise.all(downloads);
    } catch (error) {
      local.abort(error);
      await Promise.allSettled(downloads);
      throw error;
    }
  }

  /** Aborts a job on Salesforce, ignoring failure (the caller's signal may be aborted already). */
  async #abortQuietly(context: string, jobId: string): Promise<JobInfo | undefined> {
    try {
      return await this.#jobs.setState(context, jobId, "Aborted");
    } catch {
      // The job may have finished meanwhile, or the org is unreachable: nothing more to do.
      return undefined;
    }
  }
}
