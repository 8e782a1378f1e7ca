/**
 * Bulk API 2.0: ingest any number of records as CSV jobs, and stream query results.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { IngestJobs } from "./_bulk_ingest.ts";
import { QueryJobs } from "./_bulk_query.ts";
import { checkBoolean, optionsOf } from "./_validate.ts";

/**
 * States of a Bulk API 2.0 job. `JobComplete`, `Failed` and `Aborted` are final.
 *
 * @example
 * ```ts
 * import type { BulkJobState } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const state: BulkJobState = "JobComplete";
 * assert.equal(state, "JobComplete");
 * ```
 */
export type BulkJobState =
  | "Open"
  | "UploadComplete"
  | "InProgress"
  | "JobComplete"
  | "Failed"
  | "Aborted";

/**
 * Ingest operations; `hardDelete` needs the "Bulk API Hard Delete" permission.
 *
 * @example
 * ```ts
 * import type { IngestOperation } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const operation: IngestOperation = "upsert";
 * assert.equal(operation, "upsert");
 * ```
 */
export type IngestOperation = "insert" | "update" | "upsert" | "delete" | "hardDelete";

/**
 * A job's info as Salesforce returns it (keys as on the wire). The counters are present
 * on `getJob`; `errorMessage` when the job failed.
 *
 * @example
 * ```ts
 * import type { JobInfo } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const info = { id: "7505g0000000001AAA", state: "JobComplete" } as JobInfo;
 * assert.equal(info.state, "JobComplete");
 * ```
 */
export interface JobInfo {
  /** The job id (`750...`). */
  id: string;
  /** What the job does. */
  operation: IngestOperation | "query" | "queryAll";
  /** The sObject. */
  object: string;
  /** Where the job is. */
  state: BulkJobState;
  /** Who created it. */
  createdById: string;
  /** When, e.g. `2024-03-15T09:30:00.000+0000`. */
  createdDate: string;
  /** Last change. */
  systemModstamp: string;
  /** API version, a number such as `64`. */
  apiVersion: number;
  /** `Parallel`. */
  concurrencyMode: string;
  /** `CSV`. */
  contentType: string;
  /** `LF` or `CRLF`. */
  lineEnding: string;
  /** `COMMA`. */
  columnDelimiter: string;
  /** The upsert key. */
  externalIdFieldName?: string;
  /** Case or Lead assignment rule. */
  assignmentRuleId?: string;
  /** `V2Ingest` or `V2Query`. */
  jobType?: string;
  /** Rows processed, successes and failures alike. */
  numberRecordsProcessed?: number;
  /** Rows that failed. */
  numberRecordsFailed?: number;
  /** Why the job failed. */
  errorMessage?: string;
  /** Other keys Salesforce sends (`retries`, `totalProcessingTime`, ...). */
  [key: string]: unknown;
}

/**
 * What one ingest job did. Rows are CSV rows keyed by column: successes carry
 * `sf__Id` and `sf__Created`, failures `sf__Id` and `sf__Error`. When the client could
 * not run the job (creation or upload failed after retries, polling failed), `error`
 * says why and its rows are in `unprocessedRecords`, each with `sf__Error`.
 *
 * Results from `performOperation` keep each row set as the CSV bytes Salesforce sent
 * (checked to parse as they arrived) until it is first read: reading
 * `successfulResults` (likewise the two others) parses it once into a real array of
 * plain objects, which every later read returns, and which can be changed or replaced
 * like any property. A set never read costs its CSV size, not the 2 to 3 times as much
 * its rows take as objects. Printing a result (`console.log`) reads every set; a frozen
 * result still parses a set on first read and returns that array from then on.
 *
 * @example
 * ```ts
 * import type { JobResult } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const result: JobResult = { jobInfo: null, successfulResults: [], failedResults: [], unprocessedRecords: [] };
 * assert.equal(result.successfulResults.length, 0);
 * ```
 */
export interface JobResult {
  /** The job's final info; null when it could not even be created. */
  jobInfo: JobInfo | null;
  /** Why the client gave up on this job, when it did. */
  error?: unknown;
  /** Rows saved: `sf__Id`, `sf__Created`, then the uploaded columns. */
  successfulResults: Record<string, string>[];
  /** Rows refused: `sf__Id`, `sf__Error` (`CODE:message:fields --`), then the uploaded columns. */
  failedResults: Record<string, string>[];
  /**
   * Rows never processed (the job was aborted or failed: `sf__Error` names the job and its
   * `errorMessage`), or rows the client could not account for: their `sf__Error` then starts
   * with `Outcome unknown:` when the job's CSV reached Salesforce (it may have saved them:
   * check the job's results before resending).
   */
  unprocessedRecords: Record<string, string>[];
}

