// A login error never shows a secret, in whatever form a server echoes it; a login never
// follows a redirect with its credentials; a rotation survives a throwing event callback.
import assert from "node:assert/strict";
import { RefreshTokenFlow } from "../../auth/refresh_token_flow.ts";
import { SoapLogin } from "../../auth/soap_login.ts";
import { UsernamePasswordFlow } from "../../auth/username_password_flow.ts";
import type { TokenSet } from "../../auth/auth.ts";
import { Salesforce } from "../../client/salesforce.ts";
import type { SalesforceEvent } from "../../events/events.ts";
import { FakeSalesforce } from "../../testing/mod.ts";

/** The error of a password login whose token answer is `fault`. */
async function loginError(
  password: string,
  fault: { status: number; body: string; contentType?: string },
): Promise<Error> {
  const org = new FakeSalesforce();
  org.inject({ path: "/services/oauth2/token", ...fault });
  const auth = new UsernamePasswordFlow({ ...org.credentials, password, securityToken: "" });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch, retryPolicy: null });
  const error = await auth.getAccessToken(sf).then(() => undefined, (e: Error) => e);
  assert.ok(error instanceof Error, "the login must fail");
  return error;
}

Deno.test("A login error shows no password a server echoed JSON-, HTML- or percent-escaped, or with its spaces collapsed", async () => {
  const cases: Array<[string, (password: string) => string, string?]> = [
    // A JSON body that is not an error list, shown as it came (a debugging proxy).
    [
      'hunter"2\\secret/x',
      (p) => JSON.stringify({ received: { password: p } }),
      "application/json",
    ],
    [
      `O'Brien&Co"2024`,
      (p) =>
        `<html><body><p>Login failed for ${
          p.replaceAll("&", "&amp;").replaceAll("'", "&#39;").replaceAll('"', "&quot;")
        }</p></body></html>`,
    ],
    ["correct horse\tbattery  staple", (p) => `bad credentials: ${p}`, "text/plain"],
    ["p@ss word!", (p) => `bad credentials: ${encodeURIComponent(p)}`, "text/plain"],
  ];
  for (const [password, body, contentType] of cases) {
    const error = await loginError(password, { status: 500, body: body(password), contentType });
    assert.match(error.message, /\[redacted\]/, error.message);
    for (const shown of ["hunter", "Brien", "horse", "ss%20word", "ss word"]) {
      assert.ok(!error.message.includes(shown), `${shown} in: ${error.message}`);
    }
  }
});

Deno.test("A SOAP error page that echoes the XML-escaped envelope shows no password", async () => {
  const org = new FakeSalesforce();
  org.inject({
    path: "/services/Soap/",
    status: 500,
    contentType: "text/xml",
    body: `<?xml version="1.0"?><echo><password>Tom&amp;Jerry&apos;s2024</password></echo>`,
  });
  const auth = new SoapLogin({ username: org.credentials.username, password: "Tom&Jerry's2024" });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch, retryPolicy: null });
  const error = await auth.getAccessToken(sf).then(() => undefined, (e: Error) => e);
  assert.ok(error instanceof Error);
  assert.ok(!error.message.includes("Jerry"), error.message);
});

Deno.test("A login does not follow a redirect: its credentials never reach the origin it names", async () => {
  const seen: string[] = [];
  const other = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    seen.push(await request.text());
    return Response.json({ error: "invalid_grant", error_description: "no" }, { status: 400 });
  });
  const org = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    await request.body?.cancel();
    return new Response(null, {
      status: 307,
      headers: { Location: `http://localhost:${other.addr.port}/collect` },
    });
  });
  try {
    const baseUrl = `http://127.0.0.1:${org.addr.port}`;
    const flows = [
      new UsernamePasswordFlow({
        clientId: "cid",
        clientSecret: "ClientSecret123",
        username: "jane@acme.example",
        password: "Hunter2Password",
      }),
      new SoapLogin({ username: "jane@acme.example", password: "Hunter2Password" }),
    ];
    for (const auth of flows) {
      const sf = new Salesforce({ baseUrl, auth, retryPolicy: null });
      await assert.rejects(auth.getAccessToken(sf), /\b307 POST\b/);
    }
    assert.deepEqual(seen, []);
  } finally {
    await org.shutdown();
    await other.shutdown();
  }
});

Deno.test("RefreshTokenFlow keeps a rotated refresh token when an event callback fails the grant", async () => {
  const org = new FakeSalesforce();
  const c = org.credentials;
  const first = await org.fetch("/services/oauth2/token", {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "password",
      client_id: c.clientId,
      client_secret: c.clientSecret,
      username: c.username,
      password: c.password + c.securityToken,
    }),
  });
  const { refresh_token: refreshToken } = await first.json();
  let failOnce = true;
  const hook = (event: SalesforceEvent) => {
    if (event.type === "response" && failOnce) {
      failOnce = false;
      throw new Error("metrics backend down");
    }
  };
  const delivered: TokenSet[] = [];
  const auth = new RefreshTokenFlow({
    clientId: c.clientId,
    refreshToken,
    onTokens: (tokens) => {
      delivered.push(tokens);
    },
  });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch, eventHooks: [hook] });
  await assert.rejects(auth.getAccessToken(sf), /metrics backend down/);
  const grants = org.stats.requests["POST oauthToken"];
  // The rotated token was kept: delivered now with no round trip, not replayed dead.
  const token = await auth.getAccessToken(sf);
  assert.equal(org.stats.requests["POST oauthToken"], grants);
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0].accessToken, token);
  assert.notEqual(delivered[0].refreshToken, refreshToken);
  assert.ok("DailyApiRequests" in await sf.getLimits());
});
