// All-or-nothing writes of the fake org: one undo log in the record store serves composite
// allOrNone, sObject Collections allOrNone, sObject Tree and Composite Graph. These tests
// drive the routes on an OrgState directly, so they can read the store's write counter.
import assert from "node:assert/strict";
import { dispatch } from "../../testing/_dispatch.ts";
import { DEFAULT_CREDENTIALS, OrgState, resolveOptions } from "../../testing/_org.ts";
import type { FieldDef, StoredRecord } from "../../testing/_schema.ts";
import { UndoLog } from "../../testing/_store.ts";
import type { FieldValue } from "../../testing/_values.ts";
import { call, type FetchableOrg, tokenFor, V } from "./_fake.ts";

/** An OrgState (so tests can read its store) and a JSON caller logged in to it. */
async function loggedInState(): Promise<{ org: OrgState; send: Send }> {
  const org = new OrgState(resolveOptions({}));
  const adapter: FetchableOrg = {
    fetch: (input, init) => dispatch(org, input, init),
    baseUrl: org.baseUrl,
    credentials: { ...DEFAULT_CREDENTIALS },
  };
  const token = await tokenFor(adapter);
  const send: Send = async (method, path, body) => {
    const response = await call(adapter, token, method, `${V}${path}`, body);
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };
  return { org, send };
}

type Send = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

/** Seeds `count` Accounts straight into the store; returns them. */
function seedAccounts(org: OrgState, count: number): StoredRecord[] {
  const account = org.schema.object("Account")!;
  const name = org.schema.field(account, "Name")!;
  const extId = org.schema.field(account, "ExtId__c")!;
  const stamp = { userId: org.defaultUserId, now: org.now() };
  const records: StoredRecord[] = [];
  for (let i = 0; i < count; i++) {
    const values = new Map<FieldDef, FieldValue>([[name, `Account ${i}`], [extId, `X${i}`]]);
    records.push(org.store.insert(account, values, stamp));
  }
  return records;
}

function accounts(org: OrgState, includeDeleted = true): StoredRecord[] {
  return [...org.store.records("Account", includeDeleted)];
}

const BIG = 100_000;

Deno.test("A rollback in an org of 100,000 records undoes only the call's own writes", async () => {
  const { org, send } = await loggedInState();
  const seeded = seedAccounts(org, BIG);
  const [updated, deleted] = [seeded[10], seeded[BIG - 1]];
  const snapshot = { updated: { ...updated }, deleted: { ...deleted } };
  const writesBefore = org.store.writes;
  const { body } = await send("POST", "/composite", {
    allOrNone: true,
    compositeRequest: [
      {
        method: "PATCH",
        url: `${V}/sobjects/Account/${updated.Id}`,
        referenceId: "U",
        body: { Name: "Changed", ExtId__c: "NEW-KEY" },
      },
      { method: "DELETE", url: `${V}/sobjects/Account/${deleted.Id}`, referenceId: "D" },
      { method: "POST", url: `${V}/sobjects/Account`, referenceId: "A", body: { Name: "New" } },
      { method: "POST", url: `${V}/sobjects/Account`, referenceId: "Bad", body: {} },
    ],
  });
  const statuses = (body as { compositeResponse: { httpStatusCode: number }[] })
    .compositeResponse.map((entry) => entry.httpStatusCode);
  assert.deepEqual(statuses, [400, 400, 400, 400]);
  // Three writes and three undos: nothing else in the org was rewritten.
  assert.equal(org.store.writes - writesBefore, 6);
  const after = accounts(org);
  assert.equal(after.length, BIG);
  assert.ok(after.every((record, i) => record === seeded[i]));
  assert.deepEqual(updated, snapshot.updated);
  assert.deepEqual(deleted, snapshot.deleted);
  const account = org.schema.object("Account")!;
  const extId = org.schema.field(account, "ExtId__c")!;
  assert.deepEqual(org.store.find(account, extId, "X10"), [updated]);
  assert.deepEqual(org.store.find(account, extId, "NEW-KEY"), []);
  assert.deepEqual(org.store.find(account, extId, `X${BIG - 1}`), [deleted]);
});

