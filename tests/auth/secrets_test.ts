import assert from "node:assert/strict";
import { mock } from "node:test";
import type { Auth } from "../../auth/auth.ts";
import { AccessTokenAuth } from "../../auth/access_token_auth.ts";
import { ClientCredentialsFlow } from "../../auth/client_credentials_flow.ts";
import { JwtBearerFlow } from "../../auth/jwt_bearer_flow.ts";
import { RefreshTokenFlow } from "../../auth/refresh_token_flow.ts";
import { UsernamePasswordFlow } from "../../auth/username_password_flow.ts";
import { SoapLogin } from "../../auth/soap_login.ts";
import { SalesforceError } from "../../client/errors.ts";
import { RequestEvent, ResponseBoundEvent, RetryEvent } from "../../events/events.ts";
import type { SalesforceEvent } from "../../events/events.ts";
import { clock } from "../../retries/_clock.ts";
import { Salesforce, type SalesforceOptions } from "../../client/salesforce.ts";
import { FakeSalesforce } from "../../testing/mod.ts";
import {
  clientWith,
  HTML_503,
  htmlResponse,
  jsonResponse,
  type SeenRequest,
  SOAP_FAULT,
  SOAP_PATH,
  soapSuccess,
  type TestClient,
  tokenSuccess,
  xmlResponse,
} from "./_support.ts";
import { encryptedPkcs8Pem, pkcs8Pem, rsaKeys } from "./_keys.ts";

const PASSWORD = "Pa55-w0rd-Secret&<x>";
const SECURITY_TOKEN = "SecTok-ABCDEF";
const CLIENT_SECRET = "CliSecret-XYZ123";
const SESSION_ID = "00Dxx!SessionSecretValue";
const ACCESS_TOKEN = "00Dxx!AccessSecretValue";
const SECRETS = [
  PASSWORD,
  SECURITY_TOKEN,
  PASSWORD + SECURITY_TOKEN,
  CLIENT_SECRET,
  SESSION_ID,
  ACCESS_TOKEN,
];

/** Everything a user could see: thrown errors and published events, as text. */
class Collector {
  texts: string[] = [];

  error(error: unknown): void {
    if (error instanceof Error) {
      this.texts.push(error.message, String(error), error.stack ?? "");
      if (error instanceof SalesforceError) {
        this.texts.push(
          error.errorCode ?? "",
          error.errorMessage ?? "",
          JSON.stringify(error.errors),
        );
      }
      if (error.cause !== undefined) this.error(error.cause);
    } else {
      this.texts.push(String(error));
    }
  }

  event(event: SalesforceEvent): void {
    this.texts.push(event.type);
    if (event instanceof RequestEvent || event instanceof RetryEvent) {
      this.texts.push(event.request.url, ...[...event.request.headers].map((h) => h.join(": ")));
    }
    if (event instanceof RetryEvent && event.error !== undefined) this.error(event.error);
    if (event instanceof ResponseBoundEvent || event instanceof RetryEvent) {
      const response = event.response;
      if (response) {
        this.texts.push(response.url, ...[...response.headers].map((h) => h.join(": ")));
      }
    }
  }

  async run(
    auth: () => Auth,
    handler: (request: SeenRequest) => Response | Promise<Response>,
    action: (client: TestClient) => Promise<unknown>,
    options: Partial<SalesforceOptions> = {},
  ): Promise<void> {
    let client: TestClient;
    try {
      client = clientWith(auth(), handler, options);
    } catch (error) {
      this.error(error);
      return;
    }
    try {
      const result = await action(client);
      if (result instanceof Response) await result.body?.cancel();
    } catch (error) {
      this.error(error);
    }
    for (const event of client.events) this.event(event);
  }
}

const soap = () =>
  new SoapLogin({
    username: "jane@acme.example",
    password: PASSWORD,
    securityToken: SECURITY_TOKEN,
  });
const oauth = () =>
  new ClientCredentialsFlow({ clientId: "3MVG9Key", clientSecret: CLIENT_SECRET });
