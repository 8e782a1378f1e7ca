// The tokenizer of auth/_xml.ts: turns a document into start tags, end tags and
// decoded text; comments, processing instructions and the XML declaration are
// checked and dropped. Errors give a position and never echo the input.

// Characters XML 1.0 forbids anywhere in a document (lone surrogates are checked apart).
// deno-lint-ignore no-control-regex
export const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0A || c === 0x09 || c === 0x0D;
}

// NameStartChar and NameChar of XML 1.0 (fifth edition). A surrogate pair is
// judged by its high half, which covers U+10000-U+EFFFF closely enough.
function isNameStartChar(c: number): boolean {
  if (c < 0x80) {
    return (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c === 0x5F || c === 0x3A;
  }
  return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
    (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) || c === 0x200C || c === 0x200D ||
    (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
    (c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
    (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0xD800 && c <= 0xDB7F);
}

function isNameChar(c: number): boolean {
  if (c < 0x80) {
    return (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) ||
      c === 0x5F || c === 0x3A || c === 0x2D || c === 0x2E;
  }
  return isNameStartChar(c) || c === 0xB7 || (c >= 0x300 && c <= 0x36F) ||
    c === 0x203F || c === 0x2040 || (c >= 0xDC00 && c <= 0xDFFF);
}

// Char of XML 1.0, for code points written as character references.
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xA || cp === 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
    (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

const PREDEFINED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

export interface RawAttribute {
  name: string;
  value: string;
  position: number;
}

export type Token =
  | {
    kind: "open";
    name: string;
    attributes: RawAttribute[];
    selfClosing: boolean;
    position: number;
  }
  | { kind: "close"; name: string; position: number }
  | { kind: "text"; value: string; cdata: boolean; position: number }
  | { kind: "end"; position: number };

/** Splits a document into start tags, end tags and decoded text. */
export class Tokenizer {
  readonly #src: string;
  #pos: number;
  // Where an XML declaration may stand: the very start, after an optional BOM.
  readonly #declarationAt: number;

  constructor(src: string) {
    this.#src = src;
    this.#pos = src.charCodeAt(0) === 0xFEFF ? 1 : 0;
    this.#declarationAt = this.#pos;
  }

  fail(problem: string, position: number): never {
    return fail(this.#src, problem, position);
  }

  next(): Token {
    const src = this.#src;
    for (;;) {
      const start = this.#pos;
      if (start >= src.length) return { kind: "end", position: start };
      if (src.charCodeAt(start) !== 0x3C /* < */) return this.#text(start);
      const c = src.charCodeAt(start + 1);
      if (c === 0x2F /* / */) return this.#closeTag(start);
      if (c === 0x3F /* ? */) {
        this.#processingInstruction(start);
        continue;
      }
      if (c === 0x21 /* ! */) {
        if (src.startsWith("<!--", start)) {
          this.#comment(start);
          continue;
        }
        if (src.startsWith("<![CDATA[", start)) return this.#cdata(start);
        if (src.startsWith("<!DOCTYPE", start)) {
          this.fail("a DOCTYPE is not accepted (no entity declarations are processed)", start);
        }
        this.fail("a markup declaration is not accepted", start);
      }
      return this.#openTag(start);
    }
  }

  #text(start: number): Token {
    const src = this.#src;
    let end = src.indexOf("<", start);
    if (end === -1) end = src.length;
    // Search slices, not src: an unbounded indexOf per token would make parsing quadratic.
    const raw = src.slice(start, end);
    const close = raw.indexOf("]]>");
    if (close !== -1) this.fail('"]]>" is not allowed in text', start + close);
    this.#pos = end;
    return { kind: "text", value: this.#decode(raw, start, false), cdata: false, position: start };
  }

  #cdata(start: number): Token {
    const src = this.#src;
    const from = start + 9;
    const end = src.indexOf("]]>", from);
    if (end === -1) this.fail("a CDATA section is not closed", start);
    this.#pos = end + 3;
    return {
      kind: "text",
      value: normalizeLineEnds(src.slice(from, end)),
      cdata: true,
      position: start,
    };
  }

  #comment(start: number): void {
    const src = this.#src;
    const end = src.indexOf("-->", start + 4);
    if (end === -1) this.fail("a comment is not closed", start);
    const dashes = src.indexOf("--", start + 4);
    // "--" may only appear as part of the closing "-->", and "--->" is not allowed either.
    if (dashes < end || (end > start + 4 && src.charCodeAt(end - 1) === 0x2D)) {
      this.fail('"--" is not allowed inside a comment', dashes < end ? dashes : end - 1);
    }
    this.#pos = end + 3;
  }

  #processingInstruction(start: number): void {
    const src = this.#src;
    const end = src.indexOf("?>", start + 2);
    if (end === -1) this.fail("a processing instruction is not closed", start);
    const nameEnd = this.#nameEnd(start + 2);
    const target = src.slice(start + 2, nameEnd);
    if (nameEnd < end && !isSpace(src.charCodeAt(nameEnd))) {
      this.fail("a processing instruction target must be followed by whitespace", nameEnd);
    }
    if (target.toLowerCase() === "xml") {
      if (start !== this.#declarationAt || target !== "xml") {
        this.fail("the XML declaration must come first in the document", start);
      }
      this.#declaration(nameEnd, end);
    }
    this.#pos = end + 2;
  }

  // VersionInfo, then optional EncodingDecl and SDDecl, in that order.
  #declaration(from: number, end: number): void {
    const src = this.#src;
    const order = ["version", "encoding", "standalone"];
    let next = 0;
    let pos = from;
    for (;;) {
      const spaced = pos < end && isSpace(src.charCodeAt(pos));
      while (pos < end && isSpace(src.charCodeAt(pos))) pos++;
      if (pos === end) break;
      if (!spaced) this.fail("the XML declaration is malformed", pos);
      const nameEnd = this.#nameEnd(pos);
      const name = src.slice(pos, nameEnd);
      const index = order.indexOf(name, next);
      if (index === -1 || (next === 0 && index !== 0)) {
        this.fail("the XML declaration is malformed", pos);
      }
      next = index + 1;
      const [valueStart, valueEnd] = this.#quoted(nameEnd, end);
      const value = src.slice(valueStart, valueEnd);
      const valid = name === "version"
        ? /^1\.[0-9]+$/.test(value)
        : name === "encoding"
        ? /^[A-Za-z][A-Za-z0-9._-]*$/.test(value)
        : value === "yes" || value === "no";
      if (!valid) this.fail(`the XML declaration has an invalid "${name}"`, nameEnd);
      pos = valueEnd + 1;
    }
    if (next === 0) this.fail('the XML declaration lacks "version"', from);
  }

  // Reads `= "value"` from `pos`; returns the bounds of the raw value (the closing quote at the end).
  #quoted(pos: number, limit: number): [start: number, end: number] {
    const src = this.#src;
    while (pos < limit && isSpace(src.charCodeAt(pos))) pos++;
    if (src.charCodeAt(pos) !== 0x3D /* = */) this.fail('"=" expected', pos);
    pos++;
    while (pos < limit && isSpace(src.charCodeAt(pos))) pos++;
    const quote = src.charCodeAt(pos);
    if (quote !== 0x22 && quote !== 0x27) this.fail("a quoted value expected", pos);
    const close = src.indexOf(quote === 0x22 ? '"' : "'", pos + 1);
    if (close === -1 || close >= limit) this.fail("a quoted value is not closed", pos);
    return [pos + 1, close];
  }

  #nameEnd(start: number): number {
    const src = this.#src;
    if (start >= src.length || !isNameStartChar(src.charCodeAt(start))) {
      this.fail("a name expected", start);
    }
    let pos = start + 1;
    while (pos < src.length && isNameChar(src.charCodeAt(pos))) pos++;
    return pos;
  }

  #closeTag(start: number): Token {
    const src = this.#src;
    const nameEnd = this.#nameEnd(start + 2);
    let pos = nameEnd;
    while (pos < src.length && isSpace(src.charCodeAt(pos))) pos++;
    if (src.charCodeAt(pos) !== 0x3E /* > */) this.fail('">" expected to end a closing tag', pos);
    this.#pos = pos + 1;
    return { kind: "close", name: src.slice(start + 2, nameEnd), position: start };
  }

  #openTag(start: number): Token {
    const src = this.#src;
    const nameEnd = this.#nameEnd(start + 1);
    const name = src.slice(start + 1, nameEnd);
    const attributes: RawAttribute[] = [];
    let pos = nameEnd;
    for (;;) {
      const spaced = pos < src.length && isSpace(src.charCodeAt(pos));
      while (pos < src.length && isSpace(src.charCodeAt(pos))) pos++;
      const c = src.charCodeAt(pos);
      if (c === 0x3E /* > */) {
        this.#pos = pos + 1;
        return { kind: "open", name, attributes, selfClosing: false, position: start };
      }
      if (c === 0x2F /* / */) {
        if (src.charCodeAt(pos + 1) !== 0x3E) this.fail('">" expected after "/"', pos + 1);
        this.#pos = pos + 2;
        return { kind: "open", name, attributes, selfClosing: true, position: start };
      }
      if (pos >= src.length) this.fail("a start tag is not closed", start);
      if (!spaced) this.fail("whitespace expected before an attribute", pos);
      const attributeEnd = this.#nameEnd(pos);
      const [valueStart, valueEnd] = this.#quoted(attributeEnd, src.length);
      const lt = src.indexOf("<", valueStart);
      if (lt !== -1 && lt < valueEnd) this.fail('"<" is not allowed in an attribute value', lt);
      attributes.push({
        name: src.slice(pos, attributeEnd),
        value: this.#decode(src.slice(valueStart, valueEnd), valueStart, true),
        position: pos,
      });
      pos = valueEnd + 1;
    }
  }

  // Decodes text or an attribute value `raw` (found at `offset` in src): line ends
  // normalised, references resolved, in attributes literal tab/newline become spaces.
  #decode(raw: string, offset: number, attribute: boolean): string {
    let amp = raw.indexOf("&");
    if (amp === -1) return literal(raw, attribute);
    let out = "";
    let from = 0;
    while (amp !== -1) {
      out += literal(raw.slice(from, amp), attribute);
      const semi = raw.indexOf(";", amp + 1);
      if (semi === -1) this.fail('an entity reference lacks its ";"', offset + amp);
      out += this.#reference(raw.slice(amp + 1, semi), offset + amp);
      from = semi + 1;
      amp = raw.indexOf("&", from);
    }
    return out + literal(raw.slice(from), attribute);
  }

  // `body` is what stands between "&" and ";".
  #reference(body: string, position: number): string {
    if (body.charCodeAt(0) !== 0x23 /* # */) {
      if (!Object.hasOwn(PREDEFINED, body)) {
        this.fail("an unknown entity reference (only &amp; &lt; &gt; &quot; &apos;)", position);
      }
      return PREDEFINED[body];
    }
    const hex = body.charCodeAt(1) === 0x78 /* x */;
    const digits = body.slice(hex ? 2 : 1);
    if (!(hex ? /^[0-9A-Fa-f]{1,8}$/ : /^[0-9]{1,10}$/).test(digits)) {
      this.fail("a malformed character reference", position);
    }
    const cp = parseInt(digits, hex ? 16 : 10);
    if (!isXmlChar(cp)) this.fail("a character reference to a code point XML forbids", position);
    return String.fromCodePoint(cp);
  }
}

function normalizeLineEnds(text: string): string {
  return text.indexOf("\r") === -1 ? text : text.replace(/\r\n?/g, "\n");
}

function literal(text: string, attribute: boolean): string {
  const normalized = normalizeLineEnds(text);
  if (!attribute || (normalized.indexOf("\n") === -1 && normalized.indexOf("\t") === -1)) {
    return normalized;
  }
  return normalized.replace(/[\t\n]/g, " ");
}

export function fail(src: string, problem: string, position: number): never {
  let line = 1;
  let lineStart = 0;
  for (let i = src.indexOf("\n"); i !== -1 && i < position; i = src.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  throw new SyntaxError(
    `Cannot parse XML: ${problem} at line ${line}, column ${position - lineStart + 1}`,
  );
}
