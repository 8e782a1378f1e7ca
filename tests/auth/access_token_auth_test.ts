import assert from "node:assert/strict";
import { AccessTokenAuth } from "../../auth/access_token_auth.ts";
import { AuthenticationError } from "../../client/errors.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/fake_salesforce.ts";
import { clientWith, jsonResponse } from "./_support.ts";

const TOKEN = "00D5g000004ABCD!AQ4AQFromTheCli.xyz";
const CANNOT_REFRESH =
  /^Cannot refresh the access token of AccessTokenAuth: the token cannot be refreshed: /;

Deno.test("AccessTokenAuth hands out its token as is, with no request", async () => {
  const auth = new AccessTokenAuth({ accessToken: TOKEN });
  const { sf, fetch } = clientWith(auth, () => jsonResponse(500, []));
  const tokens = await Promise.all(Array.from({ length: 10 }, () => auth.getAccessToken(sf)));
  assert.deepEqual(new Set(tokens), new Set([TOKEN]));
  assert.equal(auth.expired, false);
  assert.equal(fetch.mock.callCount(), 0);
});

Deno.test("AccessTokenAuth sends its token on requests", async () => {
  const auth = new AccessTokenAuth({ accessToken: TOKEN });
  const { sf, requests } = clientWith(auth, () => jsonResponse(200, {}));
  const response = await sf.request("limits");
  await response.body?.cancel();
  assert.equal(requests[0].headers.get("Authorization"), `Bearer ${TOKEN}`);
});

Deno.test("AccessTokenAuth refuses to refresh with an AuthenticationError", async () => {
  const auth = new AccessTokenAuth({ accessToken: TOKEN });
  const { sf, fetch } = clientWith(auth, () => jsonResponse(500, []));
  await auth.getAccessToken(sf);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(auth.refreshAccessToken(sf, TOKEN), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.match(error.message, CANNOT_REFRESH);
      assert.ok(!error.message.includes(TOKEN));
      return true;
    });
  }
  // The token is still there for callers that did not get a 401.
  assert.equal(await auth.getAccessToken(sf), TOKEN);
  assert.equal(fetch.mock.callCount(), 0);
});

Deno.test("A 401 on a request with AccessTokenAuth surfaces as AuthenticationError saying the token cannot be refreshed", async () => {
  const auth = new AccessTokenAuth({ accessToken: TOKEN });
  const { sf, fetch } = clientWith(
    auth,
    () =>
      jsonResponse(401, [{
        message: "Session expired or invalid",
        errorCode: "INVALID_SESSION_ID",
      }]),
  );
  await assert.rejects(sf.request("limits"), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, CANNOT_REFRESH);
    return true;
  });
  assert.equal(fetch.mock.callCount(), 1); // no replay with the same token
});

Deno.test("AccessTokenAuth works with a session from the fake org until the session expires", async () => {
  let now = Date.UTC(2026, 0, 1);
  const org = new FakeSalesforce({ now: () => now, tokenLifetime: 3_600_000 });
  const { clientId, clientSecret } = org.credentials;
  const login = await org.fetch("/services/oauth2/token", {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const { access_token } = await login.json();
  const sf = new Salesforce({
    baseUrl: org.baseUrl,
    auth: new AccessTokenAuth({ accessToken: access_token }),
    fetch: org.fetch,
  });
  const response = await sf.request("limits");
  assert.equal(response.status, 200);
  await response.body?.cancel();
  now += 3_600_000;
  await assert.rejects(sf.request("limits"), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, CANNOT_REFRESH);
    return true;
  });
});

for (
  const [name, options, pattern] of [
    ["no options", undefined, /"options" must be an object: received undefined/],
    ["a missing accessToken", {}, /"accessToken" must be a non-empty string: received undefined/],
    [
      "an empty accessToken",
      { accessToken: "" },
      /"accessToken" must be a non-empty string: received an empty string/,
    ],
    [
      "an accessToken that is not a string",
      { accessToken: 42 },
      /"accessToken" must be a non-empty string: received a number/,
    ],
  ] as const
) {
  Deno.test(`AccessTokenAuth refuses ${name} with a TypeError`, () => {
    assert.throws(() => new AccessTokenAuth(options as never), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot create AccessTokenAuth: /);
      assert.match(error.message, pattern);
      return true;
    });
  });
}
