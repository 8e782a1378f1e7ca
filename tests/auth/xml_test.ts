import assert from "node:assert/strict";
import {
  childOf,
  childrenOf,
  escapeXml,
  find,
  parseXml,
  textOf,
  type XmlElement,
} from "../../auth/_xml.ts";

const SOAP_SUCCESS = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns="urn:partner.soap.sforce.com"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <loginResponse>
   <result>
    <passwordExpired>false</passwordExpired>
    <sessionId>00D5g000004ABCD!AQ4AQFakeSessionToken.xyz</sessionId>
    <userInfo>
     <currencySymbol>$</currencySymbol>
     <profileId>00e5g000001XyZaAAC</profileId><roleId xsi:nil="true"/>
     <sessionSecondsValid>7200</sessionSecondsValid>
     <!-- also: chatterExternal -->
    </userInfo>
   </result>
  </loginResponse>
 </soapenv:Body>
</soapenv:Envelope>`;

const SOAP_FAULT =
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;

Deno.test("parseXml reads a SOAP login response with its default namespace", () => {
  const root = parseXml(SOAP_SUCCESS);
  assert.equal(root.name, "Envelope");
  assert.equal(root.prefix, "soapenv");
  assert.equal(root.namespace, "http://schemas.xmlsoap.org/soap/envelope/");
  const sessionId = find(root, "sessionId")!;
  assert.equal(sessionId.text, "00D5g000004ABCD!AQ4AQFakeSessionToken.xyz");
  assert.equal(sessionId.prefix, null);
  assert.equal(sessionId.namespace, "urn:partner.soap.sforce.com");
  const userInfo = find(root, "userInfo", "urn:partner.soap.sforce.com")!;
  assert.equal(textOf(userInfo, "sessionSecondsValid"), "7200");
  assert.equal(textOf(userInfo, "currencySymbol"), "$");
  assert.equal(find(root, "sessionId", null), undefined);
});

Deno.test("parseXml reads a SOAP fault with prefixed and unprefixed elements", () => {
  const root = parseXml(SOAP_FAULT);
  const fault = find(root, "Fault", "http://schemas.xmlsoap.org/soap/envelope/")!;
  assert.equal(textOf(fault, "faultcode"), "sf:INVALID_LOGIN");
  assert.equal(childOf(fault, "faultcode")!.namespace, null);
  const code = find(fault, "exceptionCode")!;
  assert.equal(code.text, "INVALID_LOGIN");
  assert.equal(code.prefix, "sf");
  assert.equal(code.namespace, "urn:fault.partner.soap.sforce.com");
  assert.equal(find(fault, "LoginFault")!.attributes["xsi:type"], "sf:LoginFault");
});

Deno.test("parseXml marks xsi:nil elements and textOf reports them as missing", () => {
  const root = parseXml(SOAP_SUCCESS);
  const roleId = find(root, "roleId")!;
  assert.equal(roleId.nil, true);
  assert.equal(roleId.attributes["xsi:nil"], "true");
  assert.equal(textOf(find(root, "userInfo")!, "roleId"), undefined);
  assert.equal(find(root, "profileId")!.nil, false);
  // The nil attribute counts only in the XSI namespace, and "1" is true too.
  const other = parseXml(
    '<a xmlns:x="urn:other"><b x:nil="true"/><c xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="1"/><d nil="true"/></a>',
  );
  assert.deepEqual(other.children.map((c) => c.nil), [false, true, false]);
});

Deno.test("parseXml decodes the predefined entities and numeric references", () => {
  const root = parseXml(
    `<p a="&quot;x&apos; &#65;&#x42;">&amp;&lt;&gt;&quot;&apos; &#233;&#xE9;&#x1F600;&#10;</p>`,
  );
  assert.equal(root.text, `&<>"' éé😀\n`);
  assert.equal(root.attributes.a, `"x' AB`);
});

Deno.test("parseXml keeps CDATA verbatim and joins it with surrounding text", () => {
  const root = parseXml("<a>one <![CDATA[<two> & &amp; ]]> three<b/>four</a>");
  assert.equal(root.text, "one <two> & &amp;  threefour");
  assert.equal(root.children.length, 1);
});

