/**
 * Username, password and security token login through the SOAP partner API.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { AuthenticationError, SalesforceError } from "../client/errors.ts";
import { Auth } from "./auth.ts";
import {
  checkCredential,
  checkOptions,
  discard,
  finishLogin,
  loginFailure,
  loginRefused,
  noToken,
  redact,
  sendLoginRequest,
  TokenLifetime,
  where,
} from "./_login.ts";
import { escapeXml, find, parseXml, type XmlElement } from "./_xml.ts";

const CONTEXT = "Cannot create SoapLogin";
const ACTION = "Cannot log in with SOAP";

/**
 * The API version of the SOAP endpoint: the client's, but at most 64.0. Salesforce has
 * announced that `login()` is gone from 65.0 on (salesforce-api.md §4.1), while a session
 * from an older endpoint works with every REST version.
 */
function loginVersion(version: string): string {
  return Number.parseFloat(version) > 64 ? "64.0" : version;
}

/** Options for {@linkcode SoapLogin}. */
export interface SoapLoginOptions {
  /** The Salesforce username, e.g. `jane@acme.example`. */
  username: string;
  /** The user's password. */
  password: string;
  /**
   * The user's security token, appended to the password. Omit it (or pass
   * `""`) when the caller's IP range is trusted by the org.
   *
   * @default {""}
   */
  securityToken?: string;
}

/**
 * Logs in with a username, password and security token through the SOAP
 * partner API `login()` call, and uses the session id as the access token.
 *
 * Every value is XML-escaped into the envelope. The session is considered
 * expired `sessionSecondsValid` after the login started, less a safety margin
 * of 30 seconds (or 5% of the lifetime, when that is shorter); Salesforce's
 * timeout counts from the last use, so this errs on the early side. A SOAP
 * fault becomes an {@linkcode AuthenticationError} whose `errorCode` is the
 * fault's `exceptionCode`, and is not retried (a retried bad login can lock the
 * user out).
 *
 * @example Log in to the fake org
 * ```ts
 * import { Salesforce, SoapLogin } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { username, password, securityToken } = org.credentials;
 * const auth = new SoapLogin({ username, password, securityToken });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * const token = await auth.getAccessToken(sf);
 * assert.ok(token.length > 0);
 * assert.equal(auth.expired, false);
 * ```
 *
 * @example A wrong password is an AuthenticationError
 * ```ts
 * import { AuthenticationError, Salesforce, SoapLogin } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const auth = new SoapLogin({ username: org.credentials.username, password: "wrong" });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * await assert.rejects(auth.getAccessToken(sf), (error: AuthenticationError) => {
 *   assert.equal(error.errorCode, "INVALID_LOGIN");
 *   return true;
 * });
 * ```
 */
export class SoapLogin extends Auth {
  #username: string;
  #password: string;
  #securityToken: string;
  // The session's lifetime comes with each login (sessionSecondsValid), less a margin.
  #lifetime = new TokenLifetime();

  /**
   * Checks the credentials; nothing is sent until a token is needed.
   *
   * @param options The username, password and optional security token.
   * @throws {TypeError} When an option is missing or not a non-empty string,
   *   or holds a character XML cannot carry; the message names the option, not its value.
   */
  constructor(options: SoapLoginOptions) {
    super();
    const checked = checkOptions(CONTEXT, options);
    this.#username = checkCredential(CONTEXT, checked, "username");
    this.#password = checkCredential(CONTEXT, checked, "password");
    this.#securityToken = checkCredential(CONTEXT, checked, "securityToken", true);
    const values = {
      username: this.#username,
      password: this.#password,
      securityToken: this.#securityToken,
    };
    for (const [name, value] of Object.entries(values)) {
      try {
        escapeXml(value);
      } catch {
        throw new TypeError(
          `${CONTEXT}: "${name}" holds a character XML 1.0 cannot carry (a control character or a lone surrogate)`,
        );
      }
    }
  }

  /** True once the session has outlived `sessionSecondsValid` (less the safety margin). */
  override get expired(): boolean {
    return this.#lifetime.expired;
  }

