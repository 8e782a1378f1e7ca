/**
 * FakeSalesforce: an in-memory Salesforce org behind a plain fetch handler.
 *
 * @module
 */

import type { Auth } from "../auth/auth.ts";
import { ClientCredentialsFlow } from "../auth/client_credentials_flow.ts";
import { checkInteger, received } from "../client/_validate.ts";
import { configureBulk } from "./_bulk_jobs.ts";
import { dispatch, SERVED } from "./_dispatch.ts";
import { prepareValues } from "./_dml.ts";
import { DEFAULT_CREDENTIALS, OrgState, resolveOptions } from "./_org.ts";
import { type ApexHandler, registerApexRoute } from "./_routes/apex.ts";
import { registerJwtKey } from "./_routes/oauth.ts";
import { toolingStore } from "./_routes/tooling.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "./_schema.ts";
import { checkServe, listenNode } from "./_serve.ts";
import { provideState, serveOrg } from "./_served.ts";
import type { RecordStore } from "./_store.ts";

export type { FieldDef, FieldType, StoredRecord } from "./_schema.ts";

/**
 * A custom object for {@linkcode FakeSalesforceOptions.objects}; the org adds Id,
 * Name, OwnerId and the audit fields.
 *
 * @example An invoice object with a lookup to Account
 * ```ts
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce({
 *   objects: [{
 *     name: "Invoice__c",
 *     fields: [
 *       { name: "Total__c", type: "currency" },
 *       { name: "Account__c", type: "reference", referenceTo: ["Account"] },
 *     ],
 *   }],
 * });
 * const [id] = org.insert("Invoice__c", [{ Total__c: 12.5 }]);
 * assert.ok(id.startsWith("a00"));
 * ```
 */
export interface CustomObjectDefinition {
  /** API name ending in `__c`, e.g. `Invoice__c`. */
  name: string;
  /** The object's own fields (reference fields name their target in `referenceTo`). */
  fields: FieldDef[];
  /** Singular label. @default the name without `__c`, underscores as spaces */
  label?: string;
  /** Plural label. @default the label plus "s" */
  labelPlural?: string;
  /** 3 base-62 characters. @default "a00", "a01", ... in order */
  keyPrefix?: string;
}

/**
 * A duplicate rule: a create or update whose `field` equals another live record's
 * is refused with `DUPLICATES_DETECTED`, unless the request sends
 * `Sforce-Duplicate-Rule-Header: allowSave=true`.
 *
 * @example Contacts must not share an email address
 * ```ts
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce({ duplicateRules: [{ object: "Contact", field: "Email" }] });
 * assert.equal(org.records("Contact").length, 0);
 * ```
 */
export interface FakeDuplicateRule {
  /** Object name, e.g. `Contact`. */
  object: string;
  /** Field compared case-insensitively, e.g. `Email`. */
  field: string;
}

/**
 * Options of {@linkcode FakeSalesforce}.
 *
 * @example Small pages, a low limit and a clock the test controls
 * ```ts
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * let now = Date.UTC(2024, 0, 1);
 * const org = new FakeSalesforce({ pageSize: 2, dailyApiLimit: 50, tokenLifetime: 60_000, now: () => now });
 * now += 1_000;
 * assert.equal(org.stats.apiCalls, 0);
 * ```
 */
export interface FakeSalesforceOptions {
  /** Query page size (records per page before `nextRecordsUrl`). @default 2000 */
  pageSize?: number;
  /** The instance URL the org reports when it is not serving over loopback. @default "https://fake.my.salesforce.com" */
  instanceUrl?: string;
  /** The latest API version the org serves ("66.0", "66" or "v66.0"). @default "66.0" */
  apiVersion?: string;
  /** Daily API request limit reported in `Sforce-Limit-Info` and enforced. @default 100_000 */
  dailyApiLimit?: number;
  /** Milliseconds an access token stays valid. @default 7_200_000 (2 hours) */
  tokenLifetime?: number;
  /** Custom objects besides Account, Contact, Lead, Opportunity, Case and User. @default [] */
  objects?: CustomObjectDefinition[];
  /** The org's clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Duplicate rules answering `DUPLICATES_DETECTED`. @default [] */
  duplicateRules?: FakeDuplicateRule[];
  /**
   * Bulk API 2.0: how many `GET` requests of a closed job it takes until one answers
   * `JobComplete` (the ones before answer `InProgress`). Ingest rows are processed then.
   * @default 1
   */
  bulkPollsToComplete?: number;
  /**
   * HTML-escape string values in `/composite` and `/composite/batch` response
   * bodies (`&` → `&amp;`, `'` → `&#39;`, ...) as Salesforce does; turn off to
   * see the raw values.
   * @default true
   */
  realisticEscaping?: boolean;
}

