/**
 * Calls to your own Apex REST services (`/services/apexrest/...`), JSON in and out.
 *
 * @module
 */

import type { Salesforce } from "./salesforce.ts";
import { encodeApexPath, isPlainObject, received } from "./_validate.ts";
import { readBody } from "./_body_deadline.ts";

/** A query parameter value; numbers, bigints and booleans are sent as their text. */
export type ApexParamValue = string | number | bigint | boolean;

/** Options every Apex REST call takes. */
export interface ApexCallOptions {
  /**
   * Query parameters, encoded and appended to the URL (the only way to send
   * them: a `?` in the path is refused). Entries whose value is `undefined` are left out.
   */
  params?: Record<string, ApexParamValue | undefined>;
  /** Extra request headers, e.g. one your service reads. */
  headers?: HeadersInit;
  /** Aborts the call. */
  signal?: AbortSignal;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

const NO_BODY = Symbol("no body");

/** True for `application/json` and `+json` types (any parameters). */
function isJsonType(contentType: string): boolean {
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

/** Bodies JSON.stringify would turn into nonsense: send those with `sf.request`. */
function isRawBody(value: unknown): boolean {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || value instanceof Blob ||
    value instanceof ReadableStream || value instanceof FormData ||
    value instanceof URLSearchParams;
}

/** JSON text of a request body, or a TypeError before anything is sent. */
function jsonBody(context: string, body: unknown): string {
  if (isRawBody(body)) {
    throw new TypeError(
      `${context}: "body" must be a JSON-serialisable value (use sf.request for raw bodies): received ${
        received(body)
      }`,
    );
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    // A BigInt, a cycle, or a toJSON that throws.
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`${context}: "body" must be JSON-serialisable: ${reason}`, {
      cause: error,
    });
  }
  if (text === undefined) {
    throw new TypeError(
      `${context}: "body" must be JSON-serialisable: received ${received(body)}`,
    );
  }
  return text;
}

/** `?a=1&b=x%20y`, encoded with encodeURIComponent (a space is `%20`, never `+`). */
function queryString(context: string, params: unknown): string {
  if (params === undefined) return "";
  if (!isPlainObject(params)) {
    throw new TypeError(
      `${context}: "params" must be an object of strings, numbers or booleans: received ${
        received(params)
      }`,
    );
  }
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const ok = typeof value === "string" || typeof value === "bigint" ||
      typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
    if (!ok) {
      throw new TypeError(
        `${context}: "params.${key}" must be a string, a finite number, a bigint or a boolean: received ${
          received(value)
        }`,
      );
    }
    try {
      pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    } catch {
      throw new TypeError(`${context}: "params.${key}" must be well-formed Unicode text`);
    }
  }
  return pairs.length === 0 ? "" : `?${pairs.join("&")}`;
}

/**
 * Calls to Apex REST services, available as `sf.apex`. Paths are relative to
 * `/services/apexrest/` (`"MyService/items"` calls
 * `/services/apexrest/MyService/items`); each segment is URL-encoded, and a
 * path with `.` or `..` segments, a scheme or host, a backslash, or a `?` or
 * `#` is refused with a `TypeError` before anything is sent.
 *
 * Bodies go out as JSON. Answers come back parsed: `null` for `204` or an
 * empty body, the parsed JSON when the body is JSON (by its `Content-Type`,
 * or by parsing when that is missing or JSON yet the body does not parse),
 * otherwise the body text as a string. Use `sf.request` for binary answers.
 * Failures are the usual {@linkcode SalesforceError} subclasses, with a
 * readable message whether the service answered an error list, another JSON
 * shape or plain text.
 *
 * @example Call a service registered on the fake org
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.apex("GET", "/Greeting/*", (request) => ({ hello: new URL(request.url).searchParams.get("name") }));
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
 * const answer = await sf.apex.get<{ hello: string }>("Greeting", { params: { name: "Ann" } });
 * assert.equal(answer.hello, "Ann");
 * ```
 */
export class ApexClient {
  #client: Salesforce;

  /**
   * Use `sf.apex`; there is rarely a need to build one.
   *
   * @param client The client to send requests with.
   */
  constructor(client: Salesforce) {
    this.#client = client;
  }

  /**
   * Sends `GET /services/apexrest/<path>`.
   *
   * @param path The path below `/services/apexrest/`, e.g. `"MyService/items"`.
   * @param options `params`, `headers`, `signal`.
   * @returns The parsed answer (see {@linkcode ApexClient}); `null` for 204.
   * @throws {TypeError} For a bad path or params, before anything is sent.
   * @throws {SalesforceError} When the service or Salesforce answers an error.
   *
   * @example Read with query parameters
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.apex("GET", "/Items/*", (request) => ({ limit: new URL(request.url).searchParams.get("limit") }));
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * assert.deepEqual(await sf.apex.get("Items/recent", { params: { limit: 5 } }), { limit: "5" });
   * ```
   */
  get<T = unknown>(path: string, options: ApexCallOptions = {}): Promise<T> {
    return this.#call<T>("GET", path, NO_BODY, options);
  }

