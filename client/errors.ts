/**
 * Errors raised for Salesforce failures, and the mapping from a response to them.
 *
 * @module
 */

import { decodeReferences } from "./_entities.ts";
import { redactAll, redactJson } from "./_redact.ts";
import { isCallerAbort, readBody } from "./_body_deadline.ts";

/** One entry of a Salesforce error list. */
export interface SalesforceErrorDetail {
  /** What went wrong, as Salesforce wrote it. */
  message: string;
  /** The error code, e.g. `REQUIRED_FIELD_MISSING`. */
  errorCode: string;
  /** The fields involved, when the error is about fields. */
  fields?: string[];
  /** Error-specific extras such as `duplicateResult`. */
  [key: string]: unknown;
}

/** Options for {@linkcode SalesforceError}. */
export interface SalesforceErrorOptions {
  /** The response that carried the error; its body has been read. */
  response?: Response;
  /** The first error's code, e.g. `NOT_FOUND`. */
  errorCode?: string;
  /** The first error's message as Salesforce wrote it. */
  errorMessage?: string;
  /** Every error the body held. */
  errors?: SalesforceErrorDetail[];
  /** The lower-level error, if any. */
  cause?: unknown;
}

/**
 * A failure reported by Salesforce (or by its edge), with the response and the
 * error list it carried.
 *
 * @example Catch any Salesforce failure
 * ```ts
 * import { SalesforceError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const error = new SalesforceError("NOT_FOUND: gone", { errorCode: "NOT_FOUND" });
 * assert.ok(error instanceof Error);
 * assert.equal(error.errorCode, "NOT_FOUND");
 * ```
 */
export class SalesforceError extends Error {
  /** The response that carried the error, when there was one. */
  readonly response?: Response;
  /** The first error's code. */
  readonly errorCode?: string;
  /** The first error's message. */
  readonly errorMessage?: string;
  /** Every `{ message, errorCode, fields }` the body held. */
  readonly errors: SalesforceErrorDetail[];

  /**
   * Creates the object.
   *
   * @param message A readable message; it never holds secrets.
   * @param options The response and error details.
   */
  constructor(message: string, options: SalesforceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.response !== undefined) this.response = options.response;
    if (options.errorCode !== undefined) this.errorCode = options.errorCode;
    if (options.errorMessage !== undefined) this.errorMessage = options.errorMessage;
    this.errors = options.errors ?? [];
  }
}

/**
 * Authentication failed: bad credentials, a revoked token, or a session that
 * could not be refreshed (401, SOAP login faults, OAuth errors).
 *
 * @example Catch authentication failures
 * ```ts
 * import { AuthenticationError, SalesforceError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new AuthenticationError("INVALID_LOGIN: no") instanceof SalesforceError);
 * ```
 */
export class AuthenticationError extends SalesforceError {}

/**
 * The user may not do this (403).
 *
 * @example Recognise a permission error
 * ```ts
 * import { AuthorizationError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new AuthorizationError("x").name, "AuthorizationError");
 * ```
 */
export class AuthorizationError extends SalesforceError {}

/**
 * The resource does not exist (404).
 *
 * @example Recognise a missing record
 * ```ts
 * import { NotFoundError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new NotFoundError("x").name, "NotFoundError");
 * ```
 */
export class NotFoundError extends SalesforceError {}

/**
 * An external id matched several records (300); `records` lists their URLs.
 *
 * @example List the records an external id matched
 * ```ts
 * import { MoreThanOneRecordError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const error = new MoreThanOneRecordError("x", { records: ["/services/data/v64.0/sobjects/Account/001"] });
 * assert.equal(error.records.length, 1);
 * ```
 */
export class MoreThanOneRecordError extends SalesforceError {
  /** URLs of the matching records. */
  readonly records: string[];

