import assert from "node:assert/strict";
import { mock } from "node:test";
import { SoapLogin } from "../../auth/soap_login.ts";
import { find, parseXml, textOf } from "../../auth/_xml.ts";
import { AuthenticationError, SalesforceError, ServerError } from "../../client/errors.ts";
import { RequestEvent, ResponseEvent } from "../../events/events.ts";
import { clock } from "../../retries/_clock.ts";
import {
  BASE,
  clientWith,
  HTML_503,
  htmlResponse,
  jsonResponse,
  SESSION_ID,
  SOAP_FAULT,
  SOAP_PATH,
  soapSuccess,
  xmlResponse,
} from "./_support.ts";

const CREDENTIALS = { username: "jane@acme.example", password: "Secr3t", securityToken: "Tok123" };
const PARTNER = "urn:partner.soap.sforce.com";

/** Runs `body` with clock.now fixed at `start` (movable through the returned setter). */
async function withClock(
  start: number,
  body: (setNow: (ms: number) => void) => Promise<void>,
): Promise<void> {
  let now = start;
  const nowMock = mock.method(clock, "now", () => now);
  // A retry would sleep: make it instant, so a wrong retry shows as a call count, not a hang.
  const sleepMock = mock.method(clock, "sleep", () => Promise.resolve());
  try {
    await body((ms) => {
      now = ms;
    });
  } finally {
    nowMock.mock.restore();
    sleepMock.mock.restore();
  }
}

Deno.test("SoapLogin posts the partner login envelope and returns the session id", async () => {
  const auth = new SoapLogin(CREDENTIALS);
  const { sf, requests, events } = clientWith(auth, () => xmlResponse(200, soapSuccess()));
  assert.equal(await auth.getAccessToken(sf), SESSION_ID);
  assert.equal(requests.length, 1);
  const [request] = requests;
  assert.equal(request.method, "POST");
  assert.equal(request.url, `${BASE}${SOAP_PATH}`);
  assert.equal(request.headers.get("Content-Type"), "text/xml; charset=UTF-8");
  assert.equal(request.headers.get("SOAPAction"), "login");
  assert.equal(request.headers.get("Accept"), "text/xml");
  assert.equal(request.headers.get("Authorization"), null);
  const login = find(parseXml(request.body), "login", PARTNER)!;
  assert.equal(
    find(parseXml(request.body), "Body")!.namespace,
    "http://schemas.xmlsoap.org/soap/envelope/",
  );
  assert.equal(textOf(login, "username", PARTNER), "jane@acme.example");
  assert.equal(textOf(login, "password", PARTNER), "Secr3tTok123");
  assert.deepEqual(events.map((event) => event.type), ["request", "response"]);
  assert.ok(events[0] instanceof RequestEvent);
  assert.equal(events[0].request.url, `${BASE}${SOAP_PATH}`);
  assert.ok(events[1] instanceof ResponseEvent);
  assert.equal(events[1].response.status, 200);
});

Deno.test("SoapLogin escapes every special character and the envelope parses back exactly", async () => {
  const password = `p&ss<w>rd"'&amp;`;
  const securityToken = `t<k>&"'`;
  const username = `o'brien&co@acme.example`;
  const auth = new SoapLogin({ username, password, securityToken });
  const { sf, requests } = clientWith(auth, () => xmlResponse(200, soapSuccess()));
  await auth.getAccessToken(sf);
  const body = requests[0].body;
  assert.ok(!body.includes(password));
  assert.ok(body.includes("p&amp;ss&lt;w&gt;rd&quot;&apos;&amp;amp;t&lt;k&gt;&amp;&quot;&apos;"));
  const login = find(parseXml(body), "login", PARTNER)!;
  assert.equal(textOf(login, "password"), password + securityToken);
  assert.equal(textOf(login, "username"), username);
});

Deno.test("SoapLogin sends the password alone when there is no security token", async () => {
  for (
    const options of [{ username: "u", password: "pw" }, {
      username: "u",
      password: "pw",
      securityToken: "",
    }]
  ) {
    const auth = new SoapLogin(options);
    const { sf, requests } = clientWith(auth, () => xmlResponse(200, soapSuccess()));
    await auth.getAccessToken(sf);
    assert.equal(textOf(find(parseXml(requests[0].body), "login")!, "password"), "pw");
  }
});

Deno.test("SoapLogin expires the session sessionSecondsValid after login, less 30 seconds", async () => {
  await withClock(1_000_000, async (setNow) => {
    const auth = new SoapLogin(CREDENTIALS);
    let issued = 0;
    const { sf, fetch } = clientWith(
      auth,
      () => xmlResponse(200, soapSuccess({ sessionId: `session-${++issued}`, seconds: "7200" })),
    );
    assert.equal(auth.expired, false);
    assert.equal(await auth.getAccessToken(sf), "session-1");
    setNow(1_000_000 + 7_200_000 - 30_000 - 1);
    assert.equal(auth.expired, false);
    assert.equal(await auth.getAccessToken(sf), "session-1");
    setNow(1_000_000 + 7_200_000 - 30_000);
    assert.equal(auth.expired, true);
    assert.equal(await auth.getAccessToken(sf), "session-2");
    assert.equal(auth.expired, false);
    assert.equal(fetch.mock.callCount(), 2);
  });
});

