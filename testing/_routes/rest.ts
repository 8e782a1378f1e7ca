// REST discovery: API versions, the versioned resource list, /limits, describeGlobal
// and per-object describe (salesforce-api.md §5.1, §5.2).

import { json, notFound } from "../_http.ts";
import { OLDEST_VERSION, type OrgState } from "../_org.ts";
import type { Route, RouteContext } from "../_router.ts";
import type { FieldDef, FieldType, ObjectDef } from "../_schema.ts";
import { isLongText } from "../_soql/_compile.ts";

const SEASONS = ["Spring", "Summer", "Winter"];

/** Release label of a major version: 60 → "Spring '24", 62 → "Winter '25". */
export function versionLabel(major: number): string {
  const n = major - 60;
  const season = ((n % 3) + 3) % 3;
  const year = 24 + Math.floor(n / 3) + (season === 2 ? 1 : 0);
  return `${SEASONS[season]} '${String(year).padStart(2, "0")}`;
}

function versions({ org }: RouteContext): Response {
  const latest = Number.parseInt(org.options.apiVersion);
  const list = [];
  for (let major = OLDEST_VERSION; major <= latest; major++) {
    list.push({
      label: versionLabel(major),
      url: `/services/data/v${major}.0`,
      version: `${major}.0`,
    });
  }
  return json(200, list);
}

const RESOURCES = [
  "tooling",
  "metadata",
  "eclair",
  "folders",
  "prechatForms",
  "contact-tracing",
  "jsonxform",
  "chatter",
  "tabs",
  "appMenu",
  "quickActions",
  "queryAll",
  "commerce",
  "wave",
  "iot",
  "analytics",
  "search",
  "identity",
  "composite",
  "parameterizedSearch",
  "fingerprint",
  "theme",
  "nouns",
  "event",
  "serviceTemplates",
  "recent",
  "connect",
  "licensing",
  "limits",
  "process",
  "async-queries",
  "query",
  "match",
  "emailConnect",
  "compactLayouts",
  "knowledgeManagement",
  "sobjects",
  "actions",
  "support",
  "jobs",
];

function resources({ org, version, session }: RouteContext): Response {
  const body: Record<string, string> = {};
  for (const name of RESOURCES) {
    body[name] = name === "identity"
      ? org.identityUrl(session!.userId)
      : `/services/data/v${version}/${name}`;
  }
  return json(200, body);
}

function limits({ org }: RouteContext): Response {
  const max = org.options.dailyApiLimit;
  const remaining = Math.max(0, max - org.apiUsage);
  return json(200, {
    ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
    ConcurrentSyncReportRuns: { Max: 20, Remaining: 20 },
    DailyApiRequests: {
      Max: max,
      Remaining: remaining,
      "Ant Migration Tool": { Max: 0, Remaining: 0 },
    },
    DailyAsyncApexExecutions: { Max: 250_000, Remaining: 250_000 },
    DailyBulkApiBatches: { Max: 15_000, Remaining: 15_000 },
    DailyBulkV2QueryFileStorageMB: { Max: 976_562, Remaining: 976_562 },
    DailyBulkV2QueryJobs: { Max: 10_000, Remaining: 10_000 },
    DataStorageMB: { Max: 5, Remaining: 5 },
    FileStorageMB: { Max: 20, Remaining: 20 },
    SingleEmail: { Max: 15, Remaining: 15 },
  });
}

function objectUrls(object: ObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

/** The object-level keys describeGlobal, the basic-info and describe resources share. */
function objectSummary(object: ObjectDef, version: string): Record<string, unknown> {
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: true,
    custom: object.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: true,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: true,
    mergeable: ["Account", "Contact", "Lead"].includes(object.name),
    mruEnabled: true,
    name: object.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    updateable: true,
    urls: objectUrls(object, version),
  };
}

// The fake's schema never changes once the org answers its first describe: that
// moment (in whole seconds, as HTTP dates have) is every describe's Last-Modified.
const SCHEMA_STAMPS = new WeakMap<OrgState, number>();

function schemaModified(org: OrgState): number {
  let stamp = SCHEMA_STAMPS.get(org);
  if (stamp === undefined) {
    stamp = Math.floor(org.now() / 1000) * 1000;
    SCHEMA_STAMPS.set(org, stamp);
  }
  return stamp;
}

/**
 * A describe answer with `Last-Modified`, or `304` and no body when the request's
 * `If-Modified-Since` is not older than the schema (salesforce-api.md §2.1, §3.2).
 */
