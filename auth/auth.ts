/**
 * The base class of every authentication strategy.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";

/**
 * What an OAuth token endpoint hands out, as the OAuth flows report it (for
 * example to a `RefreshTokenFlow`'s `onTokens` callback).
 *
 * @example Read a token set
 * ```ts
 * import type { TokenSet } from "@x/aiosalesforce/auth";
 * import assert from "node:assert/strict";
 *
 * const tokens: TokenSet = {
 *   accessToken: "00Dxx!token",
 *   instanceUrl: "https://acme.my.salesforce.com",
 *   issuedAt: new Date(1_710_495_000_000),
 *   scope: "api",
 * };
 * assert.equal(tokens.issuedAt?.toISOString(), "2024-03-15T09:30:00.000Z");
 * ```
 */
export type TokenSet = {
  /** The access token, sent as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** A refresh token, from the flows that issue one. */
  refreshToken?: string;
  /** The org's instance URL, e.g. `https://acme.my.salesforce.com`. */
  instanceUrl?: string;
  /** When Salesforce issued the token (`issued_at`). */
  issuedAt?: Date;
  /** The granted scopes, space-separated (`api refresh_token`). */
  scope?: string;
};

const FINAL_METHODS = ["getAccessToken", "refreshAccessToken"] as const;

/**
 * Base class for authentication strategies: it caches the access token and
 * makes concurrent callers share one round trip. Subclasses implement
 * {@linkcode Auth._acquireNewAccessToken}, and may override
 * {@linkcode Auth._refreshAccessToken} and {@linkcode Auth.expired}.
 *
 * {@linkcode Auth.getAccessToken} and {@linkcode Auth.refreshAccessToken} are
 * final: they hold the deduplication, so a subclass that defines either one is
 * refused with a `TypeError` when constructed.
 *
 * One instance may serve several clients; the token is kept per instance.
 *
 * @example Use a token you already hold
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { Auth } from "@x/aiosalesforce/auth";
 * import assert from "node:assert/strict";
 *
 * class StaticToken extends Auth {
 *   protected override _acquireNewAccessToken(): Promise<string> {
 *     return Promise.resolve("00Dxx!token");
 *   }
 * }
 * const auth = new StaticToken();
 * const sf = new Salesforce({ baseUrl: "https://acme.my.salesforce.com", auth });
 * assert.equal(await auth.getAccessToken(sf), "00Dxx!token");
 * ```
 *
 * @example Concurrent callers share one acquisition
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { Auth } from "@x/aiosalesforce/auth";
 * import assert from "node:assert/strict";
 *
 * let calls = 0;
 * class CountingAuth extends Auth {
 *   protected override async _acquireNewAccessToken(): Promise<string> {
 *     calls++;
 *     await Promise.resolve();
 *     return `token-${calls}`;
 *   }
 * }
 * const auth = new CountingAuth();
 * const sf = new Salesforce({ baseUrl: "https://acme.my.salesforce.com", auth });
 * const tokens = await Promise.all([1, 2, 3].map(() => auth.getAccessToken(sf)));
 * assert.deepEqual(tokens, ["token-1", "token-1", "token-1"]);
 * assert.equal(calls, 1);
 * ```
 */
export abstract class Auth {
  #token: string | undefined;
  // The acquisition or refresh in flight; every caller meanwhile waits for it.
  #pending: Promise<string> | undefined;

