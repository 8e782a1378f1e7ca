// The one small, strict XML reader and escaper of the package: SOAP login reads
// its responses with it and the fake org reads login envelopes with it.
//
// A tokenizer turns the text into start tags, end tags and text (comments and
// processing instructions are checked and dropped); a tree builder checks
// nesting and resolves namespaces. DOCTYPE is refused outright, so no entity
// other than the five predefined ones and character references can exist (no
// "billion laughs", no external entities).
//
// Error messages give a line and column but never echo the input: a login
// envelope holds a password, and an unescaped one is exactly what breaks it.

/** An element of a parsed XML document. */
export interface XmlElement {
  /** Local name, without the prefix. */
  name: string;
  /** The prefix the element was written with, or null. */
  prefix: string | null;
  /** The resolved namespace URI (default namespaces honored), or null. */
  namespace: string | null;
  /** Attributes by qualified name (as written, `xmlns` declarations included), values decoded. */
  attributes: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** This element's own text content (not its descendants'), entities decoded, CDATA included. */
  text: string;
  /** True when the element carries `xsi:nil="true"`. */
  nil: boolean;
}

const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/";
const XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance";

// Characters XML 1.0 forbids anywhere in a document (lone surrogates are checked apart).
// deno-lint-ignore no-control-regex
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function isSpace(c: number): boolean {
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

interface RawAttribute {
  name: string;
  value: string;
  position: number;
}

type Token =
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
class Tokenizer {
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

function fail(src: string, problem: string, position: number): never {
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

function splitQName(
  src: string,
  qname: string,
  position: number,
): [prefix: string | null, local: string] {
  const colon = qname.indexOf(":");
  if (colon === -1) return [null, qname];
  if (colon === 0 || colon === qname.length - 1 || qname.indexOf(":", colon + 1) !== -1) {
    fail(src, "a name with a misplaced colon", position);
  }
  return [qname.slice(0, colon), qname.slice(colon + 1)];
}

interface Frame {
  element: XmlElement;
  qname: string;
  // Prefix ("" = default) → namespace URI ("" = none), inherited from the parent.
  scope: Map<string, string>;
}

function setAttribute(attributes: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") {
    Object.defineProperty(attributes, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    attributes[name] = value;
  }
}

function buildElement(
  src: string,
  token: Token & { kind: "open" },
  parent: Frame | undefined,
): Frame {
  let scope = parent?.scope ?? new Map([["xml", XML_NAMESPACE]]);
  const attributes: Record<string, string> = {};
  const split: Array<[prefix: string | null, local: string, raw: RawAttribute]> = [];
  for (const raw of token.attributes) {
    if (Object.hasOwn(attributes, raw.name)) fail(src, "a duplicate attribute", raw.position);
    setAttribute(attributes, raw.name, raw.value);
    const [prefix, local] = splitQName(src, raw.name, raw.position);
    if (prefix === null && local === "xmlns") {
      if (raw.value === XML_NAMESPACE || raw.value === XMLNS_NAMESPACE) {
        fail(src, "a reserved namespace cannot be the default namespace", raw.position);
      }
      if (scope === parent?.scope) scope = new Map(scope);
      scope.set("", raw.value);
    } else if (prefix === "xmlns") {
      const reserved = local === "xml" ? raw.value !== XML_NAMESPACE : local === "xmlns" ||
        raw.value === XML_NAMESPACE || raw.value === XMLNS_NAMESPACE;
      if (reserved) fail(src, "a reserved namespace prefix or URI is misused", raw.position);
      if (raw.value === "") fail(src, "a namespace prefix cannot be undeclared", raw.position);
      if (scope === parent?.scope) scope = new Map(scope);
      scope.set(local, raw.value);
    } else {
      split.push([prefix, local, raw]);
    }
  }
  const [prefix, name] = splitQName(src, token.name, token.position + 1);
  const namespace = scope.get(prefix ?? "");
  if (prefix !== null && namespace === undefined) {
    fail(src, "an element prefix is not bound to a namespace", token.position + 1);
  }
  let nil = false;
  let expanded: Set<string> | undefined;
  for (const [attributePrefix, local, raw] of split) {
    if (attributePrefix === null) continue; // unprefixed attributes have no namespace
    const uri = scope.get(attributePrefix);
    if (uri === undefined) {
      fail(src, "an attribute prefix is not bound to a namespace", raw.position);
    }
    // Two prefixes bound to one URI must not name the same attribute twice.
    expanded ??= new Set();
    const key = `${uri} ${local}`;
    if (expanded.has(key)) fail(src, "a duplicate attribute", raw.position);
    expanded.add(key);
    if (uri === XSI_NAMESPACE && local === "nil") {
      const value = raw.value.trim();
      nil = value === "true" || value === "1";
    }
  }
  return {
    element: {
      name,
      prefix,
      namespace: namespace === undefined || namespace === "" ? null : namespace,
      attributes,
      children: [],
      text: "",
      nil,
    },
    qname: token.name,
    scope,
  };
}

function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) i++;
      else return i;
    } else if (c >= 0xDC00 && c <= 0xDFFF) return i;
  }
  return 0;
}

