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

import {
  fail,
  FORBIDDEN_CHAR,
  isSpace,
  type RawAttribute,
  type Token,
  Tokenizer,
} from "./_xml_tokenizer.ts";

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
