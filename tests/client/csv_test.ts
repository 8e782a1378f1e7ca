import assert from "node:assert/strict";
import {
  CsvChunker,
  CsvEncoderStream,
  encodeCsv,
  formatCsvCell,
  formatCsvDate,
  formatCsvNumber,
  formatCsvRow,
  inferColumns,
  parseCsv,
  parseCsvRows,
  readCsvRecords,
  readCsvRows,
  stringifyCsv,
  stringifyCsvRows,
  utf8ByteLength,
} from "../../client/_csv.ts";
import { CsvParser, CsvRecordEncoder } from "../../client/_csv.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A stream of `data` cut at the given sizes, used in turn. */
function streamOf(
  data: Uint8Array,
  sizes: number[] = [data.length || 1],
): ReadableStream<Uint8Array> {
  let offset = 0;
  let turn = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= data.length) {
        controller.close();
        return;
      }
      const size = sizes[turn++ % sizes.length];
      controller.enqueue(data.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

// mulberry32: a tiny seeded PRNG so that a failing case can be replayed.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Writer

Deno.test("CsvRecordEncoder writes the header and rows byte for byte", () => {
  const csv = new CsvRecordEncoder(["Id", "Name", "Amount", "Big", "IsActive", "Close", "Note"]);
  assert.equal(csv.headerText(), "Id,Name,Amount,Big,IsActive,Close,Note\n");
  assert.deepEqual(csv.header(), bytes("Id,Name,Amount,Big,IsActive,Close,Note\n"));
  const row = csv.encodeText({
    Id: "001000000000001AAA",
    Name: "Acme",
    Amount: 1500.5,
    Big: 12345678901234567890n,
    IsActive: true,
    Close: new Date(Date.UTC(2024, 2, 15, 9, 30)),
    Note: null,
  }, 0);
  assert.equal(
    row,
    "001000000000001AAA,Acme,1500.5,12345678901234567890,true,2024-03-15T09:30:00.000Z,\n",
  );
  assert.equal(csv.encodeText({ IsActive: false, Note: undefined }, 1), ",,,,false,,\n");
});

Deno.test("CsvRecordEncoder.encode returns the UTF-8 bytes of encodeText", () => {
  const csv = new CsvRecordEncoder(["Name"]);
  const row = csv.encode({ Name: "Café ☕ 🎉" }, 0);
  assert.deepEqual(row, bytes("Café ☕ 🎉\n"));
  assert.equal(row.length, utf8ByteLength("Café ☕ 🎉\n"));
});

Deno.test("formatCsvCell quotes only cells that need it and doubles quotes", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ["line\nbreak", '"line\nbreak"'],
    ["cr\rhere", '"cr\rhere"'],
    ["crlf\r\n", '"crlf\r\n"'],
    [" lead", '" lead"'],
    ["trail ", '"trail "'],
    ["\ttab", '"\ttab"'],
    ["tab\t", '"tab\t"'],
    ["in side", "in side"],
    ["\uFEFFbom", '"\uFEFFbom"'],
    ["mid\uFEFF", "mid\uFEFF"],
    ["🎉", "🎉"],
  ];
  for (const [input, expected] of cases) assert.equal(formatCsvCell(input), expected, input);
});

Deno.test("CsvRecordEncoder quotes header cells by the same rule", () => {
  const csv = new CsvRecordEncoder(["a,b", 'q"', " s"]);
  assert.equal(csv.headerText(), '"a,b","q"""," s"\n');
  assert.equal(csv.encodeText({ "a,b": 1, 'q"': "x,y", " s": " " }, 0), '1,"x,y"," "\n');
});

Deno.test("formatCsvNumber writes plain decimal digits, never an exponent", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "0"],
    [42, "42"],
    [-7.25, "-7.25"],
    [0.1, "0.1"],
    [0.000001, "0.000001"],
    [1.5e-7, "0.00000015"],
    [-2.5e-8, "-0.000000025"],
    [1e-7, "0.0000001"],
    [1e21, "1000000000000000000000"],
    [1.234e22, "12340000000000000000000"],
    [-1e21, "-1000000000000000000000"],
    [123456789012345680000, "123456789012345680000"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(formatCsvNumber(input), expected, String(input));
    assert.equal(Number(formatCsvNumber(input)), input === 0 ? 0 : input);
  }
});

