import assert from "node:assert/strict";
import { Salesforce } from "../../client/salesforce.ts";
import { InvalidStateError } from "../../client/subrequest.ts";
import { toId18 } from "../../client/_ids.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

/** A client on a fresh fake org that records every data request it sends. */
function setup() {
  const org = new FakeSalesforce();
  const sent: { method: string; path: string; body: string }[] = [];
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      if (path.startsWith("/services/data/")) {
        sent.push({ method: request.method, path, body: await request.clone().text() });
      }
      return org.fetch(request);
    },
  });
  return { org, sf, sent };
}

Deno.test("composite.graph runs 2 graphs in one call; the failing one rolls back alone", async () => {
  const { org, sf, sent } = setup();
  const graphs = sf.composite.graph();
  const first = graphs.request();
  const acme = first.sobject.create("Account", { Name: "Acme" });
  const doe = first.sobject.create("Contact", { LastName: "Doe", AccountId: acme.ref("id") });
  const second = graphs.request();
  const globex = second.sobject.create("Account", { Name: "Globex" });
  const nameless = second.sobject.create("Contact", { AccountId: globex.ref("id") });
  await graphs.execute();

  assert.deepEqual(sent.map((s) => `${s.method} ${s.path}`), [
    "POST /services/data/v64.0/composite/graph",
  ]);
  assert.deepEqual([first.isSuccessful, second.isSuccessful], [true, false]);
  assert.deepEqual(org.records("Account").map((r) => [r.Id, r.Name]), [[acme.id, "Acme"]]);
  assert.deepEqual(org.records("Contact").map((r) => [r.Id, r.AccountId]), [[doe.id, acme.id]]);
  assert.equal(nameless.error?.errorCode, "REQUIRED_FIELD_MISSING");
  assert.equal(globex.isSuccess, false);
  assert.equal(globex.error?.errorCode, "PROCESSING_HALTED");
  assert.throws(() => globex.id, { name: "SalesforceError" });
});

Deno.test("composite.graph sends each graph's id and nodes with their references", async () => {
  const { sf, sent } = setup();
  const graphs = sf.composite.graph();
  const graph = graphs.request({ graphId: "onboarding-1" });
  const account = graph.sobject.create("Account", { Name: "Acme" });
  graph.sobject.get("Account", account.ref("id"), { fields: ["Name"] });
  await graphs.execute();
  assert.deepEqual(JSON.parse(sent[0].body), {
    graphs: [{
      graphId: "onboarding-1",
      compositeRequest: [
        {
          method: "POST",
          url: "/services/data/v64.0/sobjects/Account",
          referenceId: "Account_create_0",
          body: { Name: "Acme" },
        },
        {
          method: "GET",
          url: "/services/data/v64.0/sobjects/Account/@{Account_create_0.id}?fields=Name",
          referenceId: "Account_get_1",
        },
      ],
    }],
  });
});

Deno.test("composite.graph reads node results through the subrequest accessors", async () => {
  const { org, sf } = setup();
  const [existing] = org.insert("Account", [{ Name: "Old", ExtId__c: "A-1" }]);
  const graphs = sf.composite.graph();
  const graph = graphs.request();
  const upsert = graph.sobject.upsert("Account", "A-1", "ExtId__c", { Name: "New" });
  const read = graph.sobject.get<{ Name: string }>("Account", upsert.ref("id"));
  await graphs.execute();
  assert.deepEqual([upsert.id, upsert.created], [existing, false]);
  assert.equal(read.record.Name, "New");
});

