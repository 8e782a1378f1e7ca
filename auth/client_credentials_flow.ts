/**
 * The OAuth 2.0 client credentials flow.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { Auth } from "./auth.ts";
import { checkCredential, checkOptions, checkTimeout, TokenLifetime } from "./_login.ts";
import { requestToken } from "./_oauth.ts";

const CONTEXT = "Cannot create ClientCredentialsFlow";
const ACTION = "Cannot get a token with the client credentials flow";

/** Options for {@linkcode ClientCredentialsFlow}. */
export interface ClientCredentialsFlowOptions {
  /** The connected app's consumer key. */
  clientId: string;
  /** The connected app's consumer secret. */
  clientSecret: string;
  /**
   * How long a token lives, in milliseconds; once it has, the next
   * `getAccessToken` fetches a new one. Salesforce does not report token
   * lifetimes, so without it the token is used until Salesforce answers `401`,
   * and the client then refreshes it and replays the request.
   *
   * @default {undefined}
   */
  timeout?: number;
}

/**
 * Gets access tokens with the OAuth 2.0 client credentials flow: the connected
 * app's consumer key and secret, for the integration user the app runs as.
 * Posts to `${baseUrl}/services/oauth2/token`, so `baseUrl` must be the org's
 * My Domain URL.
 *
 * An OAuth error (`{"error": "invalid_client", ...}`) becomes an
 * {@linkcode AuthenticationError} whose `errorCode` is the `error` value.
 *
 * @example Get a token from the fake org
 * ```ts
 * import { ClientCredentialsFlow, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { clientId, clientSecret } = org.credentials;
 * const auth = new ClientCredentialsFlow({ clientId, clientSecret, timeout: 3_600_000 });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * assert.ok((await auth.getAccessToken(sf)).length > 0);
 * ```
 *
 * @example A wrong secret is an AuthenticationError
 * ```ts
 * import { AuthenticationError, ClientCredentialsFlow, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const auth = new ClientCredentialsFlow({ clientId: org.credentials.clientId, clientSecret: "wrong" });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * await assert.rejects(auth.getAccessToken(sf), AuthenticationError);
 * ```
 */
export class ClientCredentialsFlow extends Auth {
  #clientId: string;
  #clientSecret: string;
  #lifetime: TokenLifetime;

  /**
   * Checks the options; nothing is sent until a token is needed.
   *
   * @param options The consumer key and secret, and optionally the token lifetime.
   * @throws {TypeError} When `clientId` or `clientSecret` is not a non-empty
   *   string (the message never shows the value), or `timeout` is not a number.
   * @throws {RangeError} When `timeout` is not a finite number > 0.
   */
  constructor(options: ClientCredentialsFlowOptions) {
    super();
    const checked = checkOptions(CONTEXT, options);
    this.#clientId = checkCredential(CONTEXT, checked, "clientId");
    this.#clientSecret = checkCredential(CONTEXT, checked, "clientSecret");
    this.#lifetime = new TokenLifetime(checkTimeout(CONTEXT, checked));
  }

  /** True once the token is older than `timeout`; always false without `timeout`. */
  override get expired(): boolean {
    return this.#lifetime.expired;
  }

  /**
   * Requests a token with `grant_type=client_credentials`.
   *
   * @param client The client whose base URL, fetch, retry policy and event bus to use.
   * @returns The access token.
   * @throws {AuthenticationError} When Salesforce answers with an OAuth error.
   */
  protected override async _acquireNewAccessToken(client: Salesforce): Promise<string> {
    const startedAt = this.#lifetime.start();
    const tokens = await requestToken(client, {
      action: ACTION,
      form: {
        grant_type: "client_credentials",
        client_id: this.#clientId,
        client_secret: this.#clientSecret,
      },
      secrets: [this.#clientSecret],
    });
    this.#lifetime.issued(startedAt);
    return tokens.accessToken;
  }
}

/**
 * The name the Python `aiosalesforce` documentation uses for
 * {@linkcode ClientCredentialsFlow}; the same class.
 *
 * @example Code ported from Python keeps its name
 * ```ts
 * import { ClientCredentials, ClientCredentialsFlow } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ClientCredentials, ClientCredentialsFlow);
 * ```
 */
export const ClientCredentials: typeof ClientCredentialsFlow = ClientCredentialsFlow;

/** The instance type of {@linkcode ClientCredentials}: a {@linkcode ClientCredentialsFlow}. */
export type ClientCredentials = ClientCredentialsFlow;
