/**
 * The OAuth 2.0 JWT bearer flow, signed with WebCrypto.
 *
 * @module
 */

import type { Salesforce } from "../client/salesforce.ts";
import { clock } from "../retries/_clock.ts";
import { Auth } from "./auth.ts";
import { checkCredential, checkOptions, checkTimeout, TokenLifetime } from "./_login.ts";
import { requestToken } from "./_oauth.ts";
import {
  checkSigningKey,
  importPrivateKey,
  KeyError,
  type ParsedKey,
  parsePrivateKeyPem,
  RS256,
  toBase64Url,
} from "./_pem.ts";

const CONTEXT = "Cannot create JwtBearerFlow";
const ACTION = "Cannot get a token with the JWT bearer flow";
const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Salesforce wants `exp` within 3 minutes of now (salesforce-api.md §4.2). */
const ASSERTION_LIFETIME_SECONDS = 180;
const PRODUCTION_AUDIENCE = "https://login.salesforce.com";
const SANDBOX_AUDIENCE = "https://test.salesforce.com";

/** Options for {@linkcode JwtBearerFlow}. */
export interface JwtBearerFlowOptions {
  /** The connected app's consumer key (the JWT's `iss`). */
  clientId: string;
  /** The Salesforce username to act as (the JWT's `sub`), e.g. `jane@acme.example`. */
  username: string;
  /**
   * The private key whose certificate is uploaded to the connected app: PEM text
   * (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN ENCRYPTED PRIVATE KEY`),
   * or an RSASSA-PKCS1-v1_5 SHA-256 private `CryptoKey` with the `sign` usage. An
   * RSA key of at least 2048 bits.
   */
  privateKey: string | CryptoKey;
  /**
   * The passphrase of a `BEGIN ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 with HMAC-SHA-1
   * or SHA-256, AES-CBC); required for such a key and refused for any other.
   *
   * @default {undefined}
   */
  privateKeyPassphrase?: string;
  /**
   * The JWT's `aud`. By default `https://test.salesforce.com` when the client's
   * base URL is a sandbox (`*.sandbox.my.salesforce.com`, or `test.salesforce.com`
   * itself) and `https://login.salesforce.com` otherwise; an Experience Cloud
   * site uses its own URL.
   *
   * @default {undefined}
   */
  audience?: string;
  /**
   * How long a token lives, in milliseconds; once it has, the next
   * `getAccessToken` signs a new assertion and fetches a new token. Without it
   * the token is used until Salesforce answers `401`.
   *
   * @default {undefined}
   */
  timeout?: number;
}

/** `https://test.salesforce.com` for sandboxes, `https://login.salesforce.com` otherwise. */
function defaultAudience(baseUrl: string): string {
  const host = new URL(baseUrl).hostname.toLowerCase();
  // (A client's baseUrl is never a login host: the client refuses them.)
  return host.endsWith(".sandbox.my.salesforce.com") ? SANDBOX_AUDIENCE : PRODUCTION_AUDIENCE;
}

function encodeJson(value: unknown): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(value)));
}

/** Adds the constructor's context to a key problem; other errors pass through. */
function withContext(context: string, error: unknown): unknown {
  return error instanceof KeyError ? new TypeError(`${context}: ${error.message}`) : error;
}

/**
 * Gets access tokens with the OAuth 2.0 JWT bearer flow: a JWT naming the
 * connected app (`iss`), the user (`sub`) and the login server (`aud`), valid
 * for 3 minutes (`exp`) and signed RS256 with the app's private key. Signing
 * uses WebCrypto only, so it runs unchanged on Deno, Node, Bun and edge runtimes.
 *
 * The key is checked when the flow is created (PEM shape, RSA, passphrase given
 * for an encrypted key) and imported on the first token request, once (size at
 * least 2048 bits, passphrase right); problems are `TypeError`s raised before any
 * request is sent, and never show the key. An OAuth error becomes an
 * {@linkcode AuthenticationError} whose `errorCode` is the `error` value (e.g.
 * `invalid_grant`: `user hasn't approved this consumer`).
 *
 * @example Log in to the fake org with a key generated on the spot
 * ```ts
 * import { JwtBearerFlow, Salesforce } from "@x/aiosalesforce";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const keys = await crypto.subtle.generateKey(
 *   { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
 *   false,
 *   ["sign", "verify"],
 * );
 * const org = new FakeSalesforce();
 * org.registerJwtKey(keys.publicKey);
 * const { clientId, username } = org.credentials;
 * const auth = new JwtBearerFlow({ clientId, username, privateKey: keys.privateKey });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * assert.ok((await auth.getAccessToken(sf)).startsWith("00D"));
 * ```
 *
 * @example Use a PEM key and a token lifetime
 * ```ts ignore
 * import { JwtBearerFlow, Salesforce } from "@x/aiosalesforce";
 *
 * const auth = new JwtBearerFlow({
 *   clientId: "3MVG9...",
 *   username: "integration@acme.example",
 *   privateKey: await Deno.readTextFile("server.key"), // BEGIN PRIVATE KEY / RSA PRIVATE KEY
 *   timeout: 2 * 60 * 60 * 1000,
 * });
 * const sf = new Salesforce({ baseUrl: "https://acme.my.salesforce.com", auth });
 * ```
 *
 * @example A key that is not RSA is refused when the flow is created
 * ```ts
 * import { JwtBearerFlow } from "@x/aiosalesforce";
 * import assert from "node:assert/strict";
 *
 * const { privateKey } = await crypto.subtle.generateKey(
 *   { name: "ECDSA", namedCurve: "P-256" },
 *   false,
 *   ["sign", "verify"],
 * );
 * assert.throws(
 *   () => new JwtBearerFlow({ clientId: "3MVG9x", username: "jane@acme.example", privateKey }),
 *   TypeError,
 * );
 * ```
 */