  /**
   * Creates the object.
   *
   * @param message A readable message.
   * @param options The response details and the matching record URLs.
   */
  constructor(message: string, options: SalesforceErrorOptions & { records?: string[] } = {}) {
    super(message, options);
    this.records = options.records ?? [];
  }
}

/** One record a duplicate rule matched. */
export interface DuplicateMatch {
  /** Id of the existing record. */
  id: string;
  /** Its sObject type. */
  sobject: string;
  /** Match confidence, 0 to 100. */
  matchConfidence: number | null;
  /** The match engine, e.g. `FuzzyMatchEngine`. */
  matchEngine: string | null;
  /** The matching rule's name. */
  rule: string | null;
}

/**
 * A duplicate rule blocked the save (400 `DUPLICATES_DETECTED`).
 *
 * @example Read the records a duplicate rule matched
 * ```ts
 * import { DuplicatesDetectedError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const error = new DuplicatesDetectedError("x", { duplicates: [] });
 * assert.deepEqual(error.duplicates, []);
 * ```
 */
export class DuplicatesDetectedError extends SalesforceError {
  /** The existing records the rule matched. */
  readonly duplicates: DuplicateMatch[];

  /**
   * Creates the object.
   *
   * @param message A readable message.
   * @param options The response details and the matched records.
   */
  constructor(
    message: string,
    options: SalesforceErrorOptions & { duplicates?: DuplicateMatch[] } = {},
  ) {
    super(message, options);
    this.duplicates = options.duplicates ?? [];
  }
}

/**
 * An API request limit was exceeded (`REQUEST_LIMIT_EXCEEDED`).
 *
 * @example Recognise a request limit error
 * ```ts
 * import { RequestLimitExceededError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new RequestLimitExceededError("x").name, "RequestLimitExceededError");
 * ```
 */
export class RequestLimitExceededError extends SalesforceError {}

/**
 * Salesforce or its edge failed (5xx).
 *
 * @example Recognise a server error
 * ```ts
 * import { ServerError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ServerError("x").name, "ServerError");
 * ```
 */
export class ServerError extends SalesforceError {}

/** Context that makes an error message say what was being done. */
export interface RaiseSalesforceErrorOptions {
  /** The request method, e.g. `GET`; shown in the message. */
  method?: string;
  /** What was being done, e.g. `Cannot get Account "001xx"`; prefixes the message. */
  action?: string;
  /** The request URL, for when `response.url` is empty (a constructed response). */
  url?: string;
  /**
   * Strings the error must never show, such as the access token the request carried: each
   * becomes `[redacted]` in the message, `errorMessage` and `errors`, however the body
   * escaped it (they are replaced after the body is parsed).
   */
  secrets?: readonly string[];
}

/**
 * Reads one error entry. REST lists say `errorCode`; collections, tree and
 * other SOAP-style results say `statusCode` for the same thing.
 */
function errorDetail(value: unknown): SalesforceErrorDetail | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const entry = value as Record<string, unknown>;
  const code = typeof entry.errorCode === "string" ? entry.errorCode : entry.statusCode;
  if (typeof code !== "string" || typeof entry.message !== "string") return undefined;
  return entry.errorCode === code
    ? entry as SalesforceErrorDetail
    : { ...entry, errorCode: code } as SalesforceErrorDetail;
}

function errorList(values: unknown[]): SalesforceErrorDetail[] {
  const errors: SalesforceErrorDetail[] = [];
  for (const value of values) {
    const detail = errorDetail(value);
    if (detail !== undefined) errors.push(detail);
  }
  return errors;
}

