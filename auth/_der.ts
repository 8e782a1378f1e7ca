// A small DER reader and writer: just what reading PKCS#1, PKCS#8 and PBES2 keys and
// wrapping PKCS#1 into PKCS#8 need (auth/_pem.ts). Malformed input throws DerError.

/** Bytes WebCrypto accepts (never a SharedArrayBuffer view). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** One DER element: its tag byte and its content. */
export interface Der {
  tag: number;
  content: Bytes;
}

export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

/** Malformed DER; callers turn it into a message that names the key, not its bytes. */
export class DerError extends Error {}

/** Reads the element at `offset`; returns it and where the next one starts. */
function readElement(bytes: Bytes, offset: number): { element: Der; next: number } {
  if (offset + 2 > bytes.length) throw new DerError("truncated element");
  const tag = bytes[offset];
  // Multi-byte tags never occur in the structures read here.
  if ((tag & 0x1f) === 0x1f) throw new DerError("unsupported tag");
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is BER's indefinite length, not DER; 4 length bytes cover any key.
    if (count === 0 || count > 4 || start + count > bytes.length) {
      throw new DerError("bad length");
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new DerError("truncated content");
  return { element: { tag, content: bytes.subarray(start, end) }, next: end };
}

/** Parses exactly one element filling `bytes`. */
export function parseDer(bytes: Bytes): Der {
  const { element, next } = readElement(bytes, 0);
  if (next !== bytes.length) throw new DerError("trailing bytes");
  return element;
}

/** The elements inside a constructed element (a SEQUENCE, or a context tag). */
export function childrenOf(element: Der): Der[] {
  const children: Der[] = [];
  for (let offset = 0; offset < element.content.length;) {
    const read = readElement(element.content, offset);
    children.push(read.element);
    offset = read.next;
  }
  return children;
}

export function expect(element: Der | undefined, tag: number): Der {
  if (element === undefined || element.tag !== tag) throw new DerError("unexpected element");
  return element;
}

export function sequence(element: Der | undefined): Der[] {
  return childrenOf(expect(element, TAG.SEQUENCE));
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oidOf(element: Der | undefined): string {
  const { content } = expect(element, TAG.OID);
  if (content.length === 0) throw new DerError("empty OID");
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError("OID arc too large");
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  if (content[content.length - 1] & 0x80) throw new DerError("truncated OID");
  return parts.join(".");
}

/** A small non-negative INTEGER (versions, iteration counts, key lengths). */
export function smallInteger(element: Der | undefined): number {
  const { content } = expect(element, TAG.INTEGER);
  if (content.length === 0 || content.length > 6 || content[0] & 0x80) {
    throw new DerError("integer out of range");
  }
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** Encodes one element from its tag and content parts. */
export function encodeDer(tag: number, ...parts: Bytes[]): Bytes {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const header = [tag, ...encodeLength(length)];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
