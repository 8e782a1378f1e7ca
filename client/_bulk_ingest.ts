// Bulk API 2.0 ingest (salesforce-api.md §8): the low-level job calls behind `sf.bulkV2.ingest`
// and performOperation, which cuts records into jobs and runs at most `maxConcurrentJobs` of
// them at once: create → upload → UploadComplete → poll → results.

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
import type { Salesforce } from "./salesforce.ts";
import { type JobPayload, type Offending, SplitError, splitRecords } from "./_bulk_split.ts";
import { CallbackError, checkPolling, JobResource } from "./_bulk_jobs.ts";
import { CSV_CHUNK_SIZE, CsvChunker } from "./_csv.ts";
import { BufferPool } from "./_buffer_pool.ts";
import { isRuntimeFetch } from "./_default_fetch.ts";
import {
  describeError,
  type FinishedJob,
  finishJob,
  type JobContext,
  type Outcome,
  payloadRows,
  runJob,
  upload,
} from "./_bulk_run.ts";
import {
  checkApiName,
  checkInteger,
  checkRecordId,
  checkSignal,
  optionsOf,
  received,
} from "./_validate.ts";

const OPERATIONS = new Set(["insert", "update", "upsert", "delete", "hardDelete"]);

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

/** The create-job body (§8.1); the records the client writes itself break lines with LF. */
function createBody(
  context: string,
  operation: unknown,
  sobject: unknown,
  options: CreateJobOptions,
  lineEnding: "LF" | "CRLF" = "LF",
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    object: checkApiName(context, "sobject", sobject),
    operation: checkOperation(context, operation),
    contentType: "CSV",
    columnDelimiter: "COMMA",
    lineEnding,
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

/**
 * `promise`, or the signal's reason if it aborts first. Not Promise.race with one shared
 * abort promise: a promise that never settles keeps every race's result alive (here, the
 * job payloads), while this listener goes away once `promise` settles.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
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
    options = optionsOf("Cannot create ingest job", options);
    const context = "Cannot create ingest job";
    const { lineEnding = "LF" } = options;
    if (lineEnding !== "LF" && lineEnding !== "CRLF") {
      throw new TypeError(
        `${context}: "lineEnding" must be "LF" or "CRLF": received ${received(lineEnding)}`,
      );
    }
    const body = createBody(context, operation, sobject, options, lineEnding);
    return await this.#jobs.create(body, checkSignal(context, options.signal));
  }

  async getJob(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobInfo> {
    options = optionsOf("Cannot get ingest job", options);
    return await this.#jobs.get("Cannot get ingest job", jobId, options.signal);
  }

  listJobs(options: ListJobsOptions = {}): AsyncGenerator<JobInfo, void, undefined> {
    options = optionsOf("Cannot list ingest jobs", options);
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
    options = optionsOf("Cannot abort ingest job", options);
    return await this.#jobs.setState("Cannot abort ingest job", jobId, "Aborted", options.signal);
  }

  async deleteJob(jobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    options = optionsOf("Cannot delete ingest job", options);
    await this.#jobs.delete("Cannot delete ingest job", jobId, options.signal);
  }

  async uploadJobData(
    jobId: string,
    data: string | Uint8Array | Iterable<Uint8Array>,
    options: UploadJobDataOptions = {},
  ): Promise<JobInfo> {
    options = optionsOf("Cannot upload job data", options);
    const context = "Cannot upload ingest job data";
    let chunks: readonly Uint8Array[];
    if (typeof data === "string") {
      // 64 KiB chunks, each its own buffer: the body then streams them without a copy.
      const chunker = new CsvChunker();
      chunker.write(data);
      chunks = chunker.flush();
    } else if (data instanceof Uint8Array) chunks = [data];
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
    await upload(this.#client, this.#jobs, context, jobId, chunks, count, options.signal);
    return await this.#jobs.setState(context, jobId, "UploadComplete", options.signal);
  }

  performOperation(
    operation: IngestOperation,
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options: PerformOperationOptions = {},
  ): AsyncGenerator<JobResult, void, undefined> {
    options = optionsOf("Cannot run bulk operation", options);
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
        !names.every((name) => typeof name === "string" && name !== "" && name.isWellFormed()) ||
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
        // 150 MB per upload after base64 encoding (salesforce-api.md §8.2).
        100_000_000,
      ),
      maxRecords: checkInteger(context, "maxRecords", options.maxRecords ?? 150_000_000, 1),
      unread: {} as { payload?: JobPayload; blank?: number },
      buffers: undefined as BufferPool | undefined,
    };
    const maxJobs = checkInteger(context, "maxConcurrentJobs", options.maxConcurrentJobs ?? 4, 1);
    const polling = checkPolling(context, options);
    const signal = checkSignal(context, options.signal);
    // Payloads are filled one at a time: one payload's worth of free buffers is enough. Only
    // with the runtime's own fetch: a caller's may keep the chunks it was sent, or take them
    // over, and buffers used again would then change under it.
    split.buffers = isRuntimeFetch(this.#client.fetch)
      ? new BufferPool(CSV_CHUNK_SIZE, Math.ceil(split.maxSizeBytes / CSV_CHUNK_SIZE) + 1)
      : undefined;
    const job: JobContext = {
      client: this.#client,
      jobs: this.#jobs,
      context,
      body,
      polling,
      signal: signal ?? new AbortController().signal,
      buffers: split.buffers,
    };
    return this.#run(job, splitRecords(records, split), maxJobs, split.unread);
  }

  async *#run(
    run: JobContext,
    payloads: AsyncGenerator<JobPayload, void, undefined>,
    maxJobs: number,
    unread: { payload?: JobPayload; blank?: number },
  ): AsyncGenerator<JobResult, void, undefined> {
    // `stop` ends the jobs when the caller leaves the loop early; it joins the caller's signal.
    const stop = new AbortController();
    const signal = AbortSignal.any([run.signal, stop.signal]);
    const job: JobContext = { ...run, signal };
    const running = new Set<Promise<void>>();
    // Jobs Salesforce is done with, in the order they finished. Their results are downloaded
    // only when the caller asks for the next one, and they keep their slot until then: at
    // most one job's results are in memory, however slow the caller.
    const done: Array<FinishedJob | Outcome> = [];
    let wake: (() => void) | undefined;
    let pending: JobPayload | undefined;
    let inputDone = false;
    let started = 0;
    let stopError: unknown;
    let fatal = false;
    let finished = false;
    let reading = false;
    let inputClosed = false;
    let pendingRead: Promise<IteratorResult<JobPayload, void>> | undefined;
    // Held in `let`s cleared after use, never in block-scoped consts: a suspended generator
    // keeps every local it ever set, so a const would keep the last job's results (or
    // payload) alive while the next job's are downloaded.
    let next: FinishedJob | Outcome | undefined;
    let outcome: Outcome | undefined;
    let refused: Offending | undefined;
    // Records read into no payload that have not one cell to show (SplitError.blank).
    let blank = 0;
    // True while an error leaves this generator: an input's failing cleanup must not replace it.
    let failing = false;
    // Closes the input. What its cleanup throws is returned, unwrapped (never our SplitError);
    // the records the splitter had read for the next payload come back through `unread`.
    const closeInput = async (): Promise<{ error: unknown } | undefined> => {
      inputClosed = true;
      try {
        await payloads.return();
        return undefined;
      } catch (error) {
        if (!(error instanceof SplitError)) return { error };
        unread.payload ??= error.unsent;
        blank += error.blank;
        return { error: error.error };
      }
    };
    try {
      for (;;) {
        while (done.length > 0 && !signal.aborted) {
          next = done.shift()!;
          outcome = "info" in next ? await finishJob(job, next) : next;
          next = undefined;
          if ("aborted" in outcome) continue;
          if (outcome.fatal !== undefined && stopError === undefined) {
            stopError = outcome.fatal;
            fatal = true;
          }
          yield outcome.result;
          outcome = undefined;
        }
        if (signal.aborted) break;
        const stopping = stopError !== undefined;
        if (!stopping && pending === undefined && !inputDone) {
          if (pendingRead === undefined) {
            const read = payloads.next();
            pendingRead = read;
            reading = true;
            // Raced below, which may leave it pending: its end is noted, not awaited.
            read.then(() => reading = false, () => reading = false);
          }
          // A job that finishes meanwhile is handed out at once, the read going on: the input
          // may be waiting for that result (children that need their parents' ids).
          const jobFinished = running.size === 0
            ? undefined
            : new Promise<undefined>((resolve) => wake = () => resolve(undefined));
          let step: IteratorResult<JobPayload, void> | undefined;
          try {
            step = await untilAborted(
              jobFinished === undefined ? pendingRead : Promise.race([pendingRead, jobFinished]),
              signal,
            );
          } catch (error) {
            if (!signal.aborted) {
              pendingRead = undefined;
              // A bad record or a failing input: records read before it were never sent.
              stopError = error instanceof SplitError ? error.error : error;
              if (error instanceof SplitError) {
                pending = error.unsent;
                refused = error.offending;
                blank += error.blank;
              }
            }
            continue;
          } finally {
            wake = undefined;
          }
          if (step === undefined) continue;
          pendingRead = undefined;
          if (step.done) inputDone = true;
          else pending = step.value;
          continue;
        }
        if (!stopping && pending !== undefined && running.size + done.length < maxJobs) {
          started++;
          const task: Promise<void> = runJob(job, pending).then((stage) => {
            running.delete(task);
            done.push(stage);
            wake?.();
          });
          pending = undefined;
          running.add(task);
          continue;
        }
        if (running.size === 0) break;
        const completion = new Promise<void>((resolve) => wake = resolve);
        await untilAborted(completion, signal).catch(() => {});
        wake = undefined;
      }
      if (signal.aborted) {
        await Promise.all(running);
        throw run.signal.aborted ? run.signal.reason : signal.reason;
      }
      finished = true;
      if (stopError === undefined) return;
      if (!fatal && started === 0) throw stopError;
      // Closing the input makes the splitter hand back the records it read for the next job.
      if (pendingRead !== undefined) {
        // Stopped while the input was read for the next job (a job's result went out
        // meanwhile): what that read gave, or gives, is reported too. An abort ends the wait.
        try {
          const step = await untilAborted(pendingRead, signal);
          if (!step.done) pending = step.value;
        } catch (error) {
          if (signal.aborted) throw run.signal.aborted ? run.signal.reason : signal.reason;
          if (error instanceof SplitError) {
            pending = error.unsent;
            refused ??= error.offending;
            blank += error.blank;
          }
        }
      }
      // (What the input's cleanup throws is dropped: the operation's own error is the news.)
      await closeInput();
      // In input order: the payload read ahead, the one being filled (or its records with no
      // cell to show), then the record that stopped the split, even with no cell to show.
      const rows = (rest: JobPayload | undefined) =>
        rest === undefined ? [] : payloadRows(rest, stopError);
      const leftover = [...rows(pending), ...rows(unread.payload)];
      blank += unread.blank ?? 0;
      for (let i = 0; i < blank; i++) leftover.push({ sf__Error: describeError(stopError) });
      if (refused !== undefined) {
        if (refused.payload === undefined) leftover.push({ sf__Error: describeError(stopError) });
        else leftover.push(...rows(refused.payload));
      }
      // A throwing onProgress is the cause as what it threw.
      const cause = stopError instanceof CallbackError ? stopError.cause : stopError;
      throw this.#stopError(`${run.context}: ${describeError(stopError)}`, cause, {
        jobs: [],
        successfulResults: [],
        failedResults: [],
        unprocessedRecords: leftover,
      });
    } catch (error) {
      failing = true;
      throw error;
    } finally {
      if (!finished && running.size > 0) {
        // The caller left early or aborted: abort the jobs still open, then let them settle.
        stop.abort(new DOMException("The bulk operation was stopped", "AbortError"));
        await Promise.all(running);
      }
      // Closes the caller's iterator too; while it is still producing (it may never end), once
      // the pending read settles.
      if (!inputClosed) {
        if (reading) pendingRead?.then(() => payloads.return(), () => {}).catch(() => {});
        else {
          // Left early (break): the input's own cleanup error reaches the caller, as in a
          // for…of loop; while another error leaves, that one wins.
          const closing = await closeInput();
          // Safe here: `failing` says no other error is leaving (only a return or a normal end).
          // deno-lint-ignore no-unsafe-finally
          if (closing !== undefined && !failing) throw closing.error;
        }
      }
    }
  }
}