/**
 * A fault for {@linkcode FakeSalesforce.inject}: what to match and what to do
 * instead of (or before) answering.
 *
 * @example A maintenance page on the next two query calls
 * ```ts
 * import { FakeSalesforce, type FakeFault } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const fault: FakeFault = {
 *   path: "/services/data/v66.0/query",
 *   status: 503,
 *   body: "<html>We are down for maintenance.</html>",
 *   times: 2,
 * };
 * const org = new FakeSalesforce();
 * org.inject(fault);
 * assert.equal(org.faults[0].times, 2);
 * ```
 */
export interface FakeFault {
  /** Only requests with this method. @default any method */
  method?: string;
  /** A path prefix (`"/services/data/v66.0/query"`), or a RegExp tested on path and query string. @default any path */
  path?: string | RegExp;
  /** How many matching requests the fault hits. @default 1 */
  times?: number;
  /** Answer with this status. @default 500, or the usual status of `errorCode` */
  status?: number;
  /** Error code of the error body. @default by status: 401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED, 404 NOT_FOUND, else UNKNOWN_EXCEPTION */
  errorCode?: string;
  /** Error message of the error body. @default the code's usual message */
  message?: string;
  /** A raw body instead of an error list, e.g. an HTML maintenance page. */
  body?: string;
  /** Content type of `body`. @default sniffed: JSON, XML or HTML */
  contentType?: string;
  /** Extra latency before anything else; aborting the request's signal cuts it short. @default 0 */
  latencyMs?: number;
  /**
   * Drop the connection. Through {@linkcode FakeSalesforce.fetch}, the promise rejects with a
   * TypeError, as fetch does on a network failure (a client retries it like one). Served
   * ({@linkcode FakeSalesforce.serve}, {@linkcode FakeSalesforce.listen}), the socket closes
   * with no answer at all, not one byte (given net permission for any port of the host; see
   * {@linkcode FakeSalesforce.serve}): on a fresh connection the client's `fetch` rejects the
   * same way. On a kept-alive connection the runtime's `fetch` may first send the request
   * again by itself, as after a real dropped connection (Deno's does, once), and that
   * request meets the next matching fault: `times: 2` makes a drop the client sees.
   * @default false
   */
  drop?: boolean;
  /** Expire the request's access token, so it (and later uses of it) get 401 INVALID_SESSION_ID. @default false */
  expireToken?: boolean;
  /**
   * Extra headers on the response the fault hits: the fault's own answer, or the org's real
   * answer when the fault only delays it or expires the token. They are set last, so they
   * replace a header of the same name (`Sforce-Limit-Info` included). Not sent when the
   * connection is dropped.
   *
   * @example A 503 that asks the client to come back in 2 seconds
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.inject({ status: 503, headers: { "Retry-After": "2" } });
   * const response = await org.fetch("/services/data/");
   * assert.equal(response.status, 503);
   * assert.equal(response.headers.get("Retry-After"), "2");
   * await response.body?.cancel();
   * ```
   */
  headers?: HeadersInit;
}

/**
 * A fault still waiting, with the number of hits left in `times`.
 *
 * @example Read what is left
 * ```ts
 * import { FakeSalesforce, type PendingFault } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.inject({ drop: true, times: 3 });
 * const [pending]: PendingFault[] = org.faults;
 * assert.deepEqual(pending, { drop: true, times: 3 });
 * ```
 */
export type PendingFault = Readonly<FakeFault & { times: number }>;

/**
 * The default user's credentials: they work with every login flow the org offers.
 *
 * @example Log in with the password grant
 * ```ts
 * import { FakeSalesforce, type FakeCredentials } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const c: FakeCredentials = org.credentials;
 * const response = await org.fetch("/services/oauth2/token", {
 *   method: "POST",
 *   body: new URLSearchParams({
 *     grant_type: "password",
 *     client_id: c.clientId,
 *     client_secret: c.clientSecret,
 *     username: c.username,
 *     password: c.password + c.securityToken,
 *   }),
 * });
 * assert.equal(response.status, 200);
 * await response.body?.cancel();
 * ```
 */
