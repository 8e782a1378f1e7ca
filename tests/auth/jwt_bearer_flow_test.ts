import assert from "node:assert/strict";
import { mock } from "node:test";
import { JwtBearerFlow, type JwtBearerFlowOptions } from "../../auth/jwt_bearer_flow.ts";
import { AuthenticationError } from "../../client/errors.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce } from "../../testing/fake_salesforce.ts";
import {
  checkJwt,
  encryptedPkcs8Pem,
  fixture,
  FIXTURE_PASSPHRASE,
  fixturePublicKey,
  pkcs1Pem,
  pkcs8Pem,
  rsaKeys,
} from "./_keys.ts";
import {
  BASE,
  clientWith,
  jsonResponse,
  type SeenRequest,
  TOKEN_PATH,
  tokenSuccess,
} from "./_support.ts";

const CLIENT_ID = "3MVG9AcmeConsumerKey";
const USERNAME = "integration@acme.example";
const GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

const keys = await rsaKeys();

/** A token endpoint that checks each assertion against `publicKey` and issues numbered tokens. */
function verifyingEndpoint(publicKey: CryptoKey) {
  const assertions: string[] = [];
  let issued = 0;
  const handler = async (request: SeenRequest) => {
    const form = new URLSearchParams(request.body);
    assert.equal(form.get("grant_type"), GRANT);
    const assertion = form.get("assertion")!;
    assertions.push(assertion);
    const jwt = await checkJwt(assertion, publicKey);
    if (!jwt.valid) {
      return jsonResponse(400, { error: "invalid_grant", error_description: "invalid assertion" });
    }
    return jsonResponse(200, tokenSuccess(`token-${++issued}`));
  };
  return { handler, assertions };
}

function flow(options: Partial<JwtBearerFlowOptions> = {}): JwtBearerFlow {
  return new JwtBearerFlow({
    clientId: CLIENT_ID,
    username: USERNAME,
    privateKey: keys.privateKey,
    ...options,
  });
}

