// The objects the fake org knows: standard definitions, custom objects from options,
// and the case-insensitive lookups every route and the store share.

import type { FieldDef, FieldType, ObjectDef } from "./_schema.ts";
import type { CustomObjectDefinition } from "./fake_salesforce.ts";

type FieldExtra = Omit<FieldDef, "name" | "type">;

function field(name: string, type: FieldType, extra: FieldExtra = {}): FieldDef {
  return { name, type, ...extra };
}

const SYSTEM = { createable: false, updateable: false, nillable: false } as const;
const REQUIRED = { nillable: false } as const;

function lookup(
  name: string,
  target: string,
  relationshipName: string,
  childRelationshipName?: string,
  extra: FieldExtra = {},
): FieldDef {
  const def = field(name, "reference", {
    label: `${relationshipName} ID`,
    referenceTo: [target],
    relationshipName,
    length: 18,
    ...extra,
  });
  if (childRelationshipName !== undefined) def.childRelationshipName = childRelationshipName;
  return def;
}

function head(): FieldDef[] {
  return [
    field("Id", "id", { label: "Record ID", length: 18, ...SYSTEM }),
    field("IsDeleted", "boolean", { label: "Deleted", ...SYSTEM, defaultedOnCreate: true }),
  ];
}

function owner(): FieldDef {
  return lookup("OwnerId", "User", "Owner", undefined, {
    nillable: false,
    defaultedOnCreate: true,
  });
}

function audit(): FieldDef[] {
  const dated = { ...SYSTEM, defaultedOnCreate: true };
  return [
    field("CreatedDate", "datetime", { label: "Created Date", ...dated }),
    lookup("CreatedById", "User", "CreatedBy", undefined, dated),
    field("LastModifiedDate", "datetime", { label: "Last Modified Date", ...dated }),
    lookup("LastModifiedById", "User", "LastModifiedBy", undefined, dated),
    field("SystemModstamp", "datetime", { label: "System Modstamp", ...dated }),
  ];
}

function extId(): FieldDef {
  return field("ExtId__c", "string", {
    label: "Ext Id",
    length: 64,
    externalId: true,
    unique: true,
  });
}

/** Compound person name (Contact, Lead, User): read-only, computed from FirstName and LastName. */
function personName(): FieldDef[] {
  return [
    field("LastName", "string", { label: "Last Name", length: 80, ...REQUIRED }),
    field("FirstName", "string", { label: "First Name", length: 40 }),
    field("Name", "string", {
      label: "Full Name",
      length: 121,
      createable: false,
      updateable: false,
      nillable: false,
      defaultedOnCreate: true,
    }),
  ];
}

function standard(
  name: string,
  keyPrefix: string,
  labelPlural: string,
  fields: FieldDef[],
): ObjectDef {
  return { name, keyPrefix, label: name, labelPlural, custom: false, fields };
}

/** Objects every fake org starts with. */
export function standardObjects(): ObjectDef[] {
  return [
    standard("Account", "001", "Accounts", [
      ...head(),
      field("Name", "string", { label: "Account Name", length: 255, ...REQUIRED }),
      field("Type", "picklist", { label: "Account Type", length: 255 }),
      lookup("ParentId", "Account", "Parent", "ChildAccounts"),
      field("Phone", "phone", { label: "Account Phone", length: 40 }),
      field("Website", "url", { length: 255 }),
      field("Industry", "picklist", { length: 255 }),
      field("AnnualRevenue", "double", { label: "Annual Revenue" }),
      field("NumberOfEmployees", "int", { label: "Employees" }),
      field("Description", "textarea", { label: "Account Description", length: 32_000 }),
      owner(),
      ...audit(),
      extId(),
    ]),
    standard("Contact", "003", "Contacts", [
      ...head(),
      lookup("AccountId", "Account", "Account", "Contacts"),
      ...personName(),
      field("Title", "string", { length: 128 }),
      field("Phone", "phone", { label: "Business Phone", length: 40 }),
      field("Email", "email", { length: 80 }),
      field("Description", "textarea", { label: "Contact Description", length: 32_000 }),
      owner(),
      ...audit(),
      extId(),
    ]),
    standard("Lead", "00Q", "Leads", [
      ...head(),
      ...personName(),
      field("Title", "string", { length: 128 }),
      field("Company", "string", { length: 255, ...REQUIRED }),
      field("Phone", "phone", { length: 40 }),
      field("Email", "email", { length: 80 }),
      field("Status", "picklist", {
        label: "Lead Status",
        length: 255,
        nillable: false,
        defaultedOnCreate: true,
      }),
      field("Industry", "picklist", { length: 255 }),
      field("Description", "textarea", { length: 32_000 }),
      owner(),
      ...audit(),
    ]),
    standard("Opportunity", "006", "Opportunities", [
      ...head(),
      lookup("AccountId", "Account", "Account", "Opportunities"),
      field("Name", "string", { label: "Name", length: 120, ...REQUIRED }),
      field("Description", "textarea", { length: 32_000 }),
      field("StageName", "picklist", { label: "Stage", length: 255, ...REQUIRED }),
      field("Amount", "currency"),
      field("CloseDate", "date", { label: "Close Date", ...REQUIRED }),
      owner(),
      ...audit(),
    ]),
    standard("Case", "500", "Cases", [
      ...head(),
      field("CaseNumber", "string", {
        label: "Case Number",
        length: 30,
        ...SYSTEM,
        defaultedOnCreate: true,
      }),
      lookup("ContactId", "Contact", "Contact", "Cases"),
      lookup("AccountId", "Account", "Account", "Cases"),
      field("Status", "picklist", { length: 255, defaultedOnCreate: true }),
      field("Origin", "picklist", { label: "Case Origin", length: 255 }),
      field("Subject", "string", { length: 255 }),
      field("Priority", "picklist", { length: 255, defaultedOnCreate: true }),
      field("Description", "textarea", { length: 32_000 }),
      owner(),
      ...audit(),
    ]),
    standard("User", "005", "Users", [
      ...head(),
      field("Username", "string", { length: 80, unique: true, ...REQUIRED }),
      ...personName(),
      field("Email", "email", { length: 128, ...REQUIRED }),
      field("Alias", "string", { length: 8 }),
      field("IsActive", "boolean", { label: "Active", defaultedOnCreate: true }),
      field("TimeZoneSidKey", "picklist", { label: "Time Zone", length: 40 }),
      ...audit(),
    ]),
  ];
}

