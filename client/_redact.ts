// Keeps secrets out of what errors say: every occurrence of each secret becomes a marker.

/** What a hidden secret reads as. */
export const REDACTED = "[redacted]";

/** Replaces every occurrence of each secret (longest first) in `text` with {@linkcode REDACTED}. */
export function redactAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== "" && out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  }
  return out;
}

/** A parsed JSON value with every string passed through {@linkcode redactAll}. */
export function redactJson(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redactAll(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secrets));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactJson(item, secrets);
    return out;
  }
  return value;
}
