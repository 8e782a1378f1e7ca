// Keys for the JWT tests, made in the test with WebCrypto and exported to each
// PEM form with a tiny DER writer of our own (independent of auth/_der.ts), the
// OpenSSL fixtures, and a JWT checker that verifies RS256 with the public key.

export const FIXTURES = new URL("./fixtures/", import.meta.url);
export const FIXTURE_PASSPHRASE = "test-passphrase";

/** Reads a fixture PEM (test-only keys, see fixtures/README.md). */
export function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(name, FIXTURES));
}

/** Generates an RS256 key pair; extractable so it can be exported to PEM. */
export async function rsaKeys(bits = 2048): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      hash: "SHA-256",
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
    },
    true,
    ["sign", "verify"],
  );
}

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** One DER element. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const content = parts.flatMap((part) => [...part]);
  return new Uint8Array([tag, ...length(content.length), ...content]);
}

/** [tag, content, next offset] of the element at `offset`. */
function read(bytes: Uint8Array, offset: number): [number, Uint8Array, number] {
  let len = bytes[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + bytes[start + i];
    start += count;
  }
  return [bytes[offset], bytes.subarray(start, start + len), start + len];
}

/** The RSAPrivateKey (PKCS#1) inside a PrivateKeyInfo (PKCS#8): its third element. */
export function unwrapPkcs8(pkcs8: Uint8Array): Uint8Array<ArrayBuffer> {
  const [, outer] = read(pkcs8, 0);
  const [, , afterVersion] = read(outer, 0);
  const [, , afterAlgorithm] = read(outer, afterVersion);
  const [tag, key] = read(outer, afterAlgorithm);
  if (tag !== 0x04) throw new Error("not a PKCS#8 PrivateKeyInfo");
  return new Uint8Array(key);
}

export function toPem(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export function fromPem(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

export async function pkcs8Der(key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
}

export async function pkcs8Pem(key: CryptoKey): Promise<string> {
  return toPem("PRIVATE KEY", await pkcs8Der(key));
}

export async function pkcs1Pem(key: CryptoKey): Promise<string> {
  return toPem("RSA PRIVATE KEY", unwrapPkcs8(await pkcs8Der(key)));
}

const OID = {
  pbes2: [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d],
  pbkdf2: [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c],
  "SHA-1": [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07],
  "SHA-256": [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09],
  128: [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02],
  192: [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16],
  256: [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a],
} as const;

const oid = (bytes: readonly number[]) => tlv(0x06, new Uint8Array(bytes));
const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);
const int = (n: number) => {
  const bytes: number[] = [];
  for (; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, new Uint8Array(bytes));
};

export interface EncryptOptions {
  hash?: "SHA-1" | "SHA-256";
  aesBits?: 128 | 192 | 256;
  iterations?: number;
  /** Write the PRF even when it is the default (HMAC-SHA-1). */
  explicitPrf?: boolean;
  /** Write PBKDF2's optional keyLength. */
  keyLength?: boolean;
}

/** An EncryptedPrivateKeyInfo (PBES2: PBKDF2 + AES-CBC) built with WebCrypto. */
export async function encryptedPkcs8Pem(
  key: CryptoKey,
  passphrase: string,
  { hash = "SHA-256", aesBits = 256, iterations = 2048, explicitPrf, keyLength }: EncryptOptions =
    {},
): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const base = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(passphrase),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash, salt, iterations },
    base,
    aesBits,
  );
  const aes = await crypto.subtle.importKey("raw", bits, "AES-CBC", false, ["encrypt"]);
  const data = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-CBC", iv }, aes, await pkcs8Der(key)),
  );
  const kdfParams: Uint8Array[] = [octets(salt), int(iterations)];
  if (keyLength) kdfParams.push(int(aesBits / 8));
  if (hash !== "SHA-1" || explicitPrf) kdfParams.push(seq(oid(OID[hash]), tlv(0x05)));
  const der = seq(
    seq(
      oid(OID.pbes2),
      seq(
        seq(oid(OID.pbkdf2), seq(...kdfParams)),
        seq(oid(OID[aesBits]), octets(iv)),
      ),
    ),
    octets(data),
  );
  return toPem("ENCRYPTED PRIVATE KEY", der);
}

function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(
    atob(base64 + "=".repeat((4 - base64.length % 4) % 4)),
    (c) => c.charCodeAt(0),
  );
}

/** A JWT split and decoded, with its RS256 signature checked against `publicKey`. */
export interface CheckedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  valid: boolean;
  /** The raw segments, to check the base64url alphabet and the absence of padding. */
  segments: string[];
}

export async function checkJwt(assertion: string, publicKey: CryptoKey): Promise<CheckedJwt> {
  const segments = assertion.split(".");
  if (segments.length !== 3) throw new Error(`a JWT has 3 segments: got ${segments.length}`);
  const [header, claims, signature] = segments;
  const json = (segment: string) => JSON.parse(new TextDecoder().decode(decodeBase64Url(segment)));
  const valid = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    publicKey,
    decodeBase64Url(signature),
    new TextEncoder().encode(`${header}.${claims}`),
  );
  return { header: json(header), claims: json(claims), valid, segments };
}

/** The public key of a fixture, for verifying. */
export async function fixturePublicKey(): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "spki",
    fromPem(fixture("rsa2048_public.pem")),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
}
