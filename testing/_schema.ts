// The fake org's data model: object and field definitions, and stored records.
// Shared by the org (testing/fake_salesforce.ts, testing/_routes/*) and the SOQL engine (testing/_soql/*).

/**
 * Field types the fake org models (a subset of describe's `type`).
 *
 * @example A currency field
 * ```ts
 * import type { FieldType } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const type: FieldType = "currency";
 * assert.equal(type, "currency");
 * ```
 */
export type FieldType =
  | "id"
  | "string"
  | "textarea"
  | "email"
  | "phone"
  | "url"
  | "picklist"
  | "boolean"
  | "int"
  | "double"
  | "currency"
  | "percent"
  | "date"
  | "datetime"
  | "time"
  | "reference";

/**
 * One field of an object, as describe reports it.
 *
 * @example An external id field
 * ```ts
 * import type { FieldDef } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const field: FieldDef = { name: "Code__c", type: "string", length: 20, externalId: true, unique: true };
 * assert.equal(field.externalId, true);
 * ```
 */
export interface FieldDef {
  /** Canonical API name, e.g. `AccountId`, `ExtId__c`. */
  name: string;
  /** Field type as describe reports it. */
  type: FieldType;
  /** Label as describe reports it. Default: the name. */
  label?: string;
  /** Max length for text types. */
  length?: number;
  /** For `reference`: target object names, e.g. `["Account"]`. */
  referenceTo?: string[];
  /** For `reference`: relationship name, e.g. `Account`, `Parent__r`. */
  relationshipName?: string | null;
  /**
   * For `reference`: the child relationship name on the parent object, used by
   * parent-to-child subqueries, e.g. `Contacts` for Contact.AccountId. Omitted when
   * the lookup has none.
   */
  childRelationshipName?: string;
  /** True for an external id: upsert and lookups by value use it. Default false. */
  externalId?: boolean;
  /** True when no two live records may share a value (compared case-insensitively). Default false. */
  unique?: boolean;
  /** false = required on create. Default true. */
  nillable?: boolean;
  /** Default true; system fields (Id, CreatedDate, ...) are false. */
  createable?: boolean;
  /** True when the org fills the field on create if it is absent (OwnerId, Lead.Status). Default false. */
  defaultedOnCreate?: boolean;
  /** Default true; system fields are false. */
  updateable?: boolean;
}

/** One object (standard or custom) known to the org. */
export interface ObjectDef {
  /** Canonical API name, e.g. `Account`, `Invoice__c`. */
  name: string;
  /** 3-character key prefix, e.g. `001`. */
  keyPrefix: string;
  label: string;
  labelPlural: string;
  custom: boolean;
  fields: FieldDef[];
}

/**
 * A stored record: canonical field names to values. Values are JSON-ready:
 * string, number, boolean or null. Dates are `YYYY-MM-DD`, datetimes
 * `YYYY-MM-DDTHH:mm:ss.SSS+0000`. Always holds `Id` (18 chars) and `IsDeleted`.
 *
 * @example Read a seeded record
 * ```ts
 * import { FakeSalesforce, type StoredRecord } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * org.insert("Account", [{ Name: "Acme" }]);
 * const [acme]: StoredRecord[] = org.records("Account");
 * assert.equal(acme.IsDeleted, false);
 * ```
 */
export type StoredRecord = Record<string, string | number | boolean | null>;

/** What the SOQL engine needs from the org. Object and field lookups are case-insensitive. */
export interface SoqlDataSource {
  /** The object definition, or undefined when the org does not know it. */
  object(name: string): ObjectDef | undefined;
  /** Every record of the object; soft-deleted ones (IsDeleted true) only when asked. */
  records(objectName: string, includeDeleted: boolean): Iterable<StoredRecord>;
  /** One record by 18-char id (any object), deleted or not; for parent relationship paths. */
  byId(id: string): StoredRecord | undefined;
  /**
   * Changes made to stored records' fields so far (updates, deletes, rollbacks; not inserts).
   * While it stays the same, text serialised from a record's own fields stays valid; a
   * source without it gets nothing cached.
   */
  readonly mutations?: number;
}
