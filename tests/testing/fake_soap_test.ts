import assert from "node:assert/strict";
import { FakeSalesforce } from "../../testing/mod.ts";
import { call, V, wire } from "./_fake.ts";

function envelope(username: string, password: string, operation = "login"): string {
  const escape = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return `<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
  <env:Body>
    <n1:${operation} xmlns:n1="urn:partner.soap.sforce.com">
      <n1:username>${escape(username)}</n1:username>
      <n1:password>${escape(password)}</n1:password>
    </n1:${operation}>
  </env:Body>
</env:Envelope>`;
}

function login(
  org: FakeSalesforce,
  body: string,
  headers: Record<string, string> = { SOAPAction: "login" },
) {
  return org.fetch(
    new Request(`${org.baseUrl}/services/Soap/u/66.0`, {
      method: "POST",
      headers: { "Content-Type": "text/xml; charset=UTF-8", ...headers },
      body,
    }),
  );
}

// salesforce-api.md §4.1, byte for byte.
const INVALID_LOGIN =
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;

Deno.test("FakeSalesforce answers SOAP login with the one-line §4.1 envelope and a working session", async () => {
  const org = new FakeSalesforce({ tokenLifetime: 900_000 });
  const c = org.credentials;
  const got = await wire(await login(org, envelope(c.username, c.password + c.securityToken)));
  assert.equal(got.status, 200);
  assert.equal(got.type, "text/xml;charset=UTF-8");
  assert.equal(got.limit, null);
  assert.equal(got.text.includes("\n"), false);
  assert.ok(
    got.text.startsWith(
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>https://fake.my.salesforce.com/services/Soap/m/66.0/00D5g0000000001</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>https://fake.my.salesforce.com/services/Soap/u/66.0/00D5g0000000001</serverUrl><sessionId>00D5g0000000001!AQ',
    ),
    got.text,
  );
  assert.ok(
    got.text.endsWith("</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"),
  );
  // aiosalesforce reads these two with plain regexes: they must be unprefixed.
  const sessionId = /<sessionId>(.+)<\/sessionId>/.exec(got.text)![1];
  assert.equal(/<sessionSecondsValid>(.+)<\/sessionSecondsValid>/.exec(got.text)![1], "900");
  assert.match(got.text, /<roleId xsi:nil="true"\/>/);
  assert.match(got.text, /<userName>admin@fake\.example\.com<\/userName>/);
  const tags = [...got.text.matchAll(/<(\w+)[ />]/g)].map((m) => m[1]);
  const info = tags.slice(tags.indexOf("userInfo") + 1);
  assert.deepEqual(
    info,
    [...info].sort(),
    "userInfo is in (ASCII) alphabetical order, as the WSDL has it",
  );
  assert.equal(org.stats.logins, 1);
  const limits = await call(org, sessionId, "GET", `${V}/limits`);
  assert.equal(limits.status, 200);
  await limits.body?.cancel();
});

Deno.test("FakeSalesforce answers a bad SOAP login with the exact INVALID_LOGIN fault and 500", async () => {
  const org = new FakeSalesforce();
  const c = org.credentials;
  for (
    const [username, password] of [[c.username, c.password], [
      "someone@else",
      c.password + c.securityToken,
    ]]
  ) {
    const got = await wire(await login(org, envelope(username, password)));
    assert.equal(got.status, 500);
    assert.equal(got.type, "text/xml;charset=UTF-8");
    assert.equal(got.text, INVALID_LOGIN);
  }
});

Deno.test("FakeSalesforce reads XML-escaped credentials in the SOAP envelope", async () => {
  const org = new FakeSalesforce();
  const c = org.credentials;
  const got = await wire(
    await login(org, envelope(c.username, c.password + c.securityToken + "&<")),
  );
  assert.equal(
    got.text,
    INVALID_LOGIN,
    "an escaped extra suffix is read, and makes the password wrong",
  );
});

Deno.test("FakeSalesforce answers SOAP faults for a missing SOAPAction, malformed XML and another operation", async () => {
  const org = new FakeSalesforce();
  const c = org.credentials;
  const noAction = await wire(await login(org, envelope(c.username, c.password), {}));
  assert.equal(noAction.status, 500);
  assert.match(
    noAction.text,
    /<faultcode>soapenv:Client<\/faultcode><faultstring>No SOAPAction header!<\/faultstring>/,
  );
  const broken = await wire(await login(org, "<env:Envelope><unclosed>"));
  assert.equal(broken.status, 500);
  assert.match(broken.text, /<faultcode>soapenv:Client<\/faultcode>/);
  const other = await wire(await login(org, envelope(c.username, c.password, "logout")));
  assert.equal(other.status, 500);
  assert.match(
    other.text,
    /No operation available for request \{urn:partner\.soap\.sforce\.com\}logout/,
  );
  const empty = await wire(await login(org, ""));
  assert.equal(empty.status, 500);
  assert.equal(org.stats.logins, 0);
});

Deno.test("FakeSalesforce never echoes the submitted password in a SOAP fault", async () => {
  const org = new FakeSalesforce();
  const secret = "S3cr3t-Pa55word";
  for (const body of [envelope("x", secret), `<a>${secret}`, `<a b="${secret}></a>`]) {
    const text = await (await login(org, body)).text();
    assert.equal(text.includes(secret), false);
  }
});
