import assert from "node:assert/strict";
import { mock } from "node:test";
import type { TokenSet } from "../../auth/auth.ts";
import { RefreshTokenFlow, type RefreshTokenFlowOptions } from "../../auth/refresh_token_flow.ts";
import { AuthenticationError } from "../../client/errors.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce } from "../../testing/fake_salesforce.ts";
import {
  BASE,
  clientWith,
  deferred,
  jsonResponse,
  type SeenRequest,
  TOKEN_PATH,
} from "./_support.ts";

const CLIENT_ID = "3MVG9AcmeConsumerKey";
const CLIENT_SECRET = "ACME-CONSUMER-SECRET-0123456789";
const FIRST_REFRESH = "5Aep861FirstRefreshToken";

/**
 * A token endpoint with refresh-token rotation: each refresh token works once and
 * is replaced by a new one; a reused one is refused (and counted).
 */
function rotatingEndpoint({ rotate = true } = {}) {
  const live = new Set([FIRST_REFRESH]);
  const sent: string[] = [];
  let issued = 0;
  let reused = 0;
  // The access token the org accepts: the latest one, until the session expires.
  let session: string | undefined;
  const handler = (request: SeenRequest) => {
    if (!request.url.endsWith(TOKEN_PATH)) {
      return session !== undefined && request.headers.get("Authorization") === `Bearer ${session}`
        ? jsonResponse(200, { ok: true })
        : jsonResponse(401, [{
          message: "Session expired or invalid",
          errorCode: "INVALID_SESSION_ID",
        }]);
    }
    const form = new URLSearchParams(request.body);
    const refreshToken = form.get("refresh_token")!;
    sent.push(refreshToken);
    if (!live.has(refreshToken)) {
      reused++;
      return jsonResponse(400, {
        error: "invalid_grant",
        error_description: "expired access/refresh token",
      });
    }
    issued++;
    session = `token-${issued}`;
    const body: Record<string, string> = {
      access_token: session,
      scope: "refresh_token api",
      instance_url: BASE,
      id: "https://login.salesforce.com/id/00D5g000004ABCDEAA/0055g00000AbCdEAAV",
      token_type: "Bearer",
      issued_at: String(1_710_495_000_000 + issued),
    };
    if (rotate) {
      live.delete(refreshToken);
      body.refresh_token = `5Aep861Rotated${issued}`;
      live.add(body.refresh_token);
    }
    return jsonResponse(200, body);
  };
  return {
    handler,
    sent,
    expireSession() {
      session = undefined;
    },
    get issued() {
      return issued;
    },
    get reused() {
      return reused;
    },
  };
}

function flow(options: Partial<RefreshTokenFlowOptions> = {}): RefreshTokenFlow {
  return new RefreshTokenFlow({ clientId: CLIENT_ID, refreshToken: FIRST_REFRESH, ...options });
}

Deno.test("RefreshTokenFlow posts grant_type=refresh_token with the client id, and the secret only when given", async () => {
  for (const clientSecret of [undefined, CLIENT_SECRET]) {
    const auth = flow({ clientSecret });
    const endpoint = rotatingEndpoint();
    const { sf, requests, events } = clientWith(auth, endpoint.handler);
    assert.equal(await auth.getAccessToken(sf), "token-1");
    assert.equal(requests[0].method, "POST");
    assert.equal(requests[0].url, `${BASE}${TOKEN_PATH}`);
    const expected: Record<string, string> = {
      grant_type: "refresh_token",
      client_id: CLIENT_ID,
      refresh_token: FIRST_REFRESH,
    };
    if (clientSecret !== undefined) expected.client_secret = clientSecret;
    assert.deepEqual(Object.fromEntries(new URLSearchParams(requests[0].body)), expected);
    assert.deepEqual(events.map((event) => event.type), ["request", "response"]);
  }
});

Deno.test("RefreshTokenFlow sends the rotated refresh token on each refresh and never reuses one", async () => {
  const auth = flow();
  const endpoint = rotatingEndpoint();
  const { sf } = clientWith(auth, endpoint.handler);
  let token = await auth.getAccessToken(sf);
  for (let i = 0; i < 5; i++) token = await auth.refreshAccessToken(sf, token);
  assert.equal(token, "token-6");
  assert.deepEqual(endpoint.sent, [
    FIRST_REFRESH,
    "5Aep861Rotated1",
    "5Aep861Rotated2",
    "5Aep861Rotated3",
    "5Aep861Rotated4",
    "5Aep861Rotated5",
  ]);
  assert.equal(endpoint.reused, 0);
});