// Index of the first non-whitespace character, or -1.
function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (!isSpace(text.charCodeAt(i))) return i;
  }
  return -1;
}

/**
 * Parses an XML document and returns its root element.
 *
 * @param text The whole document.
 * @returns The root element.
 * @throws {SyntaxError} When the text is not well-formed, namespace-valid XML,
 * holds a DOCTYPE, an unknown entity or text outside the root; the message gives
 * the line and column but none of the input.
 */
export function parseXml(text: string): XmlElement {
  if (typeof text !== "string") {
    throw new TypeError(`Cannot parse XML: "text" must be a string: received ${typeof text}`);
  }
  const forbidden = FORBIDDEN_CHAR.exec(text);
  if (forbidden !== null) fail(text, "a character XML forbids", forbidden.index);
  if (!text.isWellFormed()) fail(text, "a lone surrogate", loneSurrogateAt(text));
  const tokenizer: Tokenizer = new Tokenizer(text);
  const stack: Frame[] = [];
  let root: XmlElement | undefined;
  for (;;) {
    const token = tokenizer.next();
    switch (token.kind) {
      case "open": {
        const parent = stack[stack.length - 1];
        if (parent === undefined && root !== undefined) {
          tokenizer.fail("a second root element", token.position);
        }
        const frame = buildElement(text, token, parent);
        if (parent === undefined) root = frame.element;
        else parent.element.children.push(frame.element);
        if (!token.selfClosing) stack.push(frame);
        break;
      }
      case "close": {
        const frame = stack.pop();
        if (frame === undefined) {
          tokenizer.fail("a closing tag without an open element", token.position);
        }
        if (frame.qname !== token.name) {
          tokenizer.fail("a closing tag does not match the open element", token.position);
        }
        break;
      }
      case "text": {
        const frame = stack[stack.length - 1];
        if (frame !== undefined) frame.element.text += token.value;
        else if (token.cdata) tokenizer.fail("text outside the root element", token.position);
        else if (firstNonSpace(token.value) !== -1) {
          // Point at the first non-blank character as written (a reference counts).
          let at = token.position;
          while (isSpace(text.charCodeAt(at))) at++;
          tokenizer.fail("text outside the root element", at);
        }
        break;
      }
      case "end": {
        if (stack.length > 0) tokenizer.fail("an element is not closed", token.position);
        if (root === undefined) tokenizer.fail("no root element", token.position);
        return root;
      }
    }
  }
}

function matches(el: XmlElement, localName: string, namespace: string | null | undefined): boolean {
  return el.name === localName && (namespace === undefined || el.namespace === namespace);
}

/**
 * The first direct child with this local name (and namespace, when given).
 *
 * @param el The parent element.
 * @param localName The child's local name.
 * @param namespace The child's namespace URI (null: none); omitted: any.
 * @returns The child, or undefined.
 */
export function childOf(
  el: XmlElement,
  localName: string,
  namespace?: string | null,
): XmlElement | undefined {
  for (const child of el.children) {
    if (matches(child, localName, namespace)) return child;
  }
  return undefined;
}

/**
 * Every direct child with this local name (and namespace, when given).
 *
 * @param el The parent element.
 * @param localName The children's local name.
 * @param namespace Their namespace URI (null: none); omitted: any.
 * @returns The children in document order.
 */
export function childrenOf(
  el: XmlElement,
  localName: string,
  namespace?: string | null,
): XmlElement[] {
  return el.children.filter((child) => matches(child, localName, namespace));
}

/**
 * The text of the first direct child with this local name.
 *
 * @param el The parent element.
 * @param localName The child's local name.
 * @param namespace The child's namespace URI (null: none); omitted: any.
 * @returns Its text, or undefined when there is no such child or it is `xsi:nil`.
 */
export function textOf(
  el: XmlElement,
  localName: string,
  namespace?: string | null,
): string | undefined {
  const child = childOf(el, localName, namespace);
  return child === undefined || child.nil ? undefined : child.text;
}

/**
 * The first element in document order (depth-first, `el` itself included) with
 * this local name (and namespace, when given).
 *
 * @param el Where to start.
 * @param localName The local name to look for.
 * @param namespace The namespace URI (null: none); omitted: any.
 * @returns The element, or undefined.
 */
export function find(
  el: XmlElement,
  localName: string,
  namespace?: string | null,
): XmlElement | undefined {
  if (matches(el, localName, namespace)) return el;
  for (const child of el.children) {
    const found = find(child, localName, namespace);
    if (found !== undefined) return found;
  }
  return undefined;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // A literal CR would come back as LF (line-end normalisation); a reference survives.
  "\r": "&#13;",
};

/**
 * Escapes a value for element text or an attribute value: `& < > " '` (and CR,
 * which a reader would otherwise turn into LF).
 *
 * @param value The raw value.
 * @returns The escaped value.
 * @throws {TypeError} When the value holds a character XML 1.0 cannot carry
 * (a control character, U+FFFE/U+FFFF, a lone surrogate); the value is not echoed.
 */
export function escapeXml(value: string): string {
  if (FORBIDDEN_CHAR.test(value) || !value.isWellFormed()) {
    throw new TypeError("Cannot escape XML: the value holds a character XML 1.0 cannot represent");
  }
  return value.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]);
}
