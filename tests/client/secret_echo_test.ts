// Servers and proxies that echo what they were sent into their error answers: no access
// token, password, client secret or security token may come out in an error or an event,
// however the echo was escaped.
import assert from "node:assert/strict";
import { AccessTokenAuth } from "../../auth/access_token_auth.ts";
import { ClientCredentialsFlow } from "../../auth/client_credentials_flow.ts";
import { SoapLogin } from "../../auth/soap_login.ts";
import { UsernamePasswordFlow } from "../../auth/username_password_flow.ts";
import { createSalesforceError } from "../../client/errors.ts";
import { Salesforce } from "../../client/salesforce.ts";
import type { RetryEvent } from "../../events/events.ts";
import { RetryPolicy } from "../../retries/retry_policy.ts";

const BASE = "https://acme.my.salesforce.com";

/** Everything an error shows, however it is printed. */
function shown(error: unknown): string {
  const e = error as Error & { errorMessage?: string; errors?: unknown };
  return [
    String(error),
    e.stack,
    JSON.stringify(error),
    Deno.inspect(error, { depth: 10 }),
    e.errorMessage,
    JSON.stringify(e.errors),
  ].join("\n");
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  assert.fail("expected a failure");
}

function client(auth: Salesforce["auth"], fetch: Salesforce["fetch"]): Salesforce {
  return new Salesforce({ baseUrl: BASE, auth, fetch, retryPolicy: null });
}

Deno.test("an access token the server echoes in a JSON error never reaches the error", async () => {
  const token = "00Dxx0000001gPL!AR8AQJ.secret.token$^*+?";
  const sf = client(new AccessTokenAuth({ accessToken: token }), (input, init) => {
    const authorization = new Request(input, init).headers.get("Authorization");
    return Promise.resolve(
      Response.json([{ errorCode: "BAD_HEADER", message: `Rejected: ${authorization}` }], {
        status: 400,
      }),
    );
  });
  const error = await failure(sf.request("limits"));
  assert.ok(!shown(error).includes(token), shown(error));
  assert.match(String(error), /BAD_HEADER: Rejected: Bearer \[redacted\]/);
});

Deno.test("an access token a proxy echoes in an HTML page never reaches the error", async () => {
  const token = "00Dxx0000001gPL!AR8AQJ.html.token";
  const sf = client(new AccessTokenAuth({ accessToken: token }), (input, init) => {
    const headers = [...new Request(input, init).headers].map(([k, v]) => `${k}: ${v}`);
    const page = `<html><body><h1>400 Bad Request</h1><pre>${
      headers.join("<br>")
    }</pre></body></html>`;
    return Promise.resolve(new Response(page, { status: 400 }));
  });
  const error = await failure(sf.request("limits"));
  assert.ok(!shown(error).includes(token), shown(error));
});

Deno.test("a secret cut by the 300-character limit of an HTML message leaves no part behind", async () => {
  const secret = "S".repeat(40);
  const page = `<html><body>${"x ".repeat(140)}${secret}</body></html>`;
  const error = await createSalesforceError(new Response(page, { status: 502 }), {
    secrets: [secret],
  });
  assert.ok(!error.message.includes("SSSS"), error.message);
});

Deno.test("a password echoed JSON-escaped (a PHP-style \\/) in a login error never reaches the error", async () => {
  const password = 'pa/ss"w0rd';
  const auth = new UsernamePasswordFlow({
    clientId: "id",
    clientSecret: "cs",
    username: "u@example.com",
    password,
  });
  const sf = client(auth, async (input, init) => {
    const form = new URLSearchParams(await new Request(input, init).text());
    const echoed = JSON.stringify({ message: `bad login: ${form.get("password")}` });
    return new Response(echoed.replaceAll("/", "\\/"), { status: 400 });
  });
  const error = await failure(sf.request("limits"));
  assert.ok(!shown(error).includes(password), shown(error));
  assert.match(String(error), /\/services\/oauth2\/token/, "the message names the login path");
});

Deno.test("a client secret echoed HTML-escaped in a login error never reaches the error", async () => {
  const secret = "s3cr&t'x";
  const sf = client(new ClientCredentialsFlow({ clientId: "id", clientSecret: secret }), async (
    input,
    init,
  ) => {
    const form = new URLSearchParams(await new Request(input, init).text());
    const escaped = form.get("client_secret")!.replaceAll("&", "&amp;");
    return new Response(`<html><body>bad client ${escaped}</body></html>`, { status: 400 });
  });
  const error = await failure(sf.request("limits"));
  assert.ok(!shown(error).includes(secret), shown(error));
});

Deno.test("a SOAP login answered by a page echoing the envelope shows no password or security token", async () => {
  const password = "p@ss.w*rd+(1)";
  const securityToken = "TOK123token";
  const sf = client(
    new SoapLogin({ username: `${password}@example.com`, password, securityToken }),
    async (input, init) =>
      new Response(`<html>oops ${await new Request(input, init).text()}</html>`, { status: 502 }),
  );
  const error = await failure(sf.request("limits"));
  assert.ok(!shown(error).includes(password), shown(error));
  assert.ok(!shown(error).includes(securityToken), shown(error));
});

Deno.test("a RetryEvent of a login carries the response without the body that echoed the password", async () => {
  const password = "hunter2-secret";
  const auth = new UsernamePasswordFlow({
    clientId: "id",
    clientSecret: "cs",
    username: "u@example.com",
    password,
  });
  const sf = new Salesforce({
    baseUrl: BASE,
    auth,
    fetch: async (input, init) =>
      new Response(`<html>busy ${await new Request(input, init).text()}</html>`, { status: 503 }),
    retryPolicy: new RetryPolicy({ maxRetries: 1, backoffBase: 0 }),
  });
  const seen: string[] = [];
  sf.eventBus.subscribeCallback(async (event) => {
    if (event.type !== "retry") return;
    const { request, response } = event as RetryEvent;
    seen.push([...request.headers].join(";"), String(response?.status));
    if (response !== undefined) seen.push(await response.text());
  });
  const error = await failure(sf.request("limits"));
  assert.ok(!shown(error).includes(password), shown(error));
  assert.deepEqual(seen.slice(1), ["503", ""]);
  assert.ok(!seen.join("\n").includes(password), seen.join("\n"));
});
