// What every login round trip shares (SOAP login and the OAuth token endpoint):
// credential checks that never echo a value, sending with events through the
// retry policy, keeping secrets out of what comes back, and when a token expires.

import { AuthenticationError, createSalesforceError, SalesforceError } from "../client/errors.ts";
import type { Salesforce } from "../client/salesforce.ts";
import { redactAll } from "../client/_redact.ts";
import { checkDuration } from "../client/_validate.ts";
import { RequestEvent, ResponseEvent } from "../events/events.ts";
import { clock } from "../retries/_clock.ts";
import { markSecretBody } from "../retries/_prepared.ts";
import { escapeXml } from "./_xml.ts";
import { readBody } from "../client/_body_deadline.ts";

/** Describes a rejected credential without showing it. */
function shapeOf(value: unknown): string {
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

/** Checks that `options` is an object; the context names the constructor. */
export function checkOptions(context: string, options: unknown): Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${context}: "options" must be an object: received ${shapeOf(options)}`);
  }
  return options as Record<string, unknown>;
}

/**
 * Checks a credential option: a non-empty string (or, when `optional`, also
 * undefined or ""). The message names the option, never its value.
 */
export function checkCredential(
  context: string,
  options: Record<string, unknown>,
  name: string,
  optional = false,
): string {
  const value = options[name];
  if (optional && (value === undefined || value === "")) return "";
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `${context}: "${name}" must be a non-empty string${optional ? " or omitted" : ""}: received ${
        shapeOf(value)
      }`,
    );
  }
  return value;
}

/** `(500 POST /services/Soap/u/64.0)`: status, method and path, never a query string. */
export function where(response: Response, request: Request): string {
  let path = "";
  try {
    path = new URL(response.url || request.url).pathname;
  } catch {
    // No usable URL: the status and method still say enough.
  }
  return `(${[response.status, request.method, path].filter((part) => part !== "").join(" ")})`;
}

/**
 * The forms a secret takes on the wire, or in a server's echo of it: as is, form-encoded,
 * percent-encoded, JSON-escaped (with `/` as `\/` too) and XML-escaped.
 */
function variantsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const variants = [
    secret,
    new URLSearchParams({ s: secret }).toString().slice(2),
    json,
    json.replaceAll("/", "\\/"),
  ];
  try {
    variants.push(encodeURIComponent(secret));
  } catch {
    // A lone surrogate: not representable in UTF-8, so it cannot have been sent encoded.
  }
  try {
    variants.push(escapeXml(secret));
  } catch {
    // Not representable in XML, so it cannot have been sent escaped.
  }
  return variants;
}

/** Every wire form of each secret. */
function allForms(secrets: readonly string[]): string[] {
  return secrets.filter((s) => s !== "").flatMap(variantsOf);
}

/** Replaces every secret, in each of its wire forms (longest first), with a marker. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactAll(text, allForms(secrets));
}

/** A login response read once. */
export interface LoginResponse {
  request: Request;
  response: Response;
  /**
   * The body text as received. A success may rightly hold a secret (a refresh
   * token sent back): parse it, but pass anything put into an error through `redact`.
   */
  text: string;
  /** The secrets `redact` removes. */
  secrets: readonly string[];
}

/**
 * Sends a login request through the client's retry policy, publishing a
 * `RequestEvent` (a redacted copy: no body, no Authorization) first, and reads
 * the body of a copy so the response itself stays unread for the caller.
 */
export async function sendLoginRequest(
  client: Salesforce,
  request: Request,
  secrets: readonly string[],
): Promise<LoginResponse> {
  await client.eventBus.publishEvent(new RequestEvent(request));
  // Its retries' events carry no response body: a server may echo the credentials in it.
  markSecretBody(request);
  const response = await client.retryPolicy.sendRequestWithRetries(client, request);
  let text: string;
  try {
    text = await readBody(response, (answer) => answer.clone().text());
  } catch (error) {
    // Not awaited: after a timeout the copy's read may never end, and cancelling one half of
    // a tee waits for the other.
    void discard(response);
    throw error;
  }
  return { request, response, text, secrets };
}

/**
 * Publishes the `ResponseEvent` of a successful login, then frees the unread body. The event
 * carries the response without its body: that body holds the new access token (and a
 * rotated refresh token, or a SOAP session id), which no event may show.
 */
export async function finishLogin(client: Salesforce, response: Response): Promise<void> {
  try {
    const shown = new Response(null, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    await client.eventBus.publishEvent(new ResponseEvent(shown));
  } finally {
    await discard(response);
  }
}

/** Frees a response body nobody will read. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Already read or cancelled by an event listener: nothing left to free.
  }
}

/**
 * The error a failed login maps to by status (an HTML page from a proxy, a 5xx):
 * `createSalesforceError` of the response, with every wire form of the secrets hidden in
 * what it says (after parsing, so an echo the body escaped is caught too).
 */
export async function loginFailure(login: LoginResponse, action: string): Promise<SalesforceError> {
  return await createSalesforceError(login.response, {
    method: login.request.method,
    url: login.request.url,
    action,
    secrets: allForms(login.secrets),
  });
}

/**
 * The error for a login the server refused (an OAuth `error`, a SOAP fault):
 * `<action>: <hint><code>: <message> (status method path)`; frees the body.
 * `errorCode` and `errorMessage` must already be redacted.
 */
export async function loginRefused(
  login: LoginResponse,
  action: string,
  refusal: { errorCode: string; errorMessage: string; hint?: string },
): Promise<AuthenticationError> {
  const { response, request } = login;
  const { errorCode, errorMessage, hint = "" } = refusal;
  await discard(response);
  return new AuthenticationError(
    `${action}: ${hint}${errorCode}: ${errorMessage} ${where(response, request)}`,
    { response, errorCode, errorMessage, errors: [{ errorCode, message: errorMessage }] },
  );
}

/** The error for a success answer that holds no token (`field` names it); frees the body. */
export async function noToken(
  login: LoginResponse,
  action: string,
  field: string,
): Promise<SalesforceError> {
  const { response, request } = login;
  await discard(response);
  return new SalesforceError(
    `${action}: the response holds no ${field} ${where(response, request)}`,
    { response },
  );
}

/** Checks the `timeout` option of an OAuth flow: undefined, or a number of milliseconds > 0. */
export function checkTimeout(
  context: string,
  options: Record<string, unknown>,
): number | undefined {
  return options.timeout === undefined
    ? undefined
    : checkDuration(context, "timeout", options.timeout);
}

/**
 * How long a token lives, counted on the injectable clock from when its request
 * started: a fixed `timeout` (the OAuth flows' option) or the lifetime a login
 * response reports (SOAP's `sessionSecondsValid`). Without either a token never
 * expires on our side.
 */
export class TokenLifetime {
  #timeout: number | undefined;
  #expiresAt: number | undefined;

  /** `timeout`: how long every token lives, unless `issued` is told otherwise. */
  constructor(timeout?: number) {
    this.#timeout = timeout;
  }

  /** The clock reading to pass to `issued` once the token arrives. */
  start(): number {
    return clock.now();
  }

  /** Records a new token whose request started at `startedAt` and that lives `lifetime` ms. */
  issued(startedAt: number, lifetime: number | undefined = this.#timeout): void {
    this.#expiresAt = lifetime === undefined ? undefined : startedAt + lifetime;
  }

  /** True once the current token has outlived its lifetime. */
  get expired(): boolean {
    return this.#expiresAt !== undefined && clock.now() >= this.#expiresAt;
  }
}
