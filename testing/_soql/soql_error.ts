// SoqlError: a SOQL failure as Salesforce reports it (400 with errorCode and a caret diagram).

/** A SOQL parse, validation or range error; `message` is the REST error message, caret diagram included. */
export class SoqlError extends Error {
  /** Salesforce errorCode, e.g. `MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`. */
  readonly errorCode: string;
  /** The description line without the diagram, e.g. `unexpected token: 'FROM'`. */
  readonly description: string;
  /** 1-based row of the offending token, or 0 when the message has no diagram. */
  readonly row: number;
  /** 1-based column of the offending token, or 0 when the message has no diagram. */
  readonly column: number;

  constructor(
    errorCode: string,
    description: string,
    message: string,
    position: { row: number; column: number } = { row: 0, column: 0 },
  ) {
    super(message);
    this.name = "SoqlError";
    this.errorCode = errorCode;
    this.description = description;
    this.row = position.row;
    this.column = position.column;
  }
}

/**
 * Builds a SoqlError whose message carries Salesforce's caret diagram:
 * "\n" + the query line + "\n" + spaces + "^" + "\nERROR at Row:r:Column:c\n" + description.
 * `offset` is the 0-based index of the offending token in `text` (text.length for end of input).
 */
export function soqlErrorAt(
  text: string,
  offset: number,
  errorCode: string,
  description: string,
): SoqlError {
  let lineStart = 0;
  let row = 1;
  const limit = Math.min(offset, text.length);
  for (let i = 0; i < limit; i++) {
    if (text.charCodeAt(i) === 10) {
      row++;
      lineStart = i + 1;
    }
  }
  let lineEnd = text.indexOf("\n", lineStart);
  if (lineEnd === -1) lineEnd = text.length;
  let line = text.slice(lineStart, lineEnd);
  if (line.endsWith("\r")) line = line.slice(0, -1);
  const column = offset - lineStart + 1;
  const message = `\n${line}\n${" ".repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n` +
    description;
  return new SoqlError(errorCode, description, message, { row, column });
}