Deno.test("JwtBearerFlow posts a signed RS256 assertion with iss, sub, aud and exp = now + 3 minutes", async () => {
  const nowMock = mock.method(clock, "now", () => 1_710_495_000_123);
  try {
    const auth = flow();
    const endpoint = verifyingEndpoint(keys.publicKey);
    const { sf, requests, events } = clientWith(auth, endpoint.handler);
    assert.equal(await auth.getAccessToken(sf), "token-1");
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.equal(request.method, "POST");
    assert.equal(request.url, `${BASE}${TOKEN_PATH}`);
    assert.equal(request.headers.get("Content-Type"), "application/x-www-form-urlencoded");
    const form = new URLSearchParams(request.body);
    assert.deepEqual([...form.keys()], ["grant_type", "assertion"]);
    const jwt = await checkJwt(form.get("assertion")!, keys.publicKey);
    assert.equal(jwt.valid, true);
    assert.deepEqual(jwt.header, { alg: "RS256" });
    assert.deepEqual(jwt.claims, {
      iss: CLIENT_ID,
      sub: USERNAME,
      aud: "https://login.salesforce.com",
      exp: 1_710_495_000 + 180,
    });
    for (const segment of jwt.segments) assert.match(segment, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(events.map((event) => event.type), ["request", "response"]);
  } finally {
    nowMock.mock.restore();
  }
});

const pemForms: [string, () => Promise<[string, string?]>][] = [
  ["a generated PKCS#8 PEM", async () => [await pkcs8Pem(keys.privateKey)]],
  ["a generated PKCS#1 PEM", async () => [await pkcs1Pem(keys.privateKey)]],
  [
    "a generated encrypted PKCS#8 PEM (PBKDF2-HMAC-SHA256, AES-256-CBC)",
    async () => [await encryptedPkcs8Pem(keys.privateKey, "s3cret"), "s3cret"],
  ],
  [
    "a generated encrypted PKCS#8 PEM (PBKDF2-HMAC-SHA1, AES-128-CBC)",
    async () => [
      await encryptedPkcs8Pem(keys.privateKey, "s3cret", { hash: "SHA-1", aesBits: 128 }),
      "s3cret",
    ],
  ],
];
for (const [name, make] of pemForms) {
  Deno.test(`JwtBearerFlow signs with ${name}`, async () => {
    const [privateKey, privateKeyPassphrase] = await make();
    const auth = flow({ privateKey, privateKeyPassphrase });
    const endpoint = verifyingEndpoint(keys.publicKey);
    const { sf } = clientWith(auth, endpoint.handler);
    assert.equal(await auth.getAccessToken(sf), "token-1");
  });
}

for (
  const [file, passphrase] of [
    ["rsa2048_pkcs8.pem"],
    ["rsa2048_pkcs1.pem"],
    ["rsa2048_aes256_sha256.pem", FIXTURE_PASSPHRASE],
    ["rsa2048_aes128_sha1.pem", FIXTURE_PASSPHRASE],
  ]
) {
  Deno.test(`JwtBearerFlow signs with OpenSSL's ${file}`, async () => {
    const auth = flow({ privateKey: fixture(file), privateKeyPassphrase: passphrase });
    const endpoint = verifyingEndpoint(await fixturePublicKey());
    const { sf } = clientWith(auth, endpoint.handler);
    assert.equal(await auth.getAccessToken(sf), "token-1");
  });
}

for (
  const [baseUrl, audience] of [
    ["https://acme.my.salesforce.com", "https://login.salesforce.com"],
    ["https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"],
    ["https://ACME--UAT.SANDBOX.MY.SALESFORCE.COM", "https://test.salesforce.com"],
    ["https://sandbox.my.salesforce.com.evil.example", "https://login.salesforce.com"],
  ]
) {
  Deno.test(`JwtBearerFlow uses audience ${audience} for ${baseUrl}`, async () => {
    const auth = flow();
    const endpoint = verifyingEndpoint(keys.publicKey);
    const { sf, requests } = clientWith(auth, endpoint.handler, { baseUrl });
    await auth.getAccessToken(sf);
    const jwt = await checkJwt(endpoint.assertions[0], keys.publicKey);
    assert.equal(jwt.claims.aud, audience);
    assert.equal(requests[0].url, `${new URL(baseUrl).origin}${TOKEN_PATH}`);
  });
}

Deno.test("JwtBearerFlow uses the audience option over the default", async () => {
  const audience = "https://acme.my.site.com/partners";
  const auth = flow({ audience });
  const endpoint = verifyingEndpoint(keys.publicKey);
  const { sf } = clientWith(auth, endpoint.handler, {
    baseUrl: "https://acme--uat.sandbox.my.salesforce.com",
  });
  await auth.getAccessToken(sf);
  assert.equal((await checkJwt(endpoint.assertions[0], keys.publicKey)).claims.aud, audience);
});

Deno.test("JwtBearerFlow imports a PEM key once and shares one request among concurrent callers", async () => {
  const importKey = mock.method(crypto.subtle, "importKey");
  let now = 0;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    const auth = flow({ privateKey: await pkcs1Pem(keys.privateKey), timeout: 60_000 });
    const endpoint = verifyingEndpoint(keys.publicKey);
    const { sf, fetch } = clientWith(auth, endpoint.handler);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => auth.getAccessToken(sf)));
    assert.deepEqual(new Set(tokens), new Set(["token-1"]));
    assert.equal(fetch.mock.callCount(), 1);
    now = 60_000;
    assert.equal(auth.expired, true);
    assert.equal(await auth.getAccessToken(sf), "token-2");
    assert.equal(await auth.refreshAccessToken(sf, "token-2"), "token-3");
    assert.equal(fetch.mock.callCount(), 3);
    const pkcs8Imports = importKey.mock.calls.filter((call) => call.arguments[0] === "pkcs8");
    assert.equal(pkcs8Imports.length, 1);
  } finally {
    nowMock.mock.restore();
    importKey.mock.restore();
  }
});

Deno.test("JwtBearerFlow signs a fresh assertion, with a new exp, for every token", async () => {
  let now = 1_000_000;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    const auth = flow({ timeout: 3_600_000 });
    const endpoint = verifyingEndpoint(keys.publicKey);
    const { sf } = clientWith(auth, endpoint.handler);
    await auth.getAccessToken(sf);
    now += 3_600_000;
    assert.equal(await auth.getAccessToken(sf), "token-2");
    const exps = await Promise.all(
      endpoint.assertions.map(async (a) => (await checkJwt(a, keys.publicKey)).claims.exp),
    );
    assert.deepEqual(exps, [1_000 + 180, 1_000 + 3_600 + 180]);
  } finally {
    nowMock.mock.restore();
  }
});

