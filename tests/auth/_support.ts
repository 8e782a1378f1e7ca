// Salesforce-shaped login responses (copied from salesforce-api.md §4) and a
// client whose fetch is an in-test function that records every request.

import { type Mock, mock } from "node:test";
import type { Auth } from "../../auth/auth.ts";
import { Salesforce, type SalesforceOptions } from "../../client/salesforce.ts";
import type { SalesforceEvent } from "../../events/events.ts";

export const BASE = "https://acme.my.salesforce.com";
export const SOAP_PATH = "/services/Soap/u/64.0";
export const TOKEN_PATH = "/services/oauth2/token";
export const SESSION_ID = "00D5g000004ABCD!AQ4AQFakeSessionToken.xyz";
export const ACCESS_TOKEN = "00D5g000004ABCD!AQ4AQHypotheticalToken";

export const SOAP_FAULT =
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;

export const HTML_503 =
  `<html><head><title>Service Unavailable</title></head><body><h1>Down for maintenance</h1><p>We are down for maintenance. Please try again later.</p></body></html>`;

/** The §4.1 login response; the lifetime and the flags can be changed. */
export function soapSuccess(
  { sessionId = SESSION_ID, seconds = "7200", passwordExpired = "false" }: {
    sessionId?: string;
    seconds?: string | null;
    passwordExpired?: string;
  } = {},
): string {
  const lifetime = seconds === null ? "" : `<sessionSecondsValid>${seconds}</sessionSecondsValid>`;
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>https://acme.my.salesforce.com/services/Soap/m/64.0/00D5g000004ABCD</metadataServerUrl><passwordExpired>${passwordExpired}</passwordExpired><sandbox>false</sandbox><serverUrl>https://acme.my.salesforce.com/services/Soap/u/64.0/00D5g000004ABCD</serverUrl><sessionId>${sessionId}</sessionId><userId>0055g00000AbCdEAAV</userId><userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol><organizationId>00D5g000004ABCDEAA</organizationId><organizationName>Acme Inc</organizationName><profileId>00e5g000001XyZaAAC</profileId><roleId xsi:nil="true"/>${lifetime}<userEmail>jane@acme.example</userEmail><userFullName>Jane Doe</userFullName><userId>0055g00000AbCdEAAV</userId><userName>jane@acme.example</userName><userTimeZone>America/Los_Angeles</userTimeZone><userType>Standard</userType></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>`;
}

/** The §4.2 token response. */
export function tokenSuccess(accessToken = ACCESS_TOKEN): Record<string, string> {
  return {
    access_token: accessToken,
    signature: "3qG8wbP0sdpN4yJgW3H7R1Zk3l0c6kGq0m8Y5Ybq2xE=",
    scope: "api",
    instance_url: "https://acme.my.salesforce.com",
    id: "https://login.salesforce.com/id/00D5g000004ABCDEAA/0055g00000AbCdEAAV",
    token_type: "Bearer",
    issued_at: "1710495000000",
  };
}

export function xmlResponse(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "Content-Type": "text/xml;charset=UTF-8" },
  });
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json;charset=UTF-8" },
  });
}

export function htmlResponse(status: number, body: string): Response {
  return new Response(body, { status, headers: { "Content-Type": "text/html" } });
}

/** A request the fake fetch received, with its body read. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/**
 * A client whose fetch answers with `handler`, recording every request and
 * every published event.
 */
/** What {@linkcode clientWith} returns. */
export interface TestClient {
  sf: Salesforce;
  fetch: Mock<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>;
  requests: SeenRequest[];
  events: SalesforceEvent[];
}

export function clientWith(
  auth: Auth,
  handler: (request: SeenRequest) => Response | Promise<Response>,
  options: Partial<SalesforceOptions> = {},
): TestClient {
  const requests: SeenRequest[] = [];
  const events: SalesforceEvent[] = [];
  const fetch = mock.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const seen = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    };
    requests.push(seen);
    return await handler(seen);
  });
  const sf = new Salesforce({
    baseUrl: BASE,
    auth,
    fetch,
    eventHooks: [(event) => {
      events.push(event);
    }],
    ...options,
  });
  return { sf, fetch, requests, events };
}

/** A promise with its resolve and reject exposed. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
