// Response builders and request-body readers shared by every route family.

import { concatBytes } from "../client/_bytes.ts";
import { isPlainObject } from "../client/_validate.ts";
import { type RestError, restError } from "./_values.ts";

/** Salesforce's JSON content type: no space before `charset`. */
export const JSON_TYPE = "application/json;charset=UTF-8";
/** SOAP responses. */
export const XML_TYPE = "text/xml;charset=UTF-8";

/** A compact JSON response. */
export function json(status: number, body: unknown, headers?: HeadersInit): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set("Content-Type", JSON_TYPE);
  return response;
}

/**
 * A 200 whose body is `parts`, in order, with its Content-Length: a query page. The parts may
 * be views of the org's cached texts (_text_cache.ts). Served over HTTP (`served`), they go to
 * the socket as they are, from a stream. To a caller of `org.fetch`, who owns the chunks it
 * reads and may write into them, the body is a `Uint8Array`, which Fetch copies (as Deno, Node
 * and Bun do): a stream of fresh chunks would not do, since Node's `clone()` hands both
 * branches the same chunk.
 */
export function pageResponse(
  served: boolean,
  parts: readonly Uint8Array<ArrayBuffer>[],
  headers: Record<string, string>,
): Response {
  let length = 0;
  for (const part of parts) length += part.length;
  const init = { status: 200, headers: { ...headers, "Content-Length": String(length) } };
  if (!served) return new Response(concatBytes(parts) as Uint8Array<ArrayBuffer>, init);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) if (part.length > 0) controller.enqueue(part);
      controller.close();
    },
  });
  return new Response(body, init);
}

/** A REST error list with one entry. */
export function errorList(status: number, error: RestError): Response {
  return json(status, [error]);
}

/** Shorthand for `errorList(status, restError(code, message, fields))`. */
export function fail(
  status: number,
  errorCode: string,
  message: string,
  fields?: string[],
): Response {
  return errorList(status, restError(errorCode, message, fields));
}

/** 404 with the standard NOT_FOUND list. */
export function notFound(): Response {
  return fail(404, "NOT_FOUND", "The requested resource does not exist");
}

/** 204, no body. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** 405 naming the methods the resource allows, as Salesforce words it. */
export function methodNotAllowed(method: string, allowed: readonly string[]): Response {
  const list = allowed.includes("GET") ? ["HEAD", ...allowed] : [...allowed];
  return fail(
    405,
    "METHOD_NOT_ALLOWED",
    `HTTP Method '${method}' not allowed. Allowed are ${list.join(",")}`,
  );
}

/** The 500 Salesforce sends for an unexpected exception; the ids are made up but stable per call. */
export function unknownException(sequence: number): Response {
  const errorId = `${1_000_000_000 + sequence}-${
    10_000 + (sequence % 90_000)
  } (${-(100_000_000 + sequence)})`;
  return fail(
    500,
    "UNKNOWN_EXCEPTION",
    `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId}`,
  );
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return `[line:${line}, column:${column}]`;
}

/** Jackson-style text for a JSON syntax error, as Salesforce's JSON_PARSER_ERROR carries. */
function jsonSyntaxMessage(text: string, error: unknown): string {
  const detail = error instanceof Error ? error.message : "";
  const position = /position (\d+)/.exec(detail);
  let offset: number;
  if (position !== null) offset = Number(position[1]);
  else if (/end of JSON input/i.test(detail)) offset = text.length;
  else {
    // V8 names the token but not always its place: find the first character JSON cannot start with.
    const token = /token '(.)'/.exec(detail)?.[1];
    offset = token === undefined ? 0 : Math.max(0, text.indexOf(token));
  }
  if (offset >= text.length) return `Unexpected end-of-input at ${lineColumn(text, offset)}`;
  const char = text[offset];
  return `Unexpected character ('${char}' (code ${
    char.charCodeAt(0)
  })): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at ${
    lineColumn(text, offset)
  }`;
}

/** True for `application/json` and `+json` types (any parameters). */
function isJsonType(contentType: string): boolean {
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

/** Decodes a JSON body, refusing bytes that are not UTF-8 instead of replacing them. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Levels of arrays and objects a JSON body may nest. */
const MAX_JSON_DEPTH = 1000;

/**
 * Reads a JSON request body. Answers 415 for a non-JSON content type, 400
 * JSON_PARSER_ERROR for an empty or malformed body. A missing content type is read as JSON.
 */
export async function readJson(
  request: Request,
): Promise<{ value: unknown } | { response: Response }> {
  const contentType = request.headers.get("Content-Type");
  if (contentType !== null && !isJsonType(contentType)) {
    // Code and wording unverified (salesforce-api.md §3.3).
    return {
      response: fail(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `Content type '${contentType.split(";")[0].trim()}' not supported`,
      ),
    };
  }
  const bytes = await request.arrayBuffer();
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    // Code as Jackson's (Salesforce parses with it); wording ours.
    return { response: fail(400, "JSON_PARSER_ERROR", "Invalid UTF-8 in the request body") };
  }
  if (text.trim() === "") {
    return {
      response: fail(
        400,
        "JSON_PARSER_ERROR",
        "The HTTP entity body is required, but this request has no entity body.",
      ),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { response: fail(400, "JSON_PARSER_ERROR", jsonSyntaxMessage(text, error)) };
  }
  const depth = nestingDepth(value);
  if (depth > MAX_JSON_DEPTH) {
    // Wording ours, after Jackson's nesting limit (Salesforce parses with Jackson): a body
    // nested thousands deep would otherwise overflow the stack of whatever walks it (a 500).
    return {
      response: fail(
        400,
        "JSON_PARSER_ERROR",
        `Document nesting depth (${depth}) exceeds the maximum allowed (${MAX_JSON_DEPTH})`,
      ),
    };
  }
  return { value };
}

/** How deep arrays and objects nest in `value`, counted without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_JSON_DEPTH) break;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Reads a JSON body that must be an object (a record). */
export async function readJsonObject(
  request: Request,
): Promise<{ value: Record<string, unknown> } | { response: Response }> {
  const read = await readJson(request);
  if ("response" in read) return read;
  const value = read.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const token = Array.isArray(value) ? "START_ARRAY" : "a scalar value";
    return {
      response: fail(
        400,
        "JSON_PARSER_ERROR",
        `Cannot deserialize instance of SObject out of ${token} token`,
      ),
    };
  }
  return { value: value as Record<string, unknown> };
}

/** Reads a JSON body that must be an object with a `records` array (sObject Collections and Tree). */
export async function readRecordsBody(
  request: Request,
): Promise<{ value: Record<string, unknown> & { records: unknown[] } } | { response: Response }> {
  const read = await readJson(request);
  if ("response" in read) return read;
  const body = read.value;
  if (!isPlainObject(body) || !Array.isArray(body.records)) {
    // Code and wording unverified: Salesforce reads the body with Jackson.
    return {
      response: fail(
        400,
        "JSON_PARSER_ERROR",
        "The request body must be an object with a records array",
      ),
    };
  }
  return { value: body as Record<string, unknown> & { records: unknown[] } };
}
