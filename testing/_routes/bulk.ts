// Bulk API 2.0 routes: ingest jobs (salesforce-api.md §8) and query jobs (§9).

import { isSalesforceId, normalizeId } from "../../client/_ids.ts";
import {
  abandonIngest,
  advance,
  bulkState,
  type IngestJob,
  isFinal,
  jobInfoJson,
  type JobState,
  newJob,
  processIngest,
  type QueryJob,
  setState,
} from "../_bulk_jobs.ts";
import { columnReaders, queryPageCsv, resultsCsv } from "../_bulk_csv.ts";
import { fail, JSON_TYPE, noContent, notFound, pageResponse, readJsonObject } from "../_http.ts";
import type { Route, RouteContext } from "../_router.ts";
import { parseSoql, runSoql, SoqlError } from "../_soql/mod.ts";
import { makeId } from "../_store.ts";

const OPERATIONS = new Set(["insert", "update", "upsert", "delete", "hardDelete"]);
/** Jobs per list page (Salesforce pages at 1,000; the org's `pageSize` can lower it for tests). */
const LIST_PAGE = 1000;
/** Prefix of list locators: `<this>-<offset>`. */
const LIST_LOCATOR = makeId("01g", 1);
/** Rows per query results page when the request gives no `maxRecords`. */
const DEFAULT_MAX_RECORDS = 50_000;

function jobResponse(status: number, body: string, headers?: HeadersInit): Response {
  const response = new Response(body, { status, headers });
  response.headers.set("Content-Type", JSON_TYPE);
  return response;
}

function csvResponse(
  body: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, { status: 200, headers: { ...headers, "Content-Type": "text/csv" } });
}

function invalidJob(message: string): Response {
  // Codes of salesforce-api.md §8.1 (unverified there); wording ours.
  return fail(400, "INVALIDJOB", message);
}

function invalidState(from: JobState, to: string): Response {
  return fail(409, "INVALIDJOBSTATE", `Invalid state transition from ${from} to ${to}`);
}

/** Options every job create shares: CSV, comma, LF or CRLF. */
function dialect(body: Record<string, unknown>): { lineEnding: "LF" | "CRLF" } | Response {
  const { contentType = "CSV", columnDelimiter = "COMMA", lineEnding = "LF" } = body;
  if (contentType !== "CSV") return invalidJob(`Unsupported content type: ${contentType}`);
  if (columnDelimiter !== "COMMA") {
    // Salesforce also takes TAB, PIPE, ...; the fake's one CSV dialect is comma-separated.
    return invalidJob(`FakeSalesforce supports only the COMMA column delimiter`);
  }
  if (lineEnding !== "LF" && lineEnding !== "CRLF") {
    return invalidJob(`Invalid line ending: ${lineEnding}`);
  }
  return { lineEnding };
}

function jobOf<T extends IngestJob | QueryJob>(
  jobs: Map<string, T>,
  raw: string,
): T | undefined {
  return isSalesforceId(raw) ? jobs.get(normalizeId(raw)) : undefined;
}

// ---- ingest ---------------------------------------------------------------------------------

