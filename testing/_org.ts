// The fake org's state, shared by FakeSalesforce and the route handlers: schema and
// records, users and credentials, tokens, cursors, faults, counters.

import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkVersion,
  received,
} from "../client/_validate.ts";
import type { DmlContext, ResolvedDuplicateRule } from "./_dml.ts";
import { CursorStore } from "./_cursors.ts";
import { FaultQueue } from "./_faults.ts";
import { customObjects, Schema, standardObjects } from "./_objects.ts";
import type { FieldDef, ObjectDef, StoredRecord } from "./_schema.ts";
import type { RouteContext } from "./_router.ts";
import { SessionStore } from "./_sessions.ts";
import { makeId, RecordStore } from "./_store.ts";
import type { FieldValue } from "./_values.ts";
import type { FakeSalesforceOptions } from "./fake_salesforce.ts";

/** Options with every default applied. */
export interface OrgOptions {
  pageSize: number;
  instanceUrl: string;
  /** Latest version the org serves, e.g. "66.0". */
  apiVersion: string;
  dailyApiLimit: number;
  tokenLifetime: number;
  now: () => number;
  objects: ObjectDef[];
  duplicateRules: { object: string; field: string }[];
  /** HTML-escape string values in composite responses, as Salesforce does. */
  realisticEscaping: boolean;
}

/** Oldest version the org serves: 21.0–30.0 were retired in Summer '25. */
export const OLDEST_VERSION = 31;

/** The default user's login secrets. Deterministic, so examples and docs can show them. */
export const DEFAULT_CREDENTIALS = {
  username: "admin@fake.example.com",
  password: "fake-password-1",
  securityToken: "FaKeSeCuRiTyToKeN0123456",
  clientId: "3MVG9FakeSalesforceConsumerKey.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  clientSecret: "FAKE1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890AB",
} as const;

const CONTEXT = "Cannot create FakeSalesforce";