export interface FakeCredentials {
  /** Username of the default user. */
  username: string;
  /** Password, without the security token. */
  password: string;
  /** Security token, appended to the password for SOAP and OAuth password logins. */
  securityToken: string;
  /** Connected app consumer key. */
  clientId: string;
  /** Connected app consumer secret. */
  clientSecret: string;
}

/**
 * Options of {@linkcode FakeSalesforce.registerJwtKey}: which connected app the key
 * belongs to and which user is pre-authorized to log in with it.
 *
 * @example Register a key for another user
 * ```ts
 * import { FakeSalesforce, type FakeJwtKeyOptions } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("User", [{ Username: "api@fake.example.com", LastName: "Api", Email: "api@fake.example.com", Alias: "api" }]);
 * const { publicKey } = await crypto.subtle.generateKey(
 *   { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
 *   false,
 *   ["sign", "verify"],
 * );
 * const options: FakeJwtKeyOptions = { username: "api@fake.example.com" };
 * org.registerJwtKey(publicKey, options);
 * assert.equal(options.clientId, undefined); // the default consumer key
 * ```
 */
export interface FakeJwtKeyOptions {
  /** The consumer key the JWT's `iss` must equal. @default the default consumer key ({@linkcode FakeSalesforce.credentials}) */
  clientId?: string;
  /** The user (JWT `sub`, any casing) pre-authorized for the app; must exist as a User when logging in. @default the default user's username */
  username?: string;
}

/**
 * Counters since creation or the last {@linkcode FakeSalesforce.reset}.
 *
 * @example Count logins
 * ```ts
 * import { FakeSalesforce, type FakeSalesforceStats } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const stats: FakeSalesforceStats = new FakeSalesforce().stats;
 * assert.deepEqual(stats, { requests: {}, logins: 0, tokensIssued: 0, apiCalls: 0 });
 * ```
 */
export interface FakeSalesforceStats {
  /** Requests by method and route name, e.g. `"GET sobject"`, `"POST oauthToken"`, `"GET notFound"`. */
  requests: Record<string, number>;
  /** Successful logins (SOAP login, OAuth client credentials, password and JWT bearer grants). */
  logins: number;
  /** Access tokens issued (logins and refreshes). */
  tokensIssued: number;
  /** API requests counted against the daily limit (the first number of `Sforce-Limit-Info`). */
  apiCalls: number;
}

/**
 * Options of {@linkcode FakeSalesforce.serve}.
 *
 * @example Any free port on loopback
 * ```ts
 * import { FakeSalesforce, type ServeOptions } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const options: ServeOptions = { port: 0, hostname: "127.0.0.1" };
 * const server = new FakeSalesforce().serve(options);
 * assert.ok(server.url.startsWith("http://127.0.0.1:"));
 * await server.close();
 * ```
 */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  hostname?: string;
}

/**
 * Options of {@linkcode FakeSalesforce.listen}: those of `serve`, and which server to use.
 *
 * @example Serve with node:http, on Deno too
 * ```ts
 * import { FakeSalesforce, type ListenOptions } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const options: ListenOptions = { port: 0, useNodeHttp: true };
 * const org = new FakeSalesforce();
 * const server = await org.listen(options);
 * try {
 *   org.inject({ path: "/services/data/", drop: true });
 *   await assert.rejects(fetch(`${server.url}/services/data/`), TypeError);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export interface ListenOptions extends ServeOptions {
  /**
   * Serve with `node:http` even where `Deno.serve` exists. `node:http` is what serves on Node
   * and Bun anyway.
   * @default false
   */
  useNodeHttp?: boolean;
}

/**
 * A running loopback server for a fake org.
 *
 * @example Close it when done
 * ```ts
 * import { FakeSalesforce, type FakeServer } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const server: FakeServer = org.serve();
 * assert.equal(org.baseUrl, server.url);
 * await server.close();
 * assert.equal(org.baseUrl, "https://fake.my.salesforce.com");
 * ```
 */
export interface FakeServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** Stops listening and waits for open connections to finish. */
  close(): Promise<void>;
}