Deno.test("JwtBearerFlow keeps its token until Salesforce refuses it when there is no timeout", async () => {
  let now = 0;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    const auth = flow();
    const { sf, fetch } = clientWith(auth, verifyingEndpoint(keys.publicKey).handler);
    await auth.getAccessToken(sf);
    now = 365 * 86_400_000;
    assert.equal(auth.expired, false);
    assert.equal(await auth.getAccessToken(sf), "token-1");
    assert.equal(fetch.mock.callCount(), 1);
  } finally {
    nowMock.mock.restore();
  }
});

for (
  const [error, description] of [
    ["invalid_grant", "user hasn't approved this consumer"],
    ["invalid_grant", "audience is invalid"],
    ["invalid_client_id", "client identifier invalid"],
  ]
) {
  Deno.test(`JwtBearerFlow turns ${error} (${description}) into AuthenticationError`, async () => {
    const auth = flow();
    const { sf } = clientWith(
      auth,
      (request) =>
        jsonResponse(400, {
          error,
          // A server that echoes the assertion must not make it visible.
          error_description: `${description} ${new URLSearchParams(request.body).get("assertion")}`,
        }),
    );
    await assert.rejects(auth.getAccessToken(sf), (caught: unknown) => {
      assert.ok(caught instanceof AuthenticationError);
      assert.equal(caught.errorCode, error);
      assert.equal(
        caught.message,
        `Cannot get a token with the JWT bearer flow: ${error}: ${description} [redacted] (400 POST ${TOKEN_PATH})`,
      );
      return true;
    });
  });
}

// Bad input: decided before any request.

async function refusedBeforeAnyRequest(
  options: Partial<JwtBearerFlowOptions>,
  pattern: RegExp,
): Promise<void> {
  let auth: JwtBearerFlow;
  try {
    auth = flow(options);
  } catch (error) {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.match(error.message, pattern);
    return;
  }
  const { sf, fetch } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
  await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
  assert.equal(fetch.mock.callCount(), 0);
  // Still refused, still no request: the failed import is not retried into a request.
  await assert.rejects(auth.getAccessToken(sf), TypeError);
  assert.equal(fetch.mock.callCount(), 0);
}

const small = await rsaKeys(1024);
const ec = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
  "sign",
  "verify",
]);
const pss = await crypto.subtle.generateKey(
  {
    name: "RSA-PSS",
    hash: "SHA-256",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  },
  false,
  ["sign", "verify"],
);

