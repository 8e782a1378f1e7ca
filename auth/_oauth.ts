// The OAuth 2.0 token request every OAuth flow shares: the form POST to
// /services/oauth2/token, events, error mapping and the TokenSet it returns.

import type { Salesforce } from "../client/salesforce.ts";
import type { TokenSet } from "./auth.ts";
import {
  finishLogin,
  loginFailure,
  loginRefused,
  noToken,
  redact,
  sendLoginRequest,
} from "./_login.ts";

/** What a flow asks of the token endpoint. */
export interface TokenRequest {
  /** Prefix of every error message, e.g. `Cannot get a token with the client credentials flow`. */
  action: string;
  /** The form fields, `grant_type` included. */
  form: Record<string, string>;
  /** Values that must never appear in an error (secrets, passwords, assertions). */
  secrets: readonly string[];
  /**
   * What an OAuth `error` means for this flow, put before the code in the message,
   * e.g. `{ invalid_grant: "the refresh token was revoked or expired" }`.
   */
  hints?: Readonly<Record<string, string>>;
}

function stringField(json: Record<string, unknown>, name: string): string | undefined {
  const value = json[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Builds the TokenSet; `issued_at` is epoch milliseconds as a string. */
function tokenSetOf(json: Record<string, unknown>, accessToken: string): TokenSet {
  const tokens: TokenSet = { accessToken };
  const refreshToken = stringField(json, "refresh_token");
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken;
  const instanceUrl = stringField(json, "instance_url");
  if (instanceUrl !== undefined) tokens.instanceUrl = instanceUrl;
  const issuedAt = stringField(json, "issued_at");
  if (issuedAt !== undefined && /^[0-9]{1,16}$/.test(issuedAt)) {
    tokens.issuedAt = new Date(Number(issuedAt));
  }
  const scope = stringField(json, "scope");
  if (scope !== undefined) tokens.scope = scope;
  return tokens;
}

/**
 * POSTs a token request to `${client.baseUrl}/services/oauth2/token` through the
 * retry policy and returns the tokens. An OAuth error body
 * (`{"error","error_description"}`, any status) becomes an AuthenticationError
 * with `errorCode` = `error`; any other failure maps by status. `onIssued` gets the tokens
 * as soon as they are known, before the ResponseEvent is published.
 */
export async function requestToken(
  client: Salesforce,
  token: TokenRequest,
  onIssued?: (tokens: TokenSet) => void,
): Promise<TokenSet> {
  const request = new Request(`${client.baseUrl}/services/oauth2/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Accept": "application/json",
    },
    body: new URLSearchParams(token.form).toString(),
    // A redirect would send the credentials on to wherever it points: not followed.
    redirect: "manual",
  });
  const login = await sendLoginRequest(client, request, token.secrets);
  const { response } = login;
  let json: unknown;
  try {
    json = JSON.parse(login.text);
  } catch {
    json = undefined;
  }
  const body = typeof json === "object" && json !== null && !Array.isArray(json)
    ? json as Record<string, unknown>
    : undefined;
  const rawError = body === undefined ? undefined : stringField(body, "error");
  if (rawError !== undefined) {
    throw await loginRefused(login, token.action, {
      errorCode: redact(rawError, token.secrets),
      errorMessage: redact(
        stringField(body!, "error_description") ?? "no error description",
        token.secrets,
      ),
      hint: Object.hasOwn(token.hints ?? {}, rawError) ? `${token.hints![rawError]}: ` : "",
    });
  }
  if (!response.ok) throw await loginFailure(login, token.action);
  const accessToken = body === undefined ? undefined : stringField(body, "access_token");
  if (accessToken === undefined) {
    throw await noToken(login, token.action, "access_token");
  }
  const tokens = tokenSetOf(body!, accessToken);
  // Before the ResponseEvent, whose callbacks may throw: what was issued is kept either way.
  onIssued?.(tokens);
  await finishLogin(client, response);
  return tokens;
}
