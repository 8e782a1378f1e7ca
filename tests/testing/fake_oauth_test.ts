import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, V, wire } from "./_fake.ts";

function token(
  org: FakeSalesforce,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return org.fetch(
    new Request(`${org.baseUrl}/services/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form),
    }),
  );
}

async function hmac(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify", "sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}

Deno.test("FakeSalesforce issues a client-credentials token exactly as §4.2 shapes it", async () => {
  const now = 1_710_495_000_000;
  const org = new FakeSalesforce({ now: () => now });
  const { clientId, clientSecret } = org.credentials;
  const got = await wire(
    await token(org, {
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
    }),
  );
  assert.equal(got.status, 200);
  assert.equal(got.type, "application/json;charset=UTF-8");
  assert.equal(got.limit, null);
  const body = JSON.parse(got.text);
  assert.deepEqual(Object.keys(body), [
    "access_token",
    "signature",
    "scope",
    "instance_url",
    "id",
    "token_type",
    "issued_at",
  ]);
  assert.match(body.access_token, /^00D5g\w{10}!AQ/);
  assert.equal(body.scope, "api");
  assert.equal(body.instance_url, "https://fake.my.salesforce.com");
  assert.match(body.id, /^https:\/\/login\.salesforce\.com\/id\/00D\w{15}\/005\w{15}$/);
  assert.equal(body.token_type, "Bearer");
  assert.equal(body.issued_at, "1710495000000");
  assert.equal(body.signature, await hmac(clientSecret, body.id + body.issued_at));
  assert.equal("expires_in" in body, false);
  assert.deepEqual(
    { logins: org.stats.logins, tokens: org.stats.tokensIssued, calls: org.stats.apiCalls },
    { logins: 1, tokens: 1, calls: 0 },
  );
  const limits = await call(org, body.access_token, "GET", `${V}/limits`);
  assert.equal(limits.status, 200);
  await limits.body?.cancel();
});

Deno.test("FakeSalesforce accepts client credentials through HTTP Basic", async () => {
  const org = new FakeSalesforce();
  const { clientId, clientSecret } = org.credentials;
  const response = await token(org, { grant_type: "client_credentials" }, {
    Authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
});

Deno.test("FakeSalesforce refuses an unknown client, a wrong secret and an unknown grant", async () => {
  const org = new FakeSalesforce();
  const { clientId } = org.credentials;
  const cases: [Record<string, string>, string][] = [
    [
      { grant_type: "client_credentials", client_id: "nope", client_secret: "x" },
      '{"error":"invalid_client_id","error_description":"client identifier invalid"}',
    ],
    [
      { grant_type: "client_credentials", client_id: clientId, client_secret: "wrong" },
      '{"error":"invalid_client","error_description":"invalid client credentials"}',
    ],
    [
      { grant_type: "authorization_code" },
      '{"error":"unsupported_grant_type","error_description":"grant type not supported"}',
    ],
    [{}, '{"error":"unsupported_grant_type","error_description":"grant type not supported"}'],
  ];
  for (const [form, expected] of cases) {
    const got = await wire(await token(org, form));
    assert.equal(got.status, 400);
    assert.equal(got.type, "application/json;charset=UTF-8");
    assert.equal(got.text, expected);
  }
  assert.equal(org.stats.logins, 0);
});

Deno.test("FakeSalesforce answers the password grant with a refresh token, only for password plus token", async () => {
  const org = new FakeSalesforce();
  const c = org.credentials;
  const base = {
    grant_type: "password",
    client_id: c.clientId,
    client_secret: c.clientSecret,
    username: c.username,
  };
  const wrong = await wire(await token(org, { ...base, password: c.password }));
  assert.equal(wrong.status, 400);
  assert.equal(
    wrong.text,
    '{"error":"invalid_grant","error_description":"authentication failure"}',
  );
  const got = await wire(await token(org, { ...base, password: c.password + c.securityToken }));
  assert.equal(got.status, 200);
  const body = JSON.parse(got.text);
  assert.deepEqual(Object.keys(body).slice(0, 3), ["access_token", "refresh_token", "signature"]);
  assert.ok(body.refresh_token.length > 20);
});

Deno.test("FakeSalesforce rotates refresh tokens and revokes the family when a used one is replayed", async () => {
  const org = new FakeSalesforce();
  const c = org.credentials;
  const first = await (await token(org, {
    grant_type: "password",
    client_id: c.clientId,
    client_secret: c.clientSecret,
    username: c.username,
    password: c.password + c.securityToken,
  })).json();
  const refresh = (refreshToken: string) =>
    token(org, { grant_type: "refresh_token", client_id: c.clientId, refresh_token: refreshToken });
  const second = await (await refresh(first.refresh_token)).json();
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.notEqual(second.access_token, first.access_token);
  const third = await (await refresh(second.refresh_token)).json();
  assert.equal(typeof third.access_token, "string");
  assert.equal(org.stats.logins, 1);
  assert.equal(org.stats.tokensIssued, 3);

  const replay = await wire(await refresh(first.refresh_token));
  assert.equal(replay.status, 400);
  assert.equal(
    replay.text,
    '{"error":"invalid_grant","error_description":"expired access/refresh token"}',
  );
  // The whole family is gone: the newest refresh token and the access tokens it produced.
  assert.equal((await wire(await refresh(third.refresh_token))).status, 400);
  assert.equal((await wire(await call(org, third.access_token, "GET", `${V}/limits`))).status, 401);
  assert.equal((await wire(await call(org, first.access_token, "GET", `${V}/limits`))).status, 401);
});

Deno.test("FakeSalesforce refuses an unknown refresh token and a refresh for another client", async () => {
  const org = new FakeSalesforce();
  const got = await wire(
    await token(org, {
      grant_type: "refresh_token",
      client_id: org.credentials.clientId,
      refresh_token: "nope",
    }),
  );
  assert.equal(got.status, 400);
  assert.match(got.text, /invalid_grant/);
  const other = await wire(
    await token(org, { grant_type: "refresh_token", client_id: "other", refresh_token: "x" }),
  );
  assert.match(other.text, /invalid_client_id/);
});

Deno.test("FakeSalesforce answers invalid_request for a GET on the token endpoint", async () => {
  const org = new FakeSalesforce();
  const got = await wire(await org.fetch(`${org.baseUrl}/services/oauth2/token`));
  assert.equal(got.status, 400);
  assert.equal(got.text, '{"error":"invalid_request","error_description":"must use HTTP POST"}');
});

Deno.test("FakeSalesforce expires access tokens after tokenLifetime on the injected clock", async () => {
  let now = Date.UTC(2024, 0, 1);
  const org = new FakeSalesforce({ now: () => now, tokenLifetime: 60_000 });
  const c = org.credentials;
  const { access_token } = await (await token(org, {
    grant_type: "client_credentials",
    client_id: c.clientId,
    client_secret: c.clientSecret,
  })).json();
  now += 59_999;
  assert.equal((await wire(await call(org, access_token, "GET", `${V}/limits`))).status, 200);
  now += 1;
  const expired = await wire(await call(org, access_token, "GET", `${V}/limits`));
  assert.equal(expired.status, 401);
  assert.equal(
    expired.text,
    '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
  );
});