/** Checks the constructor's options and applies the defaults. */
export function resolveOptions(options: FakeSalesforceOptions): OrgOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${CONTEXT}: "options" must be an object: received ${received(options)}`);
  }
  const pageSize = checkInteger(CONTEXT, "pageSize", options.pageSize ?? 2000, 1, 2000);
  const dailyApiLimit = checkInteger(CONTEXT, "dailyApiLimit", options.dailyApiLimit ?? 100_000, 1);
  const tokenLifetime = checkDuration(CONTEXT, "tokenLifetime", options.tokenLifetime ?? 7_200_000);
  const now = checkFunction(CONTEXT, "now", options.now ?? (() => Date.now()));
  let apiVersion: string;
  try {
    apiVersion = checkVersion(CONTEXT, options.apiVersion ?? "66.0");
    if (Number.parseInt(apiVersion) < OLDEST_VERSION) throw new TypeError();
  } catch {
    throw new TypeError(
      `${CONTEXT}: "apiVersion" must look like "66.0", "66" or "v66.0" and be ${OLDEST_VERSION}.0 or later: received ${
        received(options.apiVersion)
      }`,
    );
  }
  let instanceUrl: string;
  try {
    const url = new URL(options.instanceUrl ?? "https://fake.my.salesforce.com");
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError();
    instanceUrl = url.origin;
  } catch {
    throw new TypeError(
      `${CONTEXT}: "instanceUrl" must be an http(s) URL: received ${received(options.instanceUrl)}`,
    );
  }
  for (const name of ["objects", "duplicateRules"] as const) {
    if (options[name] !== undefined && !Array.isArray(options[name])) {
      throw new TypeError(
        `${CONTEXT}: "${name}" must be an array: received ${received(options[name])}`,
      );
    }
  }
  const realisticEscaping = options.realisticEscaping ?? true;
  if (typeof realisticEscaping !== "boolean") {
    throw new TypeError(
      `${CONTEXT}: "realisticEscaping" must be a boolean: received ${received(realisticEscaping)}`,
    );
  }
  const standard = standardObjects();
  return {
    realisticEscaping,
    pageSize,
    instanceUrl,
    apiVersion,
    dailyApiLimit,
    tokenLifetime,
    now,
    objects: [...standard, ...customObjects(options.objects ?? [], standard)],
    duplicateRules: options.duplicateRules ?? [],
  };
}

/** Everything a route handler reads or changes. */
export class OrgState {
  readonly options: OrgOptions;
  readonly schema: Schema;
  readonly orgId: string;
  readonly sessions: SessionStore;
  readonly cursors: CursorStore;
  readonly faults = new FaultQueue();
  readonly duplicateRules: ResolvedDuplicateRule[];
  /** The URL clients reach the org at: the instance URL, or the loopback URL while serving. */
  baseUrl: string;
  store!: RecordStore;
  defaultUserId!: string;
  apiUsage = 0;
  requests: Record<string, number> = {};
  logins = 0;
  tokensIssued = 0;
  exceptions = 0;

  constructor(options: OrgOptions) {
    this.options = options;
    this.baseUrl = options.instanceUrl;
    this.schema = new Schema(options.objects);
    this.orgId = makeId("00D", 1);
    this.sessions = new SessionStore(this.orgId.slice(0, 15), options.now, options.tokenLifetime);
    this.cursors = new CursorStore(options.now);
    this.duplicateRules = options.duplicateRules.map((rule, i) => {
      const object = this.schema.object(String(rule?.object));
      const field = object && this.schema.field(object, String(rule?.field));
      if (object === undefined || field === undefined) {
        throw new TypeError(
          `Cannot create FakeSalesforce: "duplicateRules[${i}]" must name a known object and field: received ${
            JSON.stringify(rule)
          }`,
        );
      }
      return { object, field };
    });
    this.#seed();
  }

  #seed(): void {
    this.store = new RecordStore(this.schema, this.duplicateRules.map((rule) => rule.field));
    const user = this.schema.object("User")!;
    const values = new Map<FieldDef, FieldValue>();
    const seed: Record<string, FieldValue> = {
      Username: DEFAULT_CREDENTIALS.username,
      FirstName: "Fake",
      LastName: "Admin",
      Email: DEFAULT_CREDENTIALS.username,
      Alias: "fadmin",
    };
    for (const [name, value] of Object.entries(seed)) {
      values.set(this.schema.field(user, name)!, value);
    }
    const record = this.store.insert(user, values, { userId: "", now: this.options.now() });
    // The first user created itself.
    record.CreatedById = record.LastModifiedById = record.Id;
    this.defaultUserId = record.Id as string;
  }

  now(): number {
    return this.options.now();
  }

  /** The identity URL of a user, as token responses carry it. */
  identityUrl(userId: string): string {
    return `https://login.salesforce.com/id/${this.orgId}/${userId}`;
  }

  user(userId: string): StoredRecord | undefined {
    return this.store.byId(userId);
  }

  /**
   * The write context of a request: made by the session's user (or `userId`), at the
   * route's API version, recorded in the request's undo log when it has one.
   */
  dml(context: RouteContext, userId = context.session!.userId): DmlContext {
    const { request, version, undo } = context;
    const header = request.headers.get("Sforce-Duplicate-Rule-Header") ?? "";
    return {
      store: this.store,
      stamp: { userId, now: this.now(), undo },
      duplicateRules: this.duplicateRules,
      allowSave: /(?:^|[;,\s])allowSave\s*=\s*true\b/i.test(header),
      version,
    };
  }

  /** Back to a fresh org: records (the default user stays), tokens, cursors, faults and counters. */
  reset(): void {
    this.#seed();
    this.sessions.clear();
    this.cursors.clear();
    this.faults.clear();
    this.apiUsage = 0;
    this.requests = {};
    this.logins = 0;
    this.tokensIssued = 0;
    this.exceptions = 0;
  }
}
