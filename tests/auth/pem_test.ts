import assert from "node:assert/strict";
import {
  fromBase64Url,
  importPrivateKey,
  KeyError,
  parsePrivateKeyPem,
  RS256,
  toBase64Url,
  wrapPkcs1,
} from "../../auth/_pem.ts";
import { childrenOf, encodeDer, oidOf, parseDer } from "../../auth/_der.ts";
import {
  encryptedPkcs8Pem,
  fixture,
  FIXTURE_PASSPHRASE,
  fixturePublicKey,
  pkcs1Pem,
  pkcs8Der,
  pkcs8Pem,
  rsaKeys,
  toPem,
  unwrapPkcs8,
} from "./_keys.ts";

const DATA = new TextEncoder().encode("header.claims");

async function sign(key: CryptoKey): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign(RS256, key, DATA)));
}

async function importPem(pem: string, passphrase?: string): Promise<CryptoKey> {
  return await importPrivateKey(parsePrivateKeyPem(pem), passphrase);
}

/** Checks a KeyError's message and that it repeats none of the PEM's body. */
function keyError(pattern: RegExp, pem?: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof KeyError, `expected a KeyError, got ${error}`);
    assert.ok(error instanceof TypeError);
    assert.match(error.message, pattern);
    for (const line of pem?.split("\n").filter((l) => l.length >= 16 && !l.includes("-")) ?? []) {
      assert.ok(!error.message.includes(line.slice(0, 16)), "the message repeats key material");
    }
    return true;
  };
}

// RSASSA-PKCS1-v1_5 is deterministic: the same key signs the same bytes identically.
Deno.test("PKCS#8, PKCS#1 and encrypted PKCS#8 PEM of one generated key sign identically", async () => {
  const { privateKey, publicKey } = await rsaKeys();
  const expected = await sign(privateKey);
  const forms: [string, string, string?][] = [
    ["PKCS#8", await pkcs8Pem(privateKey)],
    ["PKCS#1", await pkcs1Pem(privateKey)],
    [
      "PBES2 SHA-256 AES-256",
      await encryptedPkcs8Pem(privateKey, "pässword"),
      "pässword",
    ],
    [
      "PBES2 SHA-1 (default PRF) AES-128",
      await encryptedPkcs8Pem(privateKey, "pw", { hash: "SHA-1", aesBits: 128 }),
      "pw",
    ],
    [
      "PBES2 explicit SHA-1 AES-192 with keyLength",
      await encryptedPkcs8Pem(privateKey, "pw", {
        hash: "SHA-1",
        aesBits: 192,
        explicitPrf: true,
        keyLength: true,
      }),
      "pw",
    ],
  ];
  for (const [name, pem, passphrase] of forms) {
    const key = await importPem(pem, passphrase);
    assert.equal(key.type, "private", name);
    assert.equal(key.extractable, false, name);
    assert.deepEqual(key.usages, ["sign"], name);
    assert.equal(await sign(key), expected, name);
  }
  const signature = fromBase64Url(expected)!;
  assert.ok(await crypto.subtle.verify(RS256, publicKey, signature, DATA));
});

Deno.test("OpenSSL's PKCS#8, PKCS#1 and PBES2-encrypted keys import and verify with the public key", async () => {
  const publicKey = await fixturePublicKey();
  const expected = await sign(await importPem(fixture("rsa2048_pkcs8.pem")));
  assert.ok(await crypto.subtle.verify(RS256, publicKey, fromBase64Url(expected)!, DATA));
  for (
    const [name, passphrase] of [
      ["rsa2048_pkcs1.pem", undefined],
      ["rsa2048_aes256_sha256.pem", FIXTURE_PASSPHRASE],
      ["rsa2048_aes128_sha1.pem", FIXTURE_PASSPHRASE],
      ["rsa2048_aes192_sha512.pem", FIXTURE_PASSPHRASE],
    ]
  ) {
    assert.equal(await sign(await importPem(fixture(name!), passphrase)), expected, name);
  }
});

Deno.test("parsePrivateKeyPem wraps PKCS#1 into the same PKCS#8 DER that WebCrypto exports", async () => {
  const { privateKey } = await rsaKeys();
  const pkcs8 = await pkcs8Der(privateKey);
  assert.deepEqual(wrapPkcs1(unwrapPkcs8(pkcs8)), pkcs8);
  const parsed = parsePrivateKeyPem(await pkcs1Pem(privateKey));
  assert.equal(parsed.encrypted, false);
  assert.deepEqual(!parsed.encrypted && parsed.pkcs8, pkcs8);
});

Deno.test("parsePrivateKeyPem accepts CRLF, surrounding text and literal \\n from environment variables", async () => {
  const pem = fixture("rsa2048_pkcs8.pem");
  const expected = await sign(await importPem(pem));
  for (
    const variant of [
      pem.replaceAll("\n", "\r\n"),
      `Bag Attributes\n    friendlyName: test\n${pem}\nsome trailing text`,
      pem.replaceAll("\n", "\\n"),
      `${fixture("rsa2048_public.pem")}${pem}`,
    ]
  ) {
    assert.equal(await sign(await importPem(variant)), expected);
  }
});

Deno.test("A wrong passphrase is a TypeError saying so", async () => {
  const { privateKey } = await rsaKeys();
  const generated = await encryptedPkcs8Pem(privateKey, "right");
  // Many tries: a wrong key sometimes still decrypts to valid padding, never to a key.
  for (let i = 0; i < 20; i++) {
    await assert.rejects(
      importPem(generated, `wrong-${i}`),
      keyError(/^"privateKeyPassphrase" is wrong: the private key did not decrypt$/, generated),
    );
  }
  const openssl = fixture("rsa2048_aes256_sha256.pem");
  await assert.rejects(importPem(openssl, "nope"), keyError(/"privateKeyPassphrase" is wrong/));
});