Deno.test("RefreshTokenFlow keeps its refresh token when the response holds none", async () => {
  const auth = flow();
  const endpoint = rotatingEndpoint({ rotate: false });
  const { sf } = clientWith(auth, endpoint.handler);
  const seen: TokenSet[] = [];
  const withHook = flow({ onTokens: (tokens) => void seen.push(tokens) });
  const hooked = clientWith(withHook, rotatingEndpoint({ rotate: false }).handler);
  const token = await auth.getAccessToken(sf);
  await auth.refreshAccessToken(sf, token);
  assert.deepEqual(endpoint.sent, [FIRST_REFRESH, FIRST_REFRESH]);
  await withHook.getAccessToken(hooked.sf);
  assert.equal(seen[0].refreshToken, FIRST_REFRESH);
});

Deno.test("RefreshTokenFlow calls onTokens with the token set of every grant before handing out the token", async () => {
  const seen: TokenSet[] = [];
  const auth = flow({
    onTokens: async (tokens) => {
      await Promise.resolve();
      seen.push(tokens);
    },
  });
  const { sf } = clientWith(auth, rotatingEndpoint().handler);
  const first = await auth.getAccessToken(sf);
  assert.equal(seen.length, 1);
  await auth.refreshAccessToken(sf, first);
  assert.deepEqual(seen, [
    {
      accessToken: "token-1",
      refreshToken: "5Aep861Rotated1",
      instanceUrl: BASE,
      issuedAt: new Date(1_710_495_000_001),
      scope: "refresh_token api",
    },
    {
      accessToken: "token-2",
      refreshToken: "5Aep861Rotated2",
      instanceUrl: BASE,
      issuedAt: new Date(1_710_495_000_002),
      scope: "refresh_token api",
    },
  ]);
});

Deno.test("RefreshTokenFlow hands out no token until onTokens has taken the tokens it rotated", async () => {
  const failure = new Error("database down");
  let fail = true;
  const saved: string[] = [];
  const auth = flow({
    onTokens: (tokens) => {
      if (fail) throw failure;
      saved.push(tokens.refreshToken!);
    },
  });
  const endpoint = rotatingEndpoint();
  const { sf, fetch } = clientWith(auth, endpoint.handler);
  const waiters = Array.from({ length: 3 }, () => auth.getAccessToken(sf));
  for (const waiter of waiters) await assert.rejects(waiter, (error) => error === failure);
  assert.equal(fetch.mock.callCount(), 1);
  assert.equal(auth.expired, true);
  // Still failing: the next call offers the same tokens again, without a round trip.
  await assert.rejects(auth.getAccessToken(sf), (error) => error === failure);
  assert.equal(fetch.mock.callCount(), 1);
  // Once onTokens takes them (the rotated refresh token is saved), the token is handed out.
  fail = false;
  assert.equal(await auth.getAccessToken(sf), "token-1");
  assert.deepEqual(saved, ["5Aep861Rotated1"]);
  assert.equal(fetch.mock.callCount(), 1);
  assert.equal(auth.expired, false);
  // The next refresh sends the rotated refresh token, never the consumed one.
  assert.equal(await auth.refreshAccessToken(sf, "token-1"), "token-2");
  assert.deepEqual(endpoint.sent, [FIRST_REFRESH, "5Aep861Rotated1"]);
  assert.deepEqual(saved, ["5Aep861Rotated1", "5Aep861Rotated2"]);
  assert.equal(endpoint.reused, 0);
});

Deno.test("RefreshTokenFlow offers the tokens of a refresh onTokens rejected again, without a round trip", async () => {
  let fail = false;
  const saved: string[] = [];
  const auth = flow({
    onTokens: (tokens) => {
      if (fail) return Promise.reject(new Error("disk full"));
      saved.push(tokens.refreshToken!);
    },
  });
  const endpoint = rotatingEndpoint();
  const { sf, fetch } = clientWith(auth, endpoint.handler);
  const first = await auth.getAccessToken(sf);
  fail = true;
  await assert.rejects(auth.refreshAccessToken(sf, first), /disk full/);
  fail = false;
  // A caller still holding the first token is refused by Salesforce and refreshes: no round trip.
  assert.equal(await auth.refreshAccessToken(sf, first), "token-2");
  assert.equal(fetch.mock.callCount(), 2);
  assert.deepEqual(saved, ["5Aep861Rotated1", "5Aep861Rotated2"]);
});