  /**
   * Calls SOAP `login()` on `client.baseUrl` and returns the session id.
   *
   * @param client The client whose base URL, version, fetch, retry policy and event bus to use.
   * @returns The session id.
   * @throws {AuthenticationError} On a SOAP fault (`errorCode` = `exceptionCode`)
   *   or an expired password.
   * @throws {SalesforceError} When the answer is not a SOAP envelope (an HTML error page).
   */
  protected override async _acquireNewAccessToken(client: Salesforce): Promise<string> {
    const request = new Request(
      `${client.baseUrl}/services/Soap/u/${loginVersion(client.version)}`,
      {
        method: "POST",
        headers: {
          "Content-Type": "text/xml; charset=UTF-8",
          "SOAPAction": "login",
          "Accept": "text/xml",
        },
        body: this.#envelope(),
        // A redirect would send the password on to wherever it points: not followed.
        redirect: "manual",
      },
    );
    const startedAt = this.#lifetime.start();
    const secrets = [this.#password + this.#securityToken, this.#password, this.#securityToken];
    const login = await sendLoginRequest(client, request, secrets);
    const { response } = login;
    let root: XmlElement;
    try {
      root = parseXml(login.text);
    } catch (error) {
      // A success the strict reader refuses may still hold the session id: never show its body.
      if (response.ok) {
        await discard(response);
        throw new SalesforceError(
          `${ACTION}: the answer is not the SOAP envelope expected (${
            error instanceof Error ? error.message : String(error)
          }) ${where(response, request)}`,
          { response },
        );
      }
      // Not XML: an HTML page from the edge or a proxy. Map it by status.
      throw await loginFailure(login, ACTION);
    }
    // The body was read from a copy; everything below answers from `root`.
    const fault = find(root, "Fault");
    if (fault !== undefined) throw await loginRefused(login, ACTION, faultOf(fault, secrets));
    if (!response.ok) throw await loginFailure(login, ACTION);
    if (find(root, "passwordExpired")?.text.trim() === "true") {
      // A session of an expired password is restricted: every REST call would answer 401.
      await discard(response);
      throw new AuthenticationError(
        `${ACTION}: INVALID_OPERATION_WITH_EXPIRED_PASSWORD: the user's password has expired: set a new one in Salesforce ${
          where(response, request)
        }`,
        { response, errorCode: "INVALID_OPERATION_WITH_EXPIRED_PASSWORD" },
      );
    }
    const sessionId = find(root, "sessionId");
    const token = sessionId === undefined || sessionId.nil ? "" : sessionId.text.trim();
    if (token === "") throw await noToken(login, ACTION, "sessionId");
    this.#lifetime.issued(startedAt, sessionLifetime(find(root, "sessionSecondsValid")));
    await finishLogin(client, response);
    return token;
  }

  #envelope(): string {
    return `<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
  <env:Body>
    <n1:login xmlns:n1="urn:partner.soap.sforce.com">
      <n1:username>${escapeXml(this.#username)}</n1:username>
      <n1:password>${escapeXml(this.#password)}${escapeXml(this.#securityToken)}</n1:password>
    </n1:login>
  </env:Body>
</env:Envelope>`;
  }
}

/** How long we use a session: its lifetime less min(30 s, 5% of it); undefined when not reported. */
function sessionLifetime(element: XmlElement | undefined): number | undefined {
  const text = element === undefined || element.nil ? "" : element.text.trim();
  if (!/^[0-9]{1,9}$/.test(text)) return undefined;
  const lifetime = Number(text) * 1000;
  if (lifetime === 0) return undefined;
  // lifetime / 20 is exact (lifetime is a whole number of seconds in ms).
  return lifetime - Math.min(30_000, lifetime / 20);
}

/** `sf:exceptionCode` (or the faultcode without its prefix) and its message, redacted. */
function faultOf(
  fault: XmlElement,
  secrets: readonly string[],
): { errorCode: string; errorMessage: string } {
  // Salesforce never echoes credentials in a fault; a proxy or a fake might.
  const text = (name: string) => {
    const el = find(fault, name);
    return el === undefined || el.nil ? "" : redact(el.text.trim(), secrets);
  };
  const faultCode = text("faultcode");
  const errorCode = text("exceptionCode") || faultCode.slice(faultCode.indexOf(":") + 1) ||
    "UNKNOWN_FAULT";
  const faultString = text("faultstring");
  const errorMessage = text("exceptionMessage") ||
    (faultString.startsWith(`${errorCode}: `)
      ? faultString.slice(errorCode.length + 2)
      : faultString) ||
    "no fault message";
  return { errorCode, errorMessage };
}