Deno.test("formatCsvDate matches toISOString across years 0 to 9999 and beyond", () => {
  const random = prng(7);
  const times = [
    0,
    -1,
    951_782_400_000, // 2000-02-29
    -62_167_219_200_000, // 0000-01-01
    253_402_300_799_999, // 9999-12-31T23:59:59.999
    253_402_300_800_000, // +010000-01-01
    -62_167_219_200_001, // -000001-12-31
  ];
  for (let i = 0; i < 20_000; i++) times.push(Math.floor((random() * 2 - 1) * 253_402_300_800_000));
  for (const time of times) {
    const date = new Date(time);
    assert.equal(formatCsvDate(date), date.toISOString(), String(time));
  }
});

Deno.test("CsvRecordEncoder writes relationship objects as Rel.Field columns", () => {
  const csv = new CsvRecordEncoder(["LastName", "Account.ExtId__c", "Parent__r.ExtId__c"]);
  assert.equal(
    csv.encodeText({
      LastName: "Doe",
      Account: { ExtId__c: "A1" },
      Parent__r: { ExtId__c: "P1" },
    }, 0),
    "Doe,A1,P1\n",
  );
  // A custom relationship keyed by its field name, and a key already flattened by the caller.
  assert.equal(
    csv.encodeText({ LastName: "Roe", Parent__c: { ExtId__c: "P2" }, "Account.ExtId__c": "A2" }, 1),
    "Roe,A2,P2\n",
  );
  // null under a relationship key means "no parent".
  assert.equal(csv.encodeText({ LastName: "Poe", Account: null }, 2), "Poe,,\n");
});

Deno.test("inferColumns lists keys in order and flattens relationships, __c becoming __r", () => {
  assert.deepEqual(
    inferColumns({
      Id: "001",
      Account: { ExtId__c: "A1" },
      Parent__c: { ExtId__c: "x", Name: "n" },
      Amount__c: 5,
      Gone: undefined,
      Owner__c: null,
    }),
    ["Id", "Account.ExtId__c", "Parent__r.ExtId__c", "Parent__r.Name", "Amount__c", "Owner__c"],
  );
  assert.throws(() => inferColumns(null as unknown as object), {
    name: "TypeError",
    message: 'Cannot infer CSV columns: "record" must be a plain object: received null',
  });
});

Deno.test("CsvRecordEncoder rejects a field that is not in the column list, naming it and the record", () => {
  const csv = new CsvRecordEncoder(["Id", "Name"]);
  assert.throws(() => csv.encodeText({ Id: "1", Name: "a", Phone: "555" }, 7), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 7: field "Phone" is not in the column list ("Id", "Name")',
  });
  assert.throws(() => csv.encodeText({ Id: "1", Account: { ExtId__c: "A1" } }, 3), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 3: field "Account.ExtId__c" is not in the column list ("Id", "Name")',
  });
  const related = new CsvRecordEncoder(["Id", "Account.ExtId__c"]);
  assert.throws(() => related.encodeText({ Id: "1", Account: { ExtId__c: "A", Name: "x" } }, 0), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 0: field "Account.Name" is not in the column list ("Id", "Account.ExtId__c")',
  });
  // A key holding undefined is absent, not an extra field.
  assert.equal(csv.encodeText({ Id: "1", Phone: undefined }, 0), "1,\n");
});

Deno.test("CsvRecordEncoder rejects values it cannot write, naming the record and the field", () => {
  const csv = new CsvRecordEncoder(["Id", "Amount", "Account.ExtId__c"]);
  const cases: [unknown, string][] = [
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [new Date("nope"), "an invalid Date"],
    [[1, 2], "an array"],
    [new Map(), "an instance of Map"],
    [Symbol("s"), "a symbol"],
    [() => 1, "a function"],
  ];
  for (const [value, described] of cases) {
    assert.throws(() => csv.encodeText({ Id: "1", Amount: value }, 4), {
      name: "TypeError",
      message:
        `Cannot write CSV record at index 4: field "Amount" must be a string, finite number, bigint, boolean, null or valid Date: received ${described}`,
    });
  }
  // Relationships are one level deep.
  assert.throws(() => csv.encodeText({ Account: { ExtId__c: { deeper: 1 } } }, 0), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 0: field "Account.ExtId__c" must be a string, finite number, bigint, boolean, null or valid Date: received an object',
  });
  assert.throws(() => csv.encodeText(null as unknown as object, 9), {
    name: "TypeError",
    message: "Cannot write CSV record at index 9: expected an object: received null",
  });
});

