// Salesforce record ids: the 15 → 18 checksum, validation and normalisation.
// Dependency-free: the client uses it to validate arguments, the fake org to mint ids.

const CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const BASE62 = /^[0-9A-Za-z]+$/;

/** The 3-character checksum of a 15-character id (salesforce-api.md §1.3); no validation. */
function checksum(id15: string): string {
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let j = 0; j < 5; j++) {
      const code = id15.charCodeAt(chunk * 5 + j);
      // Only ASCII uppercase letters set a bit; the left-most char of a chunk is bit 0.
      if (code >= 65 && code <= 90) bits |= 1 << j;
    }
    suffix += CHECKSUM_ALPHABET[bits];
  }
  return suffix;
}

function describe(value: unknown): string {
  if (typeof value !== "string") return typeof value;
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

/**
 * Appends the 3-character checksum to a 15-character id.
 * Throws a TypeError when `id15` is not 15 base-62 characters.
 */
export function toId18(id15: string): string {
  if (typeof id15 !== "string" || id15.length !== 15 || !BASE62.test(id15)) {
    throw new TypeError(
      `Cannot convert Salesforce id: expected 15 base-62 characters: received ${describe(id15)}`,
    );
  }
  return id15 + checksum(id15);
}

/**
 * True for 15 base-62 characters, or 18 whose last 3 are the checksum of the
 * first 15 (compared case-insensitively, as Salesforce does).
 */
export function isSalesforceId(value: string): boolean {
  if (typeof value !== "string") return false;
  if (value.length !== 15 && value.length !== 18) return false;
  if (!BASE62.test(value)) return false;
  if (value.length === 15) return true;
  return checksum(value).toUpperCase() === value.slice(15).toUpperCase();
}

/**
 * The 18-character form of a valid 15- or 18-character id, with an upper-case
 * checksum. Throws a TypeError for anything {@linkcode isSalesforceId} rejects.
 */
export function normalizeId(value: string): string {
  if (!isSalesforceId(value)) {
    throw new TypeError(
      `Cannot normalize Salesforce id: expected 15 or 18 base-62 characters with a valid checksum: received ${
        describe(value)
      }`,
    );
  }
  return value.length === 18 ? value.slice(0, 15) + checksum(value) : value + checksum(value);
}
