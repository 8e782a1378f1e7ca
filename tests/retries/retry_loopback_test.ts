// The retry engine with the platform fetch over loopback HTTP: streamed bodies,
// clones read by the rules and cancelled discards behave as with in-memory responses.
import assert from "node:assert/strict";
import { POLICY_DEFAULT } from "../../retries/retry_policy.ts";
import { fakeClock, stubClient } from "./_helpers.ts";

async function withServer(
  answers: Array<() => Response>,
  run: (origin: string) => Promise<void>,
): Promise<string[]> {
  const bodies: string[] = [];
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bodies.push(await request.text());
    return answers[Math.min(calls++, answers.length - 1)]();
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
  return bodies;
}

Deno.test("RetryPolicy over HTTP retries a 500 and a 503 and resends the request body each time", async () => {
  const time = fakeClock();
  try {
    const unknown = '[{"message":"An unexpected error occurred.","errorCode":"UNKNOWN_EXCEPTION"}]';
    const bodies = await withServer([
      () => new Response(unknown, { status: 500, headers: { "Content-Type": "application/json" } }),
      () => new Response("<html>We are down for maintenance.</html>", { status: 503 }),
      () => new Response('{"id":"001xx","success":true}', { status: 201 }),
    ], async (origin) => {
      const { client, fetch } = stubClient((request) => globalThis.fetch(request));
      const request = new Request(`${origin}/services/data/v64.0/sobjects/Account`, {
        method: "POST",
        body: '{"Name":"Acme"}',
        headers: { "Content-Type": "application/json" },
      });
      const response = await POLICY_DEFAULT.sendRequestWithRetries(client, request);
      assert.equal(response.status, 201);
      assert.deepEqual(await response.json(), { id: "001xx", success: true });
      assert.equal(fetch.mock.callCount(), 3);
    });
    assert.deepEqual(bodies, ['{"Name":"Acme"}', '{"Name":"Acme"}', '{"Name":"Acme"}']);
    assert.equal(time.sleeps.length, 2);
  } finally {
    time.restore();
  }
});

Deno.test("RetryPolicy over HTTP returns a failure its rules read, still readable", async () => {
  const time = fakeClock();
  try {
    const lock =
      '[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]';
    await withServer([() => new Response(lock, { status: 400 })], async (origin) => {
      const { client, fetch } = stubClient((request) => globalThis.fetch(request));
      const request = new Request(`${origin}/services/data/v64.0/sobjects/Account/001xx`);
      const response = await POLICY_DEFAULT.sendRequestWithRetries(client, request);
      assert.equal(fetch.mock.callCount(), 4);
      assert.equal(await response.text(), lock);
    });
  } finally {
    time.restore();
  }
});