Deno.test("sObject Collections, Tree and Graph roll back at the cost of their own writes", async () => {
  const { org, send } = await loggedInState();
  const seeded = seedAccounts(org, BIG);
  const attributes = { type: "Account" };

  let before = org.store.writes;
  const collection = await send("POST", "/composite/sobjects", {
    allOrNone: true,
    records: [{ attributes, Name: "One" }, { attributes, Name: "Two" }, { attributes }],
  });
  assert.equal(collection.status, 200);
  assert.equal(org.store.writes - before, 4);

  before = org.store.writes;
  const update = await send("PATCH", "/composite/sobjects", {
    allOrNone: true,
    records: [{ attributes, id: seeded[5].Id, Name: "Renamed" }, { attributes, id: "bad" }],
  });
  assert.equal(update.status, 200);
  assert.equal(org.store.writes - before, 2);
  assert.equal(seeded[5].Name, "Account 5");

  before = org.store.writes;
  const tree = await send("POST", "/composite/tree/Account", {
    records: [{
      attributes: { type: "Account", referenceId: "Parent" },
      Name: "Parent",
      Contacts: { records: [{ attributes: { type: "Contact", referenceId: "Child" } }] },
    }],
  });
  assert.equal(tree.status, 400);
  assert.equal(org.store.writes - before, 2);

  before = org.store.writes;
  const graph = await send("POST", "/composite/graph", {
    graphs: [{
      graphId: "g1",
      compositeRequest: [
        { method: "POST", url: `${V}/sobjects/Account`, referenceId: "A", body: { Name: "G" } },
        {
          method: "PATCH",
          url: `${V}/sobjects/Account/${seeded[7].Id}`,
          referenceId: "U",
          body: { Name: "Graph" },
        },
        { method: "POST", url: `${V}/sobjects/Contact`, referenceId: "C", body: {} },
      ],
    }],
  });
  assert.equal(
    (graph.body as { graphs: { isSuccessful: boolean }[] }).graphs[0].isSuccessful,
    false,
  );
  assert.equal(org.store.writes - before, 4);
  assert.equal(seeded[7].Name, "Account 7");

  assert.equal(accounts(org).length, BIG);
  assert.deepEqual([...org.store.records("Contact", true)], []);
});

Deno.test("A collection inside an all-or-nothing composite call rolls back to its own start, then with the call", async () => {
  const { org, send } = await loggedInState();
  const attributes = { type: "Account" };
  const collection = (records: unknown[], referenceId: string) => ({
    method: "POST",
    url: `${V}/composite/sobjects`,
    referenceId,
    body: { allOrNone: true, records },
  });
  // The call keeps going after a failed subrequest when allOrNone is false.
  await send("POST", "/composite", {
    allOrNone: false,
    compositeRequest: [
      { method: "POST", url: `${V}/sobjects/Account`, referenceId: "Kept", body: { Name: "K" } },
      collection([{ attributes, Name: "Gone" }, { attributes }], "Failed"),
    ],
  });
  assert.deepEqual(accounts(org).map((r) => r.Name), ["K"]);
  // A collection that succeeded is undone with the rest of an all-or-nothing call.
  const { body } = await send("POST", "/composite", {
    allOrNone: true,
    compositeRequest: [
      collection([{ attributes, Name: "Inner" }], "Inner"),
      { method: "POST", url: `${V}/sobjects/Account`, referenceId: "Bad", body: {} },
    ],
  });
  const entries = (body as { compositeResponse: { httpStatusCode: number }[] }).compositeResponse;
  assert.deepEqual(entries.map((entry) => entry.httpStatusCode), [400, 400]);
  assert.deepEqual(accounts(org).map((r) => r.Name), ["K"]);
});

Deno.test("RecordStore.rollback restores updates, deletes and indexes, and keeps ids used", () => {
  const org = new OrgState(resolveOptions({}));
  const [a, b] = seedAccounts(org, 2);
  const account = org.schema.object("Account")!;
  const name = org.schema.field(account, "Name")!;
  const extId = org.schema.field(account, "ExtId__c")!;
  const undo = new UndoLog();
  const stamp = { userId: org.defaultUserId, now: org.now() + 60_000, undo };
  org.store.update(account, a, new Map([[extId, "MOVED"]]), stamp);
  org.store.softDelete(account, b, stamp);
  const mark = undo.mark();
  const c = org.store.insert(account, new Map([[name, "C"], [extId, "X0"]]), stamp);
  org.store.update(account, c, new Map([[name, "C2"]]), stamp);
  org.store.rollback(undo, mark);
  assert.equal(undo.mark(), mark);
  assert.equal(org.store.byId(c.Id as string), undefined);
  assert.deepEqual(org.store.find(account, extId, "X0"), []);
  org.store.rollback(undo);
  assert.equal(undo.mark(), 0);
  assert.deepEqual(org.store.find(account, extId, "X0"), [a]);
  assert.deepEqual(org.store.find(account, extId, "MOVED"), []);
  assert.equal(b.IsDeleted, false);
  assert.deepEqual(accounts(org, false), [a, b]);
  const d = org.store.insert(account, new Map([[name, "D"]]), stamp);
  assert.ok((d.Id as string) > (c.Id as string));
});

Deno.test("RecordStore.purge removes a record from every read, queryAll included", () => {
  const org = new OrgState(resolveOptions({}));
  const [a, b, c] = seedAccounts(org, 3);
  const account = org.schema.object("Account")!;
  const extId = org.schema.field(account, "ExtId__c")!;
  org.store.softDelete(account, c, { userId: org.defaultUserId, now: org.now() });
  org.store.purge(account, a);
  org.store.purge(account, c);
  assert.equal(org.store.byId(a.Id as string), undefined);
  assert.deepEqual(org.store.find(account, extId, "X0"), []);
  assert.deepEqual(accounts(org, true), [b]);
  assert.deepEqual(accounts(org, false), [b]);
});
