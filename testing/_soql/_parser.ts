// Recursive-descent SOQL parser: tokens → SoqlQuery AST. Syntax only; names are checked later
// against the schema by the evaluator.
//
// Grammar (keywords case-insensitive):
//   query     := SELECT items FROM name [alias] [WHERE or] [WITH ident] [ORDER BY order {, order}]
//                [LIMIT int] [OFFSET int] [FOR (VIEW|REFERENCE|UPDATE)] EOF
//   items     := COUNT '(' ')' | item {, item}
//   item      := path | '(' SELECT path {, path} FROM childRelationship ... ')'   (top level only)
//   path      := ident {'.' ident}
//   or        := and {OR and}          and := not {AND not}          not := NOT not | primary
//   primary   := '(' or ')' | path (cmpop value | [NOT] IN '(' value {, value} ')' | LIKE string)
//   value     := string | number | date | datetime | TRUE | FALSE | NULL | keyword [':' int]
//   order     := path [ASC|DESC] [NULLS (FIRST|LAST)]
// Real SOQL rejects AND mixed with OR without parentheses; we accept it with NOT > AND > OR.

import { type Token, tokenize } from "./_tokenizer.ts";
import { soqlErrorAt } from "./soql_error.ts";
import {
  badEscapeDescription,
  DATE_KEYWORDS,
  DATE_KEYWORDS_N,
  isValidDate,
  parseDateTimeLiteral,
  scanStringBody,
} from "./_literals.ts";

/** A field path as written, e.g. `Account.Owner.Email`. */
export interface SoqlFieldPath {
  /** Segments as written (original casing). */
  segments: string[];
  /** Offset of each segment in the query text. */
  starts: number[];
  /** Offset of the first segment. */
  start: number;
}

/** One SELECT item; `subquery` is a parent-to-child subquery (its FROM names a child relationship). */
export type SoqlSelectItem =
  | { kind: "field"; path: SoqlFieldPath }
  | { kind: "count"; start: number }
  | { kind: "subquery"; query: SoqlQuery; start: number };

/** A literal value in WHERE. `start` is its offset in the query text. */
export type SoqlLiteral =
  | { kind: "string"; value: string; raw: string; start: number }
  | { kind: "number"; value: number; text: string; start: number }
  | { kind: "boolean"; value: boolean; start: number }
  | { kind: "null"; start: number }
  | { kind: "date"; value: string; start: number }
  | { kind: "datetime"; value: string; millis: number; start: number }
  | { kind: "dateKeyword"; name: string; n: number; text: string; start: number };

/** Comparison operators; `<>` is normalised to `!=`. */
export type SoqlOperator = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** A WHERE condition tree. */
export type SoqlCondition =
  | { kind: "and"; left: SoqlCondition; right: SoqlCondition }
  | { kind: "or"; left: SoqlCondition; right: SoqlCondition }
  | { kind: "not"; operand: SoqlCondition }
  | { kind: "compare"; field: SoqlFieldPath; op: SoqlOperator; value: SoqlLiteral }
  | { kind: "in"; field: SoqlFieldPath; negated: boolean; values: SoqlLiteral[] }
  | { kind: "like"; field: SoqlFieldPath; pattern: SoqlLiteral & { kind: "string" } };

/** One ORDER BY key. */
export interface SoqlOrderItem {
  field: SoqlFieldPath;
  descending: boolean;
  nullsFirst: boolean;
}

/** A parsed query. */
export interface SoqlQuery {
  text: string;
  select: SoqlSelectItem[];
  /** True for `SELECT COUNT() FROM ...`. */
  count: boolean;
  from: { name: string; start: number; alias?: string };
  where?: SoqlCondition;
  orderBy: SoqlOrderItem[];
  limit?: number;
  offset?: number;
  /** Offset of the OFFSET value in the text (for range errors). */
  offsetStart?: number;
}

// Valid SOQL the fake org does not implement: its errors say so, so that a user does not look
// for a mistake in a query Salesforce would run.
const UNSUPPORTED =
  " (FakeSalesforce does not implement GROUP BY, HAVING, aggregate functions, semi-joins, INCLUDES, EXCLUDES or currency literals)";