Deno.test("SoapLogin keeps a 5% margin when that is shorter than 30 seconds", async () => {
  await withClock(0, async (setNow) => {
    const auth = new SoapLogin(CREDENTIALS);
    const { sf } = clientWith(auth, () => xmlResponse(200, soapSuccess({ seconds: "100" })));
    await auth.getAccessToken(sf);
    setNow(95_000 - 1);
    assert.equal(auth.expired, false);
    setNow(95_000);
    assert.equal(auth.expired, true);
  });
});

Deno.test("SoapLogin never expires proactively without a usable sessionSecondsValid", async () => {
  for (const seconds of [null, "", "soon", "0"]) {
    await withClock(0, async (setNow) => {
      const auth = new SoapLogin(CREDENTIALS);
      const { sf } = clientWith(auth, () => xmlResponse(200, soapSuccess({ seconds })));
      assert.equal(await auth.getAccessToken(sf), SESSION_ID);
      setNow(10 * 365 * 86_400_000);
      assert.equal(auth.expired, false);
    });
  }
});

Deno.test("SoapLogin turns a SOAP fault into AuthenticationError INVALID_LOGIN and does not retry it", async () => {
  await withClock(0, async () => {
    const auth = new SoapLogin(CREDENTIALS);
    const { sf, fetch, events } = clientWith(auth, () => xmlResponse(500, SOAP_FAULT));
    await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.errorCode, "INVALID_LOGIN");
      assert.equal(
        error.errorMessage,
        "Invalid username, password, security token; or user locked out.",
      );
      assert.equal(
        error.message,
        `Cannot log in with SOAP: INVALID_LOGIN: Invalid username, password, security token; or user locked out. (500 POST ${SOAP_PATH})`,
      );
      assert.equal(error.response?.status, 500);
      return true;
    });
    // The default policy retries 5xx but not a login fault: a retried bad login can lock the user out.
    assert.equal(fetch.mock.callCount(), 1);
    assert.deepEqual(events.map((event) => event.type), ["request"]);
  });
});

Deno.test("SoapLogin reads a fault at any status and falls back to the faultcode", async () => {
  const bare =
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault><faultcode>sf:LOGIN_MUST_USE_SECURITY_TOKEN</faultcode><faultstring>LOGIN_MUST_USE_SECURITY_TOKEN: password with security token needed</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  for (const status of [200, 401, 500]) {
    const auth = new SoapLogin(CREDENTIALS);
    const { sf } = clientWith(auth, () => xmlResponse(status, bare), { retryPolicy: null });
    await assert.rejects(auth.getAccessToken(sf), (error: AuthenticationError) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.errorCode, "LOGIN_MUST_USE_SECURITY_TOKEN");
      assert.equal(
        error.message,
        `Cannot log in with SOAP: LOGIN_MUST_USE_SECURITY_TOKEN: password with security token needed (${status} POST ${SOAP_PATH})`,
      );
      return true;
    });
  }
});

Deno.test("SoapLogin tries again on the next call after a fault", async () => {
  const auth = new SoapLogin(CREDENTIALS);
  let calls = 0;
  const { sf } = clientWith(
    auth,
    () => ++calls === 1 ? xmlResponse(500, SOAP_FAULT) : xmlResponse(200, soapSuccess()),
  );
  await assert.rejects(auth.getAccessToken(sf), AuthenticationError);
  assert.equal(await auth.getAccessToken(sf), SESSION_ID);
});

Deno.test("SoapLogin refuses a session whose password has expired", async () => {
  const auth = new SoapLogin(CREDENTIALS);
  const { sf, events } = clientWith(
    auth,
    () => xmlResponse(200, soapSuccess({ passwordExpired: "true" })),
  );
  await assert.rejects(auth.getAccessToken(sf), (error: AuthenticationError) => {
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.errorCode, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD");
    assert.match(error.message, /^Cannot log in with SOAP: .*password has expired/);
    assert.ok(!error.message.includes(SESSION_ID));
    return true;
  });
  assert.deepEqual(events.map((event) => event.type), ["request"]);
});

Deno.test("SoapLogin maps an HTML error page by status", async () => {
  const auth = new SoapLogin(CREDENTIALS);
  const { sf } = clientWith(auth, () => htmlResponse(503, HTML_503), { retryPolicy: null });
  await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
    assert.ok(error instanceof ServerError);
    assert.match(error.message, /^Cannot log in with SOAP: .*We are down for maintenance/);
    assert.equal(error.response?.status, 503);
    return true;
  });
});

