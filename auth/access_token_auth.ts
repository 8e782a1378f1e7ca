/**
 * An access token (session id) obtained elsewhere, used as is.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { AuthenticationError } from "../client/errors.ts";
import { Auth } from "./auth.ts";
import { checkCredential, checkOptions } from "./_login.ts";

const CONTEXT = "Cannot create AccessTokenAuth";

/** Options for {@linkcode AccessTokenAuth}. */
export interface AccessTokenAuthOptions {
  /** The access token or session id, e.g. from `sf org display` or a Visualforce page. */
  accessToken: string;
}

/**
 * Uses an access token (a session id) obtained elsewhere, for example from the
 * Salesforce CLI (`sf org display --json`), an Apex `UserInfo.getSessionId()`,
 * or another part of the application that did the login. It cannot get a new
 * one: when Salesforce answers `401` the request fails with an
 * {@linkcode AuthenticationError} saying the token cannot be refreshed.
 *
 * @example Use a session id from the Salesforce CLI
 * ```ts
 * import { AccessTokenAuth, Salesforce } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const auth = new AccessTokenAuth({ accessToken: "00Dxx0000001gPL!AR8AQJXg5oHp" });
 * const sf = new Salesforce({ baseUrl: "https://acme.my.salesforce.com", auth });
 * assert.equal(await auth.getAccessToken(sf), "00Dxx0000001gPL!AR8AQJXg5oHp");
 * ```
 *
 * @example An expired session surfaces as an AuthenticationError
 * ```ts
 * import { AccessTokenAuth, AuthenticationError, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const auth = new AccessTokenAuth({ accessToken: "00Dxx!no-longer-valid" });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * await assert.rejects(sf.request("limits"), (error: AuthenticationError) => {
 *   assert.match(error.message, /cannot be refreshed/);
 *   return true;
 * });
 * ```
 */
export class AccessTokenAuth extends Auth {
  #accessToken: string;

  /**
   * Checks the token; nothing is sent.
   *
   * @param options The access token.
   * @throws {TypeError} When `accessToken` is not a non-empty string (the message
   *   never shows the value).
   */
  constructor(options: AccessTokenAuthOptions) {
    super();
    this.#accessToken = checkCredential(CONTEXT, checkOptions(CONTEXT, options), "accessToken");
  }

  /**
   * Returns the token given to the constructor.
   *
   * @param _client Unused.
   * @returns The access token.
   */
  protected override _acquireNewAccessToken(_client: Salesforce): Promise<string> {
    return Promise.resolve(this.#accessToken);
  }

  /**
   * Always refuses: a token obtained elsewhere cannot be renewed here.
   *
   * @param _client Unused.
   * @returns Never.
   * @throws {AuthenticationError} Always.
   */
  protected override _refreshAccessToken(_client: Salesforce): Promise<string> {
    return Promise.reject(
      new AuthenticationError(
        "Cannot refresh the access token of AccessTokenAuth: the token cannot be refreshed: Salesforce refused it (expired or revoked); get a new one where it came from, or use a flow that can log in again",
      ),
    );
  }
}