Deno.test("CsvRecordEncoder checks its column list", () => {
  assert.throws(() => new CsvRecordEncoder([]), {
    name: "TypeError",
    message:
      'Cannot create CsvRecordEncoder: "columns" must be a non-empty array of field names: received an empty array',
  });
  assert.throws(() => new CsvRecordEncoder(["Id", "Id"]), {
    name: "TypeError",
    message:
      'Cannot create CsvRecordEncoder: "columns" must not repeat a name: received "Id" twice',
  });
  assert.throws(() => new CsvRecordEncoder("Id" as unknown as string[]), {
    name: "TypeError",
    message:
      'Cannot create CsvRecordEncoder: "columns" must be a non-empty array of field names: received a string',
  });
  assert.throws(() => new CsvRecordEncoder([1 as unknown as string]), {
    name: "TypeError",
    message:
      'Cannot create CsvRecordEncoder: "columns" must hold non-empty strings: received 1 at index 0',
  });
  assert.throws(() => new CsvRecordEncoder(["Id", ""]), {
    name: "TypeError",
    message:
      'Cannot create CsvRecordEncoder: "columns" must hold non-empty strings: received "" at index 1',
  });
});

Deno.test("CsvRecordEncoder skips undefined fields inside relationships and empty relationships", () => {
  const csv = new CsvRecordEncoder(["Id", "Account.ExtId__c"]);
  assert.equal(csv.encodeText({ Id: "1", Account: { ExtId__c: undefined } }, 0), "1,\n");
  assert.equal(csv.encodeText({ Id: "2", Account: {} }, 1), "2,\n");
  assert.throws(() => csv.encodeText({ Id: "5", Account: "A" }, 4), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 4: field "Account" is not in the column list ("Id", "Account.ExtId__c")',
  });
  // A relationship under a key that is only a plain column has no Rel.Field column to go to.
  const plain = new CsvRecordEncoder(["Id", "Account"]);
  assert.equal(plain.encodeText({ Id: "3", Account: {} }, 2), "3,\n");
  assert.throws(() => plain.encodeText({ Id: "4", Account: { ExtId__c: "A" } }, 3), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 3: field "Account.ExtId__c" is not in the column list ("Id", "Account")',
  });
});

Deno.test("CsvRecordEncoder lists at most ten columns in an error", () => {
  const columns = Array.from({ length: 12 }, (_, i) => `F${i}`);
  assert.throws(() => new CsvRecordEncoder(columns).encodeText({ X: 1 }, 0), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 0: field "X" is not in the column list ("F0", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", ...)',
  });
});

Deno.test("CsvRecordEncoder reads only own fields when a column is named like an Object member", () => {
  const csv = new CsvRecordEncoder(["constructor", "toString", "Parent__r.Name"]);
  assert.equal(csv.encodeText({}, 0), ",,\n");
  assert.equal(csv.encodeText({ constructor: "a", toString: undefined }, 1), "a,,\n");
  assert.equal(csv.encodeText({ Parent__c: { Name: "p", Other: undefined } }, 2), ",,p\n");
  assert.equal(csv.encodeText({ Parent__r: null }, 3), ",,\n");
  assert.throws(() => csv.encodeText({ valueOf: 1 }, 4), {
    name: "TypeError",
    message:
      'Cannot write CSV record at index 4: field "valueOf" is not in the column list ("constructor", "toString", "Parent__r.Name")',
  });
});

Deno.test("CsvRecordEncoder leaves records unchanged and accepts frozen ones", () => {
  const record = Object.freeze({ Id: "1", Account: Object.freeze({ ExtId__c: "A" }) });
  const csv = new CsvRecordEncoder(["Id", "Account.ExtId__c"]);
  assert.equal(csv.encodeText(record, 0), "1,A\n");
  assert.deepEqual(record, { Id: "1", Account: { ExtId__c: "A" } });
});

Deno.test("utf8ByteLength agrees with TextEncoder, lone surrogates included", () => {
  const random = prng(11);
  const pieces = ["a", "é", "☕", "🎉", "\uD800", "\uDC00", "\uFEFF", "\u07FF", "\u0800", "\r\n"];
  for (let i = 0; i < 2000; i++) {
    let text = "";
    // Short, medium and long texts take different paths.
    const length = i % 100 === 0
      ? 17_000
      : i % 2 === 0
      ? Math.floor(random() * 12)
      : 40 + Math.floor(random() * 200);
    for (let j = 0; j < length; j++) text += pieces[Math.floor(random() * pieces.length)];
    assert.equal(utf8ByteLength(text), encoder.encode(text).length, JSON.stringify(text));
  }
});

