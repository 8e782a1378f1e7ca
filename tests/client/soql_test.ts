import assert from "node:assert/strict";
import { formatSoql, like, LikeFragment, quoteSoqlString, soql } from "../../client/soql.ts";
import { parseSoql, unescapeSoqlString } from "../../testing/_soql/mod.ts";

const TYPES = "a string, number, bigint, boolean, null, Date or an array of those";
const ELEMENT_TYPES = "a string, number, bigint, boolean, null or Date";

// ---- strings and escapes -----------------------------------------------------------------

const ESCAPE_TABLE: Array<[string, string, string]> = [
  ["a backslash", "a\\b", String.raw`'a\\b'`],
  ["a single quote", "O'Brien", String.raw`'O\'Brien'`],
  ["a double quote", 'say "hi"', String.raw`'say \"hi\"'`],
  ["a newline", "a\nb", String.raw`'a\nb'`],
  ["a carriage return", "a\rb", String.raw`'a\rb'`],
  ["a tab", "a\tb", String.raw`'a\tb'`],
  ["a backspace", "a\bb", String.raw`'a\bb'`],
  ["a form feed", "a\fb", String.raw`'a\fb'`],
  ["a NUL", "a\0b", String.raw`'a\u0000b'`],
  ["a bell", "a\u0007b", String.raw`'a\u0007b'`],
  ["a vertical tab", "a\vb", String.raw`'a\u000Bb'`],
  ["an escape", "a\u001bb", String.raw`'a\u001Bb'`],
  ["a DEL", "a\u007fb", String.raw`'a\u007Fb'`],
  ["a C1 control", "a\u0085b", String.raw`'a\u0085b'`],
  ["a lone high surrogate", "a\ud83db", String.raw`'a\uD83Db'`],
  ["a lone low surrogate", "a\ude00b", String.raw`'a\uDE00b'`],
  ["a backslash before a quote", "\\'", String.raw`'\\\''`],
  ["an escape sequence typed as text", "\\n", String.raw`'\\n'`],
  ["% and _ (no escape outside LIKE)", "50%_off", "'50%_off'"],
  ["non-ASCII text", "Café 日本 😀", "'Café 日本 😀'"],
  ["an empty string", "", "''"],
];

for (const [what, input, expected] of ESCAPE_TABLE) {
  Deno.test(`soql quotes and escapes a string with ${what}`, () => {
    assert.equal(soql`Name = ${input}`, `Name = ${expected}`);
    assert.equal(formatSoql("Name = {v}", { v: input }), `Name = ${expected}`);
    assert.equal(quoteSoqlString(input), expected);
  });
}

Deno.test("soql escapes every character of a mixed string exactly once", () => {
  assert.equal(
    soql`X = ${"\\'\"\n\r\t\b\f"}`,
    String.raw`X = '\\\'\"\n\r\t\b\f'`,
  );
});

Deno.test("soql escapes a backslash first, so an escaped quote is not double-escaped", () => {
  // Python's format_soql replaces `\` before `'`; a naive reverse order would give `\\\\'`.
  assert.equal(quoteSoqlString("\\'"), String.raw`'\\\''`);
});

// ---- other value types -------------------------------------------------------------------

const NUMBER_TABLE: Array<[number, string]> = [
  [0, "0"],
  [-0, "0"],
  [42, "42"],
  [-7, "-7"],
  [1.5, "1.5"],
  [-0.25, "-0.25"],
  [0.1 + 0.2, "0.30000000000000004"],
  [1e20, "100000000000000000000"],
  [1e21, "1000000000000000000000"],
  [-2.5e25, "-25000000000000000000000000"],
  [1.5e-7, "0.00000015"],
  [-1e-7, "-0.0000001"],
  [1.2345e-10, "0.00000000012345"],
  [Number.MAX_SAFE_INTEGER, "9007199254740991"],
];

