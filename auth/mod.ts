/**
 * Ways to authenticate against Salesforce; one instance can serve many clients.
 *
 * Every strategy extends {@linkcode Auth}, which caches the access token and
 * makes concurrent callers share one login: {@linkcode SoapLogin} (username,
 * password and security token), {@linkcode ClientCredentialsFlow} (a connected
 * app's consumer key and secret), {@linkcode JwtBearerFlow} (a JWT signed with
 * the app's private key, via WebCrypto), {@linkcode RefreshTokenFlow} (a refresh
 * token, rotation-safe), {@linkcode UsernamePasswordFlow} (the OAuth password
 * grant) and {@linkcode AccessTokenAuth} (a session obtained elsewhere).
 *
 * @example Log in with a username and password
 * ```ts
 * import { Salesforce } from "@x/aiosalesforce";
 * import { SoapLogin } from "@x/aiosalesforce/auth";
 * import { FakeSalesforce } from "@x/aiosalesforce/testing";
 * import assert from "node:assert/strict";
 *
 * const org = new FakeSalesforce();
 * const { username, password, securityToken } = org.credentials;
 * const auth = new SoapLogin({ username, password, securityToken });
 * const sf = new Salesforce({ baseUrl: org.baseUrl, auth, fetch: org.fetch });
 * const response = await sf.request("limits");
 * assert.equal(response.status, 200);
 * await response.body?.cancel();
 * ```
 *
 * @module
 */
export * from "./auth.ts";
export * from "./soap_login.ts";
export * from "./client_credentials_flow.ts";
export * from "./jwt_bearer_flow.ts";
export * from "./refresh_token_flow.ts";
export * from "./username_password_flow.ts";
export * from "./access_token_auth.ts";