Deno.test("CsvChunker cuts UTF-8 into full chunks without splitting a character", () => {
  const chunker = new CsvChunker(8);
  const text = "abc🎉défg☕hijklmnop🎉🎉q";
  for (const piece of text.match(/.{1,3}/gu)!) chunker.write(piece);
  const chunks = [...chunker.take(), ...chunker.flush()];
  assert.equal(decoder.decode(concat(chunks)), text);
  for (const chunk of chunks) {
    assert.ok(chunk.length <= 8);
    // Every chunk decodes on its own: no character was cut.
    assert.doesNotThrow(() => new TextDecoder("utf-8", { fatal: true }).decode(chunk));
  }
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.length >= 5));
  assert.throws(() => new CsvChunker(3), {
    name: "RangeError",
    message: 'Cannot create CsvChunker: "chunkSize" must be an integer >= 4: received 3',
  });
});

Deno.test("encodeCsv streams records into 64 KiB chunks, header first", async () => {
  const records = Array.from({ length: 5000 }, (_, i) => ({ Id: `a${i}`, Name: `Name, ${i}` }));
  const chunks = await collect(encodeCsv(records, ["Id", "Name"]));
  assert.ok(chunks.length > 1);
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.length === 65_536));
  assert.equal(decoder.decode(concat(chunks)), stringifyCsv(records, ["Id", "Name"]));
  assert.ok(decoder.decode(chunks[0]).startsWith('Id,Name\na0,"Name, 0"\n'));
});

Deno.test("encodeCsv pulls from an async iterable and can leave the header out", async () => {
  async function* records() {
    yield { Id: "1" };
    yield { Id: "2" };
  }
  const chunks = await collect(encodeCsv(records(), ["Id"], { header: false, chunkSize: 4 }));
  assert.equal(decoder.decode(concat(chunks)), "1\n2\n");
});

Deno.test("encodeCsv rejects a bad record with its index", async () => {
  const records = [{ Id: "1" }, { Id: "2" }, { Id: "3", Extra: 1 }];
  await assert.rejects(collect(encodeCsv(records, ["Id"])), {
    name: "TypeError",
    message: 'Cannot write CSV record at index 2: field "Extra" is not in the column list ("Id")',
  });
});

Deno.test("CsvEncoderStream turns a stream of records into the same bytes as stringifyCsv", async () => {
  const records = [{ Id: "1", Name: "a\nb" }, { Id: "2", Name: null }];
  const source = ReadableStream.from(records);
  const chunks = await collect(source.pipeThrough(new CsvEncoderStream(["Id", "Name"])));
  assert.equal(decoder.decode(concat(chunks)), 'Id,Name\n1,"a\nb"\n2,\n');
});

Deno.test("CsvEncoderStream emits chunks of the size asked for and can leave the header out", async () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ Id: `id-${i}` }));
  const stream = ReadableStream.from(records).pipeThrough(
    new CsvEncoderStream(["Id"], { chunkSize: 16, header: false }),
  );
  const chunks = await collect(stream);
  assert.deepEqual(chunks.map((chunk) => chunk.length), [16, 16, 16, 2]);
  assert.equal(decoder.decode(concat(chunks)), records.map((r) => `${r.Id}\n`).join(""));
});

Deno.test("stringifyCsv infers the columns from the first record when none are given", () => {
  assert.equal(
    stringifyCsv([{ Name: "x", Account: { ExtId__c: "A" } }, { Name: "y" }]),
    "Name,Account.ExtId__c\nx,A\ny,\n",
  );
  assert.equal(stringifyCsv([]), "");
  assert.equal(stringifyCsv([], ["Id"]), "Id\n");
});

Deno.test("formatCsvRow and stringifyCsvRows write result files the way Salesforce does", () => {
  assert.equal(
    formatCsvRow(["sf__Id", "sf__Created", "Name"], { quoteAll: true }),
    '"sf__Id","sf__Created","Name"\n',
  );
  assert.equal(
    stringifyCsvRows([["Id", "Name"], ["001", 'A "b"']], { quoteAll: true, lineEnding: "\r\n" }),
    '"Id","Name"\r\n"001","A ""b"""\r\n',
  );
  assert.equal(stringifyCsvRows([["a", "b,c"], ["", " "]]), 'a,"b,c"\n," "\n');
});