for (const [value, expected] of NUMBER_TABLE) {
  Deno.test(`soql writes the number ${Object.is(value, -0) ? "-0" : value} as ${expected}`, () => {
    assert.equal(soql`Amount = ${value}`, `Amount = ${expected}`);
    assert.equal(formatSoql("Amount = {v}", { v: value }), `Amount = ${expected}`);
  });
}

Deno.test("soql never writes an exponent, even for the largest and smallest doubles", () => {
  for (const value of [Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 1e300, 5e-324]) {
    const text = soql`${value}`;
    assert.match(text, /^-?\d+(\.\d+)?$/);
    assert.equal(Number(text), value);
  }
});

Deno.test("soql writes bigints as their digits", () => {
  assert.equal(soql`N = ${12345678901234567890n}`, "N = 12345678901234567890");
  assert.equal(soql`N = ${-5n}`, "N = -5");
});

Deno.test("soql writes booleans, null and undefined as SOQL keywords", () => {
  assert.equal(soql`${true} ${false} ${null} ${undefined}`, "true false null null");
  assert.equal(
    formatSoql("{t} {f} {n} {u}", { t: true, f: false, n: null, u: undefined }),
    "true false null null",
  );
});

Deno.test("soql writes a Date as a UTC dateTime literal with milliseconds", () => {
  const date = new Date(Date.UTC(2024, 2, 15, 9, 30, 0, 0));
  assert.equal(soql`CreatedDate > ${date}`, "CreatedDate > 2024-03-15T09:30:00.000Z");
  const withMillis = new Date("2024-03-15T10:30:05.123+01:00");
  assert.equal(soql`${withMillis}`, "2024-03-15T09:30:05.123Z");
  assert.equal(soql`${new Date("0000-01-01T00:00:00Z")}`, "0000-01-01T00:00:00.000Z");
  assert.equal(soql`${new Date("9999-12-31T23:59:59.999Z")}`, "9999-12-31T23:59:59.999Z");
});

Deno.test("soql writes an array as a parenthesised list of literals for IN", () => {
  const date = new Date(Date.UTC(2024, 0, 2));
  assert.equal(
    soql`Id IN ${["001A", "O'B", 1, 2n, true, null, undefined, date]}`,
    String.raw`Id IN ('001A','O\'B',1,2,true,null,null,2024-01-02T00:00:00.000Z)`,
  );
  assert.equal(soql`Id IN ${["only"]}`, "Id IN ('only')");
  assert.equal(formatSoql("Id IN {ids}", { ids: ["a", "b"] }), "Id IN ('a','b')");
});

Deno.test("soql keeps the template text as written, backslashes included", () => {
  assert.equal(
    soql`SELECT Id FROM Contact WHERE LastName = 'O\'Brien' AND Name = ${"x"}`,
    String.raw`SELECT Id FROM Contact WHERE LastName = 'O\'Brien' AND Name = 'x'`,
  );
  assert.equal(soql`SELECT Id FROM Account`, "SELECT Id FROM Account");
});

// ---- LIKE --------------------------------------------------------------------------------

Deno.test("like() renders a fragment escaped for LIKE and without quotes", () => {
  assert.equal(
    soql`SELECT Id FROM Account WHERE Name LIKE '%${like("50%_off")}%'`,
    String.raw`SELECT Id FROM Account WHERE Name LIKE '%50\%\_off%'`,
  );
  assert.equal(
    soql`Name LIKE '${like('O\'Brien\\ "x"\n\t')}%'`,
    String.raw`Name LIKE 'O\'Brien\\ \"x\"\n\t%'`,
  );
  assert.equal(soql`Name LIKE '${like("")}%'`, "Name LIKE '%'");
});

Deno.test("like() returns a LikeFragment holding the text", () => {
  const fragment = like("a_b");
  assert.ok(fragment instanceof LikeFragment);
  assert.equal(fragment.fragment, "a_b");
});