/**
 * The merged outcome of an ingest operation: every input record read appears exactly
 * once in `successfulResults`, `failedResults` or `unprocessedRecords`.
 *
 * @example
 * ```ts
 * import type { IngestResult } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const result: IngestResult = { jobs: [], successfulResults: [], failedResults: [], unprocessedRecords: [] };
 * assert.deepEqual(result.jobs, []);
 * ```
 */
export interface IngestResult {
  /** Final info of every job created. */
  jobs: JobInfo[];
  /** Rows saved. */
  successfulResults: Record<string, string>[];
  /** Rows refused, with `sf__Error`. */
  failedResults: Record<string, string>[];
  /** Rows never processed. */
  unprocessedRecords: Record<string, string>[];
}

/**
 * Options of the ingest methods. Durations are in milliseconds.
 *
 * @example Fixed columns, small jobs, progress
 * ```ts
 * import type { IngestOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const options: IngestOptions = {
 *   fieldNames: ["LastName", "Email"],
 *   maxRecords: 10_000,
 *   onProgress: (job) => void seen.push(job.state),
 * };
 * assert.equal(options.fieldNames?.length, 2);
 * ```
 */
export interface IngestOptions {
  /**
   * The CSV columns. A record field outside them is a `TypeError`; a missing one is an
   * empty cell. Without it the columns are inferred: from every record of an array (one
   * pass before writing), or, for other iterables, from the records of each job, whose
   * cells are then held as strings (more memory than CSV) until the job is cut.
   */
  fieldNames?: readonly string[];
  /**
   * Largest upload per job in bytes, header included; never exceeded. At most 100,000,000:
   * Salesforce takes 150 MB per upload after base64 encoding, which adds a third.
   *
   * @default {100_000_000}
   */
  maxSizeBytes?: number;
  /**
   * Most records per job.
   *
   * @default {150_000_000}
   */
  maxRecords?: number;
  /**
   * Most jobs open at once. Memory holds about (maxConcurrentJobs + 1) × maxSizeBytes of
   * CSV, plus the result CSV of the job being handed out, and the rows of the results
   * the caller reads: as objects, 2 to 3 times their CSV size (in a `for await` loop
   * over `performOperation`, the loop variable keeps the previous job's alive for the
   * whole wait until the next job's result is handed out).
   *
   * @default {4}
   */
  maxConcurrentJobs?: number;
  /** Case or Lead assignment rule id. */
  assignmentRuleId?: string;
  /**
   * First wait between two polls of a job; each next wait is 1.5 times longer.
   *
   * @default {1_000}
   */
  pollingInterval?: number;
  /**
   * Longest wait between two polls.
   *
   * @default {10_000}
   */
  maxPollingInterval?: number;
  /** Called with the job info of every poll; a throw stops the operation. */
  onProgress?: (jobInfo: JobInfo) => void | Promise<void>;
  /**
   * Aborts the open jobs on Salesforce, then rejects with the signal's reason. A job being
   * created when the signal aborts is waited for (its request is not cancelled), so that it
   * can be aborted too.
   */
  signal?: AbortSignal;
}

/**
 * Options of {@linkcode BulkClientV2.delete}.
 *
 * @example
 * ```ts
 * import type { DeleteOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: DeleteOptions = { hard: true };
 * assert.ok(options.hard);
 * ```
 */
export interface DeleteOptions extends IngestOptions {
  /**
   * Delete for good (`hardDelete`), not to the recycle bin.
   *
   * @default {false}
   */
  hard?: boolean;
}

/**
 * Options of {@linkcode BulkIngestJobs.createJob}.
 *
 * @example
 * ```ts
 * import type { CreateJobOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: CreateJobOptions = { externalIdFieldName: "ExtId__c" };
 * assert.equal(options.externalIdFieldName, "ExtId__c");
 * ```
 */
