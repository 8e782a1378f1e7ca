// PEM text to an RS256 signing CryptoKey with WebCrypto alone: PKCS#8, PKCS#1
// (wrapped into PKCS#8 here) and PBES2-encrypted PKCS#8 (PBKDF2 + AES-CBC), on the
// DER reader and writer of _der.ts. Messages name the problem, never key material.

import {
  type Bytes,
  DerError,
  encodeDer,
  expect,
  oidOf,
  parseDer,
  sequence,
  smallInteger,
  TAG,
} from "./_der.ts";

/** The WebCrypto algorithm of RS256 (RSASSA-PKCS1-v1_5 with SHA-256). */
export const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** Salesforce accepts smaller keys, but NIST and every current guideline say 2048 at least. */
export const MIN_MODULUS_BITS = 2048;

const LABELS = "BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN ENCRYPTED PRIVATE KEY";
const REENCRYPT = "convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`";

// ---------------------------------------------------------------------------
// Algorithms

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
// 06 09 2A 86 48 86 F7 0D 01 01 01: rsaEncryption, for the PKCS#1 wrapper.
const RSA_ENCRYPTION_DER = new Uint8Array([6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 1]);

/** Key types that are not plain RSA, by OID, for a message that says what was received. */
const OTHER_KEY_TYPES: Record<string, string> = {
  "1.2.840.113549.1.1.10": "an RSA-PSS key (RS256 needs an rsaEncryption key)",
  "1.2.840.10045.2.1": "an EC key",
  "1.2.840.10040.4.1": "a DSA key",
  "1.2.840.113549.1.3.1": "a DH key",
  "1.3.101.110": "an X25519 key",
  "1.3.101.111": "an X448 key",
  "1.3.101.112": "an Ed25519 key",
  "1.3.101.113": "an Ed448 key",
};

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const HMAC_SHA1 = "1.2.840.113549.2.7";
const PRF_HASHES: Record<string, string> = {
  [HMAC_SHA1]: "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};
/** AES-CBC key sizes in bytes, by OID. */
const AES_CBC: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 16,
  "2.16.840.1.101.3.4.1.22": 24,
  "2.16.840.1.101.3.4.1.42": 32,
};
/** Encryption schemes met in the wild that WebCrypto cannot undo. */
const UNSUPPORTED_SCHEMES: Record<string, string> = {
  "1.2.840.113549.1.5.3": "PBES1 with MD5 and DES",
  "1.2.840.113549.1.5.6": "PBES1 with MD5 and RC2",
  "1.2.840.113549.1.5.10": "PBES1 with SHA-1 and DES",
  "1.2.840.113549.1.5.11": "PBES1 with SHA-1 and RC2",
  "1.2.840.113549.1.12.1.3": "PKCS#12 PBE with SHA-1 and 3DES",
  "1.2.840.113549.1.12.1.6": "PKCS#12 PBE with SHA-1 and RC2",
  "1.3.6.1.4.1.11591.4.11": "scrypt",
  "1.2.840.113549.3.7": "DES-EDE3-CBC",
  "1.3.14.3.2.7": "DES-CBC",
};

// ---------------------------------------------------------------------------
// PEM

/** The PBES2 parameters of an encrypted PKCS#8 key. */
export interface Pbes2Params {
  hash: string;
  salt: Bytes;
  iterations: number;
  /** AES key size in bytes: 16, 24 or 32. */
  keyBytes: number;
  iv: Bytes;
}

/** A PEM private key, checked as far as possible without WebCrypto. */
export type ParsedKey =
  | { encrypted: false; pkcs8: Bytes }
  | { encrypted: true; params: Pbes2Params; data: Bytes };

/** Thrown for input that is not a usable key; the flow adds its context to the message. */
export class KeyError extends TypeError {}

/** Base64url without padding (JWT's encoding). */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
}

/** Decodes base64url without padding; undefined when the text is not base64url. */
export function fromBase64Url(text: string): Bytes | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") +
    "==".slice(0, (4 - text.length % 4) % 4);
  return padded === "" ? new Uint8Array(0) : base64ToBytes(padded);
}