Deno.test("parseXml scopes namespace declarations to their element", () => {
  const root = parseXml(
    `<a xmlns="urn:one" xmlns:p="urn:p"><b xmlns="urn:two"><c/><p:d/></b><e/><f xmlns=""><g/></f><p:h xmlns:p="urn:p2"/></a>`,
  );
  const ns = (el: XmlElement | undefined) => el?.namespace;
  assert.equal(root.namespace, "urn:one");
  assert.equal(ns(find(root, "b")), "urn:two");
  assert.equal(ns(find(root, "c")), "urn:two");
  assert.equal(ns(find(root, "d")), "urn:p");
  assert.equal(ns(find(root, "e")), "urn:one");
  assert.equal(ns(find(root, "f")), null);
  assert.equal(ns(find(root, "g")), null);
  assert.equal(ns(find(root, "h")), "urn:p2");
  assert.equal(find(root, "h")!.prefix, "p");
});

Deno.test("parseXml gives unprefixed attributes no namespace and keeps qualified names", () => {
  const root = parseXml(`<a xmlns="urn:x" xmlns:y="urn:y" id='1' y:id="2"/>`);
  assert.deepEqual(root.attributes, {
    xmlns: "urn:x",
    "xmlns:y": "urn:y",
    id: "1",
    "y:id": "2",
  });
});

Deno.test("parseXml accepts declarations, comments, processing instructions and a BOM", () => {
  const root = parseXml(
    `\uFEFF<?xml version='1.0' standalone="yes"?>\n<!-- head --><?pi data?>\n<r><!----><?x?>t</r>\n<!-- tail -->\n`,
  );
  assert.equal(root.name, "r");
  assert.equal(root.text, "t");
});

Deno.test("parseXml normalises line ends in text and whitespace in attributes", () => {
  const root = parseXml(`<a v="x\r\ny\tz&#9;">1\r\n2\r3&#13;</a>`);
  assert.equal(root.text, "1\n2\n3\r");
  assert.equal(root.attributes.v, "x y z\t");
});

Deno.test("parseXml reads self-closing tags and whitespace inside tags", () => {
  const root = parseXml(`<a ><b /><c x = "1"\n/></a >`);
  assert.deepEqual(root.children.map((c) => [c.name, c.attributes]), [["b", {}], ["c", {
    x: "1",
  }]]);
});

Deno.test("parseXml stores an attribute named __proto__ as a plain attribute", () => {
  const root = parseXml(`<a __proto__="x"/>`);
  assert.equal(Object.getPrototypeOf(root.attributes), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(root.attributes, "__proto__")?.value, "x");
});

Deno.test("childrenOf, childOf and find filter by local name and namespace", () => {
  const root = parseXml(`<a xmlns:p="urn:p"><x>1</x><p:x>2</p:x><x>3</x><y><x>4</x></y></a>`);
  assert.deepEqual(childrenOf(root, "x").map((c) => c.text), ["1", "2", "3"]);
  assert.deepEqual(childrenOf(root, "x", null).map((c) => c.text), ["1", "3"]);
  assert.equal(childOf(root, "x", "urn:p")!.text, "2");
  assert.equal(childOf(root, "z"), undefined);
  assert.equal(textOf(root, "z"), undefined);
  assert.equal(find(root, "a"), root);
  assert.equal(find(childOf(root, "y")!, "x")!.text, "4");
});