const NOT_IMPLEMENTED = new Set([
  "GROUP",
  "HAVING",
  "ROLLUP",
  "CUBE",
  "TYPEOF",
  "WITH",
  "INCLUDES",
  "EXCLUDES",
]);
const AGGREGATES = new Set(["AVG", "COUNT", "COUNT_DISTINCT", "MAX", "MIN", "SUM"]);

// Salesforce's reserved keywords: never a field or object name.
const RESERVED = new Set([
  "AND",
  "ASC",
  "DESC",
  "EXCLUDES",
  "FIRST",
  "FROM",
  "GROUP",
  "HAVING",
  "IN",
  "INCLUDES",
  "LAST",
  "LIKE",
  "LIMIT",
  "NOT",
  "NULL",
  "NULLS",
  "OR",
  "SELECT",
  "WHERE",
  "WITH",
]);

// Words that may follow the object name, so they are not taken as its alias.
const CLAUSE_WORDS = new Set(["ORDER", "OFFSET", "FOR", "USING", "UPDATE", "TYPEOF"]);

const COMPARISON: Record<string, SoqlOperator> = {
  "=": "=",
  "!=": "!=",
  "<>": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/** Levels of `NOT` and parentheses a condition may nest (ours: Salesforce states none). */
const MAX_DEPTH = 200;

class Parser {
  #text: string;
  #tokens: Token[];
  #i = 0;
  /** `NOT`s and parentheses open around the condition being parsed. */
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
    this.#tokens = tokenize(text);
  }

  get #peek(): Token {
    return this.#tokens[this.#i];
  }

  #next(): Token {
    const t = this.#tokens[this.#i];
    if (t.kind !== "eof") this.#i++;
    return t;
  }

  #fail(token: Token): never {
    const shown = token.kind === "eof" ? "<EOF>" : `'${token.text}'`;
    throw soqlErrorAt(
      this.#text,
      token.start,
      "MALFORMED_QUERY",
      `unexpected token: ${shown}${this.#unsupported(token) ? UNSUPPORTED : ""}`,
    );
  }

  /** True where valid SOQL that this engine does not implement fails (say so, not just fail). */
  #unsupported(token: Token): boolean {
    if (token.kind === "ident" && NOT_IMPLEMENTED.has(token.upper)) return true;
    // A currency literal such as USD5000.
    if (token.kind === "ident" && /^[A-Z]{3}\d/i.test(token.text)) return true;
    const index = this.#tokens.indexOf(token);
    const before = this.#tokens[index - 1];
    const opened = before?.kind === "punct" && before.text === "(";
    // An aggregate call, SUM(Amount) (failing at "(") or COUNT(Id) (failing inside it).
    // (COUNT only with a field inside: `COUNT()` where it is not allowed, as in a subquery, is
    // invalid SOQL, not an aggregate.)
    if (token.kind === "punct" && token.text === "(" && before?.kind === "ident") {
      if (before.upper === "COUNT") return this.#tokens[index + 1]?.kind === "ident";
      return AGGREGATES.has(before.upper);
    }
    const name = this.#tokens[index - 2];
    if (opened && name?.kind === "ident" && AGGREGATES.has(name.upper)) return true;
    // A semi-join: IN (SELECT ...).
    return opened && token.kind === "ident" && token.upper === "SELECT";
  }

  #isWord(word: string, token: Token = this.#peek): boolean {
    return token.kind === "ident" && token.upper === word;
  }

  #acceptWord(word: string): boolean {
    if (!this.#isWord(word)) return false;
    this.#i++;
    return true;
  }

  #expectWord(word: string): Token {
    if (!this.#isWord(word)) this.#fail(this.#peek);
    return this.#next();
  }

  #acceptPunct(p: string): boolean {
    const t = this.#peek;
    if (t.kind !== "punct" || t.text !== p) return false;
    this.#i++;
    return true;
  }

  #expectPunct(p: string): Token {
    const t = this.#peek;
    if (t.kind !== "punct" || t.text !== p) this.#fail(t);
    return this.#next();
  }

  #name(): Token {
    const t = this.#peek;
    if (t.kind !== "ident" || RESERVED.has(t.upper)) this.#fail(t);
    return this.#next();
  }

  parse(): SoqlQuery {
    const query = this.#query(false);
    if (this.#peek.kind !== "eof") this.#fail(this.#peek);
    return query;
  }

  // One SELECT statement; `nested` for a subquery (no COUNT(), no further subqueries).
  #query(nested: boolean): SoqlQuery {
    this.#expectWord("SELECT");
    const select: SoqlSelectItem[] = [];
    let count = false;
    const first = this.#peek;
    if (
      !nested && this.#isWord("COUNT") && this.#tokens[this.#i + 1].kind === "punct" &&
      this.#tokens[this.#i + 1].text === "("
    ) {
      this.#i += 2;
      this.#expectPunct(")");
      select.push({ kind: "count", start: first.start });
      count = true;
    } else {
      do {
        const start = this.#peek.start;
        if (!nested && this.#acceptPunct("(")) {
          const query = this.#query(true);
          this.#expectPunct(")");
          select.push({ kind: "subquery", query, start });
        } else {
          select.push({ kind: "field", path: this.#path() });
        }
      } while (this.#acceptPunct(","));
    }
    this.#expectWord("FROM");
    const objectToken = this.#name();
    const from: SoqlQuery["from"] = { name: objectToken.text, start: objectToken.start };
    const maybeAlias = this.#peek;
    if (
      maybeAlias.kind === "ident" && !RESERVED.has(maybeAlias.upper) &&
      !CLAUSE_WORDS.has(maybeAlias.upper)
    ) {
      from.alias = this.#next().text;
    }
    const query: SoqlQuery = { text: this.#text, select, count, from, orderBy: [] };
    if (this.#acceptWord("WHERE")) query.where = this.#or();
    if (this.#acceptWord("WITH")) {
      // WITH SECURITY_ENFORCED / USER_MODE / SYSTEM_MODE: accepted and ignored.
      const t = this.#peek;
      if (
        t.kind !== "ident" || !["SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"].includes(t.upper)
      ) this.#fail(t);
      this.#next();
    }
    if (this.#acceptWord("ORDER")) {
      this.#expectWord("BY");
      do query.orderBy.push(this.#orderItem()); while (this.#acceptPunct(","));
    }
    if (this.#acceptWord("LIMIT")) query.limit = this.#integer().value;
    if (this.#acceptWord("OFFSET")) {
      const { value, start } = this.#integer();
      query.offset = value;
      query.offsetStart = start;
    }
    if (!nested && this.#acceptWord("FOR")) {
      const t = this.#peek;
      if (t.kind !== "ident" || !["VIEW", "REFERENCE", "UPDATE"].includes(t.upper)) this.#fail(t);
      this.#next();
    }
    return query;
  }

  #integer(): { value: number; start: number } {
    const t = this.#peek;
    if (t.kind !== "number" || !/^\d+$/.test(t.text)) this.#fail(t);
    this.#next();
    return { value: Number(t.text), start: t.start };
  }

  #path(): SoqlFieldPath {
    const first = this.#name();
    const path: SoqlFieldPath = {
      segments: [first.text],
      starts: [first.start],
      start: first.start,
    };
    while (this.#acceptPunct(".")) {
      const t = this.#peek;
      if (t.kind !== "ident") this.#fail(t);
      this.#next();
      path.segments.push(t.text);
      path.starts.push(t.start);
    }
    return path;
  }

  #orderItem(): SoqlOrderItem {
    const field = this.#path();
    let descending = false;
    if (this.#acceptWord("DESC")) descending = true;
    else this.#acceptWord("ASC");
    let nullsFirst = !descending;
    if (this.#acceptWord("NULLS")) {
      if (this.#acceptWord("FIRST")) nullsFirst = true;
      else if (this.#acceptWord("LAST")) nullsFirst = false;
      else this.#fail(this.#peek);
    }
    return { field, descending, nullsFirst };
  }

  // SOQL has no precedence between AND and OR: mixing them at one level without parentheses
  // (`a AND b OR c`) is MALFORMED_QUERY at the second operator, as Salesforce answers.
  #or(): SoqlCondition {
    const first = this.#and();
    let left = first.condition;
    for (;;) {
      const operator = this.#peek;
      if (!this.#acceptWord("OR")) break;
      if (first.and !== undefined) this.#fail(operator);
      const next = this.#and();
      if (next.and !== undefined) this.#fail(next.and);
      left = { kind: "or", left, right: next.condition };
    }
    return left;
  }

  /** A run of conditions joined by AND; `and` is its first AND, when it has one. */
  #and(): { condition: SoqlCondition; and?: Token } {
    let left = this.#not();
    let and: Token | undefined;
    for (;;) {
      const operator = this.#peek;
      if (!this.#acceptWord("AND")) break;
      and ??= operator;
      left = { kind: "and", left, right: this.#not() };
    }
    return { condition: left, and };
  }

  #not(): SoqlCondition {
    const start = this.#peek;
    if (this.#acceptWord("NOT")) {
      this.#deeper(start);
      const operand = this.#not();
      this.#depth--;
      return { kind: "not", operand };
    }
    return this.#primary();
  }

  /**
   * One more level of `NOT` or parentheses: past MAX_DEPTH, MALFORMED_QUERY at `token` (a
   * condition nested thousands deep would otherwise overflow the stack: a 500).
   */
  #deeper(token: Token): void {
    if (++this.#depth > MAX_DEPTH) {
      throw soqlErrorAt(
        this.#text,
        token.start,
        "MALFORMED_QUERY",
        `conditions nested deeper than ${MAX_DEPTH} levels`,
      );
    }
  }

  #primary(): SoqlCondition {
    const start = this.#peek;
    if (this.#acceptPunct("(")) {
      this.#deeper(start);
      const inner = this.#or();
      this.#expectPunct(")");
      this.#depth--;
      return inner;
    }
    const field = this.#path();
    const t = this.#peek;
    if (t.kind === "punct" && COMPARISON[t.text] !== undefined) {
      this.#next();
      return { kind: "compare", field, op: COMPARISON[t.text], value: this.#value(false) };
    }
    if (this.#acceptWord("LIKE")) {
      const pattern = this.#value(true);
      if (pattern.kind !== "string") this.#fail(this.#tokens[this.#i - 1]);
      return { kind: "like", field, pattern };
    }
    let negated = false;
    if (this.#acceptWord("NOT")) {
      negated = true;
      if (!this.#isWord("IN")) this.#fail(this.#peek);
    }
    if (this.#acceptWord("IN")) {
      this.#expectPunct("(");
      const values: SoqlLiteral[] = [];
      do values.push(this.#value(false)); while (this.#acceptPunct(","));
      this.#expectPunct(")");
      return { kind: "in", field, negated, values };
    }
    this.#fail(t);
  }

  #value(like: boolean): SoqlLiteral {
    const t = this.#next();
    switch (t.kind) {
      case "string": {
        const raw = t.text.slice(1, -1);
        let value = "";
        const bad = scanStringBody(raw, like, (piece) => {
          value += piece;
        });
        if (bad !== undefined) {
          throw soqlErrorAt(
            this.#text,
            t.start,
            "MALFORMED_QUERY",
            badEscapeDescription(raw, bad),
          );
        }
        return { kind: "string", value, raw, start: t.start };
      }
      case "number": {
        const value = Number(t.text);
        if (!Number.isFinite(value)) this.#fail(t);
        return { kind: "number", value, text: t.text, start: t.start };
      }
      case "date":
        if (!isValidDate(t.text)) this.#fail(t);
        return { kind: "date", value: t.text, start: t.start };
      case "datetime": {
        const millis = parseDateTimeLiteral(t.text);
        if (Number.isNaN(millis)) this.#fail(t);
        return { kind: "datetime", value: t.text, millis, start: t.start };
      }
      case "ident":
        if (t.upper === "TRUE" || t.upper === "FALSE") {
          return { kind: "boolean", value: t.upper === "TRUE", start: t.start };
        }
        if (t.upper === "NULL") return { kind: "null", start: t.start };
        if (DATE_KEYWORDS.has(t.upper)) {
          return { kind: "dateKeyword", name: t.upper, n: 0, text: t.text, start: t.start };
        }
        if (DATE_KEYWORDS_N.has(t.upper)) {
          this.#expectPunct(":");
          const { value } = this.#integer();
          const text = this.#text.slice(t.start, this.#tokens[this.#i - 1].end);
          return { kind: "dateKeyword", name: t.upper, n: value, text, start: t.start };
        }
    }
    this.#fail(t);
  }
}

/** Parses SOQL text (syntax only). Throws SoqlError MALFORMED_QUERY with a caret diagram. */
export function parseSoql(text: string): SoqlQuery {
  return new Parser(text).parse();
}