Deno.test("A key under 2048 bits is refused after import", async () => {
  const pem = fixture("rsa1024_pkcs8.pem");
  await assert.rejects(
    importPem(pem),
    keyError(
      /^"privateKey" must be an RSA key of at least 2048 bits: received a 1024-bit key$/,
      pem,
    ),
  );
  const generated = await pkcs1Pem((await rsaKeys(1024)).privateKey);
  await assert.rejects(importPem(generated), keyError(/received a 1024-bit key/, generated));
});

Deno.test("EC keys in PKCS#8 and SEC1 PEM are refused as not RSA", async () => {
  const ec = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
  ]);
  const generated = toPem("PRIVATE KEY", await pkcs8Der(ec.privateKey));
  for (const pem of [generated, fixture("ec_p256_pkcs8.pem"), fixture("ec_p256_sec1.pem")]) {
    assert.throws(
      () => parsePrivateKeyPem(pem),
      keyError(/^"privateKey" must be an RSA key: received an EC key$/, pem),
    );
  }
  const encrypted = await encryptedPkcs8Pem(ec.privateKey, "pw");
  await assert.rejects(
    importPem(encrypted, "pw"),
    keyError(/must be an RSA key: received an EC key/),
  );
});

const malformed: [string, () => string, RegExp][] = [
  ["text with no PEM block", () => "not a key", /must be PEM text .*: no PEM block found/],
  ["an empty string", () => "", /no PEM block found/],
  [
    "a certificate",
    () => "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    /must be a PEM private key .*: received a PEM "CERTIFICATE" block/,
  ],
  [
    "a public key",
    () => fixture("rsa2048_public.pem"),
    /received a PEM "PUBLIC KEY" block/,
  ],
  [
    "two private keys",
    () => fixture("rsa2048_pkcs8.pem") + fixture("rsa2048_pkcs1.pem"),
    /must hold one private key: received 2/,
  ],
  [
    "mismatched labels",
    () => fixture("rsa2048_pkcs8.pem").replace("END PRIVATE KEY", "END RSA PRIVATE KEY"),
    /its BEGIN and END labels differ/,
  ],
  [
    "a body that is not base64",
    () => fixture("rsa2048_pkcs8.pem").replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!"),
    /the PRIVATE KEY body is not base64/,
  ],
  [
    "a truncated body",
    () => {
      const lines = fixture("rsa2048_pkcs8.pem").split("\n");
      return [lines[0], ...lines.slice(1, 6), lines.at(-2)].join("\n");
    },
    /the PRIVATE KEY body is not valid DER/,
  ],
  [
    "a truncated PKCS#1 body",
    () => {
      const lines = fixture("rsa2048_pkcs1.pem").split("\n");
      return [lines[0], ...lines.slice(1, 6), lines.at(-2)].join("\n");
    },
    /the RSA PRIVATE KEY body is not valid DER/,
  ],
  [
    "a legacy OpenSSL-encrypted key",
    () => fixture("rsa2048_legacy_encrypted.pem"),
    /legacy OpenSSL format \(Proc-Type header\), which is not supported: convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`/,
  ],
  [
    "a PKCS#12 PBE key",
    () => fixture("rsa2048_pbes1_3des.pem"),
    /encrypted with PKCS#12 PBE with SHA-1 and 3DES: only PBES2 with PBKDF2 and AES-CBC is supported/,
  ],
  [
    "an unknown private key label",
    () => "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
    /received a PEM "OPENSSH PRIVATE KEY" block/,
  ],
  [
    "a label with odd characters",
    () => "-----BEGIN <script> PRIVATE KEY-----\nAAAA\n-----END <script> PRIVATE KEY-----",
    /received an unknown PEM block/,
  ],
];
for (const [name, pem, pattern] of malformed) {
  Deno.test(`parsePrivateKeyPem refuses ${name} with a TypeError naming the problem`, () => {
    const text = pem();
    assert.throws(() => parsePrivateKeyPem(text), keyError(pattern, text));
  });
}

Deno.test("The DER reader reads long-form lengths and refuses indefinite ones and trailing bytes", () => {
  const big = new Uint8Array(300).fill(7);
  const der = encodeDer(0x30, encodeDer(0x04, big), encodeDer(0x05));
  assert.deepEqual([...der.subarray(0, 4)], [0x30, 0x82, 0x01, 0x32]);
  const [octets, nul] = childrenOf(parseDer(der));
  assert.deepEqual(octets.content, big);
  assert.equal(nul.tag, 0x05);
  assert.throws(() => parseDer(new Uint8Array([0x30, 0x80, 0x00, 0x00])));
  assert.throws(() => parseDer(new Uint8Array([0x05, 0x00, 0x00])));
  assert.throws(() => parseDer(new Uint8Array([0x04, 0x05, 0x00])));
  assert.equal(
    oidOf(parseDer(new Uint8Array([6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 5, 13]))),
    "1.2.840.113549.1.5.13",
  );
});

Deno.test("toBase64Url writes base64url without padding and fromBase64Url reads it back", () => {
  for (let n = 0; n < 8; n++) {
    const bytes = new Uint8Array(n).map((_, i) => 250 + i);
    const text = toBase64Url(bytes);
    assert.match(text, /^[A-Za-z0-9_-]*$/);
    assert.deepEqual(fromBase64Url(text), bytes);
  }
  assert.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
  assert.equal(fromBase64Url("a+b="), undefined);
  assert.equal(fromBase64Url("abcde"), undefined);
});