  /**
   * Checks that the subclass keeps the two public methods as they are.
   *
   * @throws {TypeError} When a subclass defines `getAccessToken` or `refreshAccessToken`.
   */
  constructor() {
    for (
      let proto = new.target.prototype;
      proto !== null && proto !== Auth.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const name of FINAL_METHODS) {
        if (Object.hasOwn(proto, name)) {
          throw new TypeError(
            `Cannot create ${new.target.name}: "${name}" is final: override _acquireNewAccessToken or _refreshAccessToken instead`,
          );
        }
      }
    }
    // A class field (`getAccessToken = () => ...`) lands on the instance after this
    // constructor returns: fixed here, the two methods make such a field throw at `new`.
    for (const name of FINAL_METHODS) {
      Object.defineProperty(this, name, {
        value: Auth.prototype[name],
        writable: false,
        configurable: false,
        enumerable: false,
      });
    }
  }

  /**
   * Returns a valid access token: the cached one, or a new one when there is
   * none yet (`_acquireNewAccessToken`) or it has {@linkcode Auth.expired}
   * (`_refreshAccessToken`). Concurrent callers share one round trip, and a
   * refresh already in flight is waited for. Final: do not override.
   *
   * @param client The client the token is for; its `fetch`, retry policy and
   *   event bus carry the login request.
   * @returns The access token.
   * @throws {AuthenticationError} When Salesforce refuses the credentials; every
   *   concurrent caller gets the same error instance, and the next call tries again.
   *
   * @example Get the token a subclass acquires
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { Auth } from "@x/aiosalesforce/auth";
   * import assert from "node:assert/strict";
   *
   * class StaticToken extends Auth {
   *   protected override _acquireNewAccessToken(): Promise<string> {
   *     return Promise.resolve("00Dxx!token");
   *   }
   * }
   * const auth = new StaticToken();
   * const sf = new Salesforce({ baseUrl: "https://acme.my.salesforce.com", auth });
   * assert.equal(await auth.getAccessToken(sf), "00Dxx!token");
   * ```
   */
  getAccessToken(client: Salesforce): Promise<string> {
    if (this.#pending !== undefined) return this.#pending;
    if (this.#token === undefined) return this.#start(client, false);
    if (this.expired) return this.#start(client, true);
    return Promise.resolve(this.#token);
  }

  /**
   * Replaces the access token (after a `401`), sharing one refresh among
   * concurrent callers. A caller that passes the token it was refused with gets
   * the current token with no round trip when that one was already replaced.
   * Final: do not override.
   *
   * @param client The client the token is for.
   * @param staleToken The token Salesforce refused, if known.
   * @returns The new access token.
   * @throws {Error} When no token was acquired yet (call `getAccessToken` first).
   * @throws {AuthenticationError} When Salesforce refuses the refresh; every
   *   concurrent caller gets the same error instance.
   *
   * @example A stale token is replaced once
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { Auth } from "@x/aiosalesforce/auth";
   * import assert from "node:assert/strict";
   *
   * let issued = 0;
   * class CountingAuth extends Auth {
   *   protected override _acquireNewAccessToken(): Promise<string> {
   *     return Promise.resolve(`token-${++issued}`);
   *   }
   * }
   * const auth = new CountingAuth();
   * const sf = new Salesforce({ baseUrl: "https://acme.my.salesforce.com", auth });
   * const stale = await auth.getAccessToken(sf);
   * assert.equal(await auth.refreshAccessToken(sf, stale), "token-2");
   * // Another caller refused with the same stale token: no second round trip.
   * assert.equal(await auth.refreshAccessToken(sf, stale), "token-2");
   * assert.equal(issued, 2);
   * ```
   */
  refreshAccessToken(client: Salesforce, staleToken?: string): Promise<string> {
    if (this.#pending !== undefined) return this.#pending;
    if (this.#token === undefined) {
      return Promise.reject(
        new Error(
          `Cannot refresh the access token of ${this.constructor.name}: no token was acquired yet: call getAccessToken first`,
        ),
      );
    }
    if (staleToken !== undefined && staleToken !== this.#token) {
      return Promise.resolve(this.#token);
    }
    return this.#start(client, true);
  }

  /**
   * Gets a new access token from Salesforce. Called by the base class only, one
   * call at a time per instance.
   *
   * @param client The client whose `baseUrl`, `fetch`, retry policy and event
   *   bus to use; never call `client.request` (it asks this auth for a token).
   * @returns The new access token.
   */
  protected abstract _acquireNewAccessToken(client: Salesforce): Promise<string>;

  /**
   * Replaces an expired or refused token. The default acquires a new one.
   *
   * @param client The client whose `baseUrl`, `fetch`, retry policy and event bus to use.
   * @returns The new access token.
   */
  protected _refreshAccessToken(client: Salesforce): Promise<string> {
    return this._acquireNewAccessToken(client);
  }

  /**
   * True when the current token is known to have expired, so that
   * `getAccessToken` refreshes it before use. The default is false: the token is
   * used until Salesforce answers `401`.
   */
  get expired(): boolean {
    return false;
  }

  // Set #pending before anything can await, and clear it once settled, so that a
  // failure leaves the auth able to try again.
  #start(client: Salesforce, refresh: boolean): Promise<string> {
    const pending = this.#obtain(client, refresh).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  // async: a synchronous throw in a subclass hook becomes a rejection.
  async #obtain(client: Salesforce, refresh: boolean): Promise<string> {
    const token = refresh
      ? await this._refreshAccessToken(client)
      : await this._acquireNewAccessToken(client);
    if (typeof token !== "string" || token === "") {
      const hook = refresh ? "_refreshAccessToken" : "_acquireNewAccessToken";
      throw new TypeError(
        `Cannot get an access token: ${this.constructor.name}.${hook} must resolve to a non-empty string: received ${
          typeof token === "string" ? "an empty string" : typeof token
        }`,
      );
    }
    this.#token = token;
    return token;
  }
}