// ---------------------------------------------------------------------------------------------
// Reader

Deno.test("parseCsv keys rows by the header row", () => {
  assert.deepEqual(parseCsv("Id,Name\n001,Acme\n002,Globex\n"), [
    { Id: "001", Name: "Acme" },
    { Id: "002", Name: "Globex" },
  ]);
});

Deno.test("parseCsv reads a Salesforce result file with quoted cells", () => {
  const text =
    '"sf__Id","sf__Error",Name\n"","REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --","Acme, ""Inc"""\n';
  assert.deepEqual(parseCsv(text), [{
    sf__Id: "",
    sf__Error: "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
    Name: 'Acme, "Inc"',
  }]);
});

Deno.test("parseCsv handles CRLF, LF, and CR or CRLF inside quotes", () => {
  assert.deepEqual(parseCsvRows('a,b\r\n"x\ry","1\r\n2"\r\n3,"4\n5"\n'), [
    ["a", "b"],
    ["x\ry", "1\r\n2"],
    ["3", "4\n5"],
  ]);
});

Deno.test("parseCsv strips one byte order mark at the start only", () => {
  assert.deepEqual(parseCsvRows("\uFEFFId\n\uFEFFx\n"), [["Id"], ["\uFEFFx"]]);
  assert.deepEqual(parseCsvRows('"\uFEFFId"\n'), [["\uFEFFId"]]);
});

Deno.test("parseCsv returns no records for an empty body or a header alone", () => {
  assert.deepEqual(parseCsv(""), []);
  assert.deepEqual(parseCsv("\uFEFF"), []);
  assert.deepEqual(parseCsv("Id,Name\n"), []);
  assert.deepEqual(parseCsv("Id,Name"), []);
  assert.deepEqual(parseCsvRows(""), []);
});

Deno.test("parseCsv reads a last line without a line break, and empty cells", () => {
  assert.deepEqual(parseCsvRows("a,b\n1,"), [["a", "b"], ["1", ""]]);
  assert.deepEqual(parseCsvRows('a,b\n"",x'), [["a", "b"], ["", "x"]]);
  assert.deepEqual(parseCsvRows('a,b\n1,""'), [["a", "b"], ["1", ""]]);
  // A blank line is a row with one empty cell (RFC 4180), which a one-column file allows.
  assert.deepEqual(parseCsvRows("Id\n\n2\n"), [["Id"], [""], ["2"]]);
});

Deno.test("parseCsv rejects an unterminated quote, naming where it opened", () => {
  assert.throws(() => parseCsvRows('a,b\n1,"two\nthree'), {
    name: "SyntaxError",
    message: "Cannot parse CSV: unterminated quoted field starting at line 2, column 3",
  });
});

Deno.test("parseCsv rejects a quote inside an unquoted field", () => {
  assert.throws(() => parseCsvRows('a,b\n1,ab"c\n'), {
    name: "SyntaxError",
    message: `Cannot parse CSV: unexpected '"' in an unquoted field at line 2, column 5`,
  });
});

Deno.test("parseCsv rejects text after a closing quote", () => {
  assert.throws(() => parseCsvRows('a,b\n"1"x,2\n'), {
    name: "SyntaxError",
    message: 'Cannot parse CSV: unexpected "x" after a closing quote at line 2, column 4',
  });
  assert.throws(() => parseCsvRows('a\n"multi\nline" \n'), {
    name: "SyntaxError",
    message: 'Cannot parse CSV: unexpected " " after a closing quote at line 3, column 6',
  });
});

Deno.test("parseCsv rejects a carriage return outside quotes that does not start CRLF", () => {
  assert.throws(() => parseCsvRows("a\rb\n"), {
    name: "SyntaxError",
    message:
      "Cannot parse CSV: carriage return outside quotes not followed by a line feed at line 1, column 2",
  });
  assert.throws(() => parseCsvRows('a,b\n"x"\r,y\n'), {
    name: "SyntaxError",
    message:
      "Cannot parse CSV: carriage return outside quotes not followed by a line feed at line 2, column 4",
  });
  assert.throws(() => parseCsvRows("a\r"), {
    name: "SyntaxError",
    message:
      "Cannot parse CSV: carriage return outside quotes not followed by a line feed at line 1, column 2",
  });
});