/**
 * Objects of the Tooling API (`/tooling/query`, `/tooling/sobjects`), apart from the
 * data objects: the fake's stores never mix them.
 */
export function toolingObjects(): ObjectDef[] {
  return [
    standard("ApexClass", "01p", "Apex Classes", [
      ...head(),
      field("Name", "string", { length: 255, ...REQUIRED }),
      field("NamespacePrefix", "string", { label: "Namespace Prefix", length: 15 }),
      field("ApiVersion", "double", { label: "Api Version" }),
      field("Status", "picklist", { length: 40, defaultedOnCreate: true }),
      field("IsValid", "boolean", { label: "Is Valid", defaultedOnCreate: true }),
      field("Body", "textarea", { length: 1_000_000, ...REQUIRED }),
      field("LengthWithoutComments", "int", { label: "Size Without Comments" }),
      ...audit(),
    ]),
    standard("ApexLog", "07L", "Apex Debug Logs", [
      ...head(),
      field("LogUserId", "string", { label: "User ID", length: 18 }),
      field("Request", "string", { label: "Request Type", length: 16 }),
      field("Operation", "string", { length: 128 }),
      field("Application", "string", { length: 64 }),
      field("Status", "string", { length: 255 }),
      field("Location", "picklist", { length: 40 }),
      field("LogLength", "int", { label: "Log Size (bytes)" }),
      field("DurationMilliseconds", "int", { label: "Duration (ms)" }),
      field("StartTime", "datetime", { label: "Start Time" }),
      ...audit(),
    ]),
  ];
}

/** Values the org fills on create when the field is absent (besides ids, owners and dates). */
export const STATIC_DEFAULTS: Record<string, Record<string, string | boolean>> = {
  ApexClass: { Status: "Active", IsValid: true },
  Lead: { Status: "Open - Not Contacted" },
  Case: { Status: "New", Priority: "Medium" },
  // GMT: date literals such as TODAY are resolved in UTC days, which is then the user's zone.
  User: { IsActive: true, TimeZoneSidKey: "GMT" },
};

const CUSTOM_PREFIX_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CUSTOM_NAME = /^[A-Za-z][A-Za-z0-9_]*__c$/;

function labelOf(apiName: string): string {
  return apiName.replace(/__c$/, "").replaceAll("_", " ");
}

/**
 * Turns `options.objects` into full definitions: system fields, Name and OwnerId
 * are added, key prefixes `a00`, `a01`, ... are given in order unless set.
 */
