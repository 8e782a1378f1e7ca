// The client's `timeout` also covers the bodies it reads itself: a connection that stalls
// after the headers fails the call with a TimeoutError instead of hanging, whether or not
// the fetch ties its body to the attempt's signal. A slow consumer is no stall.
import assert from "node:assert/strict";
import { concatBytes } from "../../client/_bytes.ts";
import { AccessTokenAuth } from "../../auth/access_token_auth.ts";
import { ClientCredentialsFlow } from "../../auth/client_credentials_flow.ts";
import { NotFoundError } from "../../client/errors.ts";
import { ResponseEvent } from "../../events/events.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

const BASE = "https://acme.my.salesforce.com";
const ENCODER = new TextEncoder();

/**
 * A body that sends `text`, then nothing more, and ignores aborts: only a cancel ends it.
 * `cancelled` tells whether the client let go of it.
 */
function stalled(text: string): { body: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (text !== "") controller.enqueue(ENCODER.encode(text));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, cancelled: () => cancelled };
}

function clientWith(
  fetch: (request: Request) => Promise<Response>,
  timeout: number,
): Salesforce {
  return new Salesforce({
    baseUrl: BASE,
    auth: new AccessTokenAuth({ accessToken: "00Dxx0000000001!AQ4AQtoken" }),
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(new Request(input, init)),
    retryPolicy: null,
    timeout,
  });
}

/** Long enough that no answer before a stall runs into it on a loaded machine. */
const T = 100;
const TIMED_OUT = { name: "TimeoutError", message: `Request timed out after ${T} ms` };

Deno.test("A JSON body that stalls after the headers fails the call with the client's TimeoutError", async () => {
  const bodies: ReturnType<typeof stalled>[] = [];
  const sf = clientWith(() => {
    const body = stalled('{"Id":"001000000000001AAA","Na');
    bodies.push(body);
    return Promise.resolve(
      new Response(body.body, { headers: { "Content-Type": "application/json" } }),
    );
  }, T);
  await assert.rejects(sf.sobject.get("Account", "001000000000001AAA"), TIMED_OUT);
  await assert.rejects(sf.getLimits(), TIMED_OUT);
  await assert.rejects(sf.sobject.create("Account", { Name: "A" }), TIMED_OUT);
  assert.equal(bodies.length, 3);
});

Deno.test("Without retry rules, an error body that stalls fails the call as its status says, naming the timeout", async () => {
  const sf = clientWith(
    () => Promise.resolve(new Response(stalled('[{"errorCode":"NOT_FO').body, { status: 404 })),
    T,
  );
  const error = await sf.sobject.get("Account", "001000000000001AAA").catch((e: unknown) => e);
  assert.ok(error instanceof NotFoundError, String(error));
  assert.match(error.message, new RegExp(`Request timed out after ${T} ms`));
});

Deno.test("A query page that stalls mid-body fails the iteration after the records already read", async () => {
  const first = {
    totalSize: 3,
    done: false,
    nextRecordsUrl: "/services/data/v62.0/query/01gXX-2",
    records: [{ Name: "a" }, { Name: "b" }],
  };
  const next = stalled('{"totalSize":3,"done":true,"records":[{"Name":"c"');
  const sf = clientWith((request) =>
    Promise.resolve(
      new URL(request.url).searchParams.has("q")
        ? Response.json(first)
        : new Response(next.body, { headers: { "Content-Type": "application/json" } }),
    ), T);
  const names: string[] = [];
  await assert.rejects(async () => {
    for await (const record of sf.query<{ Name: string }>("SELECT Name FROM Account")) {
      names.push(record.Name);
    }
  }, TIMED_OUT);
  assert.deepEqual(names, ["a", "b"]);
  assert.equal(next.cancelled(), true);
});

/** A fake org whose bulk query results pages are cut after `keep` bytes and then stall. */
function stallingResults(org: FakeSalesforce, keep: number) {
  const stalls: ReturnType<typeof stalled>[] = [];
  const fetch = async (request: Request) => {
    const response = await org.fetch(request);
    if (!new URL(request.url).pathname.endsWith("/results")) return response;
    const text = await response.text();
    const body = stalled(text.slice(0, keep));
    stalls.push(body);
    return new Response(body.body, { status: response.status, headers: response.headers });
  };
  return { fetch, stalls };
}