Deno.test("RefreshTokenFlow sends one refresh for 1,000 concurrent callers refused with the same token", async () => {
  const auth = flow();
  const endpoint = rotatingEndpoint();
  const { sf, fetch } = clientWith(auth, endpoint.handler);
  const stale = await auth.getAccessToken(sf);
  const tokens = await Promise.all(
    Array.from({ length: 1_000 }, () => auth.refreshAccessToken(sf, stale)),
  );
  assert.deepEqual(new Set(tokens), new Set(["token-2"]));
  assert.equal(fetch.mock.callCount(), 2);
  assert.equal(endpoint.reused, 0);
});

Deno.test("RefreshTokenFlow sends one refresh when 1,000 concurrent requests get 401", async () => {
  const auth = flow();
  const endpoint = rotatingEndpoint();
  const { sf, requests } = clientWith(auth, endpoint.handler);
  await auth.getAccessToken(sf);
  // The session times out: every request with token-1 now gets 401.
  endpoint.expireSession();
  const responses = await Promise.all(Array.from({ length: 1_000 }, () => sf.request("limits")));
  for (const response of responses) assert.equal(response.status, 200);
  await Promise.all(responses.map((response) => response.body?.cancel()));
  const tokenCalls = requests.filter((request) => request.url.endsWith(TOKEN_PATH));
  const refused = requests.filter((request) =>
    !request.url.endsWith(TOKEN_PATH) && request.headers.get("Authorization") === "Bearer token-1"
  );
  assert.equal(refused.length, 1_000); // every request was refused once...
  assert.equal(tokenCalls.length, 2); // ...yet one refresh followed the first acquisition
  assert.equal(endpoint.sent.length, 2);
  assert.equal(endpoint.reused, 0);
});

Deno.test("RefreshTokenFlow turns invalid_grant into an AuthenticationError saying the token was revoked or expired", async () => {
  const auth = flow({ refreshToken: "5Aep861Revoked", clientSecret: CLIENT_SECRET });
  const { sf, fetch } = clientWith(auth, rotatingEndpoint().handler);
  for (let attempt = 1; attempt <= 2; attempt++) {
    await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.errorCode, "invalid_grant");
      assert.equal(error.errorMessage, "expired access/refresh token");
      assert.equal(
        error.message,
        `Cannot get a token with the refresh token flow: the refresh token was revoked or expired: invalid_grant: expired access/refresh token (400 POST ${TOKEN_PATH})`,
      );
      return true;
    });
    // A failure leaves the auth able to try again.
    assert.equal(fetch.mock.callCount(), attempt);
  }
});

Deno.test("RefreshTokenFlow refreshes once timeout has passed", async () => {
  let now = 10_000;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    const auth = flow({ timeout: 900_000 });
    const { sf, fetch } = clientWith(auth, rotatingEndpoint().handler);
    assert.equal(await auth.getAccessToken(sf), "token-1");
    now += 899_999;
    assert.equal(await auth.getAccessToken(sf), "token-1");
    now += 1;
    assert.equal(auth.expired, true);
    assert.equal(await auth.getAccessToken(sf), "token-2");
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    nowMock.mock.restore();
  }
});

Deno.test("RefreshTokenFlow waits for onTokens before anyone gets the new token", async () => {
  const gate = deferred<void>();
  const auth = flow({ onTokens: () => gate.promise });
  const { sf, fetch } = clientWith(auth, rotatingEndpoint().handler);
  let settled = 0;
  const waiters = Array.from(
    { length: 10 },
    () => auth.getAccessToken(sf).then((t) => (settled++, t)),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.equal(settled, 0);
  gate.resolve();
  assert.deepEqual(new Set(await Promise.all(waiters)), new Set(["token-1"]));
  assert.equal(fetch.mock.callCount(), 1);
});

for (
  const [name, options, pattern] of [
    [
      "a missing clientId",
      { clientId: undefined },
      /"clientId" must be a non-empty string: received undefined/,
    ],
    [
      "a missing refreshToken",
      { refreshToken: undefined },
      /"refreshToken" must be a non-empty string: received undefined/,
    ],
    [
      "a refreshToken that is not a string",
      { refreshToken: 5 },
      /"refreshToken" must be a non-empty string: received a number/,
    ],
    [
      "a clientSecret that is not a string",
      { clientSecret: {} },
      /"clientSecret" must be a non-empty string or omitted: received an object/,
    ],
    [
      "an onTokens that is not a function",
      { onTokens: "save" },
      /"onTokens" must be a function: received "save"/,
    ],
    [
      "a negative timeout",
      { timeout: -5 },
      /"timeout" must be a number of milliseconds > 0: received -5/,
    ],
  ] as const
) {
  Deno.test(`RefreshTokenFlow refuses ${name}`, () => {
    assert.throws(() => flow(options as Partial<RefreshTokenFlowOptions>), (error: unknown) => {
      assert.ok(error instanceof TypeError || error instanceof RangeError);
      assert.match(error.message, /^Cannot create RefreshTokenFlow: /);
      assert.match(error.message, pattern);
      return true;
    });
  });
}

// End to end against the fake org, which rotates refresh tokens and revokes the
// whole family when a used one is replayed.

async function passwordGrant(org: FakeSalesforce): Promise<string> {
  const { clientId, clientSecret, username, password, securityToken } = org.credentials;
  const response = await org.fetch("/services/oauth2/token", {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "password",
      client_id: clientId,
      client_secret: clientSecret,
      username,
      password: password + securityToken,
    }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).refresh_token;
}

async function rawRefresh(org: FakeSalesforce, refreshToken: string): Promise<Response> {
  return await org.fetch("/services/oauth2/token", {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "refresh_token",
      client_id: org.credentials.clientId,
      refresh_token: refreshToken,
    }),
  });
}

