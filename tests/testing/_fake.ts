// Helpers for the fake org's tests: log in once, then call routes with plain Requests.
import { FakeSalesforce, type FakeSalesforceOptions } from "../../testing/mod.ts";

export const V = "/services/data/v66.0";

/** An org and a bearer token from the client-credentials grant. */
export async function loggedIn(
  options?: FakeSalesforceOptions,
): Promise<{ org: FakeSalesforce; token: string }> {
  const org = new FakeSalesforce(options);
  return { org, token: await tokenFor(org) };
}

/** What the helpers use of an org: a FakeSalesforce, or an adapter over its internals. */
export type FetchableOrg = Pick<FakeSalesforce, "fetch" | "baseUrl" | "credentials">;

export async function tokenFor(org: FetchableOrg): Promise<string> {
  const { clientId, clientSecret } = org.credentials;
  const response = await org.fetch(
    new Request(`${org.baseUrl}/services/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
      }),
    }),
  );
  if (response.status !== 200) throw new Error(`login failed: ${await response.text()}`);
  return (await response.json()).access_token;
}

/** Sends one request; a non-string body is JSON-encoded with a JSON content type. */
export function call(
  org: FetchableOrg,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const all: Record<string, string> = { ...headers };
  if (token !== undefined) all.Authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    if (typeof body !== "string") all["Content-Type"] ??= "application/json";
  }
  return org.fetch(new Request(`${org.baseUrl}${path}`, { method, headers: all, body: payload }));
}

/** Status, content type, limit header and text of a response (body read). */
export async function wire(response: Response): Promise<{
  status: number;
  type: string | null;
  limit: string | null;
  text: string;
}> {
  return {
    status: response.status,
    type: response.headers.get("Content-Type"),
    limit: response.headers.get("Sforce-Limit-Info"),
    text: await response.text(),
  };
}