async function createIngest(context: RouteContext): Promise<Response> {
  const { org } = context;
  const read = await readJsonObject(context.request);
  if ("response" in read) return read.response;
  const body = read.value;
  const object = typeof body.object === "string" ? org.schema.object(body.object) : undefined;
  if (object === undefined) {
    return fail(
      400,
      "INVALIDENTITY",
      `Entity '${String(body.object)}' is not supported by the Bulk API.`,
    );
  }
  const operation = body.operation;
  if (typeof operation !== "string" || !OPERATIONS.has(operation)) {
    return invalidJob(`Invalid operation: ${String(operation)}`);
  }
  const format = dialect(body);
  if (format instanceof Response) return format;
  let externalIdFieldName: string | undefined;
  if (operation === "upsert") {
    const def = typeof body.externalIdFieldName === "string"
      ? org.schema.field(object, body.externalIdFieldName)
      : undefined;
    if (def === undefined || (def.externalId !== true && def.name !== "Id")) {
      return invalidJob(
        `The external ID field ${
          String(body.externalIdFieldName)
        } is not an external ID field of ${object.name}`,
      );
    }
    externalIdFieldName = def.name;
  }
  const state = bulkState(org);
  const job: IngestJob = {
    ...newJob(
      org,
      state.nextId(),
      {
        operation,
        object: object.name,
        userId: context.session!.userId,
        version: context.version,
      },
      "Open",
      format.lineEnding,
    ),
    header: [],
    successful: [],
    failed: [],
    unprocessed: [],
  };
  if (externalIdFieldName !== undefined) job.externalIdFieldName = externalIdFieldName;
  if (typeof body.assignmentRuleId === "string") job.assignmentRuleId = body.assignmentRuleId;
  state.ingest.set(job.id, job);
  return jobResponse(200, jobInfoJson(job, "ingest", "create"));
}

function ingestJob(context: RouteContext): IngestJob | undefined {
  return jobOf(bulkState(context.org).ingest, context.params.id);
}

function getIngest(context: RouteContext): Response {
  const job = ingestJob(context);
  if (job === undefined) return notFound();
  const { org } = context;
  advance(org, job, () => processIngest(org, job, org.dml(context, job.createdById)));
  return jobResponse(200, jobInfoJson(job, "ingest", "get"));
}

async function upload(context: RouteContext): Promise<Response> {
  const job = ingestJob(context);
  if (job === undefined) return notFound();
  const type = context.request.headers.get("Content-Type") ?? "";
  if (!/^text\/csv\b/i.test(type.trim())) {
    return fail(415, "UNSUPPORTED_MEDIA_TYPE", `Content type '${type}' not supported`);
  }
  if (job.state !== "Open" || job.data !== undefined) {
    // Bulk API 2.0 takes one upload per job, while it is Open.
    return fail(409, "INVALIDJOBSTATE", `Job ${job.id} is not open for data upload`);
  }
  job.data = await context.request.text();
  return new Response(null, { status: 201 });
}

/** PATCH `{"state": ...}` on either kind of job: close (ingest only) or abort. */
async function patchJob(
  context: RouteContext,
  job: IngestJob | QueryJob | undefined,
  kind: "ingest" | "query",
): Promise<Response> {
  if (job === undefined) return notFound();
  const read = await readJsonObject(context.request);
  if ("response" in read) return read.response;
  const target = read.value.state;
  const { org } = context;
  if (target === "UploadComplete" && kind === "ingest") {
    if (job.state !== "Open") return invalidState(job.state, target);
    setState(org, job, "UploadComplete");
  } else if (target === "Aborted") {
    if (isFinal(job.state)) return invalidState(job.state, target);
    if (kind === "ingest") abandonIngest(job as IngestJob);
    setState(org, job, "Aborted");
  } else {
    return fail(400, "INVALIDJOBSTATE", `Invalid state: ${String(target)}`);
  }
  return jobResponse(200, jobInfoJson(job, kind, "create"));
}

function deleteJob(
  context: RouteContext,
  jobs: Map<string, IngestJob | QueryJob>,
): Response {
  const job = jobOf(jobs, context.params.id);
  if (job === undefined) return notFound();
  // Deletable states per salesforce-api.md §8.2 (unverified list).
  if (job.state === "Open" || job.state === "InProgress") {
    return fail(409, "INVALIDJOBSTATE", `Job ${job.id} cannot be deleted in state ${job.state}`);
  }
  jobs.delete(job.id);
  return noContent();
}

function ingestResults(context: RouteContext): Response {
  const job = ingestJob(context);
  const which = context.params.results;
  if (
    job === undefined ||
    (which !== "successfulResults" && which !== "failedResults" && which !== "unprocessedrecords")
  ) {
    return notFound();
  }
  if (!isFinal(job.state)) {
    return fail(
      409,
      "INVALIDJOBSTATE",
      `Results are not available for a job in state ${job.state}`,
    );
  }
  return csvResponse(resultsCsv(job, which));
}