export interface CreateJobOptions {
  /** The upsert key; required for `upsert` (`Id` upserts by record id). */
  externalIdFieldName?: string;
  /** Case or Lead assignment rule id. */
  assignmentRuleId?: string;
  /**
   * How the CSV you will upload with `uploadJobData` breaks lines: `"CRLF"` for a file saved
   * on Windows or by Excel. Salesforce fails a job whose data does not match.
   *
   * @default {"LF"}
   */
  lineEnding?: "LF" | "CRLF";
  /** Aborts the call. */
  signal?: AbortSignal;
}

/**
 * Options of {@linkcode BulkIngestJobs.performOperation}.
 *
 * @example
 * ```ts
 * import type { PerformOperationOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: PerformOperationOptions = { externalIdFieldName: "ExtId__c", maxConcurrentJobs: 2 };
 * assert.equal(options.maxConcurrentJobs, 2);
 * ```
 */
export interface PerformOperationOptions extends IngestOptions {
  /** The upsert key; required for `upsert`. */
  externalIdFieldName?: string;
}

/**
 * Filters of `listJobs` and `queryJobs.list`.
 *
 * @example
 * ```ts
 * import type { ListJobsOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: ListJobsOptions = { jobType: "V2Ingest" };
 * assert.equal(options.jobType, "V2Ingest");
 * ```
 */
export interface ListJobsOptions {
  /** Only jobs with PK chunking on (or off). */
  isPkChunkingEnabled?: boolean;
  /** `V2Ingest`, `V2Query`, `Classic`, `BigObjectIngest`. */
  jobType?: string;
  /** `Parallel` or `Serial`. */
  concurrencyMode?: string;
  /** Aborts the listing. */
  signal?: AbortSignal;
}

/**
 * Options of {@linkcode BulkIngestJobs.uploadJobData}.
 *
 * @example
 * ```ts
 * import type { UploadJobDataOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: UploadJobDataOptions = { recordCount: 25_000 };
 * assert.equal(options.recordCount, 25_000);
 * ```
 */
export interface UploadJobDataOptions {
  /** Records in the data, for the batch-consumption event; counted from the data when omitted. */
  recordCount?: number;
  /** Aborts the upload. */
  signal?: AbortSignal;
}

/**
 * Options of {@linkcode BulkClientV2.query}. Durations are in milliseconds.
 *
 * @example
 * ```ts
 * import type { BulkQueryOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: BulkQueryOptions = { includeAllRecords: true, maxRecords: 50_000 };
 * assert.ok(options.includeAllRecords);
 * ```
 */
export interface BulkQueryOptions {
  /**
   * Include deleted and archived records (`queryAll`).
   *
   * @default {false}
   */
  includeAllRecords?: boolean;
  /** Rows per results page; Salesforce picks when omitted. */
  maxRecords?: number;
  /**
   * First wait between two polls of the job; each next wait is 1.5 times longer.
   *
   * @default {1_000}
   */
  pollingInterval?: number;
  /**
   * Longest wait between two polls.
   *
   * @default {10_000}
   */
  maxPollingInterval?: number;
  /** Called with the job info of every poll. */
  onProgress?: (jobInfo: JobInfo) => void | Promise<void>;
  /** Aborts the query (and the job on Salesforce, while it runs). */
  signal?: AbortSignal;
}

/**
 * Options of {@linkcode BulkQueryJobs.results}.
 *
 * @example
 * ```ts
 * import type { QueryResultsOptions } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const options: QueryResultsOptions = { maxRecords: 10_000 };
 * assert.equal(options.maxRecords, 10_000);
 * ```
 */
export interface QueryResultsOptions {
  /** Rows per page; Salesforce picks when omitted. */
  maxRecords?: number;
  /** Start from this `Sforce-Locator` instead of the first page. */
  locator?: string;
  /** Aborts the download. */
  signal?: AbortSignal;
}

/**
 * Low-level ingest job calls, available as `sf.bulkV2.ingest`.
 *
 * @example Run one job by hand
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const job = await sf.bulkV2.ingest.createJob("insert", "Account");
 * await sf.bulkV2.ingest.uploadJobData(job.id, "Name\nAcme\n");
 * const info = await sf.bulkV2.ingest.getJob(job.id);
 * assert.equal(info.state, "JobComplete");
 * assert.equal(info.numberRecordsProcessed, 1);
 * ```
 */