Deno.test("formatSoql renders {name:like} and like() values as LIKE pattern bodies", () => {
  assert.equal(
    formatSoql("Name LIKE '%{frag:like}%'", { frag: "100%_x" }),
    String.raw`Name LIKE '%100\%\_x%'`,
  );
  assert.equal(
    formatSoql("Name LIKE '%{frag}%'", { frag: like("100%") }),
    String.raw`Name LIKE '%100\%%'`,
  );
  assert.equal(
    formatSoql("Name LIKE '%{frag:like}%'", { frag: like("a_") }),
    String.raw`Name LIKE '%a\_%'`,
  );
});

// ---- formatSoql placeholders -------------------------------------------------------------

Deno.test("formatSoql turns {{ and }} into literal braces", () => {
  assert.equal(formatSoql("a {{b}} {{{v}}} }}{{", { v: 1 }), "a {b} {1} }{");
  assert.equal(formatSoql("Name = '{{v}}'", {}), "Name = '{v}'");
});

Deno.test("formatSoql fills repeated, adjacent and digit-named placeholders", () => {
  assert.equal(
    formatSoql("{a}{a} {b_2}{0}", { a: "x", b_2: 2, 0: true }),
    "'x''x' 2true",
  );
});

Deno.test("formatSoql ignores parameters the template does not use", () => {
  assert.equal(formatSoql("LIMIT {n}", { n: 5, unused: {}, other: NaN }), "LIMIT 5");
});

Deno.test("formatSoql leaves a template without placeholders unchanged", () => {
  assert.equal(formatSoql("SELECT Id FROM Account", {}), "SELECT Id FROM Account");
  assert.equal(formatSoql("", {}), "");
});

Deno.test("formatSoql looks up own parameters only, not inherited ones", () => {
  assert.throws(() => formatSoql("{toString}", {}), {
    name: "TypeError",
    message: 'Cannot format SOQL: no value for placeholder "{toString}"',
  });
  const inherited = Object.create({ name: "x" }) as Record<string, unknown>;
  assert.throws(() => formatSoql("{name}", inherited), {
    name: "TypeError",
    message: 'Cannot format SOQL: no value for placeholder "{name}"',
  });
});

// ---- errors ------------------------------------------------------------------------------