Deno.test("RefreshTokenFlow rotates through 5 successive expiries on the fake org, which refuses reused tokens", async () => {
  let now = Date.UTC(2026, 0, 1);
  const org = new FakeSalesforce({ now: () => now, tokenLifetime: 3_600_000 });
  const initial = await passwordGrant(org);
  const saved: TokenSet[] = [];
  const auth = new RefreshTokenFlow({
    clientId: org.credentials.clientId,
    refreshToken: initial,
    onTokens: (tokens) => void saved.push(tokens),
  });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
  const limits = async () => {
    const response = await sf.request("limits");
    assert.equal(response.status, 200);
    await response.body?.cancel();
  };
  await limits();
  for (let expiry = 1; expiry <= 5; expiry++) {
    now += 3_600_000; // the session times out; the next request gets 401 and refreshes
    await limits();
  }
  assert.equal(saved.length, 6);
  const refreshTokens = saved.map((tokens) => tokens.refreshToken!);
  assert.equal(new Set([initial, ...refreshTokens]).size, 7); // rotated every time
  assert.equal(org.stats.requests["POST oauthToken"], 1 + 6);

  // An app that dropped the rotated token and replays an old one gets invalid_grant...
  const replay = await rawRefresh(org, refreshTokens[2]);
  assert.equal(replay.status, 400);
  assert.deepEqual(await replay.json(), {
    error: "invalid_grant",
    error_description: "expired access/refresh token",
  });
  // ...and the replay revoked the whole family: the current access and refresh tokens too.
  now += 1;
  await assert.rejects(limits(), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.errorCode, "invalid_grant");
    assert.match(error.message, /the refresh token was revoked or expired/);
    return true;
  });
});

Deno.test("A second RefreshTokenFlow started from a consumed refresh token is refused by the fake org", async () => {
  const org = new FakeSalesforce();
  const initial = await passwordGrant(org);
  const clientId = org.credentials.clientId;
  const first = new RefreshTokenFlow({ clientId, refreshToken: initial });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: first, fetch: org.fetch });
  await first.getAccessToken(sf);
  const stale = new RefreshTokenFlow({ clientId, refreshToken: initial });
  const other = new Salesforce({ baseUrl: org.baseUrl, auth: stale, fetch: org.fetch });
  await assert.rejects(stale.getAccessToken(other), AuthenticationError);
});

Deno.test("RefreshTokenFlow sends one refresh when 1,000 concurrent requests get 401 from the fake org", async () => {
  let now = Date.UTC(2026, 0, 1);
  const org = new FakeSalesforce({ now: () => now, tokenLifetime: 3_600_000 });
  const auth = new RefreshTokenFlow({
    clientId: org.credentials.clientId,
    refreshToken: await passwordGrant(org),
  });
  const fetch = mock.fn(org.fetch);
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch });
  await auth.getAccessToken(sf);
  now += 3_600_000;
  const responses = await Promise.all(Array.from({ length: 1_000 }, () => sf.request("limits")));
  for (const response of responses) assert.equal(response.status, 200);
  await Promise.all(responses.map((response) => response.body?.cancel()));
  const tokenCalls = fetch.mock.calls.filter((call) =>
    (call.arguments[0] as Request).url.endsWith(TOKEN_PATH)
  );
  assert.equal(org.stats.requests["GET limits"], 2_000); // each one refused once, then replayed
  assert.equal(tokenCalls.length, 2); // ...after the first grant, exactly one refresh
  assert.equal(org.stats.requests["POST oauthToken"], 1 + 2); // plus the password grant
});