function base64ToBytes(text: string): Bytes | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    return undefined;
  }
  const binary = atob(compact);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A label safe to repeat in a message (it came from the caller's text). */
function shownLabel(label: string): string {
  return /^[A-Z0-9 ]{1,40}$/.test(label) ? `a PEM "${label}" block` : "an unknown PEM block";
}

/**
 * Reads PEM text holding one private key. Literal `\n` sequences (a key pasted
 * into an environment variable) count as line breaks.
 */
export function parsePrivateKeyPem(pem: string): ParsedKey {
  const text = pem.replaceAll("\\n", "\n").replaceAll("\r", "");
  const blocks = [
    ...text.matchAll(/-----BEGIN ([^-\n]*)-----\n?([\s\S]*?)-----END ([^-\n]*)-----/g),
  ];
  if (blocks.length === 0) {
    throw new KeyError(
      `"privateKey" must be PEM text (${LABELS}) or a CryptoKey: no PEM block found`,
    );
  }
  const keys = blocks.filter(([, label]) => /PRIVATE KEY$/.test(label));
  if (keys.length === 0) {
    throw new KeyError(
      `"privateKey" must be a PEM private key (${LABELS}): received ${shownLabel(blocks[0][1])}`,
    );
  }
  if (keys.length > 1) {
    throw new KeyError(`"privateKey" must hold one private key: received ${keys.length}`);
  }
  const [, label, body, endLabel] = keys[0];
  if (label !== endLabel) {
    throw new KeyError(`"privateKey" is not valid PEM: its BEGIN and END labels differ`);
  }
  if (/^Proc-Type:/m.test(body)) {
    throw new KeyError(
      `"privateKey" is encrypted in the legacy OpenSSL format (Proc-Type header), which is not supported: ${REENCRYPT}`,
    );
  }
  const der = base64ToBytes(body);
  if (der === undefined) {
    throw new KeyError(`"privateKey" is not valid PEM: the ${label} body is not base64`);
  }
  try {
    switch (label) {
      case "PRIVATE KEY":
        checkPkcs8(der);
        return { encrypted: false, pkcs8: der };
      case "RSA PRIVATE KEY":
        return { encrypted: false, pkcs8: wrapPkcs1(der) };
      case "ENCRYPTED PRIVATE KEY":
        return parseEncrypted(der);
      case "EC PRIVATE KEY":
        throw new KeyError(`"privateKey" must be an RSA key: received an EC key`);
      case "DSA PRIVATE KEY":
        throw new KeyError(`"privateKey" must be an RSA key: received a DSA key`);
      default:
        throw new KeyError(
          `"privateKey" must be a PEM private key (${LABELS}): received ${shownLabel(label)}`,
        );
    }
  } catch (error) {
    if (error instanceof DerError) {
      throw new KeyError(`"privateKey" is not valid PEM: the ${label} body is not valid DER`);
    }
    throw error;
  }
}

/** Checks a PrivateKeyInfo: version 0 or 1, rsaEncryption, an OCTET STRING key. */
function checkPkcs8(der: Bytes): void {
  const [version, algorithm, key] = sequence(parseDer(der));
  if (smallInteger(version) > 1) throw new DerError("unknown PrivateKeyInfo version");
  const oid = oidOf(sequence(algorithm)[0]);
  expect(key, TAG.OCTET_STRING);
  if (oid !== RSA_ENCRYPTION) {
    throw new KeyError(
      `"privateKey" must be an RSA key: received ${
        OTHER_KEY_TYPES[oid] ?? `a key of another type (OID ${oid})`
      }`,
    );
  }
  checkPkcs1(key.content);
}

/** Checks an RSAPrivateKey: version, then at least n, e, d, p, q, dp, dq, qinv as INTEGERs. */
function checkPkcs1(der: Bytes): void {
  const fields = sequence(parseDer(der));
  if (fields.length < 9) throw new DerError("RSAPrivateKey too short");
  for (const field of fields.slice(0, 9)) expect(field, TAG.INTEGER);
}

/** PKCS#1 RSAPrivateKey to PKCS#8 PrivateKeyInfo, which WebCrypto imports. */
export function wrapPkcs1(pkcs1: Bytes): Bytes {
  checkPkcs1(pkcs1);
  return encodeDer(
    TAG.SEQUENCE,
    encodeDer(TAG.INTEGER, new Uint8Array([0])),
    encodeDer(TAG.SEQUENCE, RSA_ENCRYPTION_DER, encodeDer(TAG.NULL)),
    encodeDer(TAG.OCTET_STRING, pkcs1),
  );
}

/** Reads an EncryptedPrivateKeyInfo with PBES2 (PBKDF2 + AES-CBC) parameters. */
function parseEncrypted(der: Bytes): ParsedKey {
  const [algorithm, data] = sequence(parseDer(der));
  const [schemeOid, schemeParams] = sequence(algorithm);
  const scheme = oidOf(schemeOid);
  if (scheme !== PBES2) {
    throw new KeyError(
      `"privateKey" is encrypted with ${
        UNSUPPORTED_SCHEMES[scheme] ?? `an unsupported scheme (OID ${scheme})`
      }: only PBES2 with PBKDF2 and AES-CBC is supported: ${REENCRYPT}`,
    );
  }
  const [kdf, encryption] = sequence(schemeParams);
  const [kdfOid, kdfParams] = sequence(kdf);
  const kdfName = oidOf(kdfOid);
  if (kdfName !== PBKDF2) {
    throw new KeyError(
      `"privateKey" derives its key with ${
        UNSUPPORTED_SCHEMES[kdfName] ?? `an unsupported function (OID ${kdfName})`
      }: only PBKDF2 is supported: ${REENCRYPT}`,
    );
  }
  // PBKDF2-params: salt, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1.
  const [salt, iterationCount, ...rest] = sequence(kdfParams);
  const keyLength = rest[0]?.tag === TAG.INTEGER ? smallInteger(rest.shift()) : undefined;
  const prf = rest[0] === undefined ? HMAC_SHA1 : oidOf(sequence(rest[0])[0]);
  const hash = PRF_HASHES[prf];
  if (hash === undefined) {
    throw new KeyError(
      `"privateKey" uses PBKDF2 with an unsupported PRF (OID ${prf}): HMAC with SHA-1, SHA-256, SHA-384 or SHA-512 is supported: ${REENCRYPT}`,
    );
  }
  const [cipherOid, iv] = sequence(encryption);
  const cipher = oidOf(cipherOid);
  const keyBytes = AES_CBC[cipher];
  if (keyBytes === undefined) {
    throw new KeyError(
      `"privateKey" is encrypted with ${
        UNSUPPORTED_SCHEMES[cipher] ?? `an unsupported cipher (OID ${cipher})`
      }: AES-128-CBC, AES-192-CBC or AES-256-CBC is supported: ${REENCRYPT}`,
    );
  }
  const iterations = smallInteger(iterationCount);
  if (iterations < 1 || iterations > 0x7fff_ffff) throw new DerError("bad iteration count");
  if (keyLength !== undefined && keyLength !== keyBytes) throw new DerError("bad key length");
  if (expect(iv, TAG.OCTET_STRING).content.length !== 16) throw new DerError("bad IV");
  expect(data, TAG.OCTET_STRING);
  return {
    encrypted: true,
    params: {
      hash,
      salt: expect(salt, TAG.OCTET_STRING).content,
      iterations,
      keyBytes,
      iv: iv.content,
    },
    data: data.content,
  };
}

// ---------------------------------------------------------------------------
// WebCrypto

/** Decrypts an encrypted PKCS#8 key; a wrong passphrase is a KeyError. */
async function decrypt(
  key: { params: Pbes2Params; data: Bytes },
  passphrase: string,
): Promise<Bytes> {
  const { hash, salt, iterations, keyBytes, iv } = key.params;
  const secret = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(passphrase),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash, salt, iterations },
    secret,
    keyBytes * 8,
  );
  const aes = await crypto.subtle.importKey("raw", bits, "AES-CBC", false, ["decrypt"]);
  let plain: Bytes;
  try {
    plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, aes, key.data));
    // A wrong key still yields valid padding about once in 256 tries; then the DER is garbage.
    checkPkcs8Structure(plain);
  } catch {
    throw new KeyError(`"privateKeyPassphrase" is wrong: the private key did not decrypt`);
  }
  try {
    checkPkcs8(plain);
  } catch (error) {
    plain.fill(0);
    if (error instanceof DerError) {
      throw new KeyError(`"privateKey" is not valid: the decrypted key is not valid DER`);
    }
    throw error;
  }
  return plain;
}

