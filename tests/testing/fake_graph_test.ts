import assert from "node:assert/strict";
import { call, loggedIn, V, wire } from "./_fake.ts";

const G = `${V}/composite/graph`;

function node(method: string, path: string, referenceId: string, body?: unknown) {
  return { method, url: `${V}/${path}`, referenceId, ...(body === undefined ? {} : { body }) };
}

Deno.test("FakeSalesforce composite graph answers per graph, committing the good one and rolling back the bad one", async () => {
  const { org, token } = await loggedIn();
  const got = await wire(
    await call(org, token, "POST", G, {
      graphs: [
        {
          graphId: "g1",
          compositeRequest: [
            node("POST", "sobjects/Account", "acc", { Name: "Acme" }),
            node("POST", "sobjects/Contact", "con", { LastName: "Doe", AccountId: "@{acc.id}" }),
          ],
        },
        {
          graphId: "g2",
          compositeRequest: [
            node("POST", "sobjects/Account", "acc", { Name: "Globex" }),
            node("POST", "sobjects/Contact", "con", { AccountId: "@{acc.id}" }),
          ],
        },
      ],
    }),
  );
  assert.equal(got.status, 200);
  assert.equal(got.limit, "api-usage=1/100000");
  const body = JSON.parse(got.text);
  assert.deepEqual(
    body.graphs.map((g: { graphId: string; isSuccessful: boolean }) => [
      g.graphId,
      g.isSuccessful,
    ]),
    [["g1", true], ["g2", false]],
  );
  const [acme] = org.records("Account");
  assert.deepEqual(body.graphs[0].graphResponse.compositeResponse[0], {
    body: { id: acme.Id, success: true, errors: [] },
    httpHeaders: { Location: `/services/data/v66.0/sobjects/Account/${acme.Id}` },
    httpStatusCode: 201,
    referenceId: "acc",
  });
  const failed = body.graphs[1].graphResponse.compositeResponse;
  assert.deepEqual(failed.map((r: { httpStatusCode: number }) => r.httpStatusCode), [400, 400]);
  assert.equal(failed[0].body[0].errorCode, "PROCESSING_HALTED");
  assert.equal(failed[1].body[0].errorCode, "REQUIRED_FIELD_MISSING");
  assert.deepEqual(org.records("Account").map((r) => r.Name), ["Acme"]);
  assert.equal(org.records("Contact").length, 1);
});

Deno.test("FakeSalesforce composite graph refuses nodes that are not sObject calls, and bad graph ids", async () => {
  const { org, token } = await loggedIn();
  const query = await call(org, token, "POST", G, {
    graphs: [{
      graphId: "g",
      compositeRequest: [node("GET", "query?q=SELECT+Id+FROM+Account", "q")],
    }],
  });
  assert.equal(query.status, 400);
  assert.match((await query.json())[0].message, /must call sObject resources/);
  const badId = await call(org, token, "POST", G, {
    graphs: [{ graphId: "a.b", compositeRequest: [node("POST", "sobjects/Account", "a", {})] }],
  });
  assert.equal(badId.status, 400);
  await badId.body?.cancel();
  const duplicate = await call(org, token, "POST", G, {
    graphs: ["g", "g"].map((graphId) => ({
      graphId,
      compositeRequest: [node("POST", "sobjects/Account", "a", { Name: "x" })],
    })),
  });
  assert.equal(duplicate.status, 400);
  await duplicate.body?.cancel();
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce composite graph refuses more than 500 nodes, 75 graphs or 15 levels", async () => {
  const { org, token } = await loggedIn();
  const many = (count: number) =>
    Array.from(
      { length: count },
      (_, i) => node("POST", "sobjects/Account", `a${i}`, { Name: "x" }),
    );
  const nodes = await call(org, token, "POST", G, {
    graphs: [{ graphId: "g1", compositeRequest: many(300) }, {
      graphId: "g2",
      compositeRequest: many(201),
    }],
  });
  assert.equal(nodes.status, 400);
  await nodes.body?.cancel();
  const graphs = await call(org, token, "POST", G, {
    graphs: Array.from({ length: 76 }, (_, i) => ({ graphId: `g${i}`, compositeRequest: many(1) })),
  });
  assert.equal(graphs.status, 400);
  await graphs.body?.cancel();
  const chain = [node("POST", "sobjects/Account", "n0", { Name: "x" })];
  for (let i = 1; i < 16; i++) {
    chain.push(node("GET", `sobjects/Account/@{n${i - 1}.Id}`, `n${i}`));
  }
  const deep = await call(org, token, "POST", G, {
    graphs: [{ graphId: "g", compositeRequest: chain }],
  });
  assert.equal(deep.status, 400);
  assert.match((await deep.json())[0].message, /deeper than 15/);
  assert.deepEqual(org.records("Account"), []);
});

Deno.test("FakeSalesforce composite graph stops processing graphs after 14 failures", async () => {
  const { org, token } = await loggedIn();
  const graphs = Array.from({ length: 16 }, (_, i) => ({
    graphId: `g${i}`,
    compositeRequest: [node("POST", "sobjects/Account", "a", i < 14 ? {} : { Name: `ok ${i}` })],
  }));
  const body = await (await call(org, token, "POST", G, { graphs })).json();
  assert.deepEqual(
    body.graphs.map((g: { isSuccessful: boolean }) => g.isSuccessful),
    Array(16).fill(false),
  );
  assert.equal(
    body.graphs[15].graphResponse.compositeResponse[0].body[0].errorCode,
    "PROCESSING_HALTED",
  );
  assert.deepEqual(org.records("Account"), []);
});
