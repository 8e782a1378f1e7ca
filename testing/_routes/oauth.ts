// OAuth 2.0 token endpoint: client credentials, password, refresh-token and JWT
// bearer grants (salesforce-api.md §4.2). Errors are `{"error","error_description"}` with 400.

import { fromBase64Url, RS256 } from "../../auth/_pem.ts";
import { json } from "../_http.ts";
import { DEFAULT_CREDENTIALS, type OrgState } from "../_org.ts";
import type { Route, RouteContext } from "../_router.ts";

function oauthError(error: string, description: string): Response {
  return json(400, { error, error_description: description });
}

async function signature(secret: string, text: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The client id and secret from HTTP Basic or the form; undefined parts stay undefined. */
function clientOf(request: Request, form: URLSearchParams): { id?: string; secret?: string } {
  const header = request.headers.get("Authorization") ?? "";
  if (/^basic /i.test(header)) {
    try {
      const decoded = atob(header.slice(6).trim());
      const colon = decoded.indexOf(":");
      if (colon !== -1) {
        return {
          id: decodeURIComponent(decoded.slice(0, colon)),
          secret: decodeURIComponent(decoded.slice(colon + 1)),
        };
      }
    } catch {
      // Not base64 or not percent-decodable: treated as no client credentials.
    }
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

async function tokenResponse(
  org: OrgState,
  userId: string,
  scope: string,
  options: { family?: number; refreshToken?: string; login: boolean; signed?: boolean },
): Promise<Response> {
  const session = org.sessions.issue(userId, options.family);
  org.tokensIssued++;
  if (options.login) org.logins++;
  const id = org.identityUrl(userId);
  const issuedAt = String(session.issuedAt);
  // JWT bearer responses carry no signature and no issued_at (salesforce-api.md §4.2).
  const signed = options.signed ?? true;
  const body: Record<string, string> = { access_token: session.token };
  if (options.refreshToken !== undefined) body.refresh_token = options.refreshToken;
  if (signed) body.signature = await signature(DEFAULT_CREDENTIALS.clientSecret, id + issuedAt);
  body.scope = scope;
  body.instance_url = org.baseUrl;
  body.id = id;
  body.token_type = "Bearer";
  if (signed) body.issued_at = issuedAt;
  return json(200, body);
}

/** A public key registered for the JWT bearer grant, and the user it may log in. */
interface JwtKey {
  key: CryptoKey;
  clientId: string;
  /** Lower case: usernames compare case-insensitively. */
  username: string;
}

// Registered keys per org. Kept beside the route rather than in OrgState: they are
// configuration, like the credentials, and survive reset().
const JWT_KEYS = new WeakMap<OrgState, JwtKey[]>();

const JWT_AUDIENCES = new Set(["https://login.salesforce.com", "https://test.salesforce.com"]);
// Salesforce asks for exp within 3 minutes; aiosalesforce (Python) sends now + 300 s,
// which works in practice, so the fake accepts up to 5 minutes ahead.
const JWT_MAX_LIFETIME_SECONDS = 300;

/** Registers a public key (a connected app's certificate) and a user pre-authorized for it. */
export function registerJwtKey(
  org: OrgState,
  key: CryptoKey,
  clientId: string,
  username: string,
): void {
  const keys = JWT_KEYS.get(org) ?? [];
  keys.push({ key, clientId, username: username.toLowerCase() });
  JWT_KEYS.set(org, keys);
}

function jsonSegment(text: string): Record<string, unknown> | undefined {
  const bytes = fromBase64Url(text);
  if (bytes === undefined) return undefined;
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** The id of the live user with this username, if any. */
function userIdOf(org: OrgState, username: string): string | undefined {
  for (const user of org.store.records("User", false)) {
    if (typeof user.Username === "string" && user.Username.toLowerCase() === username) {
      return user.Id as string;
    }
  }
  return undefined;
}

/**
 * The JWT bearer grant: checks the assertion's form, `iss` (a known consumer key),
 * the RS256 signature (a key registered for `iss`), `aud`, `exp` and that `sub`
 * is a user pre-authorized for the app, in that order.
 */
async function jwtBearer(org: OrgState, form: URLSearchParams): Promise<Response> {
  const invalid = () => oauthError("invalid_grant", "invalid assertion");
  const segments = (form.get("assertion") ?? "").split(".");
  if (segments.length !== 3) return invalid();
  const header = jsonSegment(segments[0]);
  const claims = jsonSegment(segments[1]);
  const signatureBytes = fromBase64Url(segments[2]);
  if (header?.alg !== "RS256" || claims === undefined || signatureBytes === undefined) {
    return invalid();
  }
  const { iss, sub, aud, exp } = claims;
  if (typeof iss !== "string" || typeof sub !== "string" || typeof exp !== "number") {
    return invalid();
  }
  const keys = JWT_KEYS.get(org) ?? [];
  if (iss !== DEFAULT_CREDENTIALS.clientId && !keys.some((entry) => entry.clientId === iss)) {
    return oauthError("invalid_client_id", "client identifier invalid");
  }
  const signed = new TextEncoder().encode(`${segments[0]}.${segments[1]}`);
  const appKeys = keys.filter((entry) => entry.clientId === iss);
  let verified = false;
  for (const entry of appKeys) {
    if (await crypto.subtle.verify(RS256, entry.key, signatureBytes, signed)) {
      verified = true;
      break;
    }
  }
  if (!verified) return invalid();
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.some((value) => typeof value === "string" && JWT_AUDIENCES.has(value))) {
    return oauthError("invalid_grant", "audience is invalid");
  }
  const now = org.now() / 1000;
  if (exp <= now) return oauthError("invalid_grant", "JWT expired");
  if (exp > now + JWT_MAX_LIFETIME_SECONDS) return invalid();
  const username = sub.toLowerCase();
  const userId = userIdOf(org, username);
  if (userId === undefined || !appKeys.some((entry) => entry.username === username)) {
    return oauthError("invalid_grant", "user hasn't approved this consumer");
  }
  return tokenResponse(org, userId, "api", { login: true, signed: false });
}

function checkClient(
  client: { id?: string; secret?: string },
  secretRequired: boolean,
): Response | undefined {
  if (client.id !== DEFAULT_CREDENTIALS.clientId) {
    return oauthError("invalid_client_id", "client identifier invalid");
  }
  if (
    (secretRequired || client.secret !== undefined) &&
    client.secret !== DEFAULT_CREDENTIALS.clientSecret
  ) {
    return oauthError("invalid_client", "invalid client credentials");
  }
  return undefined;
}

async function token({ request, url, org }: RouteContext): Promise<Response> {
  // Parameters may come in the query string too (they leak there, but Salesforce reads them).
  const form = new URLSearchParams(url.search);
  for (const [key, value] of new URLSearchParams(await request.text())) form.set(key, value);
  const client = clientOf(request, form);
  switch (form.get("grant_type")) {
    case "client_credentials":
      return checkClient(client, true) ??
        tokenResponse(org, org.defaultUserId, "api", { login: true });
    case "password": {
      const refused = checkClient(client, true);
      if (refused !== undefined) return refused;
      const username = form.get("username") ?? "";
      const password = form.get("password") ?? "";
      const expected = DEFAULT_CREDENTIALS.password + DEFAULT_CREDENTIALS.securityToken;
      if (username.toLowerCase() !== DEFAULT_CREDENTIALS.username || password !== expected) {
        return oauthError("invalid_grant", "authentication failure");
      }
      const { family, refreshToken } = org.sessions.startFamily(org.defaultUserId, client.id!);
      return tokenResponse(org, org.defaultUserId, "refresh_token api", {
        family,
        refreshToken,
        login: true,
      });
    }
    case "refresh_token": {
      const refused = checkClient(client, false);
      if (refused !== undefined) return refused;
      const rotated = org.sessions.rotate(form.get("refresh_token") ?? "", client.id!);
      if (rotated === undefined) return oauthError("invalid_grant", "expired access/refresh token");
      return tokenResponse(org, rotated.userId, "refresh_token api", {
        family: rotated.family,
        refreshToken: rotated.refreshToken,
        login: false,
      });
    }
    case "urn:ietf:params:oauth:grant-type:jwt-bearer":
      return jwtBearer(org, form);
    default:
      return oauthError("unsupported_grant_type", "grant type not supported");
  }
}

function mustPost(): Response {
  // Wording unverified (salesforce-api.md §4.2).
  return oauthError("invalid_request", "must use HTTP POST");
}

/** Token endpoint route. */
export const oauthRoutes: Route[] = [
  {
    pattern: "/services/oauth2/token",
    name: "oauthToken",
    kind: "open",
    errorShape: "oauth",
    methods: { POST: token, GET: mustPost, PUT: mustPost, PATCH: mustPost, DELETE: mustPost },
  },
];
