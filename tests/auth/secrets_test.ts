import assert from "node:assert/strict";
import { mock } from "node:test";
import type { Auth } from "../../auth/auth.ts";
import { ClientCredentialsFlow } from "../../auth/client_credentials_flow.ts";
import { SoapLogin } from "../../auth/soap_login.ts";
import { SalesforceError } from "../../client/errors.ts";
import { RequestEvent, ResponseBoundEvent, RetryEvent } from "../../events/events.ts";
import type { SalesforceEvent } from "../../events/events.ts";
import { clock } from "../../retries/_clock.ts";
import type { SalesforceOptions } from "../../client/salesforce.ts";
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