export interface BulkIngestJobs {
  /** Creates an `Open` job (`POST /jobs/ingest`). */
  createJob(
    operation: IngestOperation,
    sobject: string,
    options?: CreateJobOptions,
  ): Promise<JobInfo>;
  /** Reads a job's info and counters. */
  getJob(jobId: string, options?: { signal?: AbortSignal }): Promise<JobInfo>;
  /** Every ingest job, following `nextRecordsUrl`. */
  listJobs(options?: ListJobsOptions): AsyncGenerator<JobInfo, void, undefined>;
  /** Aborts a job that is not final. */
  abortJob(jobId: string, options?: { signal?: AbortSignal }): Promise<JobInfo>;
  /** Deletes a job and its results. */
  deleteJob(jobId: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Uploads CSV (comma, LF, header first) to an `Open` job, then closes it
   * (`UploadComplete`), and returns the closed job's info.
   */
  uploadJobData(
    jobId: string,
    data: string | Uint8Array | Iterable<Uint8Array>,
    options?: UploadJobDataOptions,
  ): Promise<JobInfo>;
  /**
   * Serialises `records` as they arrive into jobs of at most `maxSizeBytes` and
   * `maxRecords`, runs up to `maxConcurrentJobs` at once, and yields each job's
   * {@linkcode JobResult} as it finishes, even while `records` is still producing the
   * next job's records (so an input may wait for a result, say for its parents' ids).
   * Leaving the loop early aborts the open jobs.
   * After a fatal error (authentication, permissions, request limit, a throwing
   * `onProgress`) the jobs in flight are finished and yielded, then it throws a
   * {@linkcode BulkIngestError} whose `result` holds the records read but never sent.
   */
  performOperation(
    operation: IngestOperation,
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options?: PerformOperationOptions,
  ): AsyncGenerator<JobResult, void, undefined>;
}

/**
 * Low-level query job calls, available as `sf.bulkV2.queryJobs`.
 *
 * @example Create, wait, read
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("Account", [{ Name: "Acme" }]);
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const job = await sf.bulkV2.queryJobs.create("SELECT Name FROM Account");
 * assert.equal((await sf.bulkV2.queryJobs.get(job.id)).state, "JobComplete");
 * const rows = await Array.fromAsync(sf.bulkV2.queryJobs.results(job.id));
 * assert.deepEqual(rows, [{ Name: "Acme" }]);
 * ```
 */
export interface BulkQueryJobs {
  /** Creates a query job (`queryAll` with `includeAllRecords`). */
  create(
    soql: string,
    options?: { includeAllRecords?: boolean; signal?: AbortSignal },
  ): Promise<JobInfo>;
  /** Reads a query job's info. */
  get(jobId: string, options?: { signal?: AbortSignal }): Promise<JobInfo>;
  /** Every query job, following `nextRecordsUrl`. */
  list(options?: ListJobsOptions): AsyncGenerator<JobInfo, void, undefined>;
  /** Aborts a query job that is not final. */
  abort(jobId: string, options?: { signal?: AbortSignal }): Promise<JobInfo>;
  /** Deletes a query job and its results. */
  delete(jobId: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Every row of a completed job, page after page along `Sforce-Locator`, each page
   * parsed as its body streams in; one page is in flight at a time.
   */
  results(
    jobId: string,
    options?: QueryResultsOptions,
  ): AsyncGenerator<Record<string, string>, void, undefined>;
}

/**
 * An ingest operation stopped before its end: `cause` says why (an authentication,
 * permission or request-limit error, Salesforce refusing to create a job (400 or 404: an
 * unknown object or field, a bad operation), a throwing `onProgress`, or a bad record
 * found after jobs had started) and `result` holds what was done, every record read being
 * in one of its sets (a bad record is the last of `unprocessedRecords`, with the cells
 * it could give and its error in `sf__Error`). Records not read yet are in none: the input
 * is read in order, so the rows of the three sets together count the records read, and a
 * rerun may start from the input's record at that index.
 *
 * @example
 * ```ts
 * import { BulkIngestError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const result = { jobs: [], successfulResults: [], failedResults: [], unprocessedRecords: [] };
 * const error = new BulkIngestError("Cannot insert Account records: stopped", { cause: new Error("x"), result });
 * assert.equal(error.result, result);
 * ```
 */
export class BulkIngestError extends Error {
  /** What the operation did before it stopped. */
  readonly result: IngestResult;