Deno.test("composite.graph refuses more than 500 nodes in one call before sending", async () => {
  const { sf, sent } = setup();
  const graphs = sf.composite.graph();
  for (let g = 0; g < 2; g++) {
    const graph = graphs.request();
    for (let i = 0; i < 251; i++) graph.sobject.create("Account", { Name: `A${g}.${i}` });
  }
  await assert.rejects(graphs.execute(), {
    name: "RangeError",
    message:
      "Cannot execute composite graph: one call holds at most 500 nodes across its graphs: received 502",
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.graph refuses a 501st node in one graph when it is added", () => {
  const { sf } = setup();
  const graph = sf.composite.graph().request();
  for (let i = 0; i < 500; i++) graph.sobject.create("Account", { Name: `A${i}` });
  assert.throws(() => graph.sobject.create("Account", { Name: "one too many" }), {
    name: "RangeError",
    message: /composite graph "graph_0": it holds at most 500 subrequests/,
  });
});

Deno.test("composite.graph refuses a chain of more than 15 referencing nodes before sending", async () => {
  const { sf, sent } = setup();
  const graphs = sf.composite.graph();
  const graph = graphs.request();
  let previous: { ref(path: string): string } = graph.sobject.create("Account", { Name: "root" });
  for (let i = 1; i < 16; i++) previous = graph.sobject.get("Account", previous.ref("Id"));
  await assert.rejects(graphs.execute(), {
    name: "RangeError",
    message:
      'Cannot execute composite graph: graph "graph_0" chains 16 nodes by reference; the limit is 15',
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.graph refuses more than 15 kinds of node before sending", async () => {
  const { sf, sent } = setup();
  const graphs = sf.composite.graph();
  const graph = graphs.request();
  const ids: Record<string, string> = {
    Account: toId18("001000000000001"),
    Contact: toId18("003000000000001"),
    Lead: toId18("00Q000000000001"),
    Case: toId18("500000000000001"),
  };
  for (const [sobject, id] of Object.entries(ids)) {
    graph.sobject.create(sobject, { Name: "x" });
    graph.sobject.get(sobject, id);
    graph.sobject.update(sobject, id, { Name: "x" });
    graph.sobject.delete(sobject, id);
  }
  await assert.rejects(graphs.execute(), {
    name: "RangeError",
    message: /at most 15 kinds of node \(method and object\): received 16/,
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.graph refuses an empty graph, a 76th graph, a repeated graphId and queries", async () => {
  const { sf, sent } = setup();
  const graphs = sf.composite.graph();
  graphs.request();
  await assert.rejects(graphs.execute(), {
    name: "RangeError",
    message: /graph "graph_0" has no subrequests/,
  });
  assert.throws(() => graphs.request({ graphId: "graph_0" }), {
    name: "TypeError",
    message: /"graphId" must be unique: "graph_0" is taken/,
  });
  assert.throws(() => graphs.request({ graphId: "a.b" }), { name: "TypeError" });
  for (let i = 1; i < 75; i++) graphs.request();
  assert.throws(() => graphs.request(), { name: "RangeError", message: /at most 75 graphs/ });
  assert.throws(() => graphs.graphs[0].query("SELECT Id FROM Account"), {
    name: "TypeError",
    message: /graph nodes are sObject operations only/,
  });
  assert.equal(sent.length, 0);
});

Deno.test("composite.graph results are readable only after execute, which runs once", async () => {
  const { sf } = setup();
  const graphs = sf.composite.graph();
  const graph = graphs.request();
  const node = graph.sobject.create("Account", { Name: "Acme" });
  assert.throws(() => graph.isSuccessful, InvalidStateError);
  assert.throws(() => node.id, InvalidStateError);
  await graphs.execute();
  assert.equal(graph.isSuccessful, true);
  await assert.rejects(graphs.execute(), InvalidStateError);
  assert.throws(() => graphs.request(), InvalidStateError);
  assert.throws(() => graph.sobject.create("Account", { Name: "late" }), InvalidStateError);
});

Deno.test("composite.graph with no graphs sends nothing", async () => {
  const { sf, sent } = setup();
  await sf.composite.graph().execute();
  assert.equal(sent.length, 0);
});

Deno.test("composite.graph reports a response without a node's result as a SalesforceError and settles no graph", async () => {
  const { org, sf } = setup();
  const graphs = sf.composite.graph();
  const first = graphs.request();
  const acme = first.sobject.create("Account", { Name: "Acme" });
  const second = graphs.request();
  second.sobject.create("Account", { Name: "Globex" });
  const node = { referenceId: "Account_create_0", httpStatusCode: 201, body: { id: "x" } };
  org.inject({
    path: "/services/data/v64.0/composite/graph",
    status: 200,
    body: JSON.stringify({
      graphs: [
        { graphId: "graph_0", isSuccessful: true, graphResponse: { compositeResponse: [node] } },
        { graphId: "graph_1", isSuccessful: true, graphResponse: { compositeResponse: [] } },
      ],
    }),
  });
  await assert.rejects(graphs.execute(), {
    name: "SalesforceError",
    message:
      'Cannot read composite graph response: no result for node "Account_create_0" of graph "graph_1" (200 POST /services/data/v64.0/composite/graph)',
  });
  assert.equal(acme.done, false);
  assert.throws(() => first.isSuccessful, InvalidStateError);
});