const token = (client: TestClient) => client.sf.auth.getAccessToken(client.sf);

Deno.test("No error, message or event of any login scenario holds a secret", async () => {
  const sleepMock = mock.method(clock, "sleep", () => Promise.resolve());
  const collected = new Collector();
  try {
    // Successes, and REST calls made with the tokens (Authorization must not leak).
    let sessions = 0;
    await collected.run(
      soap,
      (request) =>
        request.url.endsWith(SOAP_PATH)
          ? xmlResponse(200, soapSuccess({ sessionId: `${SESSION_ID}${++sessions}` }))
          : request.headers.get("Authorization") === `Bearer ${SESSION_ID}2`
          ? jsonResponse(200, {})
          : jsonResponse(401, [{
            message: "Session expired or invalid",
            errorCode: "INVALID_SESSION_ID",
          }]),
      (client) => client.sf.request("limits"),
    );
    await collected.run(
      oauth,
      (request) =>
        request.url.endsWith("/token")
          ? jsonResponse(200, tokenSuccess(ACCESS_TOKEN))
          : jsonResponse(500, [{ message: "boom", errorCode: "UNKNOWN_EXCEPTION" }]),
      (client) => client.sf.request("limits"),
      { retryPolicy: null },
    );
    // Faults and errors as Salesforce sends them.
    await collected.run(soap, () => xmlResponse(500, SOAP_FAULT), token);
    await collected.run(soap, () => htmlResponse(503, HTML_503), token);
    await collected.run(
      soap,
      () => xmlResponse(200, soapSuccess({ sessionId: SESSION_ID, passwordExpired: "true" })),
      token,
    );
    await collected.run(
      oauth,
      () =>
        jsonResponse(400, {
          error: "invalid_client",
          error_description: "invalid client credentials",
        }),
      token,
    );
    await collected.run(oauth, () => htmlResponse(503, HTML_503), token);
    // Servers that echo what they were sent (a proxy, a misbehaving fake).
    await collected.run(
      soap,
      () =>
        xmlResponse(
          500,
          SOAP_FAULT.replace(
            "Invalid username",
            `Invalid ${PASSWORD.replace("&", "&amp;").replace("<", "&lt;")}${SECURITY_TOKEN}`,
          ),
        ),
      token,
    );
    await collected.run(
      soap,
      (request) => htmlResponse(502, `<html><body>Bad gateway for ${request.body}</body></html>`),
      token,
      { retryPolicy: null },
    );
    await collected.run(
      oauth,
      (request) =>
        jsonResponse(400, {
          error: "invalid_client",
          error_description: `bad ${request.body} ${CLIENT_SECRET}`,
        }),
      token,
    );
    await collected.run(
      oauth,
      () => jsonResponse(500, [{ errorCode: "X", message: `${CLIENT_SECRET}` }]),
      token,
      { retryPolicy: null },
    );
    await collected.run(oauth, () => htmlResponse(503, `<p>${CLIENT_SECRET}</p>`), token);
    // Bad options.
    await collected.run(
      () => new SoapLogin({ username: "u", password: `${PASSWORD}\u0000` }),
      () => new Response(),
      token,
    );
    await collected.run(
      () => new SoapLogin({ username: "u", password: PASSWORD, securityToken: 7 as never }),
      () => new Response(),
      token,
    );
    await collected.run(
      () => new ClientCredentialsFlow({ clientId: CLIENT_SECRET as never, clientSecret: "" }),
      () => new Response(),
      token,
    );
  } finally {
    sleepMock.mock.restore();
  }
  const all = collected.texts.join("\n");
  // The scenarios ran: errors and events were collected.
  assert.match(all, /INVALID_LOGIN/);
  assert.match(all, /invalid_client/);
  assert.match(all, /\[redacted\]/);
  assert.match(all, /retry/);
  assert.match(all, /"password" holds a character/);
  for (const secret of SECRETS) {
    assert.ok(
      !all.includes(secret),
      `a collected text holds the secret ${JSON.stringify(secret.slice(0, 4))}...`,
    );
  }
  assert.ok(!all.includes("Bearer"));
  // The escaped and form-encoded forms too.
  for (
    const secret of [
      PASSWORD.replace("&", "&amp;").replace("<", "&lt;"),
      encodeURIComponent(PASSWORD),
    ]
  ) {
    assert.ok(!all.includes(secret));
  }
});