  /**
   * Creates the error.
   *
   * @param message What could not be done and why.
   * @param options The error that stopped the operation and the partial result.
   */
  constructor(message: string, options: { cause: unknown; result: IngestResult }) {
    super(message, { cause: options.cause });
    this.name = "BulkIngestError";
    this.result = options.result;
  }
}

function merge(into: IngestResult, job: JobResult | IngestResult): void {
  // Loops, not push(...rows): spreading 100,000 rows would overflow the call stack.
  if ("jobs" in job) { for (const info of job.jobs) into.jobs.push(info); }
  else if (job.jobInfo !== null) into.jobs.push(job.jobInfo);
  for (const row of job.successfulResults) into.successfulResults.push(row);
  for (const row of job.failedResults) into.failedResults.push(row);
  for (const row of job.unprocessedRecords) into.unprocessedRecords.push(row);
}

/**
 * Bulk API 2.0, available as `sf.bulkV2`: ingest records of any number through CSV jobs
 * with bounded memory, and stream query results.
 *
 * @example Insert, then query back
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const result = await sf.bulkV2.insert("Contact", [
 *   { LastName: "Lee", Email: "ann@example.com" },
 *   { FirstName: "No last name" },
 * ]);
 * assert.equal(result.successfulResults.length, 1);
 * assert.match(result.failedResults[0].sf__Error, /^REQUIRED_FIELD_MISSING/);
 * const rows = await Array.fromAsync(sf.bulkV2.query("SELECT LastName FROM Contact"));
 * assert.deepEqual(rows, [{ LastName: "Lee" }]);
 * ```
 */
export class BulkClientV2 {
  /** Low-level ingest job calls. */
  readonly ingest: BulkIngestJobs;
  /** Low-level query job calls. */
  readonly queryJobs: BulkQueryJobs;
  #query: QueryJobs;

  /**
   * Creates the Bulk API 2.0 client of `client`; every `Salesforce` has one as `sf.bulkV2`.
   *
   * @param client The client to send requests with.
   */
  constructor(client: Salesforce) {
    this.ingest = new IngestJobs(
      client,
      (message, cause, result) => new BulkIngestError(message, { cause, result }),
    );
    this.#query = new QueryJobs(client);
    this.queryJobs = this.#query;
  }

  async #run(
    operation: IngestOperation,
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options: PerformOperationOptions,
  ): Promise<IngestResult> {
    const result: IngestResult = {
      jobs: [],
      successfulResults: [],
      failedResults: [],
      unprocessedRecords: [],
    };
    try {
      for await (const job of this.ingest.performOperation(operation, sobject, records, options)) {
        merge(result, job);
      }
    } catch (error) {
      if (!(error instanceof BulkIngestError)) throw error;
      merge(result, error.result);
      throw new BulkIngestError(error.message, { cause: error.cause, result });
    }
    return result;
  }

  /**
   * Creates records.
   *
   * @param sobject The object, e.g. `Contact`.
   * @param records Objects of field values: string, number, bigint, boolean, `Date`
   *   (written as a dateTime; a date field takes a `"YYYY-MM-DD"` string), null (an empty
   *   cell), or `{ Rel: { ExtId__c: value } }` for a lookup by external id.
   * @param options Columns, job size, concurrency, polling, `signal`.
   * @returns Every record's outcome and the jobs' info.
   * @throws {TypeError} For a bad argument, or a record with a field outside `fieldNames`.
   * @throws {RangeError} For a record larger than `maxSizeBytes` with the header.
   * @throws {BulkIngestError} When the operation stopped after jobs had started.
   *
   * @example
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const { successfulResults } = await sf.bulkV2.insert("Account", [{ Name: "Acme", NumberOfEmployees: 5 }]);
   * assert.equal(successfulResults[0].sf__Created, "true");
   * ```
   */
  async insert(
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    options = optionsOf("Cannot run bulk insert", options);
    return await this.#run("insert", sobject, records, options);
  }