Deno.test("parseCsv rejects a row whose cell count differs from the header's, naming its line", () => {
  assert.throws(() => parseCsv("a,b,c\n1,2,3\n4,5\n"), {
    name: "SyntaxError",
    message: "Cannot parse CSV: line 3 has 2 fields, expected 3 as in the header row",
  });
  assert.throws(() => parseCsv('a,b\n"1\n2",3\n4,5,6'), {
    name: "SyntaxError",
    message: "Cannot parse CSV: line 4 has 3 fields, expected 2 as in the header row",
  });
  assert.throws(() => parseCsv("a,b\n\n"), {
    name: "SyntaxError",
    message: "Cannot parse CSV: line 2 has 1 field, expected 2 as in the header row",
  });
});

Deno.test("parseCsv rejects a header that names a column twice", () => {
  assert.throws(() => parseCsv("Id,Name,Id\n1,2,3\n"), {
    name: "SyntaxError",
    message: 'Cannot parse CSV: the header row names column "Id" twice',
  });
});

Deno.test("parseCsv keeps a column named __proto__ as a field", () => {
  const [record] = parseCsv("__proto__,a\nx,y\n");
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
  assert.deepEqual(Object.entries(record), [["__proto__", "x"], ["a", "y"]]);
});

Deno.test("CsvParser resumes across pieces cut inside quotes, escapes, CRLF and fields", () => {
  const parser = new CsvParser();
  // a,"b""c",d CRLF 1,"x""y", CRLF "2",3,"4" CRLF
  const pieces = [
    'a,"b',
    '"',
    '"c"',
    ",d\r",
    "\n1",
    ',"x"',
    '"y',
    '",',
    "\r",
    "\n",
    '"2",3,"4"\r',
    "\n",
  ];
  const rows: string[][] = [];
  for (const piece of pieces) rows.push(...parser.push(piece));
  rows.push(...parser.end());
  assert.deepEqual(rows, [["a", 'b"c', "d"], ["1", 'x"y', ""], ["2", "3", "4"]]);
});

Deno.test("CsvParser refuses text after its end", () => {
  const parser = new CsvParser();
  parser.push("a\n");
  assert.deepEqual(parser.end(), []);
  assert.deepEqual(parser.end(), []);
  assert.throws(() => parser.push("b\n"), {
    name: "TypeError",
    message: "Cannot parse CSV: the parser has already ended",
  });
});

Deno.test("readCsvRecords parses a ReadableStream cut into single bytes", async () => {
  const text = '\uFEFFId,Name\r\n001,"Café, ""Paris"""\r\n002,"🎉\r\nparty"\r\n003,plain';
  const records = await collect(readCsvRecords(streamOf(bytes(text), [1])));
  assert.deepEqual(records, [
    { Id: "001", Name: 'Café, "Paris"' },
    { Id: "002", Name: "🎉\r\nparty" },
    { Id: "003", Name: "plain" },
  ]);
});

Deno.test("readCsvRows yields the header row, then the data rows", async () => {
  const rows = await collect(readCsvRows([bytes("a,b\n"), bytes("1,2\n")]));
  assert.deepEqual(rows, [["a", "b"], ["1", "2"]]);
});

Deno.test("readCsvRecords yields nothing for an empty or header-only body", async () => {
  assert.deepEqual(await collect(readCsvRecords(streamOf(new Uint8Array()))), []);
  assert.deepEqual(await collect(readCsvRecords(streamOf(bytes('"Id","Name"\n')))), []);
});

Deno.test("readCsvRecords reports a syntax error with its line and column", async () => {
  await assert.rejects(collect(readCsvRecords(streamOf(bytes('a\n1\n"2\n'), [2]))), {
    name: "SyntaxError",
    message: "Cannot parse CSV: unterminated quoted field starting at line 3, column 1",
  });
});

Deno.test("readCsvRecords rejects bytes that are not UTF-8", async () => {
  await assert.rejects(
    collect(readCsvRecords(streamOf(new Uint8Array([0x61, 0x0a, 0xff, 0x0a])))),
    {
      name: "SyntaxError",
      message: "Cannot parse CSV: the input is not valid UTF-8",
    },
  );
});

Deno.test("readCsvRecords cancels the stream when the caller stops early", async () => {
  let cancelled = false;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(bytes(sent++ === 0 ? "Id\n" : `${sent}\n`));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const record of readCsvRecords(stream)) {
    if (record.Id === "3") break;
  }
  assert.equal(cancelled, true);
});