const badInput: [string, () => Promise<Partial<JwtBearerFlowOptions>>, RegExp][] = [
  [
    "a malformed PEM",
    () =>
      Promise.resolve({
        privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
      }),
    /^Cannot create JwtBearerFlow: "privateKey" is not valid PEM: the PRIVATE KEY body is not valid DER$/,
  ],
  [
    "text that is not PEM",
    () => Promise.resolve({ privateKey: "my-secret-key" }),
    /^Cannot create JwtBearerFlow: "privateKey" must be PEM text .* or a CryptoKey: no PEM block found$/,
  ],
  [
    "an RSA PEM key under 2048 bits",
    async () => ({ privateKey: await pkcs8Pem(small.privateKey) }),
    /^Cannot get a token with the JWT bearer flow: "privateKey" must be an RSA key of at least 2048 bits: received a 1024-bit key$/,
  ],
  [
    "an RSA CryptoKey under 2048 bits",
    () => Promise.resolve({ privateKey: small.privateKey }),
    /^Cannot create JwtBearerFlow: "privateKey" must be an RSA key of at least 2048 bits: received a 1024-bit key$/,
  ],
  [
    "an EC PEM key",
    async () => ({ privateKey: await pkcs8Pem(ec.privateKey) }),
    /^Cannot create JwtBearerFlow: "privateKey" must be an RSA key: received an EC key$/,
  ],
  [
    "an EC CryptoKey",
    () => Promise.resolve({ privateKey: ec.privateKey }),
    /"privateKey" must be an RSASSA-PKCS1-v1_5 SHA-256 private CryptoKey: received a private ECDSA key/,
  ],
  [
    "an RSA-PSS CryptoKey",
    () => Promise.resolve({ privateKey: pss.privateKey }),
    /"privateKey" must be an RSASSA-PKCS1-v1_5 SHA-256 private CryptoKey: received a private RSA-PSS SHA-256 key/,
  ],
  [
    "a public CryptoKey",
    () => Promise.resolve({ privateKey: keys.publicKey }),
    /received a public RSASSA-PKCS1-v1_5 SHA-256 key/,
  ],
  [
    "an encrypted key without a passphrase",
    async () => ({ privateKey: await encryptedPkcs8Pem(keys.privateKey, "pw") }),
    /^Cannot create JwtBearerFlow: "privateKeyPassphrase" is required: "privateKey" is an encrypted private key$/,
  ],
  [
    "an encrypted key with a wrong passphrase",
    async () => ({
      privateKey: await encryptedPkcs8Pem(keys.privateKey, "right"),
      privateKeyPassphrase: "wrong",
    }),
    /^Cannot get a token with the JWT bearer flow: "privateKeyPassphrase" is wrong: the private key did not decrypt$/,
  ],
  [
    "a passphrase for a key that is not encrypted",
    async () => ({ privateKey: await pkcs8Pem(keys.privateKey), privateKeyPassphrase: "pw" }),
    /"privateKeyPassphrase" must be omitted: "privateKey" is not encrypted/,
  ],
  [
    "a number as the key",
    () => Promise.resolve({ privateKey: 42 as never }),
    /"privateKey" must be PEM text or a CryptoKey: received number/,
  ],
  [
    "a missing clientId",
    () => Promise.resolve({ clientId: undefined }),
    /^Cannot create JwtBearerFlow: "clientId" must be a non-empty string: received undefined$/,
  ],
  [
    "an empty username",
    () => Promise.resolve({ username: "" }),
    /"username" must be a non-empty string: received an empty string/,
  ],
  [
    "an audience that is not a URL",
    () => Promise.resolve({ audience: "login.salesforce.com" }),
    /"audience" must be a URL such as "https:\/\/login.salesforce.com"/,
  ],
  [
    "a passphrase that is not a string",
    () => Promise.resolve({ privateKeyPassphrase: 1234 as never }),
    /"privateKeyPassphrase" must be a non-empty string or omitted: received a number/,
  ],
];
for (const [name, options, pattern] of badInput) {
  Deno.test(`JwtBearerFlow refuses ${name} before any request`, async () => {
    await refusedBeforeAnyRequest(await options(), pattern);
  });
}

Deno.test("JwtBearerFlow refuses a bad timeout", () => {
  assert.throws(() => flow({ timeout: -1 }), RangeError);
  assert.throws(() => flow({ timeout: "1h" as never }), TypeError);
  assert.throws(() => new JwtBearerFlow(null as never), /"options" must be an object/);
});

Deno.test("JwtBearerFlow messages never show the key, even when the PEM is broken", async () => {
  const pem = await pkcs8Pem(keys.privateKey);
  const lines = pem.split("\n").slice(1, -2);
  const broken = [
    pem.replace(lines[3], `${lines[3].slice(0, 10)}!${lines[3].slice(11)}`),
    pem.replace(lines[5], ""),
    pem.replace("-----END PRIVATE KEY-----", ""),
    lines.join("\n"),
  ];
  for (const privateKey of broken) {
    assert.throws(() => flow({ privateKey }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      for (const line of lines) assert.ok(!error.message.includes(line.slice(0, 12)));
      return true;
    });
  }
});

// End to end against the fake org, which verifies the assertion like Salesforce.

function fakeOrg(options: ConstructorParameters<typeof FakeSalesforce>[0] = {}) {
  const org = new FakeSalesforce(options);
  org.registerJwtKey(keys.publicKey);
  const { clientId, username } = org.credentials;
  const login = (extra: Partial<JwtBearerFlowOptions> = {}) => {
    const auth = new JwtBearerFlow({ clientId, username, privateKey: keys.privateKey, ...extra });
    const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
    return { auth, sf };
  };
  return { org, login };
}

async function limitsStatus(sf: Salesforce): Promise<number> {
  const response = await sf.request("limits");
  await response.body?.cancel();
  return response.status;
}

for (const [name, make] of pemForms) {
  Deno.test(`JwtBearerFlow logs in to the fake org with ${name}`, async () => {
    const { org, login } = fakeOrg();
    const [privateKey, privateKeyPassphrase] = await make();
    const { sf } = login({ privateKey, privateKeyPassphrase });
    assert.equal(await limitsStatus(sf), 200);
    assert.equal(org.stats.logins, 1);
  });
}