  /**
   * Updates records; each has its `Id`. An empty cell leaves a field as it is: send the
   * string `"#N/A"` to empty it.
   *
   * @param sobject The object.
   * @param records Objects with `Id` and the fields to change.
   * @param options As for {@linkcode BulkClientV2.insert}.
   * @returns Every record's outcome and the jobs' info.
   * @throws {TypeError} For a bad argument or record.
   * @throws {BulkIngestError} When the operation stopped after jobs had started.
   *
   * @example
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [id] = org.insert("Account", [{ Name: "Acme", Phone: "555" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * await sf.bulkV2.update("Account", [{ Id: id, Name: "Acme Corp", Phone: "#N/A" }]);
   * assert.equal(org.records("Account")[0].Phone, null);
   * ```
   */
  async update(
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    options = optionsOf("Cannot run bulk update", options);
    return await this.#run("update", sobject, records, options);
  }

  /**
   * Creates or updates records matched by an external id field.
   *
   * @param sobject The object.
   * @param records Objects holding `externalIdField`.
   * @param externalIdField The key, e.g. `ExtId__c` (`Id` upserts by record id).
   * @param options As for {@linkcode BulkClientV2.insert}.
   * @returns Every record's outcome (`sf__Created` says which) and the jobs' info.
   * @throws {TypeError} For a bad argument or record.
   * @throws {BulkIngestError} When the operation stopped after jobs had started.
   *
   * @example
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "Old", ExtId__c: "A1" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const r = await sf.bulkV2.upsert("Account", [{ ExtId__c: "A1", Name: "New" }, { ExtId__c: "A2", Name: "Two" }], "ExtId__c");
   * assert.deepEqual(r.successfulResults.map((row) => row.sf__Created), ["false", "true"]);
   * ```
   */
  async upsert(
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    externalIdField: string,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    options = optionsOf("Cannot run bulk upsert", options);
    return await this.#run("upsert", sobject, records, {
      ...options,
      externalIdFieldName: externalIdField,
    });
  }

  /**
   * Deletes records (`{ Id }` objects): to the recycle bin, or for good with `hard`.
   *
   * @param sobject The object.
   * @param records Objects with `Id`.
   * @param options `hard`, and the options of {@linkcode BulkClientV2.insert}.
   * @returns Every record's outcome and the jobs' info.
   * @throws {TypeError} For a bad argument or record.
   * @throws {BulkIngestError} When the operation stopped after jobs had started.
   *
   * @example
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const ids = org.insert("Account", [{ Name: "A" }, { Name: "B" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * await sf.bulkV2.delete("Account", ids.map((Id) => ({ Id })));
   * assert.equal(org.records("Account").length, 0);
   * ```
   */
  async delete(
    sobject: string,
    records: Iterable<object> | AsyncIterable<object>,
    options: DeleteOptions = {},
  ): Promise<IngestResult> {
    options = optionsOf("Cannot run bulk delete", options);
    const { hard, ...rest } = options;
    const operation = checkBoolean("Cannot run bulk delete", "hard", hard)
      ? "hardDelete"
      : "delete";
    return await this.#run(operation, sobject, records, rest);
  }

  /**
   * Runs a SOQL query as a Bulk API 2.0 job and iterates over its rows as CSV records
   * (`Record<string, string>`; null and empty are both `""`, relationship fields keyed
   * `Owner.Email`). Pages follow `Sforce-Locator`, one in flight at a time, each parsed as
   * it streams in, so memory stays flat whatever the result size. A page that is cut off,
   * holds fewer rows than its `Sforce-NumberOfRecords`, or names no next page is an error,
   * never a silent end. Leaving the loop early (or an abort, or an error) deletes the job.
   *
   * @param soql The query (no `COUNT()`, `OFFSET` or subqueries in Bulk API 2.0).
   * @param options `includeAllRecords`, `maxRecords` per page, polling, `signal`.
   * @returns An async iterable of rows.
   * @throws {TypeError} When `soql` is empty or an option is invalid.
   * @throws {SalesforceError} When the job cannot be created or ends `Failed`/`Aborted`, or
   *   a results page is cut off or short.
   *
   * @example
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "Acme" }, { Name: "Globex" }]);
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const names: string[] = [];
   * for await (const row of sf.bulkV2.query("SELECT Name FROM Account ORDER BY Name", { maxRecords: 1 })) {
   *   names.push(row.Name);
   * }
   * assert.deepEqual(names, ["Acme", "Globex"]);
   * ```
   */
  query(
    soql: string,
    options: BulkQueryOptions = {},
  ): AsyncGenerator<Record<string, string>, void, undefined> {
    options = optionsOf("Cannot run bulk query", options);
    return this.#query.query(soql, options);
  }
}
