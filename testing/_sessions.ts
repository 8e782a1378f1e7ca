// Access tokens (OAuth access tokens and SOAP session ids are interchangeable) and
// rotating refresh tokens grouped in families.

const TOKEN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomText(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let text = "";
  for (const byte of bytes) text += TOKEN_CHARS[byte % 62];
  return text;
}

/** One access token and what it stands for. */
export interface Session {
  token: string;
  userId: string;
  issuedAt: number;
  /** Set when revoked, or expired by fault injection. */
  revoked: boolean;
  /** The refresh-token family that produced it, if any. */
  family: number | undefined;
}

interface RefreshToken {
  userId: string;
  clientId: string;
  family: number;
  used: boolean;
}

/** Issues and checks tokens against the org's clock and token lifetime. */
export class SessionStore {
  #orgId15: string;
  #now: () => number;
  #lifetime: number;
  #sessions = new Map<string, Session>();
  #refresh = new Map<string, RefreshToken>();
  #revokedFamilies = new Set<number>();
  #families = 0;

  constructor(orgId15: string, now: () => number, lifetime: number) {
    this.#orgId15 = orgId15;
    this.#now = now;
    this.#lifetime = lifetime;
  }

  /** A new access token `00D...!AQ...` for `userId`. */
  issue(userId: string, family?: number): Session {
    const session: Session = {
      token: `${this.#orgId15}!AQ${randomText(4)}.${randomText(92)}`,
      userId,
      issuedAt: this.#now(),
      revoked: false,
      family,
    };
    this.#sessions.set(session.token, session);
    return session;
  }

  /** The live session for a token; undefined when unknown, revoked or older than the lifetime. */
  check(token: string | undefined): Session | undefined {
    if (token === undefined) return undefined;
    const session = this.#sessions.get(token);
    if (session === undefined || session.revoked) return undefined;
    if (this.#now() - session.issuedAt >= this.#lifetime) return undefined;
    return session;
  }

  /** Makes a token invalid from now on (fault injection's `expireToken`). */
  expire(token: string | undefined): void {
    const session = token === undefined ? undefined : this.#sessions.get(token);
    if (session !== undefined) session.revoked = true;
  }

  /** Starts a refresh-token family (password grant) and returns its first refresh token. */
  startFamily(userId: string, clientId: string): { family: number; refreshToken: string } {
    const family = ++this.#families;
    return { family, refreshToken: this.#newRefresh(userId, clientId, family) };
  }

  #newRefresh(userId: string, clientId: string, family: number): string {
    const token = `5Aep861${randomText(80)}`;
    this.#refresh.set(token, { userId, clientId, family, used: false });
    return token;
  }

  /**
   * Rotates a refresh token: marks it used and returns a new one in the same family.
   * Replaying a used token revokes the whole family (access tokens included).
   */
  rotate(
    token: string,
    clientId: string,
  ): { userId: string; family: number; refreshToken: string } | undefined {
    const entry = this.#refresh.get(token);
    if (
      entry === undefined || entry.clientId !== clientId || this.#revokedFamilies.has(entry.family)
    ) {
      return undefined;
    }
    if (entry.used) {
      this.#revokeFamily(entry.family);
      return undefined;
    }
    entry.used = true;
    return {
      userId: entry.userId,
      family: entry.family,
      refreshToken: this.#newRefresh(entry.userId, entry.clientId, entry.family),
    };
  }

  #revokeFamily(family: number): void {
    this.#revokedFamilies.add(family);
    for (const session of this.#sessions.values()) {
      if (session.family === family) session.revoked = true;
    }
  }

  /** Forgets every token. */
  clear(): void {
    this.#sessions.clear();
    this.#refresh.clear();
    this.#revokedFamilies.clear();
  }
}