const REJECTED: Array<[string, string, RegExp]> = [
  ["a mismatched closing tag", "<a><b></a></b>", /closing tag does not match.*line 1, column 7/],
  ["a prefix mismatch in a closing tag", `<p:a xmlns:p="u"></a>`, /does not match/],
  ["an unclosed element", "<a><b></b>", /element is not closed/],
  ["a closing tag without an open element", "<a/></b>", /without an open element/],
  ["an unknown entity", "<a>&nbsp;</a>", /unknown entity reference.*column 4/],
  ["an entity without a semicolon", "<a>AT&T</a>", /lacks its ";"/],
  ["a bare ampersand in an attribute", `<a v="&"/>`, /lacks its ";"/],
  [
    "a DOCTYPE",
    `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
    /DOCTYPE is not accepted/,
  ],
  ["an unbound element prefix", "<p:a/>", /element prefix is not bound/],
  ["an unbound attribute prefix", `<a p:x="1"/>`, /attribute prefix is not bound/],
  [
    "a prefix used outside its scope",
    `<a><b xmlns:p="u"/><p:c/></a>`,
    /element prefix is not bound/,
  ],
  ["a duplicate attribute", `<a x="1" x='2'/>`, /duplicate attribute.*column 10/],
  [
    "a duplicate attribute through two prefixes",
    `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`,
    /duplicate attribute/,
  ],
  ["text before the root", "hi<a/>", /text outside the root.*line 1, column 1/],
  ["text after the root", "<a/>\nhi", /text outside the root.*line 2, column 1/],
  ["an entity after the root", "<a/>&amp;", /text outside the root/],
  ["CDATA outside the root", "<a/><![CDATA[ ]]>", /text outside the root/],
  ["a second root element", "<a/><b/>", /second root/],
  ["an empty document", " \n ", /no root element/],
  ["a decimal reference to NUL", "<a>&#0;</a>", /code point XML forbids/],
  ["a hex reference to a surrogate", "<a>&#xD800;</a>", /code point XML forbids/],
  ["a reference beyond Unicode", "<a>&#x110000;</a>", /code point XML forbids/],
  ["a reference to U+FFFE", "<a>&#xFFFE;</a>", /code point XML forbids/],
  ["a malformed reference", "<a>&#x;</a>", /malformed character reference/],
  ["a non-digit decimal reference", "<a>&#12a;</a>", /malformed character reference/],
  ["a raw control character", "<a>\u0001</a>", /character XML forbids/],
  ["a lone surrogate", "<a>\uD800</a>", /lone surrogate.*column 4/],
  ["a late XML declaration", `<a/><?xml version="1.0"?>`, /declaration must come first/],
  ["a declaration after whitespace", ` <?xml version="1.0"?><a/>`, /declaration must come first/],
  ["a declaration without version", `<?xml encoding="UTF-8"?><a/>`, /malformed/],
  ["an unquoted attribute", "<a x=1/>", /quoted value expected/],
  ["an attribute without a value", "<a x/>", /"=" expected/],
  ["an attribute with < in its value", `<a x="<"/>`, /"<" is not allowed/],
  ["attributes without whitespace between", `<a x="1"y="2"/>`, /whitespace expected/],
  ["an unclosed attribute value", `<a x="1/>`, /not closed/],
  ["an unclosed start tag", "<a", /not closed/],
  ["whitespace before a tag name", "< a/>", /name expected/],
  ["a name with two colons", `<a:b:c xmlns:a="u"/>`, /misplaced colon/],
  ["an unclosed comment", "<a><!-- x</a>", /comment is not closed/],
  ["a double hyphen in a comment", "<a><!-- x -- y --></a>", /"--" is not allowed/],
  ["an unclosed CDATA section", "<a><![CDATA[x</a>", /CDATA section is not closed/],
  ["]]> in text", "<a>x]]>y</a>", /"]]>" is not allowed/],
  ["an undeclared prefix binding", `<a xmlns:p=""/>`, /cannot be undeclared/],
  ["a rebound xmlns prefix", `<a xmlns:xmlns="u"/>`, /reserved/],
];

for (const [what, xml, message] of REJECTED) {
  Deno.test(`parseXml rejects ${what} with a SyntaxError and its position`, () => {
    assert.throws(() => parseXml(xml), (error: unknown) => {
      assert.ok(error instanceof SyntaxError);
      assert.match(error.message, /^Cannot parse XML: /);
      assert.match(error.message, message);
      assert.match(error.message, /at line \d+, column \d+$/);
      return true;
    });
  });
}

Deno.test("parseXml errors never echo the document's text", () => {
  const secret = "Hunter2Secret";
  for (
    const xml of [
      `<a><p>${secret}&${secret};</p></a>`,
      `<a><p>x<${secret}></p></a>`,
      `<a ${secret}="1" ${secret}="2"/>`,
      `<${secret}:a/>`,
    ]
  ) {
    assert.throws(() => parseXml(xml), (error: Error) => !error.message.includes(secret));
  }
});

Deno.test("escapeXml escapes the five special characters and CR", () => {
  assert.equal(escapeXml(`a&b<c>d"e'f`), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  assert.equal(escapeXml("plain"), "plain");
  assert.equal(escapeXml("x\ry"), "x&#13;y");
});

Deno.test("escapeXml output parses back to the original value in text and attributes", () => {
  const value = `p&ss<w>"o'rd\r\n ]]> &amp; 😀 é`;
  const root = parseXml(`<a v="${escapeXml(value)}">${escapeXml(value)}</a>`);
  assert.equal(root.text, value);
  // Attribute values turn a literal LF into a space; everything else round-trips.
  assert.equal(root.attributes.v, value.replace("\n", " "));
});

Deno.test("escapeXml refuses characters XML cannot carry without echoing the value", () => {
  for (const value of ["secret\u0000", "secret\uFFFF", "secret\uD800"]) {
    assert.throws(() => escapeXml(value), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.ok(!error.message.includes("secret"));
      return true;
    });
  }
});
