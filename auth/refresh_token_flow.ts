/**
 * The OAuth 2.0 refresh token flow, safe under refresh-token rotation.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { checkFunction } from "../client/_validate.ts";
import { Auth, type TokenSet } from "./auth.ts";
import { checkCredential, checkOptions, checkTimeout, TokenLifetime } from "./_login.ts";
import { requestToken } from "./_oauth.ts";

const CONTEXT = "Cannot create RefreshTokenFlow";
const ACTION = "Cannot get a token with the refresh token flow";
const HINTS = { invalid_grant: "the refresh token was revoked or expired" };

/** Options for {@linkcode RefreshTokenFlow}. */
export interface RefreshTokenFlowOptions {
  /** The connected app's consumer key. */
  clientId: string;
  /**
   * The connected app's consumer secret, when the app requires it for refreshes.
   *
   * @default {undefined}
   */
  clientSecret?: string;
  /** The refresh token obtained by an earlier authorization (web server flow, CLI, ...). */
  refreshToken: string;
  /**
   * Called with the {@linkcode TokenSet} of every successful grant, before the
   * access token is handed out, so the application can persist `refreshToken`:
   * with refresh-token rotation each grant returns a new one and the old one is
   * dead. `refreshToken` is always set: the one to use next (the same one when
   * Salesforce did not rotate it). A rejection reaches the caller of `getAccessToken`; the new
   * tokens are kept, and the next call offers them to `onTokens` again (no round trip): no
   * access token is handed out before `onTokens` has taken the refresh token that goes with it.
   * Do not call the client from `onTokens`: the request would wait for the very grant
   * `onTokens` is part of.
   *
   * @default {undefined}
   */
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
  /**
   * How long an access token lives, in milliseconds; once it has, the next
   * `getAccessToken` refreshes it. Without it the token is used until Salesforce
   * answers `401`.
   *
   * @default {undefined}
   */
  timeout?: number;
}

/**
 * Gets access tokens by exchanging a refresh token (`grant_type=refresh_token`),
 * safely under refresh-token rotation, where every refresh returns a new refresh
 * token, the old one stops working, and replaying a used one revokes the whole
 * token family:
 *
 * - the rotated refresh token is always kept and used for the next refresh;
 * - one refresh runs at a time per instance: any number of concurrent callers
 *   (say 1,000 requests answered `401` at once) share one token request, so the
 *   same refresh token is never sent twice;
 * - `onTokens` receives every new {@linkcode TokenSet} to persist.
 *
 * Share one instance between the clients that use the same refresh token.
 * `invalid_grant` becomes an {@linkcode AuthenticationError} saying the refresh
 * token was revoked or expired; authorize again to get a new one.
 *
 * @example Refresh against the fake org and persist each rotated token
 * ```ts
 * import { RefreshTokenFlow, Salesforce } from "@x/aiosalesforce";
 * import type { TokenSet } from "@x/aiosalesforce/auth";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { clientId, clientSecret, username, password, securityToken } = org.credentials;
 * // A refresh token as an earlier authorization would have left it (here: the password grant).
 * const login = await org.fetch("/services/oauth2/token", {
 *   method: "POST",
 *   body: new URLSearchParams({
 *     grant_type: "password", client_id: clientId, client_secret: clientSecret,
 *     username, password: password + securityToken,
 *   }),
 * });
 * const { refresh_token } = await login.json();
 *
 * const saved: TokenSet[] = [];
 * const auth = new RefreshTokenFlow({
 *   clientId,
 *   refreshToken: refresh_token,
 *   onTokens: (tokens) => { saved.push(tokens); },
 * });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * const token = await auth.getAccessToken(sf);
 * assert.equal(saved[0].accessToken, token);
 * assert.notEqual(saved[0].refreshToken, refresh_token); // rotated
 * ```
 *
 * @example A revoked refresh token is an AuthenticationError
 * ```ts
 * import { AuthenticationError, RefreshTokenFlow, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const auth = new RefreshTokenFlow({ clientId: org.credentials.clientId, refreshToken: "5Aep861revoked" });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * await assert.rejects(auth.getAccessToken(sf), (error: AuthenticationError) => {
 *   assert.equal(error.errorCode, "invalid_grant");
 *   assert.match(error.message, /the refresh token was revoked or expired/);
 *   return true;
 * });
 * ```
 */