function throwsType(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("formatSoql names a placeholder that has no value", () => {
  throwsType(
    () => formatSoql("Name = {name}", { other: 1 }),
    'Cannot format SOQL: no value for placeholder "{name}"',
  );
  throwsType(
    () => formatSoql("Name LIKE '{frag:like}'", {}),
    'Cannot format SOQL: no value for placeholder "{frag:like}"',
  );
});

Deno.test("formatSoql rejects an unknown format spec", () => {
  throwsType(
    () => formatSoql("{name:upper}", { name: "x" }),
    'Cannot format SOQL: unknown format spec "upper" in placeholder "{name:upper}": ' +
      'expected "like" or none',
  );
  throwsType(
    () => formatSoql("{name:}", { name: "x" }),
    'Cannot format SOQL: unknown format spec "" in placeholder "{name:}": expected "like" or none',
  );
});

Deno.test("formatSoql rejects unmatched braces", () => {
  throwsType(
    () => formatSoql("Name = {name", { name: "x" }),
    'Cannot format SOQL: unmatched "{" at offset 7 of the template: write "{{" for a literal brace',
  );
  throwsType(
    () => formatSoql("Name = name}", { name: "x" }),
    'Cannot format SOQL: unmatched "}" at offset 11 of the template: write "}}" for a literal brace',
  );
});

Deno.test("formatSoql rejects a placeholder whose name is not letters, digits and _", () => {
  const rest = 'write "{name}" or "{name:like}" with a name of letters, digits and "_", ' +
    'or "{{" for a literal brace';
  throwsType(
    () => formatSoql("A {first name} B", {}),
    `Cannot format SOQL: invalid placeholder "{first name}" at offset 2 of the template: ${rest}`,
  );
  throwsType(
    () => formatSoql("{}", {}),
    `Cannot format SOQL: invalid placeholder "{}" at offset 0 of the template: ${rest}`,
  );
  throwsType(
    () => formatSoql("{a{b}", {}),
    `Cannot format SOQL: invalid placeholder "{a{b}" at offset 0 of the template: ${rest}`,
  );
});

Deno.test("formatSoql rejects a template or params of the wrong type", () => {
  throwsType(
    () => formatSoql(42 as unknown as string, {}),
    'Cannot format SOQL: "template" must be a string: received the number 42',
  );
  throwsType(
    () => formatSoql("{a}", null as unknown as Record<string, unknown>),
    'Cannot format SOQL: "params" must be an object: received null',
  );
  throwsType(
    () => formatSoql("{a}", ["x"] as unknown as Record<string, unknown>),
    'Cannot format SOQL: "params" must be an object: received an array',
  );
});

const BAD_VALUES: Array<[string, unknown, string]> = [
  ["a plain object", { a: 1 }, "an object"],
  ["an object without a prototype", Object.create(null), "an object"],
  ["a Map", new Map(), "an instance of Map"],
  ["a Set", new Set(["a"]), "an instance of Set"],
  ["a function", () => 1, "a function"],
  ["a symbol", Symbol("x"), "a symbol"],
];

for (const [what, value, description] of BAD_VALUES) {
  Deno.test(`soql and formatSoql reject ${what}, naming the value's position`, () => {
    throwsType(
      () => formatSoql("Id IN {ids}", { ids: value }),
      `Cannot format SOQL: value for "{ids}" must be ${TYPES}: received ${description}`,
    );
    throwsType(
      () => soql`Name = ${"x"} AND Id IN ${value}`,
      `Cannot format SOQL: value for "\${2}" must be ${TYPES}: received ${description}`,
    );
  });
}

for (const value of [NaN, Infinity, -Infinity]) {
  Deno.test(`soql and formatSoql reject ${value}`, () => {
    throwsType(
      () => formatSoql("Amount = {n}", { n: value }),
      `Cannot format SOQL: value for "{n}" must be a finite number: received ${value}`,
    );
    throwsType(
      () => soql`Amount = ${value}`,
      `Cannot format SOQL: value for "\${1}" must be a finite number: received ${value}`,
    );
  });
}

Deno.test("soql and formatSoql reject an invalid Date", () => {
  throwsType(
    () => formatSoql("CreatedDate > {d}", { d: new Date("nope") }),
    'Cannot format SOQL: value for "{d}" must be a valid Date: received an invalid Date',
  );
  throwsType(
    () => soql`CreatedDate > ${new Date(NaN)}`,
    'Cannot format SOQL: value for "${1}" must be a valid Date: received an invalid Date',
  );
});

Deno.test("soql rejects a Date outside the years 0000 to 9999 with a RangeError", () => {
  for (
    const [date, text] of [
      [new Date(Date.UTC(10000, 0, 1)), "+010000-01-01T00:00:00.000Z"],
      [new Date(Date.UTC(-1, 0, 1)), "-000001-01-01T00:00:00.000Z"],
    ] as const
  ) {
    assert.throws(() => soql`${date}`, {
      name: "RangeError",
      message:
        `Cannot format SOQL: value for "\${1}" must be a Date in the years 0000 to 9999: received ${text}`,
    });
  }
});

Deno.test("soql and formatSoql reject an empty array, since IN () is a syntax error", () => {
  throwsType(
    () => formatSoql("Id IN {ids}", { ids: [] }),
    'Cannot format SOQL: value for "{ids}" must be a non-empty array ("IN ()" is not valid SOQL): ' +
      "received an empty array",
  );
  throwsType(
    () => soql`Id IN ${[]}`,
    'Cannot format SOQL: value for "${1}" must be a non-empty array ("IN ()" is not valid SOQL): ' +
      "received an empty array",
  );
});

Deno.test("soql and formatSoql reject a bad array element, naming its index", () => {
  throwsType(
    () => formatSoql("Id IN {ids}", { ids: ["a", ["b"]] }),
    `Cannot format SOQL: value for "{ids}[1]" must be ${ELEMENT_TYPES}: received an array`,
  );
  throwsType(
    () => soql`Id IN ${["a", "b", { c: 1 }]}`,
    `Cannot format SOQL: value for "\${1}[2]" must be ${ELEMENT_TYPES}: received an object`,
  );
  throwsType(
    () => soql`Name IN ${[like("a")]}`,
    `Cannot format SOQL: value for "\${1}[0]" must be ${ELEMENT_TYPES}: received a like() fragment`,
  );
  throwsType(
    () => soql`Amount IN ${[1, NaN]}`,
    'Cannot format SOQL: value for "${1}[1]" must be a finite number: received NaN',
  );
  throwsType(
    () => soql`D IN ${[new Date(NaN)]}`,
    'Cannot format SOQL: value for "${1}[0]" must be a valid Date: received an invalid Date',
  );
});

Deno.test("like() rejects a fragment that is not a string", () => {
  throwsType(
    () => like(5 as unknown as string),
    'Cannot create LIKE fragment: "fragment" must be a string: received the number 5',
  );
  throwsType(
    () => like(null as unknown as string),
    'Cannot create LIKE fragment: "fragment" must be a string: received null',
  );
});

Deno.test("formatSoql rejects a {name:like} value that is not a string", () => {
  throwsType(
    () => formatSoql("Name LIKE '{frag:like}%'", { frag: 5 }),
    'Cannot format SOQL: value for "{frag:like}" must be a string: received the number 5',
  );
  throwsType(
    () => formatSoql("Name LIKE '{frag:like}%'", { frag: null }),
    'Cannot format SOQL: value for "{frag:like}" must be a string: received null',
  );
});

Deno.test("quoteSoqlString rejects a value that is not a string", () => {
  throwsType(
    () => quoteSoqlString(true as unknown as string),
    'Cannot quote SOQL string: "value" must be a string: received the boolean true',
  );
});

Deno.test("soql rejects being called as a plain function", () => {
  throwsType(
    () => (soql as unknown as (text: string) => string)("SELECT Id FROM Account"),
    "Cannot format SOQL: soql must be used as a tagged template: soql`SELECT ...`",
  );
});

Deno.test("error messages do not print the contents of a rejected object", () => {
  try {
    formatSoql("{v}", { v: { password: "hunter2" } });
    assert.fail("expected a TypeError");
  } catch (error) {
    assert.ok(error instanceof TypeError);
    assert.doesNotMatch(error.message, /hunter2|password/);
  }
});

// ---- round trips through the fake org's SOQL parser --------------------------------------

// mulberry32: a tiny seeded PRNG, so a failure reproduces.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  "'",
  '"',
  "\\",
  "%",
  "_",
  "\n",
  "\r",
  "\t",
  "\b",
  "\f",
  " ",
  "  ",
  ..."abcxyzABCXYZ",
  "0",
  "9",
  "é",
  "日本",
  "😀",
  "👍🏽",
  "\0",
  "\u0007",
  "\u001f",
  "\u007f",
  "\u0085",
  "\ud83d", // lone high surrogate
  "\ude00", // lone low surrogate
  "{",
  "}",
  "n",
  "u",
  "\\u",
];

