import assert from "node:assert/strict";
import {
  parseSoql,
  SoqlError,
  type SoqlLiteral,
  type SoqlQuery,
  unescapeSoqlString,
} from "../../testing/_soql/mod.ts";

function whereValue(query: SoqlQuery): SoqlLiteral {
  const where = query.where;
  assert.ok(where !== undefined && where.kind === "compare");
  return where.value;
}

function literal(text: string): SoqlLiteral {
  return whereValue(parseSoql(`SELECT Id FROM Account WHERE Name = ${text}`));
}

function assertSoqlError(fn: () => unknown, errorCode: string, message: string): SoqlError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SoqlError, `expected SoqlError, got ${error}`);
    assert.equal(error.errorCode, errorCode);
    assert.equal(error.message, message);
    return error;
  }
  assert.fail("expected a SoqlError");
}

// Deterministic PRNG (mulberry32) so the random round trips are reproducible.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = [
  "'",
  "\\",
  '"',
  "\n",
  "\r",
  "\t",
  "\b",
  "\f",
  "%",
  "_",
  " ",
  "é",
  "ß",
  "😀",
  "中",
  "\u0000",
  "\u2028",
];

function randomString(random: () => number): string {
  const length = Math.floor(random() * 24);
  let s = "";
  for (let i = 0; i < length; i++) {
    const pick = random();
    if (pick < 0.4) s += TRICKY[Math.floor(random() * TRICKY.length)];
    else if (pick < 0.8) s += String.fromCharCode(32 + Math.floor(random() * 95));
    else s += String.fromCodePoint(0xa0 + Math.floor(random() * 0x2000));
  }
  return s;
}

// The escaper of salesforce-api.md §6.5 (aiosalesforce format_soql order).
function escapeSoql(value: string, like = false): string {
  let out = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("'", "\\'")
    .replaceAll("\n", "\\n").replaceAll("\r", "\\r").replaceAll("\t", "\\t")
    .replaceAll("\b", "\\b").replaceAll("\f", "\\f");
  if (like) out = out.replaceAll("_", "\\_").replaceAll("%", "\\%");
  return out;
}

Deno.test("parseSoql reads a field list with parent paths, the object and its alias", () => {
  const q = parseSoql("select Id, account.Name, Account.Owner.Email from Contact c");
  assert.deepEqual(
    q.select.map((s) => (s.kind === "field" ? s.path.segments.join(".") : "COUNT()")),
    ["Id", "account.Name", "Account.Owner.Email"],
  );
  assert.equal(q.from.name, "Contact");
  assert.equal(q.from.alias, "c");
  assert.equal(q.count, false);
  assert.deepEqual(q.orderBy, []);
});

Deno.test("parseSoql reads COUNT() alone and rejects it beside other fields", () => {
  const q = parseSoql("SELECT count() FROM Account");
  assert.equal(q.count, true);
  assert.deepEqual(q.select, [{ kind: "count", start: 7 }]);
  assertSoqlError(
    () => parseSoql("SELECT COUNT(), Id FROM Account"),
    "MALFORMED_QUERY",
    "\nSELECT COUNT(), Id FROM Account\n              ^\nERROR at Row:1:Column:15\nunexpected token: ','",
  );
});

Deno.test("parseSoql treats keywords case-insensitively", () => {
  const q = parseSoql(
    "sElEcT Id FrOm Account wHeRe Name != null aNd nOt Name lIkE 'a%' OrDeR bY Name dEsC nUlLs FiRsT LiMiT 5 oFfSeT 2 fOr ViEw",
  );
  assert.equal(q.where?.kind, "and");
  assert.deepEqual(q.orderBy.map((o) => [o.descending, o.nullsFirst]), [[true, true]]);
  assert.equal(q.limit, 5);
  assert.equal(q.offset, 2);
});