export function customObjects(
  inputs: readonly CustomObjectDefinition[],
  taken: ObjectDef[],
): ObjectDef[] {
  const context = "Cannot create FakeSalesforce";
  const prefixes = new Set(taken.map((o) => o.keyPrefix));
  const names = new Set(taken.map((o) => o.name.toLowerCase()));
  let next = 0;
  const result: ObjectDef[] = [];
  for (const [i, input] of inputs.entries()) {
    if (typeof input?.name !== "string" || !CUSTOM_NAME.test(input.name)) {
      throw new TypeError(
        `${context}: "objects[${i}].name" must be a custom object name like "Invoice__c": received ${
          JSON.stringify(input?.name)
        }`,
      );
    }
    if (names.has(input.name.toLowerCase())) {
      throw new TypeError(`${context}: "objects[${i}].name" repeats object "${input.name}"`);
    }
    if (!Array.isArray(input.fields)) {
      throw new TypeError(
        `${context}: "objects[${i}].fields" must be an array of field definitions`,
      );
    }
    let keyPrefix = input.keyPrefix;
    if (keyPrefix === undefined) {
      while (prefixes.has(`a0${CUSTOM_PREFIX_CHARS[next]}`)) next++;
      if (next >= CUSTOM_PREFIX_CHARS.length) {
        throw new RangeError(`${context}: "objects" holds more than 62 custom objects`);
      }
      keyPrefix = `a0${CUSTOM_PREFIX_CHARS[next++]}`;
    } else if (!/^[0-9A-Za-z]{3}$/.test(keyPrefix) || prefixes.has(keyPrefix)) {
      throw new TypeError(
        `${context}: "objects[${i}].keyPrefix" must be 3 base-62 characters no other object uses: received ${
          JSON.stringify(keyPrefix)
        }`,
      );
    }
    prefixes.add(keyPrefix);
    names.add(input.name.toLowerCase());
    const label = input.label ?? labelOf(input.name);
    const labelPlural = input.labelPlural ?? `${label}s`;
    const own = new Set<string>();
    const fields: FieldDef[] = [];
    for (const [j, def] of input.fields.entries()) {
      if (typeof def?.name !== "string" || !/^[A-Za-z][A-Za-z0-9_]*$/.test(def.name)) {
        throw new TypeError(
          `${context}: "objects[${i}].fields[${j}].name" must be a field API name: received ${
            JSON.stringify(def?.name)
          }`,
        );
      }
      if (own.has(def.name.toLowerCase()) || RESERVED.has(def.name.toLowerCase())) {
        throw new TypeError(
          `${context}: "objects[${i}].fields[${j}].name" repeats field "${def.name}"`,
        );
      }
      own.add(def.name.toLowerCase());
      const copy: FieldDef = { ...def, label: def.label ?? labelOf(def.name) };
      if (copy.type === "reference") {
        copy.referenceTo = [...(def.referenceTo ?? [])];
        copy.relationshipName ??= def.name.endsWith("__c")
          ? def.name.replace(/__c$/, "__r")
          : def.name.replace(/Id$/, "");
        copy.childRelationshipName ??= `${labelPlural.replaceAll(" ", "_")}__r`;
      }
      fields.push(copy);
    }
    result.push({
      name: input.name,
      keyPrefix,
      label,
      labelPlural,
      custom: true,
      fields: [
        ...head(),
        owner(),
        field("Name", "string", { label: `${label} Name`, length: 80, defaultedOnCreate: true }),
        ...audit(),
        ...fields,
      ],
    });
  }
  return result;
}

const RESERVED = new Set(
  ["Id", "IsDeleted", "OwnerId", "Name", "CreatedDate", "CreatedById", "LastModifiedDate"]
    .concat(["LastModifiedById", "SystemModstamp"])
    .map((name) => name.toLowerCase()),
);

/** Case-insensitive lookups over a fixed set of object definitions. */
export class Schema {
  #objects = new Map<string, ObjectDef>();
  #prefixes = new Map<string, ObjectDef>();
  #fields = new Map<ObjectDef, Map<string, FieldDef>>();
  #exactFields = new Map<ObjectDef, Map<string, FieldDef>>();
  #relationships = new Map<ObjectDef, Map<string, FieldDef>>();
  #children = new Map<ObjectDef, { child: ObjectDef; field: FieldDef }[]>();

  constructor(objects: ObjectDef[]) {
    for (const object of objects) {
      this.#objects.set(object.name.toLowerCase(), object);
      this.#prefixes.set(object.keyPrefix, object);
      const fields = new Map<string, FieldDef>();
      const exact = new Map<string, FieldDef>();
      const relationships = new Map<string, FieldDef>();
      for (const def of object.fields) {
        fields.set(def.name.toLowerCase(), def);
        exact.set(def.name, def);
        if (def.type === "reference" && def.relationshipName) {
          relationships.set(def.relationshipName.toLowerCase(), def);
        }
      }
      this.#fields.set(object, fields);
      this.#exactFields.set(object, exact);
      this.#relationships.set(object, relationships);
      this.#children.set(object, []);
    }
    for (const object of objects) {
      for (const def of object.fields) {
        if (def.type !== "reference" || def.childRelationshipName === undefined) continue;
        for (const target of def.referenceTo ?? []) {
          const parent = this.object(target);
          if (parent !== undefined) this.#children.get(parent)!.push({ child: object, field: def });
        }
      }
    }
  }

  /** Every object, in definition order. */
  get objects(): ObjectDef[] {
    return [...this.#objects.values()];
  }

  object(name: string): ObjectDef | undefined {
    return this.#objects.get(name.toLowerCase());
  }

  byPrefix(prefix: string): ObjectDef | undefined {
    return this.#prefixes.get(prefix);
  }

  field(object: ObjectDef, name: string): FieldDef | undefined {
    // Most callers use canonical casing: try it before lower-casing.
    return this.#exactFields.get(object)?.get(name) ??
      this.#fields.get(object)?.get(name.toLowerCase());
  }

  /** The reference field whose relationship name is `name` (`Account`, `Parent__r`). */
  relationship(object: ObjectDef, name: string): FieldDef | undefined {
    return this.#relationships.get(object)?.get(name.toLowerCase());
  }

  /** Lookups on other objects that point at `object` and have a child relationship name. */
  children(object: ObjectDef): { child: ObjectDef; field: FieldDef }[] {
    return this.#children.get(object) ?? [];
  }
}