Deno.test("A bulk query results page that stalls fails the query with the TimeoutError and deletes its job", async () => {
  const org = new FakeSalesforce();
  org.insert("Account", Array.from({ length: 10 }, (_, i) => ({ Name: `A${i}` })));
  const { fetch, stalls } = stallingResults(org, 40);
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(new Request(input, init)),
    timeout: T,
  });
  await assert.rejects(async () => {
    for await (const _ of sf.bulkV2.query("SELECT Name FROM Account", { pollingInterval: 1 })) {
      // The rows before the stall, if any.
    }
  }, TIMED_OUT);
  assert.equal(stalls.length, 1);
  assert.equal(stalls[0].cancelled(), true);
  assert.equal(org.stats.requests["DELETE bulkQueryJob"], 1);
});

Deno.test("A consumer slower than the timeout between rows is no stall: every row arrives", async () => {
  const org = new FakeSalesforce();
  org.insert("Account", Array.from({ length: 9 }, (_, i) => ({ Name: `A${i}` })));
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: org.fetch,
    timeout: T,
  });
  const names: string[] = [];
  const rows = sf.bulkV2.query("SELECT Name FROM Account", {
    maxRecords: 3,
    pollingInterval: 1,
  });
  for await (const row of rows) {
    names.push(row.Name);
    // Longer than the timeout at each page's first row, while that page's body is open.
    if (names.length % 3 === 1) await new Promise((resolve) => setTimeout(resolve, 1.5 * T));
  }
  assert.deepEqual(names.sort(), Array.from({ length: 9 }, (_, i) => `A${i}`));
});

Deno.test("A token answer that stalls fails the login with the TimeoutError", async () => {
  const org = new FakeSalesforce();
  const stall = stalled('{"access_token":"');
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname.endsWith("/oauth2/token")) {
      return Promise.resolve(
        new Response(stall.body, { headers: { "Content-Type": "application/json" } }),
      );
    }
    return org.fetch(request);
  };
  const { clientId, clientSecret } = org.credentials;
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: new ClientCredentialsFlow({ clientId, clientSecret }),
    fetch,
    timeout: T,
  });
  await assert.rejects(sf.getLimits(), TIMED_OUT);
});

Deno.test("Over the standard fetch, a body that stalls after the headers times out and frees the connection", async () => {
  const cancelled: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(ENCODER.encode(path.includes("/query") ? '{"totalSize":1,' : '{"Id":'));
      },
      cancel() {
        cancelled.push(path);
      },
    });
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  });
  try {
    const sf = new Salesforce({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      auth: new AccessTokenAuth({ accessToken: "00Dxx0000000001!AQ4AQtoken" }),
      retryPolicy: null,
      timeout: T,
    });
    await assert.rejects(sf.sobject.get("Account", "001000000000001AAA"), TIMED_OUT);
    await assert.rejects(async () => {
      for await (const _ of sf.query("SELECT Id FROM Account")) {
        // No record arrives.
      }
    }, TIMED_OUT);
  } finally {
    await server.shutdown();
  }
  assert.deepEqual(cancelled.map((path) => path.split("/").at(-1)), [
    "001000000000001AAA",
    "query",
  ]);
});

Deno.test("With the default retry rules, an error answer whose body stalls fails with the TimeoutError", async () => {
  for (const status of [400, 404, 500]) {
    const sf = new Salesforce({
      baseUrl: BASE,
      auth: new AccessTokenAuth({ accessToken: "00Dxx0000000001!AQ4AQtoken" }),
      fetch: () => Promise.resolve(new Response(stalled('[{"errorCode":"').body, { status })),
      timeout: T,
    });
    await assert.rejects(sf.sobject.get("Account", "001000000000001AAA"), TIMED_OUT, `${status}`);
  }
});

Deno.test("The caller's abort while a body stalls rejects with the caller's reason, error bodies too", async () => {
  for (const status of [200, 404]) {
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    const sf = clientWith(() => {
      // The headers are in: the caller gives up while the body stalls.
      queueMicrotask(() => setTimeout(() => controller.abort(reason), 1));
      return Promise.resolve(new Response(stalled('{"Id":').body, { status }));
    }, 60_000);
    await assert.rejects(
      sf.sobject.get("Account", "001000000000001AAA", { signal: controller.signal }),
      reason,
    );
  }
});