function randomString(random: () => number): string {
  const length = Math.floor(random() * 24);
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return text;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

// An independent LIKE decoder (salesforce-api.md §6.5): decodes escapes and counts the bare
// wildcards, which must be zero for a like() fragment.
function decodeLike(raw: string): { text: string; wildcards: number } {
  const simple: Record<string, string> = {
    n: "\n",
    r: "\r",
    t: "\t",
    b: "\b",
    f: "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "%": "%",
    _: "_",
  };
  let text = "";
  let wildcards = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\") {
      const e = raw[++i];
      if (e === "u") {
        text += String.fromCharCode(parseInt(raw.slice(i + 1, i + 5), 16));
        i += 4;
      } else {
        assert.ok(e in simple, `invalid escape \\${e} in ${JSON.stringify(raw)}`);
        text += simple[e];
      }
    } else if (c === "%" || c === "_") {
      wildcards++;
      text += c;
    } else {
      text += c;
    }
  }
  return { text, wildcards };
}

Deno.test("1,000 random strings survive formatSoql and the fake org's SOQL parser unchanged", () => {
  const random = prng(20_240_315);
  for (let n = 0; n < 1_000; n++) {
    const value = randomString(random);
    const query = formatSoql("SELECT Id FROM Account WHERE Name = {v}", { v: value });
    // Whatever the value, the query text carries no raw control character.
    assert.equal(hasControlCharacter(query), false, JSON.stringify(value));
    assert.equal(soql`SELECT Id FROM Account WHERE Name = ${value}`, query);
    const parsed = parseSoql(query);
    const where = parsed.where;
    assert.ok(where?.kind === "compare", JSON.stringify(query));
    assert.equal(where.op, "=");
    assert.ok(where.value.kind === "string");
    assert.equal(where.value.value, value, JSON.stringify(value));
    assert.equal(unescapeSoqlString(where.value.raw), value, JSON.stringify(value));
  }
});

