// SOAP partner login() (salesforce-api.md §4.1): one-line envelopes, unprefixed
// result elements, faults with HTTP 500.

import { childOf, escapeXml, parseXml, textOf, type XmlElement } from "../../auth/_xml.ts";
import { notFound, XML_TYPE } from "../_http.ts";
import { DEFAULT_CREDENTIALS } from "../_org.ts";
import type { Route, RouteContext } from "../_router.ts";

const SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const PARTNER = "urn:partner.soap.sforce.com";
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

function xml(status: number, body: string): Response {
  return new Response(body, { status, headers: { "Content-Type": XML_TYPE } });
}

/**
 * A SOAP fault. `sf:` codes get Salesforce's detail element (`LoginFault` for login
 * codes, `UnexpectedErrorFault` otherwise); `soapenv:` codes have no detail.
 */
export function soapFault(code: string, message: string, status = 500): Response {
  let faultcode = code;
  let faultstring = message;
  let detail = "";
  if (!code.startsWith("soapenv:")) {
    const kind = code.startsWith("INVALID_LOGIN") || code.startsWith("LOGIN_") ||
        code === "INVALID_OPERATION_WITH_EXPIRED_PASSWORD"
      ? "LoginFault"
      : "UnexpectedErrorFault";
    faultcode = `sf:${code}`;
    faultstring = `${code}: ${message}`;
    detail = `<detail><sf:${kind} xsi:type="sf:${kind}"><sf:exceptionCode>${
      escapeXml(code)
    }</sf:exceptionCode><sf:exceptionMessage>${
      escapeXml(message)
    }</sf:exceptionMessage></sf:${kind}></detail>`;
  }
  return xml(
    status,
    `${XML_DECLARATION}<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>${
      escapeXml(faultcode)
    }</faultcode><faultstring>${
      escapeXml(faultstring)
    }</faultstring>${detail}</soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
  );
}

/** The operation element inside Envelope/Body, or undefined when the envelope is not SOAP 1.1. */
function operationOf(root: XmlElement): XmlElement | undefined {
  if (root.name !== "Envelope" || root.namespace !== SOAP_ENV) return undefined;
  return childOf(root, "Body", SOAP_ENV)?.children[0];
}

function element(name: string, value: string | boolean | number | null): string {
  return value === null
    ? `<${name} xsi:nil="true"/>`
    : `<${name}>${escapeXml(String(value))}</${name}>`;
}

async function login({ request, params, org }: RouteContext): Promise<Response> {
  const version = params.version;
  if (!/^\d{1,3}\.\d$/.test(version)) return notFound();
  if (!request.headers.has("SOAPAction")) {
    // Wording unverified (salesforce-api.md §4.1).
    return soapFault("soapenv:Client", "No SOAPAction header!");
  }
  let root: XmlElement;
  try {
    root = parseXml(await request.text());
  } catch {
    // The parser's message is not echoed: the envelope holds a password.
    return soapFault("soapenv:Client", "Unable to parse the SOAP request: malformed XML");
  }
  const operation = operationOf(root);
  if (operation === undefined || operation.name !== "login" || operation.namespace !== PARTNER) {
    const name = operation === undefined ? "" : `{${operation.namespace ?? ""}}${operation.name}`;
    return soapFault("soapenv:Client", `No operation available for request ${name}`.trim());
  }
  const username = textOf(operation, "username", PARTNER) ?? "";
  const password = textOf(operation, "password", PARTNER) ?? "";
  if (
    username.toLowerCase() !== DEFAULT_CREDENTIALS.username ||
    password !== DEFAULT_CREDENTIALS.password + DEFAULT_CREDENTIALS.securityToken
  ) {
    return soapFault(
      "INVALID_LOGIN",
      "Invalid username, password, security token; or user locked out.",
    );
  }
  const user = org.user(org.defaultUserId)!;
  const session = org.sessions.issue(org.defaultUserId);
  org.logins++;
  org.tokensIssued++;
  const org15 = org.orgId.slice(0, 15);
  const userInfo = [
    element("accessibilityMode", false),
    element("chatterExternal", false),
    element("currencySymbol", "$"),
    element("orgAttachmentFileSizeLimit", 5_242_880),
    element("orgDefaultCurrencyIsoCode", "USD"),
    element("orgDefaultCurrencyLocale", "en_US"),
    element("orgDisallowHtmlAttachments", false),
    element("orgHasPersonAccounts", false),
    element("organizationId", org.orgId),
    element("organizationMultiCurrency", false),
    element("organizationName", "Fake Org"),
    element("profileId", "00e5g0000000001AAA"),
    element("roleId", null),
    element("sessionSecondsValid", Math.round(org.options.tokenLifetime / 1000)),
    element("userDefaultCurrencyIsoCode", null),
    element("userEmail", user.Email),
    element("userFullName", user.Name),
    element("userId", user.Id),
    element("userLanguage", "en_US"),
    element("userLocale", "en_US"),
    element("userName", user.Username),
    element("userTimeZone", user.TimeZoneSidKey),
    element("userType", "Standard"),
    element("userUiSkin", "Theme3"),
  ].join("");
  const result = [
    element("metadataServerUrl", `${org.baseUrl}/services/Soap/m/${version}/${org15}`),
    element("passwordExpired", false),
    element("sandbox", false),
    element("serverUrl", `${org.baseUrl}/services/Soap/u/${version}/${org15}`),
    element("sessionId", session.token),
    element("userId", user.Id),
    `<userInfo>${userInfo}</userInfo>`,
  ].join("");
  return xml(
    200,
    `${XML_DECLARATION}<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns="${PARTNER}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>${result}</result></loginResponse></soapenv:Body></soapenv:Envelope>`,
  );
}

/** SOAP login route. */
export const soapRoutes: Route[] = [
  {
    pattern: "/services/Soap/u/:version",
    name: "soapLogin",
    kind: "open",
    errorShape: "soap",
    methods: { POST: login },
  },
];
