// deno-lint-ignore-file no-console
// Every auth flow, each logging in to a fresh fake org: no credentials, no network.
// Run: deno run --allow-net=127.0.0.1,localhost examples/auth.ts
import {
  AccessTokenAuth,
  type Auth,
  AuthenticationError,
  ClientCredentialsFlow,
  JwtBearerFlow,
  RefreshTokenFlow,
  Salesforce,
  SoapLogin,
  UsernamePasswordFlow,
} from "../mod.ts";
import { FakeSalesforce } from "../testing/mod.ts";

const org = new FakeSalesforce();
const { username, password, securityToken, clientId, clientSecret } = org.credentials;

async function connect(name: string, auth: Auth): Promise<void> {
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
  const { DailyApiRequests } = await sf.getLimits();
  console.log(`${name.padEnd(21)} logged in; ${DailyApiRequests.Remaining} API calls left today`);
}

await connect("SoapLogin", new SoapLogin({ username, password, securityToken }));
await connect("ClientCredentialsFlow", new ClientCredentialsFlow({ clientId, clientSecret }));
await connect(
  "UsernamePasswordFlow",
  new UsernamePasswordFlow({ clientId, clientSecret, username, password, securityToken }),
);

// JWT bearer: the fake trusts this public key as Salesforce trusts an uploaded certificate.
// In production pass your PEM text (`await Deno.readTextFile("server.key")`) as privateKey.
const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048 };
const algorithm = { ...rsa, publicExponent: new Uint8Array([1, 0, 1]) };
const keys = await crypto.subtle.generateKey(algorithm, false, ["sign", "verify"]);
org.registerJwtKey(keys.publicKey);
const jwt = new JwtBearerFlow({ clientId, username, privateKey: keys.privateKey });
await connect("JwtBearerFlow", jwt);

// Refresh token: stand-in for the token your app stored after the user authorized it.
const grant = await org.fetch("/services/oauth2/token", {
  method: "POST",
  body: new URLSearchParams({
    grant_type: "password",
    client_id: clientId,
    client_secret: clientSecret,
    username,
    password: password + securityToken,
  }),
});
let stored: string = (await grant.json()).refresh_token;
const first = stored;
const refresh = new RefreshTokenFlow({
  clientId,
  refreshToken: stored,
  onTokens: (tokens) => void (stored = tokens.refreshToken!), // persist it for the next run
});
await connect("RefreshTokenFlow", refresh);
console.log(`  the org rotated the refresh token; onTokens kept the new one: ${stored !== first}`);

// One auth shared by concurrent requests logs in once; an expired token is refreshed once.
const shared = new ClientCredentialsFlow({ clientId, clientSecret });
const sf = new Salesforce({ baseUrl: org.baseUrl, auth: shared, fetch: org.fetch });
const before = org.stats.logins;
await Promise.all(Array.from({ length: 50 }, () => sf.getLimits()));
org.inject({ expireToken: true });
await Promise.all(Array.from({ length: 50 }, () => sf.getLimits()));
const logins = org.stats.logins - before;
console.log(`100 concurrent calls and a token expiry: ${logins} logins (first, then refresh)`);

// A session from elsewhere cannot be renewed: a 401 becomes an AuthenticationError.
try {
  await connect("AccessTokenAuth", new AccessTokenAuth({ accessToken: "00Dxx!expired" }));
} catch (error) {
  if (!(error instanceof AuthenticationError)) throw error;
  console.log(`AccessTokenAuth with a stale session: ${error.name}`);
}