Deno.test("1,000 random like() fragments unescape back to the input with no bare wildcard", () => {
  const random = prng(424_242);
  for (let n = 0; n < 1_000; n++) {
    const value = randomString(random);
    const query = soql`SELECT Id FROM Account WHERE Name LIKE '%${like(value)}%'`;
    assert.equal(
      formatSoql("SELECT Id FROM Account WHERE Name LIKE '%{v:like}%'", { v: value }),
      query,
    );
    const where = parseSoql(query).where;
    assert.ok(where?.kind === "like", JSON.stringify(query));
    const raw = where.pattern.raw;
    assert.ok(raw.startsWith("%") && raw.endsWith("%"), JSON.stringify(raw));
    const body = raw.slice(1, -1);
    assert.equal(unescapeSoqlString(body, { like: true }), value, JSON.stringify(value));
    const decoded = decodeLike(body);
    assert.equal(decoded.wildcards, 0, JSON.stringify(body));
    assert.equal(decoded.text, value, JSON.stringify(value));
  }
});

Deno.test("random numbers, dates and lists survive the fake org's SOQL parser", () => {
  const random = prng(7);
  for (let n = 0; n < 1_000; n++) {
    const magnitude = Math.floor(random() * 60) - 30;
    const sign = random() < 0.5 ? -1 : 1;
    const number = sign * random() * 10 ** magnitude;
    const date = new Date(Math.floor(random() * 253_402_300_800_000)); // 1970 to 9999
    const query = soql`SELECT Id FROM Account WHERE AnnualRevenue = ${number} AND ` +
      soql`CreatedDate > ${date} AND Name IN ${[randomString(random), number, null]}`;
    assert.doesNotMatch(soql`${number}`, /e/i, String(number));
    const where = parseSoql(query).where;
    assert.ok(where?.kind === "and" && where.left.kind === "and", query);
    const [numberCondition, dateCondition] = [where.left.left, where.left.right];
    assert.ok(numberCondition.kind === "compare" && numberCondition.value.kind === "number");
    assert.equal(numberCondition.value.value, number, query);
    assert.ok(dateCondition.kind === "compare" && dateCondition.value.kind === "datetime");
    assert.equal(dateCondition.value.millis, date.getTime(), query);
    assert.ok(where.right.kind === "in");
    assert.equal(where.right.values.length, 3);
  }
});
