// OAuth 2.0 token endpoint: client credentials, password and refresh-token grants
// (salesforce-api.md §4.2). Errors are `{"error","error_description"}` with 400.

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
  options: { family?: number; refreshToken?: string; login: boolean },
): Promise<Response> {
  const session = org.sessions.issue(userId, options.family);
  org.tokensIssued++;
  if (options.login) org.logins++;
  const id = org.identityUrl(userId);
  const issuedAt = String(session.issuedAt);
  const body: Record<string, string> = { access_token: session.token };
  if (options.refreshToken !== undefined) body.refresh_token = options.refreshToken;
  body.signature = await signature(DEFAULT_CREDENTIALS.clientSecret, id + issuedAt);
  body.scope = scope;
  body.instance_url = org.baseUrl;
  body.id = id;
  body.token_type = "Bearer";
  body.issued_at = issuedAt;
  return json(200, body);
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
    // TODO(issue "Every way users authenticate"): the JWT bearer grant
    // (urn:ietf:params:oauth:grant-type:jwt-bearer) answers unsupported_grant_type until then.
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