/** Reads what a body says: a Salesforce error list, an OAuth error, or readable text. */
function describeBody(text: string): { errors: SalesforceErrorDetail[]; json: unknown } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { errors: [], json: undefined };
  }
  if (Array.isArray(json)) return { errors: errorList(json), json };
  const single = errorDetail(json);
  if (single !== undefined) return { errors: [single], json };
  if (typeof json === "object" && json !== null) {
    const { error, error_description: description, message, results } = json as Record<
      string,
      unknown
    >;
    if (typeof error === "string") {
      // OAuth's {"error","error_description"}; Apex services often say {"error","message"}.
      const text = typeof description === "string"
        ? description
        : typeof message === "string"
        ? message
        : "";
      return { errors: [{ errorCode: error, message: text }], json };
    }
    if (Array.isArray(results)) {
      // sObject Tree: {"hasErrors":true,"results":[{"referenceId","errors":[...]}]}
      const nested = results.flatMap((result) => {
        const { errors, referenceId } = (result ?? {}) as {
          errors?: unknown;
          referenceId?: unknown;
        };
        if (!Array.isArray(errors)) return [];
        return errors.map((entry) => ({ ...entry, referenceId }));
      });
      return { errors: errorList(nested), json };
    }
  }
  return { errors: [], json };
}

/**
 * The message of a JSON body that is not an error list, as Apex services send:
 * a JSON string (`"Invalid input"`), or an object with a `message`.
 */
function plainMessage(json: unknown): string | undefined {
  if (typeof json === "string") return json;
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    const { message } = json as Record<string, unknown>;
    if (typeof message === "string" && message.trim() !== "") return message;
  }
  return undefined;
}

/**
 * Turns an HTML page or long text into one short readable line. Secrets are hidden at each
 * step, before the cut at 300 characters (which could leave part of one): as the text came
 * (in the forms given), once its tags are gone and its entities decoded, and once its
 * whitespace is collapsed.
 */
function readableText(text: string, secrets: readonly string[]): string {
  let plain = redactAll(text, secrets);
  if (/^\s*</.test(text)) {
    // An HTML page from the edge (maintenance, CDN): keep its visible words.
    plain = plain.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ");
    plain = redactAll(decodeReferences(plain), secrets);
  }
  plain = redactAll(plain.replace(/\s+/g, " ").trim(), secrets);
  return plain.length > 300 ? `${plain.slice(0, 297)}...` : plain;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}

function duplicatesOf(error: SalesforceErrorDetail | undefined): DuplicateMatch[] {
  const result = error?.duplicateResult as
    | { matchResults?: Array<Record<string, unknown>> }
    | undefined;
  const matches: DuplicateMatch[] = [];
  for (const matchResult of result?.matchResults ?? []) {
    const records = matchResult.matchRecords as Array<Record<string, unknown>> | undefined;
    for (const match of records ?? []) {
      const record = (match.record ?? {}) as Record<string, unknown>;
      const attributes = (record.attributes ?? {}) as Record<string, unknown>;
      matches.push({
        id: String(record.Id ?? ""),
        sobject: String(attributes.type ?? matchResult.entityType ?? ""),
        matchConfidence: typeof match.matchConfidence === "number" ? match.matchConfidence : null,
        matchEngine: typeof matchResult.matchEngine === "string" ? matchResult.matchEngine : null,
        rule: typeof matchResult.rule === "string" ? matchResult.rule : null,
      });
    }
  }
  return matches;
}

/**
 * Builds the error a non-2xx response stands for, reading its body once.
 *
 * Mapping: 300 → {@linkcode MoreThanOneRecordError}; `REQUEST_LIMIT_EXCEEDED`
 * (any status) → {@linkcode RequestLimitExceededError}; 400 with
 * `DUPLICATES_DETECTED` → {@linkcode DuplicatesDetectedError}; 401 →
 * {@linkcode AuthenticationError}; 403 → {@linkcode AuthorizationError}; 404 →
 * {@linkcode NotFoundError}; 5xx → {@linkcode ServerError}; anything else →
 * {@linkcode SalesforceError}. Non-JSON bodies (HTML pages) map by status.
 *
 * @param response A non-2xx response with its body unread.
 * @param options The method and action to name in the message.
 * @returns The mapped error.
 * @throws The caller's abort reason when the client's request that `response` answers was
 *   aborted while its body was read.
 *
 * @example Map a 404 response to NotFoundError
 * ```ts
 * import { createSalesforceError, NotFoundError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const body = '[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]';
 * const error = await createSalesforceError(new Response(body, { status: 404 }));
 * assert.ok(error instanceof NotFoundError);
 * assert.equal(error.errorCode, "NOT_FOUND");
 * ```
 */
