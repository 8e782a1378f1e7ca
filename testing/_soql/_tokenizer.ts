// SOQL tokenizer: turns query text into a flat token list for the recursive-descent parser.

import { soqlErrorAt } from "./soql_error.ts";

/** Token classes. `punct` covers `,` `(` `)` `.` `:` and the comparison operators. */
export type TokenKind = "ident" | "string" | "number" | "date" | "datetime" | "punct" | "eof";

/** One token; `start`/`end` are offsets into the query text. */
export interface Token {
  kind: TokenKind;
  /** The token as written (strings include their quotes; `<EOF>` for end of input). */
  text: string;
  /** Upper-cased text for identifiers (keyword checks), else the text itself. */
  upper: string;
  start: number;
  end: number;
}

// One literal class, matched at a single position (sticky): date or dateTime.
const DATE_OR_DATETIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))?/y;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

/** Splits `text` into tokens, ending with one `eof` token. Throws SoqlError MALFORMED_QUERY. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: "ident", text: word, upper: word.toUpperCase(), start, end: i });
      continue;
    }
    if (c === 39 /* ' */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 39) break;
        else i++;
      }
      if (i >= n) {
        throw soqlErrorAt(text, n, "MALFORMED_QUERY", "mismatched character '<EOF>' expecting '''");
      }
      i++;
      const quoted = text.slice(start, i);
      tokens.push({ kind: "string", text: quoted, upper: quoted, start, end: i });
      continue;
    }
    const signed = (c === 45 || c === 43) && i + 1 < n && isDigit(text.charCodeAt(i + 1));
    if (isDigit(c) || signed) {
      if (!signed) {
        DATE_OR_DATETIME.lastIndex = i;
        const m = DATE_OR_DATETIME.exec(text);
        if (m !== null) {
          i += m[0].length;
          const kind = m[0].length > 10 ? "datetime" : "date";
          tokens.push({ kind, text: m[0], upper: m[0], start, end: i });
          continue;
        }
      }
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i + 1 < n && text.charCodeAt(i) === 46 && isDigit(text.charCodeAt(i + 1))) {
        i += 2;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      const e = text.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        const s = text.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        if (j < n && isDigit(text.charCodeAt(j))) {
          i = j + 1;
          while (i < n && isDigit(text.charCodeAt(i))) i++;
        }
      }
      const num = text.slice(start, i);
      tokens.push({ kind: "number", text: num, upper: num, start, end: i });
      continue;
    }
    let op: string | undefined;
    const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
    switch (c) {
      case 44: // ,
      case 40: // (
      case 41: // )
      case 46: // .
      case 58: // :
      case 61: // =
        op = text[i];
        break;
      case 33: // !
        if (next === 61) op = "!=";
        break;
      case 60: // <
        op = next === 61 ? "<=" : next === 62 ? "<>" : "<";
        break;
      case 62: // >
        op = next === 61 ? ">=" : ">";
        break;
    }
    if (op === undefined) {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      throw soqlErrorAt(text, i, "MALFORMED_QUERY", `unexpected token: '${ch}'`);
    }
    i += op.length;
    tokens.push({ kind: "punct", text: op, upper: op, start, end: i });
  }
  tokens.push({ kind: "eof", text: "<EOF>", upper: "<EOF>", start: n, end: n });
  return tokens;
}
