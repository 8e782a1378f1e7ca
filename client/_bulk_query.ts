// Bulk API 2.0 query (salesforce-api.md §9): query jobs, and their results streamed page by
// page along `Sforce-Locator`, each page parsed as its body arrives.

import type { BulkQueryOptions, JobInfo, ListJobsOptions, QueryResultsOptions } from "./bulk_v2.ts";
import { SalesforceError } from "./errors.ts";
import type { Salesforce } from "./salesforce.ts";
import { CallbackError, checkPolling, JobResource } from "./_bulk_jobs.ts";
import { endingWithLineBreak, type RecordMaker, recordMaker, rowBatches } from "./_csv_reader.ts";
import { checkBoolean, checkInteger, checkSoql, optionsOf, received } from "./_validate.ts";
import { bodyChunks } from "./_body_deadline.ts";

/** The calls behind `sf.bulkV2.queryJobs`, and `sf.bulkV2.query`. */
export class QueryJobs {
  #jobs: JobResource;

  constructor(client: Salesforce) {
    this.#jobs = new JobResource(client, "query");
  }

  async create(
    soql: string,
    options: { includeAllRecords?: boolean; signal?: AbortSignal } = {},
  ): Promise<JobInfo> {
    options = optionsOf("Cannot create query job", options);
    const context = "Cannot create query job";
    const all = checkBoolean(context, "includeAllRecords", options.includeAllRecords);
    return await this.#jobs.create({
      operation: all ? "queryAll" : "query",
      query: checkSoql(context, soql),
      contentType: "CSV",
      columnDelimiter: "COMMA",
      lineEnding: "LF",
    }, options.signal);
  }

  async get(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobInfo> {
    options = optionsOf("Cannot get query job", options);
    return await this.#jobs.get("Cannot get query job", jobId, options.signal);
  }

  list(options: ListJobsOptions = {}): AsyncGenerator<JobInfo, void, undefined> {
    options = optionsOf("Cannot list query jobs", options);
    const params = new URLSearchParams();
    if (options.jobType !== undefined) params.set("jobType", options.jobType);
    if (options.concurrencyMode !== undefined) {
      params.set("concurrencyMode", options.concurrencyMode);
    }
    return this.#jobs.list(params, options.signal);
  }

  async abort(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobInfo> {
    options = optionsOf("Cannot abort query job", options);
    return await this.#jobs.setState("Cannot abort query job", jobId, "Aborted", options.signal);
  }

  async delete(jobId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    options = optionsOf("Cannot delete query job", options);
    await this.#jobs.delete("Cannot delete query job", jobId, options.signal);
  }

  results(
    jobId: string,
    options: QueryResultsOptions = {},
  ): AsyncGenerator<Record<string, string>, void, undefined> {
    options = optionsOf("Cannot read query job results", options);
    const context = "Cannot read query job results";
    const path = this.#jobs.path(context, jobId, "/results");
    if (options.maxRecords !== undefined) {
      checkInteger(context, "maxRecords", options.maxRecords, 1);
    }
    if (options.locator !== undefined && typeof options.locator !== "string") {
      throw new TypeError(
        `${context}: "locator" must be a string: received ${received(options.locator)}`,
      );
    }
    return this.#rows(
      () => Promise.resolve({ path }),
      context,
      options.maxRecords,
      options.locator,
      options.signal,
    );
  }

  /**
   * Rows of the results at the path `jobOf` resolves to, pages one at a time: the next is
   * requested once the current body has been read. One generator from the first page to the
   * last row (no generator delegating to another): each row costs one async step.
   *
   * A page must hold the rows its `Sforce-NumberOfRecords` announces and end with a line
   * break, and every page but the last must name the next in `Sforce-Locator` (the last says
   * "null"): a cut or short page is an error, never a silent end. A job `jobOf` says the
   * caller made (`job`) is deleted when its rows are not all read (the caller left early, an
   * abort, an error).
   */
  async *#rows(
    jobOf: () => Promise<{ path: string; job?: string }>,
    context: string,
    maxRecords: number | undefined,
    locator: string | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Record<string, string>, void, undefined> {
    const { path, job } = await jobOf();
    let complete = false;
    try {
      let next = locator;
      for (;;) {
        signal?.throwIfAborted();
        const params = new URLSearchParams();
        if (maxRecords !== undefined) params.set("maxRecords", String(maxRecords));
        if (next !== undefined) params.set("locator", next);
        const query = params.toString();
        const url = query ? `${path}?${query}` : path;
        const response = await this.#jobs.csv(url, signal);
        const header = response.headers.get("Sforce-Locator");
        const announced = response.headers.get("Sforce-NumberOfRecords");
        const where = `${context}: the results page at ${url}`;
        const body = endingWithLineBreak(
          bodyChunks(response),
          () => new SalesforceError(`${where} was cut off: it does not end with a line break`),
        );
        let columns: readonly string[] | undefined;
        let make: RecordMaker | undefined;
        let count = 0;
        for await (const rows of rowBatches(body)) {
          let i = 0;
          if (columns === undefined && rows.length > 0) {
            columns = rows[0];
            make = recordMaker(columns);
            i = 1;
          }
          for (; i < rows.length; i++) {
            // Nothing more once the caller aborts, even from a page already read.
            if (signal !== undefined && signal.aborted) throw signal.reason;
            count++;
            yield make!(columns!, rows[i]);
          }
        }
        if (announced !== null && announced.trim() !== "" && Number(announced) !== count) {
          throw new SalesforceError(
            `${where} holds ${count} rows where Sforce-NumberOfRecords says ${announced}`,
          );
        }
        // The last page says so with the literal string "null".
        if (header === "null") {
          complete = true;
          return;
        }
        if (header === null || header.trim() === "") {
          throw new SalesforceError(`${where} has no Sforce-Locator: the next page is unknown`);
        }
        next = header;
      }
    } finally {
      // A job made for this query and left half read is of no use to anyone: delete it
      // (without the caller's signal, which may be aborted; a failure changes nothing).
      if (!complete && job !== undefined) await this.delete(job).catch(() => {});
    }
  }

  query(
    soql: string,
    options: BulkQueryOptions = {},
  ): AsyncGenerator<Record<string, string>, void, undefined> {
    const context = "Cannot run bulk query";
    checkSoql(context, soql);
    checkBoolean(context, "includeAllRecords", options.includeAllRecords);
    if (options.maxRecords !== undefined) {
      checkInteger(context, "maxRecords", options.maxRecords, 1);
    }
    const polling = checkPolling(context, options);
    return this.#rows(
      () => this.#run(context, soql, options, polling),
      context,
      options.maxRecords,
      undefined,
      options.signal,
    );
  }

  /** Creates the job and waits for it to complete; resolves to its results path and id. */
  async #run(
    context: string,
    soql: string,
    options: BulkQueryOptions,
    polling: ReturnType<typeof checkPolling>,
  ): Promise<{ path: string; job: string }> {
    const { signal } = options;
    // Not cancelled by the caller's signal: an abort during the request would leave a job the
    // org made, whose id the client never read. The abort is seen once it is made.
    const created = await this.create(soql, { includeAllRecords: options.includeAllRecords });
    let info: JobInfo;
    try {
      signal?.throwIfAborted();
      info = await this.#jobs.wait(context, created.id, polling, signal);
    } catch (error) {
      // Leave nothing on the org: abort the job, then delete it (without the caller's signal,
      // which may be aborted; a failure changes nothing).
      await this.abort(created.id).catch(() => {});
      await this.delete(created.id).catch(() => {});
      // A throwing onProgress reaches the caller as what it threw.
      throw error instanceof CallbackError ? error.cause : error;
    }
    if (info.state !== "JobComplete") {
      // Its error goes to the caller; the job itself is of no further use.
      await this.delete(info.id).catch(() => {});
      throw new SalesforceError(
        `${context}: job ${info.id} ended ${info.state}${
          info.errorMessage ? `: ${info.errorMessage}` : ""
        }`,
        { errorMessage: info.errorMessage },
      );
    }
    return { path: this.#jobs.path(context, info.id, "/results"), job: info.id };
  }
}