for (
  const [file, passphrase] of [
    ["rsa2048_pkcs8.pem"],
    ["rsa2048_pkcs1.pem"],
    ["rsa2048_aes256_sha256.pem", FIXTURE_PASSPHRASE],
    ["rsa2048_aes128_sha1.pem", FIXTURE_PASSPHRASE],
    ["rsa2048_aes192_sha512.pem", FIXTURE_PASSPHRASE],
  ]
) {
  Deno.test(`JwtBearerFlow logs in to the fake org with OpenSSL's ${file}`, async () => {
    const org = new FakeSalesforce();
    org.registerJwtKey(await fixturePublicKey());
    const { clientId, username } = org.credentials;
    const auth = new JwtBearerFlow({
      clientId,
      username,
      privateKey: fixture(file),
      privateKeyPassphrase: passphrase,
    });
    const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
    assert.equal(await limitsStatus(sf), 200);
  });
}

Deno.test("JwtBearerFlow logs in to a sandbox fake org with the test.salesforce.com audience", async () => {
  const { org, login } = fakeOrg({
    instanceUrl: "https://acme--uat.sandbox.my.salesforce.com",
  });
  const audiences: unknown[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (request.url.endsWith(TOKEN_PATH)) {
      const form = new URLSearchParams(await request.clone().text());
      audiences.push((await checkJwt(form.get("assertion")!, keys.publicKey)).claims.aud);
    }
    return await org.fetch(request);
  };
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: login().auth, fetch });
  assert.equal(await limitsStatus(sf), 200);
  assert.deepEqual(audiences, ["https://test.salesforce.com"]);
  assert.equal(org.stats.logins, 1);
});

Deno.test("JwtBearerFlow signs a new assertion when the fake org's session times out", async () => {
  let now = Date.UTC(2026, 0, 1);
  const nowMock = mock.method(clock, "now", () => now);
  try {
    const { org, login } = fakeOrg({ now: () => now, tokenLifetime: 3_600_000 });
    const { sf } = login();
    assert.equal(await limitsStatus(sf), 200);
    for (let i = 0; i < 3; i++) {
      now += 3_600_000;
      assert.equal(await limitsStatus(sf), 200); // 401, new JWT login, replay
    }
    assert.equal(org.stats.logins, 4);
  } finally {
    nowMock.mock.restore();
  }
});

Deno.test("JwtBearerFlow logs in over loopback HTTP to a served fake org", async () => {
  const { org } = fakeOrg();
  const server = org.serve();
  try {
    const { clientId, username } = org.credentials;
    const auth = new JwtBearerFlow({
      clientId,
      username,
      privateKey: await pkcs1Pem(keys.privateKey),
    });
    const sf = new Salesforce({ baseUrl: server.url, auth });
    assert.equal(await limitsStatus(sf), 200);
  } finally {
    await server.close();
  }
});

async function refusedByFakeOrg(
  setup: (org: FakeSalesforce) => Partial<JwtBearerFlowOptions>,
  error: string,
  description: string,
  nowSeconds?: number,
): Promise<void> {
  const org = new FakeSalesforce({ now: () => Date.UTC(2026, 0, 1) });
  org.registerJwtKey(keys.publicKey);
  const { clientId, username } = org.credentials;
  const options = setup(org);
  const auth = new JwtBearerFlow({ clientId, username, privateKey: keys.privateKey, ...options });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
  const nowMock = mock.method(
    clock,
    "now",
    () => nowSeconds === undefined ? Date.UTC(2026, 0, 1) : nowSeconds * 1000,
  );
  try {
    await assert.rejects(auth.getAccessToken(sf), (caught: unknown) => {
      assert.ok(caught instanceof AuthenticationError);
      assert.equal(caught.errorCode, error);
      assert.equal(caught.errorMessage, description);
      return true;
    });
  } finally {
    nowMock.mock.restore();
  }
  assert.equal(org.stats.logins, 0);
}

Deno.test("The fake org refuses an assertion signed with another key as an invalid assertion", async () => {
  const other = await rsaKeys();
  await refusedByFakeOrg(
    () => ({ privateKey: other.privateKey }),
    "invalid_grant",
    "invalid assertion",
  );
});

Deno.test("The fake org refuses an unknown consumer key as invalid_client_id", async () => {
  await refusedByFakeOrg(
    () => ({ clientId: "3MVG9Unknown" }),
    "invalid_client_id",
    "client identifier invalid",
  );
});