  /**
   * Sends `POST /services/apexrest/<path>` with `body` as JSON.
   *
   * @param path The path below `/services/apexrest/`.
   * @param body Any JSON-serialisable value; `undefined` sends no body.
   * @param options `params`, `headers`, `signal`.
   * @returns The parsed answer; `null` for 204.
   * @throws {TypeError} For a bad path or params, or a body that is not
   *   JSON-serialisable (a BigInt, a cycle, bytes), before anything is sent.
   * @throws {SalesforceError} When the service or Salesforce answers an error.
   *
   * @example Post an order
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.apex("POST", "/Orders", async (request) => ({ received: (await request.json()).sku }));
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const answer = await sf.apex.post<{ received: string }>("Orders", { sku: "A-1" });
   * assert.equal(answer.received, "A-1");
   * ```
   */
  post<T = unknown>(path: string, body?: unknown, options: ApexCallOptions = {}): Promise<T> {
    return this.#call<T>("POST", path, body, options);
  }

  /**
   * Sends `PUT /services/apexrest/<path>` with `body` as JSON.
   *
   * @param path The path below `/services/apexrest/`.
   * @param body Any JSON-serialisable value; `undefined` sends no body.
   * @param options `params`, `headers`, `signal`.
   * @returns The parsed answer; `null` for 204.
   * @throws {TypeError} For a bad path, params or body, before anything is sent.
   * @throws {SalesforceError} When the service or Salesforce answers an error.
   *
   * @example Replace a setting
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.apex("PUT", "/Settings/*", async (request) => await request.json());
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * assert.deepEqual(await sf.apex.put("Settings/theme", { value: "dark" }), { value: "dark" });
   * ```
   */
  put<T = unknown>(path: string, body?: unknown, options: ApexCallOptions = {}): Promise<T> {
    return this.#call<T>("PUT", path, body, options);
  }

  /**
   * Sends `PATCH /services/apexrest/<path>` with `body` as JSON.
   *
   * @param path The path below `/services/apexrest/`.
   * @param body Any JSON-serialisable value; `undefined` sends no body.
   * @param options `params`, `headers`, `signal`.
   * @returns The parsed answer; `null` for 204.
   * @throws {TypeError} For a bad path, params or body, before anything is sent.
   * @throws {SalesforceError} When the service or Salesforce answers an error.
   *
   * @example Change part of a resource; a 204 answer is null
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.apex("PATCH", "/Tickets/*", () => new Response(null, { status: 204 }));
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * assert.equal(await sf.apex.patch("Tickets/42", { status: "Closed" }), null);
   * ```
   */
  patch<T = unknown>(path: string, body?: unknown, options: ApexCallOptions = {}): Promise<T> {
    return this.#call<T>("PATCH", path, body, options);
  }

  /**
   * Sends `DELETE /services/apexrest/<path>`.
   *
   * @param path The path below `/services/apexrest/`.
   * @param options `params`, `headers`, `signal`.
   * @returns The parsed answer; `null` for 204.
   * @throws {TypeError} For a bad path or params, before anything is sent.
   * @throws {SalesforceError} When the service or Salesforce answers an error.
   *
   * @example Delete, and catch the service's error
   * ```ts
   * import { NotFoundError, Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.apex("DELETE", "/Tickets/*", () => new Response('"No such ticket"', { status: 404 }));
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * await assert.rejects(sf.apex.delete("Tickets/42"), (error: NotFoundError) => {
   *   assert.match(error.message, /^No such ticket/);
   *   return error instanceof NotFoundError;
   * });
   * ```
   */
  delete<T = unknown>(path: string, options: ApexCallOptions = {}): Promise<T> {
    return this.#call<T>("DELETE", path, NO_BODY, options);
  }

  async #call<T>(
    method: Method,
    path: string,
    body: unknown,
    options: ApexCallOptions,
  ): Promise<T> {
    const context = `Cannot call Apex REST ${method}`;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${context}: "options" must be an object: received ${received(options)}`);
    }
    const url = `/services/apexrest/${encodeApexPath(context, path)}${
      queryString(context, options.params)
    }`;
    const headers = new Headers(options.headers);
    let text: string | undefined;
    if (body !== NO_BODY && body !== undefined) {
      text = jsonBody(context, body);
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    }
    const response = await this.#client.request(url, {
      method,
      headers,
      body: text,
      signal: options.signal,
    });
    return await answer(response) as T;
  }
}

/** null for 204 or an empty body; JSON when it is JSON; else the text. */
async function answer(response: Response): Promise<unknown> {
  if (response.status === 204) {
    await response.body?.cancel();
    return null;
  }
  const text = await readBody(response, (answer) => answer.text());
  if (text.trim() === "") return null;
  const contentType = response.headers.get("Content-Type");
  if (contentType !== null && !isJsonType(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    // Apex that sets responseBody without a content type is labelled JSON anyway.
    return text;
  }
}
