/**
 * Who may see the status page: a bridge admin who opened a link from the bot's `status` command,
 * or a script with `status_page.token`.
 *
 * A link carries `<expiry> <nonce> <user id>` and an HMAC-SHA256 of it under a key of its own
 * (`secretKey.derive('status-page')`), so it cannot be made or changed without the bridge's
 * secret key. It opens once, before it expires, and becomes a session: a random id in an
 * HttpOnly, SameSite=Strict cookie, with a CSRF token of its own that every POST must carry.
 * Sessions live in this process's memory (a restart signs everyone out).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'sb_status';
const SESSION_MS = 12 * 3_600_000;

export interface Session {
  id: string;
  userId: string;
  csrf: string;
  expiresAt: number;
}

export type Redeemed =
  { ok: true; session: Session } | { ok: false; reason: 'invalid' | 'expired' | 'used' };

export interface StatusAuthOptions {
  /** The signing key, asked for on first use. */
  key: () => Buffer;
  linkTtlMs: number;
  /** `status_page.token` (or the contents of `token_file`), for `Authorization: Bearer`. */
  token?: string;
  now?: () => number;
}

const sameText = (a: string, b: string) => {
  // Hashed first: equal lengths for timingSafeEqual, and no length leaked.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
};

export class StatusAuth {
  private cachedKey?: Buffer;
  private readonly sessions = new Map<string, Session>();
  /** Nonces of links already opened, until they expire. */
  private readonly used = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: StatusAuthOptions) {
    this.now = opts.now ?? Date.now;
  }

  get linkTtlMs(): number {
    return this.opts.linkTtlMs;
  }

  /** A token for the login link of `userId`. */
  linkToken(userId: string): string {
    const expires = Math.ceil((this.now() + this.opts.linkTtlMs) / 1000);
    const payload = Buffer.from(
      `${expires} ${randomBytes(12).toString('base64url')} ${userId}`,
      'utf8',
    ).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** Opens a link: a new session, or why not. */
  redeem(token: string): Redeemed {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'invalid' };
    if (!sameText(signature, this.mac(payload))) return { ok: false, reason: 'invalid' };
    const match = /^(\d{1,12}) ([A-Za-z0-9_-]{16}) (@\S+)$/.exec(
      Buffer.from(payload, 'base64url').toString('utf8'),
    );
    if (!match) return { ok: false, reason: 'invalid' };
    const expiresAt = Number(match[1]) * 1000;
    const now = this.now();
    if (expiresAt <= now) return { ok: false, reason: 'expired' };
    for (const [nonce, until] of this.used) if (until <= now) this.used.delete(nonce);
    if (this.used.has(match[2]!)) return { ok: false, reason: 'used' };
    this.used.set(match[2]!, expiresAt);
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      userId: match[3]!,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: now + SESSION_MS,
    };
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    this.sessions.set(session.id, session);
    return { ok: true, session };
  }

  /** The live session of a cookie value. */
  session(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  endSession(id: string): void {
    this.sessions.delete(id);
  }

  /** `none`: no Bearer header; `bad`: a wrong token (or none is configured). */
  bearer(header: string | undefined): 'none' | 'ok' | 'bad' {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return 'none';
    return this.opts.token && sameText(match[1]!, this.opts.token) ? 'ok' : 'bad';
  }

  /** Whether `given` is the session's CSRF token. */
  csrfOk(session: Session, given: unknown): boolean {
    return typeof given === 'string' && sameText(given, session.csrf);
  }

  private mac(payload: string): string {
    return createHmac('sha256', (this.cachedKey ??= this.opts.key()))
      .update(`status-link\0${payload}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