Deno.test("parseSoql gives NOT precedence over AND, and refuses AND mixed with OR unparenthesised", () => {
  // Salesforce: "Client applications must specify parentheses when nesting operators."
  for (
    const [where, token] of [
      ["A = 1 OR NOT B = 2 AND C = 3", "AND"],
      ["A = 1 AND B = 2 OR C = 3", "OR"],
      ["(A = 1 OR B = 2) AND C = 3 OR D = 4", "OR"],
    ]
  ) {
    assert.throws(() => parseSoql(`SELECT Id FROM Account WHERE ${where}`), (error: unknown) => {
      assert.ok(error instanceof SoqlError);
      assert.equal(error.errorCode, "MALFORMED_QUERY");
      assert.match(error.message, new RegExp(`unexpected token: '${token}'`));
      return true;
    });
  }
  const q = parseSoql("SELECT Id FROM Account WHERE A = 1 OR (NOT B = 2 AND C = 3)");
  const shape = (c: NonNullable<SoqlQuery["where"]>): unknown => {
    switch (c.kind) {
      case "and":
      case "or":
        return [c.kind, shape(c.left), shape(c.right)];
      case "not":
        return ["not", shape(c.operand)];
      case "compare":
        return c.field.segments[0];
      default:
        return c.kind;
    }
  };
  assert.deepEqual(shape(q.where!), ["or", "A", ["and", ["not", "B"], "C"]]);
  const grouped = parseSoql("SELECT Id FROM Account WHERE (A = 1 OR B = 2) AND NOT (C = 3)");
  assert.deepEqual(shape(grouped.where!), ["and", ["or", "A", "B"], ["not", "C"]]);
});

Deno.test("parseSoql reads every comparison operator and normalises <> to !=", () => {
  const ops = ["=", "!=", "<>", "<", "<=", ">", ">="].map((op) => {
    const where = parseSoql(`SELECT Id FROM Account WHERE AnnualRevenue ${op} 5`).where;
    assert.ok(where?.kind === "compare");
    return where.op;
  });
  assert.deepEqual(ops, ["=", "!=", "!=", "<", "<=", ">", ">="]);
});

Deno.test("parseSoql reads IN, NOT IN and LIKE", () => {
  const inQuery = parseSoql("SELECT Id FROM Account WHERE Industry NOT IN ('a', 'b', null)");
  assert.ok(inQuery.where?.kind === "in");
  assert.equal(inQuery.where.negated, true);
  assert.deepEqual(inQuery.where.values.map((v) => v.kind), ["string", "string", "null"]);
  const like = parseSoql("SELECT Id FROM Account WHERE Name LIKE '50\\%\\_off%'");
  assert.ok(like.where?.kind === "like");
  assert.equal(like.where.pattern.raw, "50\\%\\_off%");
  assert.equal(like.where.pattern.value, "50%_off%");
});

Deno.test("parseSoql rejects NOT LIKE, which SOQL does not have", () => {
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account WHERE Name NOT LIKE 'a%'"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account WHERE Name NOT LIKE 'a%'\n                                      ^\nERROR at Row:1:Column:39\nunexpected token: 'LIKE'",
  );
});

Deno.test("parseSoql reads numbers: integers, decimals, negatives and exponents", () => {
  assert.deepEqual(
    ["42", "-1.5", "+7", "0.25", "1e3", "-2E-2"].map((t) => {
      const v = literal(t);
      assert.ok(v.kind === "number");
      return v.value;
    }),
    [42, -1.5, 7, 0.25, 1000, -0.02],
  );
});

Deno.test("parseSoql reads true, false and null in any case", () => {
  assert.deepEqual(literal("TRUE"), { kind: "boolean", value: true, start: 36 });
  assert.deepEqual(literal("false"), { kind: "boolean", value: false, start: 36 });
  assert.deepEqual(literal("Null"), { kind: "null", start: 36 });
});

Deno.test("parseSoql reads date and dateTime literals as instants", () => {
  assert.deepEqual(literal("2024-03-15"), { kind: "date", value: "2024-03-15", start: 36 });
  const instant = Date.UTC(2024, 2, 15, 9, 30);
  const forms: [string, number][] = [
    ["2024-03-15T09:30:00Z", instant],
    ["2024-03-15T09:30:00.000Z", instant],
    ["2024-03-15T10:30:00+01:00", instant],
    ["2024-03-15T01:30:00.000-08:00", instant],
    ["2024-03-15T09:30:00.250Z", instant + 250],
  ];
  for (const [text, millis] of forms) {
    const v = literal(text);
    assert.ok(v.kind === "datetime", text);
    assert.equal(v.millis, millis, text);
    assert.equal(v.value, text);
  }
});