export async function createSalesforceError(
  response: Response,
  options: RaiseSalesforceErrorOptions = {},
): Promise<SalesforceError> {
  let text = "";
  try {
    text = await readBody(response, (answer) => answer.text());
  } catch (error) {
    // The caller gave up: that, not the status, is the outcome.
    if (isCallerAbort(response, error)) throw error;
    // The body could not be read (connection closed mid-body): map by status alone.
    text = `(body unreadable: ${error instanceof Error ? error.message : String(error)})`;
  }
  const secrets = (options.secrets ?? []).filter((secret) => secret !== "");
  const parsed = describeBody(text);
  // After parsing, so that a secret the body escaped (`\/`, `&amp;`) is found as it reads.
  const errors = secrets.length === 0
    ? parsed.errors
    : redactJson(parsed.errors, secrets) as SalesforceErrorDetail[];
  const json = secrets.length === 0 ? parsed.json : redactJson(parsed.json, secrets);
  const first = errors[0];
  const plain = first === undefined ? plainMessage(json) : undefined;
  const status = response.status;
  const where = [status, options.method, pathOf(response.url || options.url || "")].filter((part) =>
    part !== "" &&
    part !== undefined
  ).join(" ");
  const detail = first !== undefined
    ? `${first.errorCode}${first.message === "" ? "" : `: ${first.message}`}${
      typeof first.referenceId === "string" ? ` (record ${first.referenceId})` : ""
    }`
    : text.trim() === ""
    ? `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""} with an empty body`
    : status === 300 && Array.isArray(json)
    ? "the external id matched more than one record"
    : readableText(plain ?? text, secrets);
  const message = `${options.action ? `${options.action}: ` : ""}${detail} (${where})`;
  const init: SalesforceErrorOptions = { response, errors };
  if (first !== undefined) {
    init.errorCode = first.errorCode;
    init.errorMessage = first.message;
  } else if (plain !== undefined) {
    init.errorMessage = plain;
  }
  if (status === 300) {
    const records = Array.isArray(json)
      ? json.filter((item): item is string => typeof item === "string")
      : [];
    return new MoreThanOneRecordError(message, { ...init, records });
  }
  if (first?.errorCode === "REQUEST_LIMIT_EXCEEDED") {
    return new RequestLimitExceededError(message, init);
  }
  if (status === 400 && first?.errorCode === "DUPLICATES_DETECTED") {
    return new DuplicatesDetectedError(message, { ...init, duplicates: duplicatesOf(first) });
  }
  if (status === 401) return new AuthenticationError(message, init);
  if (status === 403) return new AuthorizationError(message, init);
  if (status === 404) return new NotFoundError(message, init);
  if (status >= 500) return new ServerError(message, init);
  return new SalesforceError(message, init);
}

/**
 * Throws the error a non-2xx response stands for (see
 * {@linkcode createSalesforceError} for the mapping).
 *
 * @param response A non-2xx response with its body unread.
 * @param options The method and action to name in the message.
 * @returns Never returns normally.
 * @throws {SalesforceError} Always, as the mapped subclass.
 *
 * @example Map an HTML maintenance page
 * ```ts
 * import { raiseSalesforceError, ServerError } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const page = new Response("<html><body>We are down for maintenance.</body></html>", { status: 503 });
 * await assert.rejects(raiseSalesforceError(page), ServerError);
 * ```
 */
export async function raiseSalesforceError(
  response: Response,
  options: RaiseSalesforceErrorOptions = {},
): Promise<never> {
  throw await createSalesforceError(response, options);
}