Deno.test("A stub in place of the global fetch whose body stalls times out too", async () => {
  const original = globalThis.fetch;
  globalThis.fetch = () => Promise.resolve(new Response(stalled('{"Id":').body));
  try {
    const sf = new Salesforce({
      baseUrl: BASE,
      auth: new AccessTokenAuth({ accessToken: "00Dxx0000000001!AQ4AQtoken" }),
      timeout: T,
    });
    await assert.rejects(sf.sobject.get("Account", "001000000000001AAA"), TIMED_OUT);
  } finally {
    globalThis.fetch = original;
  }
});

Deno.test("A page that stalls while an event callback holds an unread clone still times out", async () => {
  const clones: Response[] = [];
  const sf = new Salesforce({
    baseUrl: BASE,
    auth: new AccessTokenAuth({ accessToken: "00Dxx0000000001!AQ4AQtoken" }),
    fetch: () =>
      Promise.resolve(
        new Response(stalled('{"totalSize":2,"done":true,"records":[{"Id":"a"').body, {
          headers: { "Content-Type": "application/json" },
        }),
      ),
    retryPolicy: null,
    timeout: T,
    // The README's way to read a response in a callback: a clone, here never read.
    eventHooks: [(event) => {
      if (event instanceof ResponseEvent) clones.push(event.response.clone());
    }],
  });
  try {
    await assert.rejects(async () => {
      for await (const _ of sf.query("SELECT Id FROM Account")) {
        // No record arrives whole.
      }
    }, TIMED_OUT);
    assert.equal(clones.length, 1);
  } finally {
    for (const clone of clones) await clone.body?.cancel();
  }
});

Deno.test("With a timeout too long for a timer, pages are read with no deadline", async () => {
  const org = new FakeSalesforce({ pageSize: 200 });
  org.insert("Account", Array.from({ length: 450 }, (_, i) => ({ Name: `A${i}` })));
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: org.fetch,
    timeout: 3_000_000_000,
  });
  let count = 0;
  for await (const _ of sf.query("SELECT Id FROM Account")) count++;
  assert.equal(count, 450);
  let rows = 0;
  for await (const _ of sf.bulkV2.query("SELECT Id FROM Account", { pollingInterval: 1 })) rows++;
  assert.equal(rows, 450);
});

/**
 * A fetch in front of `org` that takes a PUT's body one piece at a time, waiting `pause` ms
 * before each, and stops taking any after `pieces` of them (Infinity: it takes them all).
 */
function slowUploads(org: FakeSalesforce, pause: number, pieces = Infinity) {
  const taken: number[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    if (request.method !== "PUT") return await org.fetch(request);
    const reader = request.body!.getReader();
    const parts: Uint8Array[] = [];
    for (let i = 0;; i++) {
      if (i >= pieces) {
        // Stalled: nothing more is taken until the attempt is given up.
        await new Promise((_, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason));
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      taken.push(value.byteLength);
    }
    return await org.fetch(new Request(request, { body: concatBytes(parts).slice() }));
  };
  return { fetch, taken };
}

Deno.test("An upload that keeps moving outlasts the timeout: it restarts with each piece sent", async () => {
  const org = new FakeSalesforce();
  // About 10 pieces of 64 KiB, each taken after T / 2: the upload takes 5 × T in all.
  const rows = Array.from({ length: 20_000 }, (_, i) => `Account ${String(i).padStart(20, "0")}\n`);
  const { fetch, taken } = slowUploads(org, T / 2);
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(new Request(input, init)),
    timeout: T,
  });
  const job = await sf.bulkV2.ingest.createJob("insert", "Account");
  const closed = await sf.bulkV2.ingest.uploadJobData(job.id, `Name\n${rows.join("")}`);
  assert.equal(closed.state, "UploadComplete");
  assert.ok(taken.length >= 8, `${taken.length} pieces`);
  assert.equal((await sf.bulkV2.ingest.getJob(job.id)).numberRecordsProcessed, 20_000);
});

Deno.test("An upload that stops moving fails with the TimeoutError", async () => {
  const org = new FakeSalesforce();
  const rows = Array.from({ length: 20_000 }, (_, i) => `Account ${String(i).padStart(20, "0")}\n`);
  const { fetch, taken } = slowUploads(org, 1, 2);
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: org.auth(),
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(new Request(input, init)),
    retryPolicy: null,
    timeout: T,
  });
  const job = await sf.bulkV2.ingest.createJob("insert", "Account");
  await assert.rejects(
    sf.bulkV2.ingest.uploadJobData(job.id, `Name\n${rows.join("")}`),
    TIMED_OUT,
  );
  assert.equal(taken.length, 2);
});