Deno.test("parseSoql rejects impossible dates", () => {
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account WHERE CreatedDate > 2024-02-30"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account WHERE CreatedDate > 2024-02-30\n                                           ^\nERROR at Row:1:Column:44\nunexpected token: '2024-02-30'",
  );
});

Deno.test("parseSoql reads date keywords with and without a parameter", () => {
  for (const word of ["TODAY", "yesterday", "Tomorrow", "THIS_MONTH", "LAST_90_DAYS"]) {
    const v = literal(word);
    assert.ok(v.kind === "dateKeyword");
    assert.equal(v.name, word.toUpperCase());
  }
  const last = literal("LAST_N_DAYS:30");
  assert.ok(last.kind === "dateKeyword");
  assert.deepEqual([last.name, last.n, last.text], ["LAST_N_DAYS", 30, "LAST_N_DAYS:30"]);
  const next = literal("next_n_days : 7");
  assert.ok(next.kind === "dateKeyword");
  assert.deepEqual([next.name, next.n], ["NEXT_N_DAYS", 7]);
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS\n                                                      ^\nERROR at Row:1:Column:55\nunexpected token: <EOF>",
  );
});

Deno.test("parseSoql decodes every escape of the string table", () => {
  const cases: [string, string][] = [
    ["\\n", "\n"],
    ["\\N", "\n"],
    ["\\r", "\r"],
    ["\\R", "\r"],
    ["\\t", "\t"],
    ["\\T", "\t"],
    ["\\b", "\b"],
    ["\\B", "\b"],
    ["\\f", "\f"],
    ["\\F", "\f"],
    ['\\"', '"'],
    ["\\'", "'"],
    ["\\\\", "\\"],
    ["\\u00e9", "é"],
    ["\\u00E9", "é"],
    ["a\\u0041b", "aAb"],
  ];
  for (const [raw, value] of cases) {
    const v = literal(`'${raw}'`);
    assert.ok(v.kind === "string");
    assert.equal(v.value, value, raw);
    assert.equal(unescapeSoqlString(raw), value, raw);
  }
});

Deno.test("parseSoql rejects an unknown escape with MALFORMED_QUERY", () => {
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account WHERE Name = 'a\\xb'"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account WHERE Name = 'a\\xb'\n                                    ^\nERROR at Row:1:Column:37\nInvalid string literal 'a\\xb'. Illegal character sequence '\\x' in string literal.",
  );
  for (const raw of ["\\u12", "\\u12g4", "\\U0041", "\\ ", "\\0"]) {
    assert.throws(
      () => unescapeSoqlString(raw),
      (e) => e instanceof SoqlError && e.errorCode === "MALFORMED_QUERY",
      raw,
    );
  }
});

Deno.test("parseSoql allows \\% and \\_ only in LIKE patterns", () => {
  for (const raw of ["\\%", "\\_"]) {
    const e = assertSoqlError(
      () => parseSoql(`SELECT Id FROM Account WHERE Name = '${raw}'`),
      "MALFORMED_QUERY",
      `\nSELECT Id FROM Account WHERE Name = '${raw}'\n                                    ^\nERROR at Row:1:Column:37\nInvalid string literal '${raw}'. Illegal character sequence '${raw}' in string literal.`,
    );
    assert.equal(e.column, 37);
    assert.throws(() => parseSoql(`SELECT Id FROM Account WHERE Name IN ('${raw}')`), SoqlError);
    assert.doesNotThrow(() => parseSoql(`SELECT Id FROM Account WHERE Name LIKE '${raw}'`));
  }
  assert.equal(unescapeSoqlString("50\\%\\_", { like: true }), "50%_");
  assert.throws(() => unescapeSoqlString("50\\%"), SoqlError);
});