/**
 * A value {@linkcode FakeSalesforce.insert} accepts: JSON values, and `Date` for
 * date and dateTime fields.
 *
 * @example Dates become Salesforce's text forms
 * ```ts
 * import { FakeSalesforce, type SeedValue } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const close: SeedValue = new Date(Date.UTC(2024, 1, 29));
 * const org = new FakeSalesforce();
 * org.insert("Opportunity", [{ Name: "Deal", StageName: "Prospecting", CloseDate: close }]);
 * assert.equal(org.records("Opportunity")[0].CloseDate, "2024-02-29");
 * ```
 */
export type SeedValue = string | number | boolean | null | Date;

/**
 * An Apex REST handler for {@linkcode FakeSalesforce.apex}: it gets the request
 * (path, query string, headers and body as sent) and returns a `Response`, or a
 * value the org answers as JSON with status 200 (`undefined`: an empty 200, as a
 * `void` Apex method). A thrown error becomes `500 APEX_ERROR` with its message.
 *
 * @example Answer with a status of your own
 * ```ts
 * import { type FakeApexHandler, FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const created: FakeApexHandler = async (request) =>
 *   Response.json({ id: "42", name: (await request.json()).name }, { status: 201 });
 * const org = new FakeSalesforce();
 * org.apex("POST", "/Things", created);
 * assert.equal(org.records("Account").length, 0);
 * ```
 */
export type FakeApexHandler = ApexHandler;

/** The object `sobject` names in `store`'s schema; a TypeError naming `kind` ("", "Tooling ") otherwise. */
function objectIn(store: RecordStore, sobject: unknown, context: string, kind: string): ObjectDef {
  const object = typeof sobject === "string" ? store.schema.object(sobject) : undefined;
  if (object === undefined) {
    throw new TypeError(
      `${context}: "sobject" must name a known ${kind}object: received ${received(sobject)}`,
    );
  }
  return object;
}

/** Seeds `records` of `sobject` into `store` (the data or the Tooling store). */
function seed(
  org: OrgState,
  store: RecordStore,
  sobject: unknown,
  records: Iterable<Record<string, SeedValue>>,
  kind: string,
): string[] {
  const object = objectIn(store, sobject, "Cannot insert records", kind);
  const ids: string[] = [];
  const stamp = { userId: org.defaultUserId, now: org.now() };
  let index = 0;
  for (const record of records) {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new TypeError(
        `Cannot insert ${object.name} records: record ${index} must be an object`,
      );
    }
    const prepared = prepareValues(store, object, record, "seed");
    if ("error" in prepared) {
      throw new TypeError(
        `Cannot insert ${object.name} records: record ${index}: ${prepared.error.errorCode}: ${prepared.error.message}`,
      );
    }
    ids.push(store.insert(object, prepared.values, stamp).Id as string);
    index++;
  }
  return ids;
}

/** Copies of the live records of `sobject` in `store`. */
function copies(store: RecordStore, sobject: unknown, kind: string): StoredRecord[] {
  const object = objectIn(store, sobject, "Cannot read records", kind);
  return Array.from(store.records(object.name, false), (record) => ({ ...record }));
}

/**
 * An in-memory Salesforce org answering the REST, SOQL, SOAP login and OAuth wire
 * formats through {@linkcode FakeSalesforce.fetch}, a plain fetch handler, or over
 * loopback HTTP with {@linkcode FakeSalesforce.serve}. Seed it with `insert`,
 * inspect it with `records` and `stats`, and break it on purpose with `inject`.
 *
 * @example Create a record and read it back over the wire
 * ```ts
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { clientId, clientSecret } = org.credentials;
 * const login = await org.fetch(`${org.baseUrl}/services/oauth2/token`, {
 *   method: "POST",
 *   body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }),
 * });
 * const { access_token } = await login.json();
 * const created = await org.fetch(`${org.baseUrl}/services/data/v66.0/sobjects/Account`, {
 *   method: "POST",
 *   headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json" },
 *   body: JSON.stringify({ Name: "Acme" }),
 * });
 * assert.equal(created.status, 201);
 * assert.equal(org.records("Account")[0].Name, "Acme");
 * ```
 */