const PASSPHRASE = "Key-Passphrase-Secret";
const REFRESH_TOKEN = "5Aep861FirstRefreshSecret";
const rotated = (n: number) => `5Aep861RotatedRefreshSecret${n}`;
const keys = await rsaKeys();
const PKCS8 = await pkcs8Pem(keys.privateKey);
const ENCRYPTED = await encryptedPkcs8Pem(keys.privateKey, PASSPHRASE);
const unauthorized = () =>
  jsonResponse(401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);

Deno.test("No error, message or event of the JWT, refresh token, password and access token flows holds a secret", async () => {
  const sleepMock = mock.method(clock, "sleep", () => Promise.resolve());
  const collected = new Collector();
  // Every assertion and every refresh token the fake endpoints saw or issued.
  const seen: string[] = [];
  const remember = (request: SeenRequest) => {
    const form = new URLSearchParams(request.body);
    for (const name of ["assertion", "refresh_token"]) {
      const value = form.get(name);
      if (value !== null) seen.push(value);
    }
  };
  const jwt = (privateKey = PKCS8, privateKeyPassphrase?: string) => () =>
    new JwtBearerFlow({
      clientId: "3MVG9Key",
      username: "jane@acme.example",
      privateKey,
      privateKeyPassphrase,
    });
  const refresh = (onTokens?: () => Promise<void>) => () =>
    new RefreshTokenFlow({
      clientId: "3MVG9Key",
      clientSecret: CLIENT_SECRET,
      refreshToken: REFRESH_TOKEN,
      onTokens,
    });
  const password = () =>
    new UsernamePasswordFlow({
      clientId: "3MVG9Key",
      clientSecret: CLIENT_SECRET,
      username: "jane@acme.example",
      password: PASSWORD,
      securityToken: SECURITY_TOKEN,
    });
  const echo = (status: number) => (request: SeenRequest) => {
    remember(request);
    return jsonResponse(status, {
      error: "invalid_grant",
      error_description: `bad ${request.body} ${decodeURIComponent(request.body)}`,
    });
  };
  let issued = 0;
  const rotating = (request: SeenRequest) => {
    remember(request);
    if (!request.url.endsWith("/token")) {
      return request.headers.get("Authorization") === `Bearer ${ACCESS_TOKEN}2`
        ? jsonResponse(500, [{ errorCode: "X", message: "boom" }])
        : unauthorized();
    }
    issued++;
    return jsonResponse(200, {
      ...tokenSuccess(`${ACCESS_TOKEN}${issued}`),
      refresh_token: rotated(issued),
    });
  };
  try {
    // Successes, then REST calls that fail, so the tokens travel through errors' context.
    await collected.run(jwt(), rotating, (client) => client.sf.request("limits"), {
      retryPolicy: null,
    });
    await collected.run(
      jwt(ENCRYPTED, PASSPHRASE),
      rotating,
      (client) => client.sf.request("limits"),
      {
        retryPolicy: null,
      },
    );
    await collected.run(refresh(), rotating, (client) => client.sf.request("limits"), {
      retryPolicy: null,
    });
    await collected.run(password, rotating, (client) => client.sf.request("limits"), {
      retryPolicy: null,
    });
    await collected.run(
      refresh(() => Promise.reject(new Error("could not save the tokens"))),
      rotating,
      token,
    );
    await collected.run(
      () => new AccessTokenAuth({ accessToken: ACCESS_TOKEN }),
      unauthorized,
      (client) => client.sf.request("limits"),
    );
    // Servers that echo what they were sent.
    for (const auth of [jwt(), jwt(ENCRYPTED, PASSPHRASE), refresh(), password]) {
      await collected.run(auth, echo(400), token);
      await collected.run(
        auth,
        (request) => {
          remember(request);
          return htmlResponse(503, `<p>${request.body}</p>`);
        },
        token,
        { retryPolicy: null },
      );
      await collected.run(auth, (request) => {
        remember(request);
        return jsonResponse(500, [{ errorCode: "X", message: request.body }]);
      }, token);
    }
    // Bad keys and options.
    const broken = PKCS8.split("\n");
    broken[4] = `${broken[4].slice(0, 20)}#${broken[4].slice(21)}`;
    for (
      const auth of [
        jwt(broken.join("\n")),
        jwt(ENCRYPTED),
        jwt(ENCRYPTED, "wrong passphrase"),
        jwt(PKCS8, PASSPHRASE),
        jwt(PKCS8.replace("-----END PRIVATE KEY-----", "")),
        () =>
          new JwtBearerFlow({
            clientId: "x",
            username: "y",
            privateKey: PKCS8,
            privateKeyPassphrase: [PASSPHRASE] as never,
          }),
        () => new RefreshTokenFlow({ clientId: "x", refreshToken: [REFRESH_TOKEN] as never }),
        () =>
          new UsernamePasswordFlow({
            clientId: "x",
            clientSecret: CLIENT_SECRET,
            username: "u",
            password: { PASSWORD } as never,
          }),
        () => new AccessTokenAuth({ accessToken: [ACCESS_TOKEN] as never }),
      ]
    ) {
      await collected.run(auth, () => jsonResponse(200, tokenSuccess(ACCESS_TOKEN)), token);
    }
  } finally {
    sleepMock.mock.restore();
  }
  const all = collected.texts.join("\n");
  // The scenarios ran.
  assert.match(all, /invalid_grant/);
  assert.match(all, /\[redacted\]/);
  assert.match(all, /the refresh token was revoked or expired/);
  assert.match(all, /"privateKeyPassphrase" is wrong/);
  assert.match(all, /is not valid PEM/);
  assert.match(all, /cannot be refreshed/);
  assert.match(all, /could not save the tokens/);
  assert.ok(
    seen.filter((value) => value.split(".").length === 3).length >= 4,
    "assertions were sent",
  );
  const keyLines = [...PKCS8.split("\n"), ...ENCRYPTED.split("\n")].filter((line) =>
    !line.startsWith("-----") && line.length > 20
  );
  const secrets = [
    ...SECRETS,
    PASSPHRASE,
    REFRESH_TOKEN,
    ...Array.from({ length: issued }, (_, i) => rotated(i + 1)),
    ...seen,
    ...keyLines.map((line) => line.slice(0, 24)),
  ];
  for (const secret of secrets) {
    assert.ok(
      !all.includes(secret),
      `a collected text holds the secret ${JSON.stringify(secret.slice(0, 4))}...`,
    );
    assert.ok(!all.includes(encodeURIComponent(secret)));
  }
  // "JwtBearerFlow" may appear in stack traces; an Authorization value may not.
  assert.doesNotMatch(all, /Bearer\s/);
});

Deno.test("no event of a successful login shows the token it brought (OAuth and SOAP)", async () => {
  const org = new FakeSalesforce();
  const { username, password, securityToken } = org.credentials;
  for (const auth of [org.auth(), new SoapLogin({ username, password, securityToken })]) {
    const bodies: string[] = [];
    const sf = new Salesforce({
      baseUrl: org.baseUrl,
      auth,
      fetch: org.fetch,
      eventHooks: [async (event) => {
        if (event instanceof ResponseBoundEvent) bodies.push(await event.response.clone().text());
      }],
    });
    const token = await sf.auth.getAccessToken(sf);
    assert.ok(bodies.length > 0);
    for (const body of bodies) assert.ok(!body.includes(token), "an event body holds the token");
  }
});