Deno.test("parseSoql reads back 500 random strings escaped as §6.5 describes", () => {
  const random = prng(20240315);
  for (let i = 0; i < 500; i++) {
    const value = randomString(random);
    const v = literal(`'${escapeSoql(value)}'`);
    assert.ok(v.kind === "string");
    assert.equal(v.value, value, JSON.stringify(value));
    assert.equal(unescapeSoqlString(escapeSoql(value)), value);
  }
});

Deno.test("parseSoql reads ORDER BY keys with default null placement", () => {
  const q = parseSoql(
    "SELECT Id FROM Account ORDER BY Name, Industry DESC, AnnualRevenue ASC NULLS LAST, CreatedDate DESC NULLS FIRST, Parent.Name",
  );
  assert.deepEqual(
    q.orderBy.map((o) => [o.field.segments.join("."), o.descending, o.nullsFirst]),
    [
      ["Name", false, true],
      ["Industry", true, false],
      ["AnnualRevenue", false, false],
      ["CreatedDate", true, true],
      ["Parent.Name", false, true],
    ],
  );
});

Deno.test("parseSoql accepts and ignores FOR VIEW, FOR REFERENCE and FOR UPDATE", () => {
  for (const tail of ["FOR VIEW", "for reference", "FOR UPDATE"]) {
    const q = parseSoql(`SELECT Id FROM Account LIMIT 1 ${tail}`);
    assert.equal(q.limit, 1);
  }
});

Deno.test("parseSoql reports an unexpected token with its quoted text and caret", () => {
  const e = assertSoqlError(
    () => parseSoql("SELECT Id, Name, From Account"),
    "MALFORMED_QUERY",
    "\nSELECT Id, Name, From Account\n                 ^\nERROR at Row:1:Column:18\nunexpected token: 'From'",
  );
  assert.deepEqual([e.row, e.column, e.description], [1, 18, "unexpected token: 'From'"]);
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account LIMIT 5 junk"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account LIMIT 5 junk\n                               ^\nERROR at Row:1:Column:32\nunexpected token: 'junk'",
  );
  assertSoqlError(
    () => parseSoql('SELECT Id FROM Account WHERE Name = "x"'),
    "MALFORMED_QUERY",
    '\nSELECT Id FROM Account WHERE Name = "x"\n                                    ^\nERROR at Row:1:Column:37\nunexpected token: \'"\'',
  );
});