export class RefreshTokenFlow extends Auth {
  #clientId: string;
  #clientSecret: string;
  #refreshToken: string;
  #onTokens: ((tokens: TokenSet) => void | Promise<void>) | undefined;
  #lifetime: TokenLifetime;
  // Tokens obtained while onTokens rejected: delivered again next time (no round trip), and
  // the access token handed out only once onTokens has taken them (its refresh token is the
  // only live one after a rotation: losing it would strand the app at its next start).
  #undelivered: TokenSet | undefined;

  /**
   * Checks the options; nothing is sent until a token is needed.
   *
   * @param options Consumer key (and secret), the refresh token, optionally
   *   `onTokens` and the token lifetime.
   * @throws {TypeError} When `clientId` or `refreshToken` is not a non-empty
   *   string, `clientSecret` is neither that nor omitted, or `onTokens` is not a
   *   function (the message names the option, never its value).
   * @throws {RangeError} When `timeout` is not a finite number > 0.
   */
  constructor(options: RefreshTokenFlowOptions) {
    super();
    const checked = checkOptions(CONTEXT, options);
    this.#clientId = checkCredential(CONTEXT, checked, "clientId");
    this.#clientSecret = checkCredential(CONTEXT, checked, "clientSecret", true);
    this.#refreshToken = checkCredential(CONTEXT, checked, "refreshToken");
    this.#onTokens = checked.onTokens === undefined
      ? undefined
      : checkFunction(CONTEXT, "onTokens", checked.onTokens) as RefreshTokenFlowOptions["onTokens"];
    this.#lifetime = new TokenLifetime(checkTimeout(CONTEXT, checked));
  }

  /**
   * True once the token is older than `timeout`, or when a new token awaits
   * delivery after `onTokens` rejected.
   */
  override get expired(): boolean {
    return this.#undelivered !== undefined || this.#lifetime.expired;
  }

  /**
   * Exchanges the current refresh token for tokens (the first token, too).
   *
   * @param client The client whose base URL, fetch, retry policy and event bus to use.
   * @returns The access token.
   * @throws {AuthenticationError} When Salesforce answers with an OAuth error;
   *   `invalid_grant` means the refresh token was revoked or expired.
   */
  protected override _acquireNewAccessToken(client: Salesforce): Promise<string> {
    return this.#grant(client);
  }

  /**
   * Exchanges the current (possibly rotated) refresh token for a new access token.
   *
   * @param client The client whose base URL, fetch, retry policy and event bus to use.
   * @returns The access token.
   * @throws {AuthenticationError} When Salesforce answers with an OAuth error.
   */
  protected override _refreshAccessToken(client: Salesforce): Promise<string> {
    return this.#grant(client);
  }

  async #grant(client: Salesforce): Promise<string> {
    if (this.#undelivered !== undefined) return await this.#deliver(this.#undelivered);
    const form: Record<string, string> = {
      grant_type: "refresh_token",
      client_id: this.#clientId,
      refresh_token: this.#refreshToken,
    };
    if (this.#clientSecret !== "") form.client_secret = this.#clientSecret;
    const startedAt = this.#lifetime.start();
    await requestToken(client, {
      action: ACTION,
      form,
      secrets: [this.#refreshToken, this.#clientSecret],
      hints: HINTS,
    }, (tokens) => {
      // Rotation: the token just sent is dead once a new one is issued. Kept at once, and
      // the tokens held for delivery, before an event callback can fail the grant: the next
      // call then delivers them with no round trip, instead of replaying a dead token.
      if (tokens.refreshToken !== undefined) this.#refreshToken = tokens.refreshToken;
      this.#lifetime.issued(startedAt);
      this.#undelivered = { ...tokens, refreshToken: this.#refreshToken };
    });
    return await this.#deliver(this.#undelivered!);
  }

  /**
   * Calls onTokens with the tokens held for delivery (`#undelivered`, which every caller sets
   * first); once it has taken them, lets them go and returns the access token. When it
   * rejects, they stay held, to be delivered again on the next call.
   */
  async #deliver(tokens: TokenSet): Promise<string> {
    if (this.#onTokens !== undefined) await this.#onTokens(tokens);
    this.#undelivered = undefined;
    return tokens.accessToken;
  }
}