/** Only the outer shape, so a wrong passphrase is told apart from a non-RSA key. */
function checkPkcs8Structure(der: Bytes): void {
  const [version, algorithm, key] = sequence(parseDer(der));
  smallInteger(version);
  oidOf(sequence(algorithm)[0]);
  expect(key, TAG.OCTET_STRING);
}

/**
 * Imports a parsed PEM key as a non-extractable RS256 signing key and checks its
 * size. `passphrase` is required for an encrypted key (the caller checks that).
 */
export async function importPrivateKey(parsed: ParsedKey, passphrase = ""): Promise<CryptoKey> {
  const pkcs8 = parsed.encrypted ? await decrypt(parsed, passphrase) : parsed.pkcs8;
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", pkcs8, RS256, false, ["sign"]);
  } catch {
    throw new KeyError(`"privateKey" could not be imported: it is not a valid RSA private key`);
  } finally {
    if (parsed.encrypted) pkcs8.fill(0);
  }
  checkSigningKey(key);
  return key;
}

/** Checks that a CryptoKey can sign RS256 and is at least 2048 bits. */
export function checkSigningKey(key: CryptoKey): void {
  const algorithm = key.algorithm as Partial<RsaHashedKeyAlgorithm>;
  const hash = typeof algorithm.hash === "object" ? algorithm.hash?.name : algorithm.hash;
  if (key.type !== "private" || algorithm.name !== RS256.name || hash !== RS256.hash) {
    throw new KeyError(
      `"privateKey" must be an RSASSA-PKCS1-v1_5 SHA-256 private CryptoKey: received a ${key.type} ${
        String(algorithm.name)
      }${hash === undefined ? "" : ` ${hash}`} key`,
    );
  }
  if (!key.usages.includes("sign")) {
    throw new KeyError(`"privateKey" must be a CryptoKey whose usages include "sign"`);
  }
  const bits = algorithm.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) {
    throw new KeyError(
      `"privateKey" must be an RSA key of at least ${MIN_MODULUS_BITS} bits: received a ${bits}-bit key`,
    );
  }
}
