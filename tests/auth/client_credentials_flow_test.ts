import assert from "node:assert/strict";
import { mock } from "node:test";
import { ClientCredentials, ClientCredentialsFlow } from "../../auth/client_credentials_flow.ts";
import { requestToken } from "../../auth/_oauth.ts";
import { AuthenticationError, SalesforceError, ServerError } from "../../client/errors.ts";
import { clock } from "../../retries/_clock.ts";
import {
  ACCESS_TOKEN,
  BASE,
  clientWith,
  HTML_503,
  htmlResponse,
  jsonResponse,
  TOKEN_PATH,
  tokenSuccess,
} from "./_support.ts";

const CLIENT_ID = "3MVG9AcmeConsumerKey";
const CLIENT_SECRET = "ACME-CONSUMER-SECRET-0123456789";

Deno.test("ClientCredentialsFlow posts the form to the token endpoint and returns the token", async () => {
  const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const { sf, requests, events } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
  assert.equal(await auth.getAccessToken(sf), ACCESS_TOKEN);
  assert.equal(requests.length, 1);
  const [request] = requests;
  assert.equal(request.method, "POST");
  assert.equal(request.url, `${BASE}${TOKEN_PATH}`);
  assert.equal(request.headers.get("Content-Type"), "application/x-www-form-urlencoded");
  assert.equal(request.headers.get("Accept"), "application/json");
  assert.equal(request.headers.get("Authorization"), null);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body)), {
    grant_type: "client_credentials",
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  assert.deepEqual(events.map((event) => event.type), ["request", "response"]);
});

Deno.test("ClientCredentialsFlow form-encodes credentials with special characters", async () => {
  const clientSecret = "a&b=c+d %e";
  const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret });
  const { sf, requests } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
  await auth.getAccessToken(sf);
  assert.equal(new URLSearchParams(requests[0].body).get("client_secret"), clientSecret);
});

Deno.test("ClientCredentialsFlow without timeout keeps its token until Salesforce refuses it", async () => {
  let now = 0;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const { sf, fetch } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
    await auth.getAccessToken(sf);
    now = 365 * 86_400_000;
    assert.equal(auth.expired, false);
    await auth.getAccessToken(sf);
    assert.equal(fetch.mock.callCount(), 1);
  } finally {
    nowMock.mock.restore();
  }
});

Deno.test("ClientCredentialsFlow fetches a new token once timeout has passed", async () => {
  let now = 50_000;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    let issued = 0;
    const auth = new ClientCredentialsFlow({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      timeout: 3_600_000,
    });
    const { sf, fetch } = clientWith(
      auth,
      () => jsonResponse(200, tokenSuccess(`token-${++issued}`)),
    );
    assert.equal(await auth.getAccessToken(sf), "token-1");
    now = 50_000 + 3_600_000 - 1;
    assert.equal(auth.expired, false);
    now = 50_000 + 3_600_000;
    assert.equal(auth.expired, true);
    assert.equal(await auth.getAccessToken(sf), "token-2");
    assert.equal(fetch.mock.callCount(), 2);
  } finally {
    nowMock.mock.restore();
  }
});

for (
  const [status, error, description] of [
    [400, "invalid_client", "invalid client credentials"],
    [401, "invalid_client_id", "client identifier invalid"],
    [400, "invalid_grant", "no client credentials user enabled"],
  ] as const
) {
  Deno.test(`ClientCredentialsFlow turns ${status} ${error} into AuthenticationError`, async () => {
    const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const { sf, fetch, events } = clientWith(
      auth,
      () => jsonResponse(status, { error, error_description: description }),
    );
    await assert.rejects(auth.getAccessToken(sf), (caught: unknown) => {
      assert.ok(caught instanceof AuthenticationError);
      assert.equal(caught.errorCode, error);
      assert.equal(caught.errorMessage, description);
      assert.equal(
        caught.message,
        `Cannot get a token with the client credentials flow: ${error}: ${description} (${status} POST ${TOKEN_PATH})`,
      );
      return true;
    });
    assert.equal(fetch.mock.callCount(), 1);
    assert.deepEqual(events.map((event) => event.type), ["request"]);
  });
}

