/**
 * The OAuth 2.0 username-password flow.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { Auth } from "./auth.ts";
import { checkCredential, checkOptions, checkTimeout, TokenLifetime } from "./_login.ts";
import { requestToken } from "./_oauth.ts";

const CONTEXT = "Cannot create UsernamePasswordFlow";
const ACTION = "Cannot get a token with the username-password flow";

/** Options for {@linkcode UsernamePasswordFlow}. */
export interface UsernamePasswordFlowOptions {
  /** The connected app's consumer key. */
  clientId: string;
  /** The connected app's consumer secret. */
  clientSecret: string;
  /** The Salesforce username, e.g. `jane@acme.example`. */
  username: string;
  /** The user's password. */
  password: string;
  /**
   * The user's security token, appended to the password. Omit it (or pass `""`)
   * when the caller's IP range is trusted by the org.
   *
   * @default {""}
   */
  securityToken?: string;
  /**
   * How long a token lives, in milliseconds; once it has, the next
   * `getAccessToken` logs in again. Without it the token is used until
   * Salesforce answers `401`.
   *
   * @default {undefined}
   */
  timeout?: number;
}

/**
 * Gets access tokens with the OAuth 2.0 username-password flow
 * (`grant_type=password`): a connected app's consumer key and secret plus the
 * user's password and security token. Salesforce blocks this flow by default in
 * new orgs; prefer {@linkcode JwtBearerFlow} or {@linkcode ClientCredentialsFlow}
 * for integrations. A refresh logs in again.
 *
 * A wrong password is an {@linkcode AuthenticationError} with `errorCode`
 * `invalid_grant` (`authentication failure`).
 *
 * @example Log in to the fake org
 * ```ts
 * import { Salesforce, UsernamePasswordFlow } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { clientId, clientSecret, username, password, securityToken } = org.credentials;
 * const auth = new UsernamePasswordFlow({ clientId, clientSecret, username, password, securityToken });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * assert.ok((await auth.getAccessToken(sf)).startsWith("00D"));
 * ```
 *
 * @example A wrong password is an AuthenticationError
 * ```ts
 * import { AuthenticationError, Salesforce, UsernamePasswordFlow } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { clientId, clientSecret, username } = org.credentials;
 * const auth = new UsernamePasswordFlow({ clientId, clientSecret, username, password: "wrong" });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * await assert.rejects(auth.getAccessToken(sf), (error: AuthenticationError) => {
 *   assert.equal(error.errorCode, "invalid_grant");
 *   return true;
 * });
 * ```
 */
export class UsernamePasswordFlow extends Auth {
  #clientId: string;
  #clientSecret: string;
  #username: string;
  #password: string;
  #securityToken: string;
  #lifetime: TokenLifetime;

  /**
   * Checks the options; nothing is sent until a token is needed.
   *
   * @param options Consumer key and secret, username, password, optionally the
   *   security token and the token lifetime.
   * @throws {TypeError} When a credential is not a non-empty string (the message
   *   names the option, never its value).
   * @throws {RangeError} When `timeout` is not a finite number > 0.
   */
  constructor(options: UsernamePasswordFlowOptions) {
    super();
    const checked = checkOptions(CONTEXT, options);
    this.#clientId = checkCredential(CONTEXT, checked, "clientId");
    this.#clientSecret = checkCredential(CONTEXT, checked, "clientSecret");
    this.#username = checkCredential(CONTEXT, checked, "username");
    this.#password = checkCredential(CONTEXT, checked, "password");
    this.#securityToken = checkCredential(CONTEXT, checked, "securityToken", true);
    this.#lifetime = new TokenLifetime(checkTimeout(CONTEXT, checked));
  }

  /** True once the token is older than `timeout`; always false without `timeout`. */
  override get expired(): boolean {
    return this.#lifetime.expired;
  }

  /**
   * Logs in with `grant_type=password` (password and security token concatenated).
   *
   * @param client The client whose base URL, fetch, retry policy and event bus to use.
   * @returns The access token.
   * @throws {AuthenticationError} When Salesforce answers with an OAuth error.
   */
  protected override async _acquireNewAccessToken(client: Salesforce): Promise<string> {
    const startedAt = this.#lifetime.start();
    const password = this.#password + this.#securityToken;
    const tokens = await requestToken(client, {
      action: ACTION,
      form: {
        grant_type: "password",
        client_id: this.#clientId,
        client_secret: this.#clientSecret,
        username: this.#username,
        password,
      },
      secrets: [this.#clientSecret, this.#password, this.#securityToken, password],
    });
    this.#lifetime.issued(startedAt);
    return tokens.accessToken;
  }
}
