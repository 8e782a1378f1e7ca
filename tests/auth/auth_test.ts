import assert from "node:assert/strict";
import { Auth } from "../../auth/auth.ts";
import type { Salesforce } from "../../client/salesforce.ts";
import { BASE, clientWith, deferred } from "./_support.ts";

/**
 * An Auth whose round trips wait until the test releases them, so concurrent
 * callers really overlap; it counts acquisitions and refreshes.
 */
class GatedAuth extends Auth {
  acquisitions = 0;
  refreshes = 0;
  isExpired = false;
  gate = deferred<void>();
  failWith: unknown = undefined;

  protected override async _acquireNewAccessToken(_client: Salesforce): Promise<string> {
    this.acquisitions++;
    return await this.#issue();
  }

  protected override async _refreshAccessToken(_client: Salesforce): Promise<string> {
    this.refreshes++;
    return await this.#issue();
  }

  override get expired(): boolean {
    return this.isExpired;
  }

  release(): void {
    this.gate.resolve();
    this.gate = deferred<void>();
  }

  async #issue(): Promise<string> {
    await this.gate.promise;
    if (this.failWith !== undefined) throw this.failWith;
    this.isExpired = false;
    return `token-${this.acquisitions + this.refreshes}`;
  }
}

function setup() {
  const auth = new GatedAuth();
  const { sf, fetch } = clientWith(auth, () => {
    throw new Error("no request expected");
  });
  return { auth, sf, fetch };
}