Deno.test("ClientCredentialsFlow maps an HTML error page by status", async () => {
  const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const { sf } = clientWith(auth, () => htmlResponse(503, HTML_503), { retryPolicy: null });
  await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
    assert.ok(error instanceof ServerError);
    assert.match(
      error.message,
      /^Cannot get a token with the client credentials flow: .*We are down for maintenance/,
    );
    return true;
  });
});

Deno.test("ClientCredentialsFlow reports a success without access_token", async () => {
  const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const { sf } = clientWith(auth, () => jsonResponse(200, { scope: "api" }));
  await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
    assert.ok(error instanceof SalesforceError);
    assert.equal(
      error.message,
      `Cannot get a token with the client credentials flow: the response holds no access_token (200 POST ${TOKEN_PATH})`,
    );
    return true;
  });
});

Deno.test("ClientCredentials is the same class as ClientCredentialsFlow", async () => {
  assert.equal(ClientCredentials, ClientCredentialsFlow);
  const auth: ClientCredentials = new ClientCredentials({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
  assert.ok(auth instanceof ClientCredentialsFlow);
  const { sf } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
  assert.equal(await auth.getAccessToken(sf), ACCESS_TOKEN);
});

const INVALID_OPTIONS: Array<[string, unknown, ErrorConstructor, RegExp]> = [
  ["no options", null, TypeError, /"options" must be an object: received null/],
  [
    "a missing clientId",
    { clientSecret: CLIENT_SECRET },
    TypeError,
    /"clientId" must be a non-empty string: received undefined/,
  ],
  [
    "an empty clientSecret",
    { clientId: CLIENT_ID, clientSecret: "" },
    TypeError,
    /"clientSecret" must be a non-empty string: received an empty string/,
  ],
  [
    "a non-string clientSecret",
    { clientId: CLIENT_ID, clientSecret: ["s"] },
    TypeError,
    /"clientSecret" must be a non-empty string: received an array/,
  ],
  [
    "a negative timeout",
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, timeout: -1 },
    RangeError,
    /"timeout" must be a number of milliseconds > 0: received -1/,
  ],
  [
    "a string timeout",
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, timeout: "1h" },
    TypeError,
    /"timeout" must be a number of milliseconds > 0/,
  ],
];

for (const [what, options, ErrorClass, message] of INVALID_OPTIONS) {
  Deno.test(`ClientCredentialsFlow refuses ${what}`, () => {
    assert.throws(() => new ClientCredentialsFlow(options as never), (error: Error) => {
      assert.ok(error instanceof ErrorClass);
      assert.match(error.message, /^Cannot create ClientCredentialsFlow: /);
      assert.match(error.message, message);
      assert.ok(!error.message.includes(CLIENT_SECRET));
      return true;
    });
  });
}

Deno.test("The shared token request reads every TokenSet field, issued_at as a Date", async () => {
  const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const { sf } = clientWith(
    auth,
    () => jsonResponse(200, { ...tokenSuccess(), refresh_token: "5Aep861RefreshToken" }),
  );
  const tokens = await requestToken(sf, {
    action: "Cannot refresh",
    form: { grant_type: "refresh_token", refresh_token: "5Aep861RefreshToken" },
    secrets: ["5Aep861RefreshToken"],
  });
  assert.deepEqual(tokens, {
    accessToken: ACCESS_TOKEN,
    refreshToken: "5Aep861RefreshToken",
    instanceUrl: "https://acme.my.salesforce.com",
    issuedAt: new Date(1_710_495_000_000),
    scope: "api",
  });
});

Deno.test("The shared token request leaves out fields the response lacks", async () => {
  const auth = new ClientCredentialsFlow({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const { sf } = clientWith(
    auth,
    () => jsonResponse(200, { access_token: "t", issued_at: "not a number", token_type: "Bearer" }),
  );
  const tokens = await requestToken(sf, { action: "x", form: { grant_type: "x" }, secrets: [] });
  assert.deepEqual(tokens, { accessToken: "t" });
});