Deno.test("SoapLogin retries an HTML 503 page under the default policy", async () => {
  await withClock(0, async () => {
    const auth = new SoapLogin(CREDENTIALS);
    let calls = 0;
    const { sf, fetch } = clientWith(
      auth,
      () => ++calls === 1 ? htmlResponse(503, HTML_503) : xmlResponse(200, soapSuccess()),
    );
    assert.equal(await auth.getAccessToken(sf), SESSION_ID);
    assert.equal(fetch.mock.callCount(), 2);
  });
});

Deno.test("SoapLogin reports a response without a sessionId", async () => {
  const auth = new SoapLogin(CREDENTIALS);
  const { sf } = clientWith(auth, () => xmlResponse(200, soapSuccess({ sessionId: "" })));
  await assert.rejects(auth.getAccessToken(sf), {
    name: "SalesforceError",
    message: `Cannot log in with SOAP: the response holds no sessionId (200 POST ${SOAP_PATH})`,
  });
  const json = new SoapLogin(CREDENTIALS);
  const other = clientWith(
    json,
    () => jsonResponse(404, [{ errorCode: "NOT_FOUND", message: "x" }]),
  );
  await assert.rejects(json.getAccessToken(other.sf), SalesforceError);
});

Deno.test("SoapLogin re-logs in once when a REST call answers 401", async () => {
  let sessions = 0;
  const auth = new SoapLogin(CREDENTIALS);
  const { sf, requests } = clientWith(auth, (request) => {
    if (request.url.endsWith(SOAP_PATH)) {
      return xmlResponse(200, soapSuccess({ sessionId: `session-${++sessions}` }));
    }
    return request.headers.get("Authorization") === "Bearer session-2"
      ? jsonResponse(200, {})
      : jsonResponse(401, [{
        message: "Session expired or invalid",
        errorCode: "INVALID_SESSION_ID",
      }]);
  });
  const responses = await Promise.all(Array.from({ length: 5 }, () => sf.request("limits")));
  await Promise.all(responses.map((response) => response.body?.cancel()));
  assert.equal(sessions, 2);
  assert.equal(requests.filter((request) => request.url.endsWith(SOAP_PATH)).length, 2);
});

const INVALID_OPTIONS: Array<[string, unknown, RegExp]> = [
  ["no options", undefined, /"options" must be an object: received undefined/],
  [
    "a missing username",
    { password: "pw" },
    /"username" must be a non-empty string: received undefined/,
  ],
  [
    "an empty password",
    { username: "u", password: "" },
    /"password" must be a non-empty string: received an empty string/,
  ],
  [
    "a numeric password",
    { username: "u", password: 123456 },
    /"password" must be a non-empty string: received a number/,
  ],
  [
    "a non-string token",
    { username: "u", password: "pw", securityToken: 42 },
    /"securityToken" must be a non-empty string or omitted: received a number/,
  ],
  [
    "a control character",
    { username: "u", password: "pw\u0000" },
    /"password" holds a character XML 1.0 cannot carry/,
  ],
];

for (const [what, options, message] of INVALID_OPTIONS) {
  Deno.test(`SoapLogin refuses ${what} with a TypeError naming the option`, () => {
    assert.throws(() => new SoapLogin(options as never), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot create SoapLogin: /);
      assert.match(error.message, message);
      assert.ok(!error.message.includes("123456") && !error.message.includes("pw"));
      return true;
    });
  });
}

Deno.test("SoapLogin never shows a success answer it cannot read: it may hold the session id", async () => {
  for (
    const body of [
      soapSuccess().replace("<soapenv:Envelope", "<!DOCTYPE x><soapenv:Envelope"),
      soapSuccess().replace("<userEmail>", "<userEmail>&#x1;"),
    ]
  ) {
    const auth = new SoapLogin(CREDENTIALS);
    const { sf } = clientWith(auth, () => xmlResponse(200, body));
    const error = await auth.getAccessToken(sf).then(() => undefined, (e) => e);
    assert.ok(error instanceof SalesforceError, String(error));
    const shown = [String(error), error.stack, JSON.stringify(error), Deno.inspect(error)].join();
    assert.ok(!shown.includes(SESSION_ID), shown);
    assert.match(error.message, /the answer is not the SOAP envelope expected/);
  }
});

Deno.test("SoapLogin logs in at version 64.0 at most: login() is gone from 65.0 on", async () => {
  for (
    const [version, path] of [["66.0", "/services/Soap/u/64.0"], ["60.0", "/services/Soap/u/60.0"]]
  ) {
    const auth = new SoapLogin(CREDENTIALS);
    const { sf, requests } = clientWith(auth, () => xmlResponse(200, soapSuccess()), { version });
    assert.equal(await auth.getAccessToken(sf), SESSION_ID);
    assert.equal(new URL(requests[0].url).pathname, path);
  }
});