export class JwtBearerFlow extends Auth {
  #clientId: string;
  #username: string;
  #audience: string | undefined;
  #lifetime: TokenLifetime;
  // The PEM key until it is imported; the import runs once and its promise is kept.
  #parsed: ParsedKey | undefined;
  #passphrase: string;
  #key: Promise<CryptoKey> | undefined;

  /**
   * Checks the options and the key's PEM shape; nothing is sent until a token is needed.
   *
   * @param options Consumer key, username, private key (and its passphrase),
   *   optionally the audience and the token lifetime.
   * @throws {TypeError} When an option is missing or has the wrong type (the
   *   message names it, never its value); when `privateKey` is not PEM text or a
   *   CryptoKey, is not an RSA private key, or is a CryptoKey under 2048 bits; when
   *   `privateKeyPassphrase` is missing for an encrypted key or given for another.
   * @throws {RangeError} When `timeout` is not a finite number > 0.
   */
  constructor(options: JwtBearerFlowOptions) {
    super();
    const checked = checkOptions(CONTEXT, options);
    this.#clientId = checkCredential(CONTEXT, checked, "clientId");
    this.#username = checkCredential(CONTEXT, checked, "username");
    this.#passphrase = checkCredential(CONTEXT, checked, "privateKeyPassphrase", true);
    if (checked.audience !== undefined) {
      this.#audience = checkCredential(CONTEXT, checked, "audience");
      if (!URL.canParse(this.#audience)) {
        throw new TypeError(
          `${CONTEXT}: "audience" must be a URL such as "${PRODUCTION_AUDIENCE}"`,
        );
      }
    }
    this.#lifetime = new TokenLifetime(checkTimeout(CONTEXT, checked));
    const { privateKey } = checked;
    try {
      if (typeof privateKey === "string") {
        this.#parsed = parsePrivateKeyPem(privateKey);
        if (this.#parsed.encrypted && this.#passphrase === "") {
          throw new KeyError(
            `"privateKeyPassphrase" is required: "privateKey" is an encrypted private key`,
          );
        }
        if (!this.#parsed.encrypted && this.#passphrase !== "") {
          throw new KeyError(
            `"privateKeyPassphrase" must be omitted: "privateKey" is not encrypted`,
          );
        }
      } else if (typeof CryptoKey !== "undefined" && privateKey instanceof CryptoKey) {
        if (this.#passphrase !== "") {
          throw new KeyError(`"privateKeyPassphrase" must be omitted: "privateKey" is a CryptoKey`);
        }
        checkSigningKey(privateKey);
        this.#key = Promise.resolve(privateKey);
      } else {
        throw new KeyError(
          `"privateKey" must be PEM text or a CryptoKey: received ${
            privateKey === null ? "null" : typeof privateKey
          }`,
        );
      }
    } catch (error) {
      throw withContext(CONTEXT, error);
    }
  }

  /** True once the token is older than `timeout`; always false without `timeout`. */
  override get expired(): boolean {
    return this.#lifetime.expired;
  }

  /**
   * Signs a JWT assertion and exchanges it for an access token.
   *
   * @param client The client whose base URL, fetch, retry policy and event bus to use.
   * @returns The access token.
   * @throws {TypeError} When the PEM key cannot be imported: wrong passphrase,
   *   invalid key, or an RSA key under 2048 bits (no request is sent).
   * @throws {AuthenticationError} When Salesforce answers with an OAuth error.
   */
  protected override async _acquireNewAccessToken(client: Salesforce): Promise<string> {
    const key = await this.#signingKey();
    const startedAt = this.#lifetime.start();
    const assertion = await this.#assertion(key, this.#audience ?? defaultAudience(client.baseUrl));
    const tokens = await requestToken(client, {
      action: ACTION,
      form: { grant_type: GRANT_TYPE, assertion },
      secrets: [assertion],
    });
    this.#lifetime.issued(startedAt);
    return tokens.accessToken;
  }

  #signingKey(): Promise<CryptoKey> {
    if (this.#key === undefined) {
      const parsed = this.#parsed!;
      this.#key = importPrivateKey(parsed, this.#passphrase).catch((error) => {
        throw withContext(ACTION, error);
      });
      // The imported key is all that is needed from now on.
      this.#parsed = undefined;
      this.#passphrase = "";
    }
    return this.#key;
  }

  async #assertion(key: CryptoKey, audience: string): Promise<string> {
    const claims = {
      iss: this.#clientId,
      sub: this.#username,
      aud: audience,
      exp: Math.floor(clock.now() / 1000) + ASSERTION_LIFETIME_SECONDS,
    };
    const input = `${encodeJson({ alg: "RS256" })}.${encodeJson(claims)}`;
    const signature = await crypto.subtle.sign(RS256, key, new TextEncoder().encode(input));
    return `${input}.${toBase64Url(new Uint8Array(signature))}`;
  }
}