/** `GET /jobs/ingest` and `/jobs/query`: creation order, `queryLocator=<token>-<offset>` pages. */
function listJobs(context: RouteContext, kind: "ingest" | "query"): Response {
  const { org, url, version } = context;
  const all = [...(kind === "ingest" ? bulkState(org).ingest : bulkState(org).query).values()];
  const jobType = url.searchParams.get("jobType");
  const wanted = kind === "ingest" ? "V2Ingest" : "V2Query";
  const jobs = jobType === null || jobType === wanted ? all : [];
  const locator = url.searchParams.get("queryLocator");
  let offset = 0;
  if (locator !== null) {
    const match = /^(.*)-(\d{1,9})$/.exec(locator);
    if (match === null || match[1] !== LIST_LOCATOR) {
      return fail(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    }
    offset = Number(match[2]);
  }
  const size = Math.min(LIST_PAGE, org.options.pageSize);
  const page = jobs.slice(offset, offset + size);
  const next = offset + page.length;
  const done = next >= jobs.length;
  const records = page.map((job) => jobInfoJson(job, kind, "list")).join(",");
  const nextUrl = done ? "null" : JSON.stringify(
    `/services/data/v${version}/jobs/${kind}?queryLocator=${LIST_LOCATOR}-${next}`,
  );
  return jobResponse(200, `{"done":${done},"records":[${records}],"nextRecordsUrl":${nextUrl}}`);
}

// ---- query ----------------------------------------------------------------------------------

async function createQuery(context: RouteContext): Promise<Response> {
  const { org, version } = context;
  const read = await readJsonObject(context.request);
  if ("response" in read) return read.response;
  const body = read.value;
  const operation = body.operation ?? "query";
  if (operation !== "query" && operation !== "queryAll") {
    return invalidJob(`Invalid operation: ${String(operation)}`);
  }
  const format = dialect(body);
  if (format instanceof Response) return format;
  if (typeof body.query !== "string" || body.query.trim() === "") {
    return invalidJob("A query must be given");
  }
  let result;
  // The header names each selected field as the query wrote it (§9), not its canonical casing.
  let header: string[];
  try {
    const parsed = parseSoql(body.query);
    // (Without the FROM alias, which the SOQL engine strips too.)
    const alias = parsed.from.alias?.toLowerCase();
    header = parsed.select.flatMap((item) => {
      if (item.kind !== "field") return [];
      const { segments } = item.path;
      const aliased = segments.length > 1 && segments[0].toLowerCase() === alias;
      return [(aliased ? segments.slice(1) : segments).join(".")];
    });
    if (
      parsed.count || parsed.offset !== undefined ||
      parsed.select.some((item) => item.kind === "subquery")
    ) {
      // Refused by Bulk API 2.0 query (§9, partly unverified); wording ours.
      return invalidJob(
        "COUNT(), OFFSET and parent-to-child subqueries are not supported by Bulk API 2.0 query",
      );
    }
    result = runSoql(body.query, org.store, {
      includeDeleted: operation === "queryAll",
      apiVersion: version,
      now: new Date(org.now()),
    });
  } catch (error) {
    if (error instanceof SoqlError) return fail(400, error.errorCode, error.message);
    throw error;
  }
  const root = org.schema.object(result.objectName)!;
  const state = bulkState(org);
  const job: QueryJob = {
    ...newJob(
      org,
      state.nextId(),
      {
        operation,
        object: root.name,
        userId: context.session!.userId,
        version,
      },
      "UploadComplete",
      format.lineEnding,
    ),
    result,
    columns: header.length === result.columns.length ? header : result.columns,
    readers: columnReaders(org.schema, root, result.columns),
  };
  state.query.set(job.id, job);
  return jobResponse(200, jobInfoJson(job, "query", "create"));
}

function queryJob(context: RouteContext): QueryJob | undefined {
  return jobOf(bulkState(context.org).query, context.params.id);
}

function getQuery(context: RouteContext): Response {
  const job = queryJob(context);
  if (job === undefined) return notFound();
  advance(context.org, job, () => {});
  return jobResponse(200, jobInfoJson(job, "query", "get"));
}

function encodeLocator(offset: number): string {
  return btoa(String(offset)).replace(/=+$/, "");
}

function decodeLocator(text: string): number | undefined {
  try {
    const decoded = atob(text);
    return /^\d{1,10}$/.test(decoded) ? Number(decoded) : undefined;
  } catch {
    return undefined;
  }
}

/** One page of CSV, rows `[locator, locator + maxRecords)` of the job's result (§9). */
function queryResults(context: RouteContext): Response {
  const job = queryJob(context);
  if (job === undefined) return notFound();
  if (job.state !== "JobComplete") {
    return fail(
      409,
      "INVALIDJOBSTATE",
      `Results are not available for a job in state ${job.state}`,
    );
  }
  const params = context.url.searchParams;
  const maxText = params.get("maxRecords");
  const max = maxText === null ? DEFAULT_MAX_RECORDS : Number(maxText);
  if (!Number.isInteger(max) || max < 1) {
    return fail(400, "INVALIDREQUEST", `Invalid maxRecords: ${maxText}`);
  }
  const locator = params.get("locator");
  const offset = locator === null ? 0 : decodeLocator(locator);
  if (offset === undefined || offset > job.result.totalSize) {
    return fail(400, "INVALIDLOCATOR", `Invalid locator: ${locator}`);
  }
  const rows = job.result.rows;
  const end = Math.min(rows.length, offset + max);
  const ending = job.lineEnding === "CRLF" ? "\r\n" : "\n";
  const body = queryPageCsv(context.org.store, job.columns, job.readers, rows, offset, end, ending);
  return pageResponse(context.served, body, {
    "Sforce-Locator": end >= job.result.totalSize ? "null" : encodeLocator(end),
    "Sforce-NumberOfRecords": String(Math.max(0, end - offset)),
    "Content-Type": "text/csv",
  });
}

const V = "/services/data/:version/jobs";

/** Bulk API 2.0 routes. */
export const bulkRoutes: Route[] = [
  {
    pattern: `${V}/ingest`,
    name: "bulkIngestJobs",
    kind: "data",
    methods: { POST: createIngest, GET: (context) => listJobs(context, "ingest") },
  },
  {
    pattern: `${V}/ingest/:id`,
    name: "bulkIngestJob",
    kind: "data",
    methods: {
      GET: getIngest,
      PATCH: (context) => patchJob(context, ingestJob(context), "ingest"),
      DELETE: (context) => deleteJob(context, bulkState(context.org).ingest),
    },
  },
  {
    pattern: `${V}/ingest/:id/batches`,
    name: "bulkIngestBatches",
    kind: "data",
    methods: { PUT: upload },
  },
  {
    pattern: `${V}/ingest/:id/:results`,
    name: "bulkIngestResults",
    kind: "data",
    methods: { GET: ingestResults },
  },
  {
    pattern: `${V}/query`,
    name: "bulkQueryJobs",
    kind: "data",
    methods: { POST: createQuery, GET: (context) => listJobs(context, "query") },
  },
  {
    pattern: `${V}/query/:id`,
    name: "bulkQueryJob",
    kind: "data",
    methods: {
      GET: getQuery,
      PATCH: (context) => patchJob(context, queryJob(context), "query"),
      DELETE: (context) => deleteJob(context, bulkState(context.org).query),
    },
  },
  {
    pattern: `${V}/query/:id/results`,
    name: "bulkQueryResults",
    kind: "data",
    methods: { GET: queryResults },
  },
];