export class FakeSalesforce {
  /**
   * The fetch handler: `(input, init) => Promise<Response>`, bound to the org so it
   * can be passed around alone. Relative paths resolve against {@linkcode baseUrl};
   * any host is accepted. It never throws synchronously: malformed requests get
   * Salesforce's error answers, and only a dropped-connection fault or an abort rejects.
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  #org: OrgState;
  #server: FakeServer | undefined;

  static {
    provideState((org) => org.#org);
  }

  /**
   * Creates an org holding only the default user.
   *
   * @param options Page size, instance URL, API version, limits, clock, custom objects, duplicate rules.
   * @throws {TypeError} When an option has the wrong type or shape.
   * @throws {RangeError} When a numeric option is out of range.
   */
  constructor(options: FakeSalesforceOptions = {}) {
    this.#org = new OrgState(resolveOptions(options));
    configureBulk(this.#org, {
      pollsToComplete: checkInteger(
        "Cannot create FakeSalesforce",
        "bulkPollsToComplete",
        options.bulkPollsToComplete ?? 1,
        1,
      ),
    });
    this.fetch = (input, init) => dispatch(this.#org, input, init);
  }

  /**
   * Where clients reach the org: the instance URL, or the loopback URL while {@linkcode serve} runs.
   *
   * @example Point a client at the org
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new FakeSalesforce().baseUrl, "https://fake.my.salesforce.com");
   * ```
   */
  get baseUrl(): string {
    return this.#org.baseUrl;
  }

  /**
   * The default user's credentials, for SOAP login and every OAuth flow the org offers.
   *
   * @example Log in with the SOAP credentials
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const { username, password, securityToken } = new FakeSalesforce().credentials;
   * assert.ok(username.includes("@") && password.length > 0 && securityToken.length > 0);
   * ```
   */
  get credentials(): FakeCredentials {
    return { ...DEFAULT_CREDENTIALS };
  }

  /**
   * A ready {@linkcode Auth} for the default user: the OAuth client-credentials flow
   * with {@linkcode credentials}. Each call returns a new instance.
   *
   * @returns An auth that logs in against this org.
   *
   * @example Build a client on the org
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * const token = await sf.auth.getAccessToken(sf);
   * assert.ok(token.startsWith("00D"));
   * assert.equal(org.stats.logins, 1);
   * ```
   */
  auth(): Auth {
    const { clientId, clientSecret } = DEFAULT_CREDENTIALS;
    return new ClientCredentialsFlow({ clientId, clientSecret });
  }