function conditional(context: RouteContext, body: () => unknown): Response {
  const modified = schemaModified(context.org);
  const headers = { "Last-Modified": new Date(modified).toUTCString() };
  const since = Date.parse(context.request.headers.get("If-Modified-Since") ?? "");
  if (!Number.isNaN(since) && since >= modified) {
    return new Response(null, { status: 304, headers });
  }
  return json(200, body(), headers);
}

function describeGlobal(context: RouteContext): Response {
  const { org, version } = context;
  return conditional(context, () => ({
    encoding: "UTF-8",
    maxBatchSize: 200,
    sobjects: org.schema.objects.map((object) => objectSummary(object, version)),
  }));
}

/** GET `/sobjects/{Object}`: basic information (the resource is shared with create). */
export function basicInfo({ org, params, version }: RouteContext): Response {
  const object = org.schema.object(params.object);
  if (object === undefined) return notFound();
  return json(200, { objectDescribe: objectSummary(object, version), recentItems: [] });
}

const SOAP_TYPES: Record<FieldType, string> = {
  id: "tns:ID",
  reference: "tns:ID",
  string: "xsd:string",
  textarea: "xsd:string",
  email: "xsd:string",
  phone: "xsd:string",
  url: "xsd:string",
  picklist: "xsd:string",
  boolean: "xsd:boolean",
  int: "xsd:int",
  double: "xsd:double",
  currency: "xsd:double",
  percent: "xsd:double",
  date: "xsd:date",
  datetime: "xsd:dateTime",
  time: "xsd:time",
};

/** One field as describe reports it; keys in Salesforce's alphabetical order. */
function describeField(def: FieldDef): Record<string, unknown> {
  const text = ["string", "textarea", "email", "phone", "url", "picklist", "id", "reference"]
    .includes(def.type);
  const numeric = ["double", "currency", "percent"].includes(def.type);
  const length = text
    ? def.length ?? (def.type === "id" || def.type === "reference" ? 18 : 255)
    : 0;
  return {
    aggregatable: def.type !== "textarea",
    autoNumber: def.name === "CaseNumber",
    byteLength: length * 3,
    calculated: false,
    caseSensitive: false,
    createable: def.createable !== false,
    custom: def.name.endsWith("__c"),
    defaultedOnCreate: def.defaultedOnCreate === true,
    digits: def.type === "int" ? 9 : 0,
    externalId: def.externalId === true,
    filterable: !isLongText(def),
    groupable: !numeric && def.type !== "textarea" && def.type !== "datetime",
    idLookup: def.type === "id" || def.externalId === true,
    label: def.label ?? def.name,
    length,
    name: def.name,
    nillable: def.nillable !== false,
    picklistValues: [],
    precision: numeric ? 18 : 0,
    referenceTo: def.referenceTo ?? [],
    relationshipName: def.relationshipName ?? null,
    scale: numeric ? 2 : 0,
    soapType: SOAP_TYPES[def.type],
    sortable: !isLongText(def),
    type: def.type,
    unique: def.unique === true,
    updateable: def.updateable !== false,
  };
}

function describe(context: RouteContext): Response {
  const { org, params, version } = context;
  const object = org.schema.object(params.object);
  if (object === undefined) return notFound();
  return conditional(context, () => describeBody(org, object, version));
}

function describeBody(org: OrgState, object: ObjectDef, version: string): unknown {
  const childRelationships = org.schema.children(object).map(({ child, field }) => ({
    cascadeDelete: false,
    childSObject: child.name,
    deprecatedAndHidden: false,
    field: field.name,
    junctionIdListNames: [],
    junctionReferenceTo: [],
    relationshipName: field.childRelationshipName,
    restrictedDelete: false,
  }));
  const { urls, ...summary } = objectSummary(object, version);
  return {
    ...summary,
    childRelationships,
    fields: object.fields.map(describeField),
    recordTypeInfos: [],
    urls: {
      ...(urls as Record<string, string>),
      layouts: `/services/data/v${version}/sobjects/${object.name}/describe/layouts`,
    },
  };
}

/** Discovery routes. */
export const restRoutes: Route[] = [
  { pattern: "/services/data", name: "versions", kind: "open", methods: { GET: versions } },
  {
    pattern: "/services/data/:version",
    name: "resources",
    kind: "data",
    methods: { GET: resources },
  },
  {
    pattern: "/services/data/:version/limits",
    name: "limits",
    kind: "data",
    methods: { GET: limits },
  },
  {
    pattern: "/services/data/:version/sobjects",
    name: "describeGlobal",
    kind: "data",
    methods: { GET: describeGlobal },
  },
  {
    pattern: "/services/data/:version/sobjects/:object/describe",
    name: "describe",
    kind: "data",
    methods: { GET: describe },
  },
];