Deno.test("parseSoql reports end of input as <EOF>", () => {
  assertSoqlError(
    () => parseSoql("SELECT Id FROM"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM\n              ^\nERROR at Row:1:Column:15\nunexpected token: <EOF>",
  );
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account WHERE (Name = 'a'"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account WHERE (Name = 'a'\n                                        ^\nERROR at Row:1:Column:41\nunexpected token: <EOF>",
  );
});

Deno.test("parseSoql reports an unterminated string at end of input", () => {
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account WHERE Name = 'abc"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account WHERE Name = 'abc\n                                        ^\nERROR at Row:1:Column:41\nmismatched character '<EOF>' expecting '''",
  );
});

Deno.test("parseSoql shows the line of a multi-line query that holds the error", () => {
  const e = assertSoqlError(
    () => parseSoql("SELECT Id,\r\n  Name\nFROM Account\nWHERE Name = = 'x'"),
    "MALFORMED_QUERY",
    "\nWHERE Name = = 'x'\n             ^\nERROR at Row:4:Column:14\nunexpected token: '='",
  );
  assert.deepEqual([e.row, e.column], [4, 14]);
});

Deno.test("parseSoql rejects reserved words as field names and bad LIMIT values", () => {
  assertSoqlError(
    () => parseSoql("SELECT Id, Limit FROM Account"),
    "MALFORMED_QUERY",
    "\nSELECT Id, Limit FROM Account\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'Limit'",
  );
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account LIMIT -1"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account LIMIT -1\n                             ^\nERROR at Row:1:Column:30\nunexpected token: '-1'",
  );
  assertSoqlError(
    () => parseSoql("SELECT Id FROM Account LIMIT 1.5"),
    "MALFORMED_QUERY",
    "\nSELECT Id FROM Account LIMIT 1.5\n                             ^\nERROR at Row:1:Column:30\nunexpected token: '1.5'",
  );
});

Deno.test("parseSoql reads a 1 KB query", () => {
  let where = "Name LIKE 'a%'";
  while (where.length < 1000) {
    where += ` AND (Industry IN ('Energy', 'Retail') OR AnnualRevenue >= 1000)`;
  }
  const q = parseSoql(`SELECT Id, Name, Account.Owner.Email FROM Account WHERE ${where} LIMIT 10`);
  assert.equal(q.limit, 10);
  assert.equal(q.where?.kind, "and");
});

Deno.test("parseSoql reads a child subquery in the field list, one level deep", () => {
  const q = parseSoql(
    "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != null ORDER BY LastName LIMIT 5) FROM Account",
  );
  const sub = q.select[1];
  assert.ok(sub.kind === "subquery");
  assert.equal(sub.start, 13);
  assert.equal(sub.query.from.name, "Contacts");
  assert.equal(sub.query.limit, 5);
  assert.equal(sub.query.orderBy.length, 1);
  assertSoqlError(
    () => parseSoql("SELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account"),
    "MALFORMED_QUERY",
    "\nSELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account\n                       ^\nERROR at Row:1:Column:24\nunexpected token: '('",
  );
  assertSoqlError(
    () => parseSoql("SELECT Id, (SELECT COUNT() FROM Contacts) FROM Account"),
    "MALFORMED_QUERY",
    "\nSELECT Id, (SELECT COUNT() FROM Contacts) FROM Account\n                        ^\nERROR at Row:1:Column:25\nunexpected token: '('",
  );
});

Deno.test("parseSoql says so when valid SOQL uses what the fake does not implement", () => {
  const unsupported = /\(FakeSalesforce does not implement GROUP BY, HAVING, aggregate functions/;
  for (
    const soql of [
      "SELECT Industry FROM Account GROUP BY Industry",
      "SELECT COUNT(Id) FROM Account",
      "SELECT SUM(AnnualRevenue) FROM Account",
      "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
      "SELECT Id FROM Account WHERE AnnualRevenue > USD5000",
      "SELECT Name, COUNT(Id) FROM Account GROUP BY Name",
      "SELECT Id FROM Account WHERE Name INCLUDES ('a')",
    ]
  ) {
    assert.throws(() => parseSoql(soql), (error: unknown) => {
      assert.ok(error instanceof SoqlError);
      assert.equal(error.errorCode, "MALFORMED_QUERY");
      assert.match(error.message, unsupported, soql);
      return true;
    });
  }
  // A plain mistake is not blamed on the fake.
  assert.throws(() => parseSoql("SELECT Id FORM Account"), (error: unknown) => {
    assert.ok(error instanceof SoqlError);
    assert.doesNotMatch(error.message, unsupported);
    return true;
  });
});

Deno.test("parseSoql takes 200 levels of NOT and parentheses and refuses deeper ones as MALFORMED_QUERY", () => {
  const nots = (n: number) => `SELECT Id FROM Account WHERE ${"NOT ".repeat(n)}Name = 'a'`;
  const parens = (n: number) =>
    `SELECT Id FROM Account WHERE ${"(".repeat(n)}Name = 'a'${")".repeat(n)}`;
  let condition = parseSoql(nots(200)).where!;
  for (let i = 0; i < 200; i++) {
    assert.equal(condition.kind, "not");
    condition = (condition as { operand: typeof condition }).operand;
  }
  assert.equal(condition.kind, "compare");
  assert.equal(parseSoql(parens(200)).where!.kind, "compare");
  // Thousands deep would overflow the stack: the org would answer 500, which clients retry.
  for (
    const [soql, column] of [
      [nots(201), 830],
      [parens(201), 230],
      [nots(20_000), 830],
      [parens(20_000), 230],
    ] as const
  ) {
    assert.throws(() => parseSoql(soql), (error: unknown) => {
      assert.ok(error instanceof SoqlError);
      assert.equal(error.errorCode, "MALFORMED_QUERY");
      assert.equal(error.description, "conditions nested deeper than 200 levels");
      // At the first NOT or parenthesis past the limit.
      assert.equal(error.column, column);
      return true;
    });
  }
});