  /**
   * Accepts JWT bearer logins (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`)
   * signed with the private half of `publicKey`: the fake's version of uploading a
   * certificate to a connected app and pre-authorizing a user. The token endpoint then
   * checks the assertion as Salesforce does (salesforce-api.md §4.2): RS256 signature,
   * `iss` = the consumer key, `aud` = `https://login.salesforce.com` or
   * `https://test.salesforce.com`, `exp` in the future and at most 5 minutes ahead,
   * `sub` = the registered user; failures are `invalid_client_id` or `invalid_grant`
   * (`invalid assertion`, `audience is invalid`, `JWT expired`, `user hasn't approved
   * this consumer`). Several keys may be registered; they survive {@linkcode reset}.
   *
   * @param publicKey An RSASSA-PKCS1-v1_5 SHA-256 public key with the `verify` usage.
   * @param options The consumer key and the user; both default to {@linkcode credentials}.
   * @throws {TypeError} When `publicKey` is not such a key, or an option is not a non-empty string.
   *
   * @example Log in with the JWT bearer flow
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
   * assert.equal(org.stats.logins, 1);
   * ```
   */
  registerJwtKey(publicKey: CryptoKey, options: FakeJwtKeyOptions = {}): void {
    const context = "Cannot register JWT key";
    const algorithm = publicKey instanceof CryptoKey
      ? publicKey.algorithm as Partial<RsaHashedKeyAlgorithm>
      : undefined;
    if (
      algorithm?.name !== "RSASSA-PKCS1-v1_5" || algorithm.hash?.name !== "SHA-256" ||
      publicKey.type !== "public" || !publicKey.usages.includes("verify")
    ) {
      throw new TypeError(
        `${context}: "publicKey" must be an RSASSA-PKCS1-v1_5 SHA-256 public CryptoKey with the "verify" usage: received ${
          publicKey instanceof CryptoKey
            ? `a ${publicKey.type} ${String(publicKey.algorithm.name)} key`
            : received(publicKey)
        }`,
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${context}: "options" must be an object: received ${received(options)}`);
    }
    const { clientId = DEFAULT_CREDENTIALS.clientId, username = DEFAULT_CREDENTIALS.username } =
      options;
    for (const [name, value] of Object.entries({ clientId, username })) {
      if (typeof value !== "string" || value === "") {
        throw new TypeError(
          `${context}: "${name}" must be a non-empty string: received ${received(value)}`,
        );
      }
    }
    registerJwtKey(this.#org, publicKey, clientId, username);
  }

  /**
   * Request and login counters since creation or the last {@linkcode reset}.
   *
   * @example Count the calls a client made
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * await org.fetch("/services/data/");
   * assert.equal(org.stats.requests["GET versions"], 1);
   * assert.equal(org.stats.apiCalls, 0); // the versions list is not counted
   * ```
   */
  get stats(): FakeSalesforceStats {
    const org = this.#org;
    return {
      requests: { ...org.requests },
      logins: org.logins,
      tokensIssued: org.tokensIssued,
      apiCalls: org.apiUsage,
    };
  }

  /**
   * Faults still waiting, in the order they will be used.
   *
   * @example See what is left
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.inject({ status: 503, times: 2 });
   * assert.equal(org.faults[0].times, 2);
   * ```
   */
  get faults(): PendingFault[] {
    return this.#org.faults.list();
  }

  /**
   * Seeds records without any API call and without validation rules (required fields,
   * uniqueness, duplicate rules). Fields may use any casing; unknown fields throw.
   * System fields `CreatedDate`, `LastModifiedDate`, `SystemModstamp`, `CreatedById`,
   * `LastModifiedById` and `IsDeleted` may be set; the rest are filled.
   *
   * @param sobject Object name, e.g. `Account`.
   * @param records Field values by name.
   * @returns The new 18-character ids, in input order.
   * @throws {TypeError} For an unknown object or field, or a value of the wrong type.
   *
   * @example Seed and inspect
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [id] = org.insert("Account", [{ Name: "Acme", CreatedDate: new Date("2024-03-15T09:30:00Z") }]);
   * const [acme] = org.records("Account");
   * assert.equal(acme.Id, id);
   * assert.equal(acme.CreatedDate, "2024-03-15T09:30:00.000+0000");
   * assert.equal(acme.Industry, null);
   * ```
   */
  insert(sobject: string, records: Iterable<Record<string, SeedValue>>): string[] {
    return seed(this.#org, this.#org.store, sobject, records, "");
  }

  /**
   * Seeds Tooling API records (`ApexClass`, `ApexLog`), as {@linkcode insert} does
   * for data records. Tooling objects live apart from data objects: the data API
   * does not see them (a data query of `ApexClass` is `INVALID_TYPE`) and
   * {@linkcode reset} clears them too. `ApexClass` needs `Name` and `Body`; its
   * `Status` defaults to `Active`.
   *
   * @param sobject `ApexClass` or `ApexLog`, any casing.
   * @param records Field values by name.
   * @returns The new 18-character ids (`01p...`, `07L...`), in input order.
   * @throws {TypeError} For an unknown Tooling object or field, or a value of the wrong type.
   *
   * @example Seed an Apex class and a debug log
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const [classId] = org.insertTooling("ApexClass", [{ Name: "Hello", Body: "public class Hello {}", ApiVersion: 64 }]);
   * org.insertTooling("ApexLog", [{ Operation: "/apex/Home", Status: "Success", LogLength: 512, StartTime: new Date() }]);
   * assert.ok(classId.startsWith("01p"));
   * assert.equal(org.toolingRecords("ApexClass")[0].Status, "Active");
   * ```
   */
  insertTooling(sobject: string, records: Iterable<Record<string, SeedValue>>): string[] {
    return seed(this.#org, toolingStore(this.#org), sobject, records, "Tooling ");
  }

  /**
   * Copies of the live Tooling API records of an object, in creation order.
   *
   * @param sobject `ApexClass` or `ApexLog`, any casing.
   * @returns Plain objects with every field; nulls present.
   * @throws {TypeError} For an unknown Tooling object.
   *
   * @example Read an Apex class a client created
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * await sf.tooling.sobject.create("ApexClass", { Name: "Hello", Body: "public class Hello {}" });
   * assert.equal(org.toolingRecords("ApexClass")[0].Name, "Hello");
   * ```
   */
  toolingRecords(sobject: string): StoredRecord[] {
    return copies(toolingStore(this.#org), sobject, "Tooling ");
  }

  /**
   * Registers an Apex REST handler: the fake's version of deploying a class
   * annotated `@RestResource(urlMapping='/MyService/*')` with an `@HttpGet` (or
   * `@HttpPost`, ...) method. Requests to `/services/apexrest/<path>` need a
   * session and count as API calls, like Salesforce's. In `urlMapping`, `*` stands
   * for one whole segment, or, last, for any rest of the path (none included);
   * literal segments are case-sensitive. The first registration that matches path
   * and method answers; a path no mapping matches is `404 NOT_FOUND` ("Could not
   * find a match for URL /..."), a path matched only for other methods is `405`.
   * Registrations survive {@linkcode reset}, as deployed code would.
   *
   * @param method `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (any casing); `HEAD` is answered by `GET`.
   * @param urlMapping The mapping, starting with `/`, e.g. `/MyService/*`.
   * @param handler Gets the `Request`; returns a `Response` or a JSON-able value.
   * @throws {TypeError} For an unknown method, a malformed mapping or a handler that is not a function.
   *
   * @example Serve and call an Apex REST endpoint
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.apex("GET", "/Accounts/*", (request) => {
   *   const id = new URL(request.url).pathname.split("/").at(-1);
   *   return { id, name: "Acme" };
   * });
   * const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
   * assert.deepEqual(await sf.apex.get("Accounts/001"), { id: "001", name: "Acme" });
   * ```
   */
  apex(method: string, urlMapping: string, handler: FakeApexHandler): void {
    registerApexRoute(this.#org, method, urlMapping, handler);
  }

  /**
   * Copies of the live (not deleted) records of an object, in creation order.
   *
   * @param sobject Object name, any casing.
   * @returns Plain objects with every field; nulls present.
   * @throws {TypeError} For an unknown object.
   *
   * @example Read what a client wrote
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Contact", [{ FirstName: "Ann", LastName: "Lee" }]);
   * assert.equal(org.records("contact")[0].Name, "Ann Lee");
   * ```
   */
  records(sobject: string): StoredRecord[] {
    return copies(this.#org.store, sobject, "");
  }

  /**
   * Returns the org to its first state: only the default user, no tokens, cursors or
   * faults, counters at zero. Options stay.
   *
   * @example Start each test clean
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "Acme" }]);
   * org.reset();
   * assert.deepEqual(org.records("Account"), []);
   * ```
   */
  reset(): void {
    this.#org.reset();
  }

  /**
   * Queues a fault. The next request matching `method` and `path` gets it, `times`
   * times; faults are used in the order they were queued. A fault may delay
   * (`latencyMs`), expire the token (`expireToken`), drop the connection (`drop`) or
   * answer an error (`status`, `errorCode`, `message`, or a raw `body`). Error lists
   * have Salesforce's REST shape; on the token endpoint `{"error","error_description"}`,
   * on SOAP login a SOAP fault. A REST error list counts as an API call; a raw body,
   * like a maintenance page from the edge, does not.
   *
   * @param fault What to match and what to do.
   * @throws {TypeError} When the fault has the wrong shape or does nothing.
   * @throws {RangeError} When `times`, `status` or `latencyMs` is out of range.
   *
   * @example A row lock, then success
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.inject({ path: "/services/data/", errorCode: "UNABLE_TO_LOCK_ROW" });
   * const response = await org.fetch("/services/data/v66.0/limits");
   * assert.equal(response.status, 400);
   * assert.equal((await response.json())[0].errorCode, "UNABLE_TO_LOCK_ROW");
   * assert.deepEqual(org.faults, []);
   * ```
   */
  inject(fault: FakeFault): void {
    this.#org.faults.add(fault);
  }

  /**
   * Forgets every pending fault.
   *
   * @example Clear faults between tests
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.inject({ status: 503 });
   * org.clearFaults();
   * assert.equal(org.faults.length, 0);
   * ```
   */
  clearFaults(): void {
    this.#org.faults.clear();
  }

  /**
   * Serves the org over HTTP on loopback until `close()`; meanwhile {@linkcode baseUrl}
   * (and the instance URLs the org reports) is the server's URL. One server at a time.
   * Needs `Deno.serve`: on Node or Bun, use {@linkcode listen} (asynchronous), or pass
   * {@linkcode fetch} to `new Salesforce({ fetch })` (no network needed).
   *
   * `Deno.serve` answers from behind a relay that holds the client's sockets (on the same
   * host, another port), since `Deno.serve` itself cannot close a socket without answering:
   * so a `drop` fault closes the client's socket unanswered. The relay needs net permission
   * for any port of the host (`--allow-net=127.0.0.1`); with a narrower one
   * (`--allow-net=127.0.0.1:8080`), `Deno.serve` answers alone, and a drop then sends a `200`
   * and its headers before it cuts the body.
   *
   * @param options Port (0 = any free port) and hostname.
   * @returns The server's URL and `close()`.
   * @throws {Error} When the org is already serving, or when the runtime has no `Deno.serve`
   *   (the message says so and names the alternative).
   *
   * @example Talk to the org over real HTTP
   * ```ts
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * const server = org.serve();
   * try {
   *   const response = await fetch(`${server.url}/services/data/`);
   *   assert.equal(response.status, 200);
   *   await response.body?.cancel();
   * } finally {
   *   await server.close();
   * }
   * ```
   */
  serve(options: ServeOptions = {}): FakeServer {
    checkServe();
    const { port, hostname } = this.#serveOptions(options);
    const running = serveOrg((request) => dispatch(this.#org, request, undefined, SERVED), {
      port,
      hostname,
    });
    return this.#started(running);
  }

  /**
   * Serves the org over HTTP on loopback, on any runtime: with `Deno.serve` where there is
   * one (as {@linkcode serve} does), else with `node:http` (Node, Bun). Resolves once the
   * server listens; meanwhile {@linkcode baseUrl} is its URL. One server at a time.
   *
   * Either way, a `drop` fault closes the socket without an answer (see the `drop` option and
   * {@linkcode serve}).
   *
   * @param options Port (0 = any free port), hostname, and `useNodeHttp`.
   * @returns The server's URL and `close()`, once listening.
   * @throws {Error} When the org is already serving, or the runtime has neither `Deno.serve`
   *   nor `node:http` (the message names `org.fetch` as the alternative).
   *
   * @example Serve on any runtime, e.g. for a client that is not ours
   * ```ts
   * import { Salesforce } from "@x/aiosalesforce";
   * import { FakeSalesforce } from "@x/aiosalesforce/testing";
   * import assert from "node:assert/strict";
   *
   * const org = new FakeSalesforce();
   * org.insert("Account", [{ Name: "Acme" }]);
   * const server = await org.listen({ port: 0 });
   * try {
   *   const sf = new Salesforce({ baseUrl: server.url, auth: org.auth() });
   *   const names = [];
   *   for await (const account of sf.query<{ Name: string }>("SELECT Name FROM Account")) {
   *     names.push(account.Name);
   *   }
   *   assert.deepEqual(names, ["Acme"]);
   * } finally {
   *   await server.close();
   * }
   * ```
   */
  async listen(options: ListenOptions = {}): Promise<FakeServer> {
    const deno = (globalThis as { Deno?: { serve?: unknown } }).Deno;
    if (options.useNodeHttp !== true && typeof deno?.serve === "function") {
      return this.serve(options);
    }
    const { port, hostname } = this.#serveOptions(options);
    // Taken before the await, so a second call meanwhile fails as a second serve() would.
    const pending: FakeServer = { url: "", close: () => Promise.resolve() };
    this.#server = pending;
    try {
      const running = await listenNode(
        (request) => dispatch(this.#org, request, undefined, SERVED),
        {
          port,
          hostname,
        },
      );
      this.#server = undefined;
      return this.#started(running);
    } catch (error) {
      if (this.#server === pending) this.#server = undefined;
      throw error;
    }
  }

  #serveOptions(options: ServeOptions): { port: number; hostname: string } {
    if (this.#server !== undefined) {
      throw new Error(
        `Cannot serve FakeSalesforce: it is already serving${
          this.#server.url === "" ? "" : ` at ${this.#server.url}`
        }`,
      );
    }
    const port = checkInteger("Cannot serve FakeSalesforce", "port", options.port ?? 0, 0, 65_535);
    const hostname = options.hostname ?? "127.0.0.1";
    if (typeof hostname !== "string" || hostname === "") {
      throw new TypeError(
        `Cannot serve FakeSalesforce: "hostname" must be a host name: received ${
          received(hostname)
        }`,
      );
    }
    return { port, hostname };
  }

  #started(running: { url: string; close(): Promise<void> }): FakeServer {
    const server: FakeServer = {
      url: running.url,
      close: async () => {
        if (this.#server === server) {
          this.#server = undefined;
          this.#org.baseUrl = this.#org.options.instanceUrl;
        }
        await running.close();
      },
    };
    this.#server = server;
    this.#org.baseUrl = running.url;
    return server;
  }
}