/** Lets every pending callback run, so waiters are really waiting. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

async function warm(auth: GatedAuth, sf: Salesforce): Promise<string> {
  const first = auth.getAccessToken(sf);
  auth.release();
  return await first;
}

Deno.test("Auth shares one acquisition among 200 concurrent getAccessToken calls", async () => {
  const { auth, sf, fetch } = setup();
  const calls = Array.from({ length: 200 }, () => auth.getAccessToken(sf));
  await settle();
  auth.release();
  const tokens = await Promise.all(calls);
  assert.equal(auth.acquisitions, 1);
  assert.equal(auth.refreshes, 0);
  assert.deepEqual(new Set(tokens), new Set(["token-1"]));
  assert.equal(fetch.mock.callCount(), 0);
});

Deno.test("Auth returns the cached token without another round trip", async () => {
  const { auth, sf } = setup();
  await warm(auth, sf);
  assert.equal(await auth.getAccessToken(sf), "token-1");
  assert.equal(auth.acquisitions, 1);
});

Deno.test("Auth shares one refresh among 50 concurrent refreshAccessToken calls", async () => {
  const { auth, sf } = setup();
  await warm(auth, sf);
  const calls = Array.from({ length: 50 }, () => auth.refreshAccessToken(sf));
  await settle();
  auth.release();
  const tokens = await Promise.all(calls);
  assert.equal(auth.refreshes, 1);
  assert.deepEqual(new Set(tokens), new Set(["token-2"]));
});

Deno.test("Auth gives a caller whose stale token was replaced the new token with no round trip", async () => {
  const { auth, sf } = setup();
  const stale = await warm(auth, sf);
  const refreshing = auth.refreshAccessToken(sf, stale);
  auth.release();
  assert.equal(await refreshing, "token-2");
  // A request that failed with the old token asks later: the new one is already there.
  assert.equal(await auth.refreshAccessToken(sf, stale), "token-2");
  assert.equal(auth.refreshes, 1);
  // Refused with the current token: that one is stale too, so refresh again.
  const again = auth.refreshAccessToken(sf, "token-2");
  auth.release();
  assert.equal(await again, "token-3");
  assert.equal(auth.refreshes, 2);
});

Deno.test("Auth rejects every waiter with the same error and retries on the next call", async () => {
  const { auth, sf } = setup();
  const failure = new Error("login refused");
  auth.failWith = failure;
  const calls = Array.from({ length: 20 }, () => auth.getAccessToken(sf));
  await settle();
  auth.release();
  const results = await Promise.allSettled(calls);
  for (const result of results) {
    assert.equal(result.status, "rejected");
    assert.equal((result as PromiseRejectedResult).reason, failure);
  }
  assert.equal(auth.acquisitions, 1);
  auth.failWith = undefined;
  const next = auth.getAccessToken(sf);
  auth.release();
  assert.equal(await next, "token-2");
  assert.equal(auth.acquisitions, 2);
});

Deno.test("Auth keeps its token after a failed refresh so the next refresh can try again", async () => {
  const { auth, sf } = setup();
  await warm(auth, sf);
  auth.failWith = new Error("refresh refused");
  const failed = auth.refreshAccessToken(sf, "token-1");
  auth.release();
  await assert.rejects(failed, /refresh refused/);
  auth.failWith = undefined;
  const retried = auth.refreshAccessToken(sf, "token-1");
  auth.release();
  assert.equal(await retried, "token-3");
  assert.equal(auth.refreshes, 2);
});

Deno.test("Auth.refreshAccessToken rejects before any token was acquired", async () => {
  const { auth, sf } = setup();
  await assert.rejects(auth.refreshAccessToken(sf), (error: Error) => {
    assert.equal(
      error.message,
      "Cannot refresh the access token of GatedAuth: no token was acquired yet: call getAccessToken first",
    );
    return true;
  });
  assert.equal(auth.acquisitions + auth.refreshes, 0);
});

Deno.test("Auth.refreshAccessToken waits for an acquisition already in flight", async () => {
  const { auth, sf } = setup();
  const getting = auth.getAccessToken(sf);
  const refreshing = auth.refreshAccessToken(sf);
  auth.release();
  assert.deepEqual(await Promise.all([getting, refreshing]), ["token-1", "token-1"]);
  assert.equal(auth.acquisitions + auth.refreshes, 1);
});

Deno.test("Auth refreshes an expired token through _refreshAccessToken", async () => {
  const { auth, sf } = setup();
  await warm(auth, sf);
  auth.isExpired = true;
  const calls = Array.from({ length: 10 }, () => auth.getAccessToken(sf));
  await settle();
  auth.release();
  assert.deepEqual(new Set(await Promise.all(calls)), new Set(["token-2"]));
  assert.equal(auth.acquisitions, 1);
  assert.equal(auth.refreshes, 1);
});

Deno.test("Auth.getAccessToken waits for a refresh in flight instead of using the old token", async () => {
  const { auth, sf } = setup();
  await warm(auth, sf);
  const refreshing = auth.refreshAccessToken(sf, "token-1");
  const getting = auth.getAccessToken(sf);
  auth.release();
  assert.deepEqual(await Promise.all([refreshing, getting]), ["token-2", "token-2"]);
});

Deno.test("Auth's default _refreshAccessToken acquires a new token", async () => {
  let issued = 0;
  class Plain extends Auth {
    protected override _acquireNewAccessToken(): Promise<string> {
      return Promise.resolve(`plain-${++issued}`);
    }
  }
  const auth = new Plain();
  const { sf } = clientWith(auth, () => new Response());
  assert.equal(auth.expired, false);
  assert.equal(await auth.getAccessToken(sf), "plain-1");
  assert.equal(await auth.refreshAccessToken(sf), "plain-2");
  assert.equal(await auth.getAccessToken(sf), "plain-2");
});

Deno.test("Auth turns a synchronous throw in a subclass hook into a rejection", async () => {
  const failure = new TypeError("bad configuration");
  class Throwing extends Auth {
    protected override _acquireNewAccessToken(): Promise<string> {
      throw failure;
    }
  }
  const auth = new Throwing();
  const { sf } = clientWith(auth, () => new Response());
  const pending = auth.getAccessToken(sf);
  assert.ok(pending instanceof Promise);
  await assert.rejects(pending, (error) => error === failure);
  // Not stuck: the next call runs the hook again.
  await assert.rejects(auth.getAccessToken(sf), (error) => error === failure);
});

Deno.test("Auth rejects a hook that resolves to something other than a non-empty string", async () => {
  class Empty extends Auth {
    protected override _acquireNewAccessToken(): Promise<string> {
      return Promise.resolve("");
    }
  }
  const auth = new Empty();
  const { sf } = clientWith(auth, () => new Response());
  await assert.rejects(auth.getAccessToken(sf), {
    name: "TypeError",
    message:
      "Cannot get an access token: Empty._acquireNewAccessToken must resolve to a non-empty string: received an empty string",
  });
});

Deno.test("Auth refuses a subclass that overrides its final methods", () => {
  class Greedy extends Auth {
    protected override _acquireNewAccessToken(): Promise<string> {
      return Promise.resolve("x");
    }
    override getAccessToken(): Promise<string> {
      return Promise.resolve("y");
    }
  }
  class Sneaky extends Greedy {}
  for (const Class of [Greedy, Sneaky]) {
    assert.throws(() => new Class(), {
      name: "TypeError",
      message: new RegExp(
        `^Cannot create ${Class.name}: "getAccessToken" is final: override _acquireNewAccessToken or _refreshAccessToken instead$`,
      ),
    });
  }
});

Deno.test("Auth refuses a class field that would replace a final method", () => {
  class Field extends Auth {
    protected override _acquireNewAccessToken(): Promise<string> {
      return Promise.resolve("x");
    }
    // @ts-ignore: the type allows it; the runtime must not.
    getAccessToken = () => Promise.resolve("bypassing the shared acquisition");
  }
  assert.throws(() => new Field(), TypeError);
});

Deno.test("One Auth serves several clients with one token", async () => {
  const { auth, sf } = setup();
  const other = clientWith(auth, () => new Response()).sf;
  assert.notEqual(sf, other);
  const both = [auth.getAccessToken(sf), auth.getAccessToken(other)];
  auth.release();
  assert.deepEqual(await Promise.all(both), ["token-1", "token-1"]);
  assert.equal(auth.acquisitions, 1);
  assert.equal(sf.baseUrl, BASE);
});