Deno.test("The fake org refuses a user not pre-authorized for the app", async () => {
  await refusedByFakeOrg(
    (org) => {
      org.insert("User", [{
        Username: "other@fake.example.com",
        LastName: "Other",
        Email: "other@fake.example.com",
        Alias: "other",
      }]);
      return { username: "other@fake.example.com" };
    },
    "invalid_grant",
    "user hasn't approved this consumer",
  );
});

Deno.test("The fake org refuses a registered username that is no user", async () => {
  await refusedByFakeOrg(
    (org) => {
      org.registerJwtKey(keys.publicKey, { username: "ghost@fake.example.com" });
      return { username: "ghost@fake.example.com" };
    },
    "invalid_grant",
    "user hasn't approved this consumer",
  );
});

Deno.test("The fake org refuses an audience that is not a login server", async () => {
  await refusedByFakeOrg(
    () => ({ audience: "https://fake.my.salesforce.com" }),
    "invalid_grant",
    "audience is invalid",
  );
});

Deno.test("The fake org refuses an expired assertion and one that lives too long", async () => {
  const orgNow = Date.UTC(2026, 0, 1) / 1000;
  // Signed 3 minutes and 1 second ago: exp is in the past.
  await refusedByFakeOrg(() => ({}), "invalid_grant", "JWT expired", orgNow - 181);
  // Signed 3 minutes ahead: exp is 6 minutes away.
  await refusedByFakeOrg(() => ({}), "invalid_grant", "invalid assertion", orgNow + 180);
});

Deno.test("The fake org accepts a user registered for its own key, in any casing", async () => {
  const org = new FakeSalesforce();
  org.insert("User", [{
    Username: "api@fake.example.com",
    LastName: "Api",
    Email: "api@fake.example.com",
    Alias: "api",
  }]);
  org.registerJwtKey(keys.publicKey, { username: "API@fake.example.com" });
  const auth = new JwtBearerFlow({
    clientId: org.credentials.clientId,
    username: "api@FAKE.example.com",
    privateKey: keys.privateKey,
  });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
  assert.equal(await limitsStatus(sf), 200);
});

Deno.test("FakeSalesforce.registerJwtKey refuses a key that cannot verify RS256", () => {
  const org = new FakeSalesforce();
  for (const key of [keys.privateKey, ec.publicKey, pss.publicKey, "PEM" as never]) {
    assert.throws(
      () => org.registerJwtKey(key),
      /^TypeError: Cannot register JWT key: "publicKey" must be an RSASSA-PKCS1-v1_5 SHA-256 public CryptoKey/,
    );
  }
  assert.throws(() => org.registerJwtKey(keys.publicKey, { username: "" }), /"username" must be/);
});

Deno.test("The fake org answers invalid_grant to malformed assertions", async () => {
  const { org } = fakeOrg();
  const b64 = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
  const header = b64({ alg: "RS256" });
  const claims = b64({
    iss: org.credentials.clientId,
    sub: org.credentials.username,
    aud: "https://login.salesforce.com",
    exp: Math.floor(Date.now() / 1000) + 60,
  });
  for (
    const assertion of [
      "",
      "a.b",
      "a.b.c.d",
      `${header}.${claims}.AA`,
      `${header}.${claims}.`,
      `${header}.${claims}.!!!`,
      `${b64({ alg: "none" })}.${claims}.`,
      `${b64({ alg: "HS256" })}.${claims}.AAAA`,
      `${header}.${b64([1, 2])}.AAAA`,
      `${header}.${b64({ iss: 1 })}.AAAA`,
      `${header}.bm90IGpzb24.AAAA`,
    ]
  ) {
    const response = await org.fetch("/services/oauth2/token", {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion,
      }),
    });
    assert.equal(response.status, 400, assertion);
    assert.deepEqual(await response.json(), {
      error: "invalid_grant",
      error_description: "invalid assertion",
    });
  }
});

Deno.test("The fake org answers a JWT login with the observed fields: no signature, no issued_at", async () => {
  const { org } = fakeOrg();
  const bodies: Record<string, unknown>[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await org.fetch(input, init);
    bodies.push(await response.clone().json());
    return response;
  };
  const { clientId, username } = org.credentials;
  const auth = new JwtBearerFlow({ clientId, username, privateKey: keys.privateKey });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch });
  await auth.getAccessToken(sf);
  assert.deepEqual(Object.keys(bodies[0]), [
    "access_token",
    "scope",
    "instance_url",
    "id",
    "token_type",
  ]);
});