// ---------------------------------------------------------------------------------------------
// Round trip

const PIECES = [
  '"',
  '""',
  ",",
  "\r",
  "\n",
  "\r\n",
  " ",
  "\t",
  "\uFEFF",
  "\uFFFE",
  "🎉",
  "👩‍💻",
  "é",
  "中文",
  "a",
  "Z",
  "0",
  "#N/A",
  "x y",
];

function randomText(random: () => number): string {
  const kind = random();
  if (kind < 0.1) return "";
  let text = "";
  const length = 1 + Math.floor(random() * 6);
  for (let i = 0; i < length; i++) {
    if (random() < 0.2) {
      // Any code point outside the surrogate range.
      let code = Math.floor(random() * 0x10ffff);
      if (code >= 0xd800 && code <= 0xdfff) code = 0x61;
      text += String.fromCodePoint(code);
    } else {
      text += PIECES[Math.floor(random() * PIECES.length)];
    }
  }
  return text;
}

function randomSizes(random: () => number): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < 64; i++) {
    const roll = random();
    sizes.push(
      roll < 0.5 ? 1 : roll < 0.8 ? 1 + Math.floor(random() * 4) : 1 + Math.floor(random() * 64),
    );
  }
  return sizes;
}

Deno.test("500 random tables survive write then streamed read, cut at random byte sizes", async () => {
  const random = prng(20_240_315);
  for (let table = 0; table < 500; table++) {
    const width = 1 + Math.floor(random() * 5);
    const height = Math.floor(random() * 6);
    const header = Array.from({ length: width }, (_, i) => `${randomText(random)}#${i}`);
    const rows = Array.from(
      { length: height },
      () => Array.from({ length: width }, () => randomText(random)),
    );
    const context = `table ${table}: ${JSON.stringify([header, ...rows])}`;

    // Rows of strings, as the fake org writes result files.
    const text = stringifyCsvRows([header, ...rows], { quoteAll: random() < 0.3 });
    const read = await collect(readCsvRows(streamOf(bytes(text), randomSizes(random))));
    assert.deepEqual(read, [header, ...rows], context);

    // Records, as the Bulk client uploads them, through encodeCsv's chunking.
    const records = rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
    const chunkSize = 4 + Math.floor(random() * 40);
    const upload = concat(await collect(encodeCsv(records, header, { chunkSize })));
    assert.equal(decoder.decode(upload), stringifyCsv(records, header), context);
    const parsed = await collect(readCsvRecords(streamOf(upload, randomSizes(random))));
    assert.deepEqual(parsed, records, context);
    assert.deepEqual(parseCsv(decoder.decode(upload)), records, context);
  }
});

Deno.test("CsvRecordEncoder writes each record under its columns as record shapes change", () => {
  const encoder = new CsvRecordEncoder(["A", "B", "Rel.X"]);
  const rows = [
    { A: "1", B: "2" },
    { A: "3", B: "4" },
    { B: "6", A: "5" }, // other key order
    { A: "7" }, // fewer keys
    { A: "8", B: "9", Rel: { X: "x" } }, // a relationship
    { A: "10", B: undefined, Rel: null }, // undefined and "no parent"
    { A: "11", B: "12" }, // back to the first shape
  ].map((record, i) => encoder.encodeText(record, i));
  assert.deepEqual(rows, [
    "1,2,\n",
    "3,4,\n",
    "5,6,\n",
    "7,,\n",
    "8,9,x\n",
    "10,,\n",
    "11,12,\n",
  ]);
  assert.throws(
    () => encoder.encodeText({ A: "1", C: "2" }, 7),
    /record at index 7: field "C" is not in the column list/,
  );
  assert.throws(
    () => encoder.encodeText({ A: { X: "1" }, B: "2" }, 8),
    /record at index 8: field "A.X" is not in the column list/,
  );
});

Deno.test("CsvRecordEncoder keeps each value under its column when a getter deletes a later field", () => {
  const encoder = new CsvRecordEncoder(["Name", "Description", "Phone"]);
  const record = {
    get Name() {
      delete (this as Record<string, unknown>).Description;
      return "Acme";
    },
    Description: "gone",
    Phone: "555",
  };
  assert.equal(encoder.encodeText(record, 0), "Acme,,555\n");
});
