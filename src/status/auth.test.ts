import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieValue, StatusAuth } from './auth.js';

const MIN = 60_000;

describe('status page auth', () => {
  let clock = 1_000_000_000_000;
  const key = randomBytes(32);
  const auth = (over: Partial<ConstructorParameters<typeof StatusAuth>[0]> = {}) =>
    new StatusAuth({ key: () => key, linkTtlMs: 10 * MIN, now: () => clock, ...over });

  it('a link opens once, for its user, and makes a session with its own CSRF token', () => {
    const a = auth();
    const token = a.linkToken('@admin:hs');
    const first = a.redeem(token);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.session.userId).toBe('@admin:hs');
    expect(a.session(first.session.id)).toEqual(first.session);
    expect(a.csrfOk(first.session, first.session.csrf)).toBe(true);
    expect(a.csrfOk(first.session, 'x')).toBe(false);
    expect(a.csrfOk(first.session, undefined)).toBe(false);
    expect(a.redeem(token)).toEqual({ ok: false, reason: 'used' });
    a.endSession(first.session.id);
    expect(a.session(first.session.id)).toBeUndefined();
  });

  it('refuses an expired link, a changed one, and one signed with another key', () => {
    const a = auth();
    const token = a.linkToken('@admin:hs');
    const [payload, sig] = token.split('.') as [string, string];
    const forged = Buffer.from(
      Buffer.from(payload, 'base64url').toString().replace('@admin:hs', '@evil:hs'),
    ).toString('base64url');
    expect(a.redeem(`${forged}.${sig}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(auth({ key: () => randomBytes(32) }).redeem(token)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(a.redeem('garbage')).toEqual({ ok: false, reason: 'invalid' });
    clock += 10 * MIN + 1000;
    expect(a.redeem(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('sessions expire after 12 hours', () => {
    const a = auth();
    const r = a.redeem(a.linkToken('@admin:hs'));
    if (!r.ok) throw new Error('no session');
    clock += 12 * 3_600_000 - 1000;
    expect(a.session(r.session.id)).toBeDefined();
    clock += 2000;
    expect(a.session(r.session.id)).toBeUndefined();
  });

  it('a Bearer token: right, wrong, absent, or none configured', () => {
    const a = auth({ token: 'a_token_of_at_least_16' });
    expect(a.bearer('Bearer a_token_of_at_least_16')).toBe('ok');
    expect(a.bearer('bearer a_token_of_at_least_16')).toBe('ok');
    expect(a.bearer('Bearer a_token_of_at_least_17')).toBe('bad');
    expect(a.bearer(undefined)).toBe('none');
    expect(a.bearer('Basic x')).toBe('none');
    expect(auth().bearer('Bearer a_token_of_at_least_16')).toBe('bad');
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; sb_status=xyz; b=2', 'sb_status')).toBe('xyz');
    expect(cookieValue('sb_statusx=1', 'sb_status')).toBeUndefined();
    expect(cookieValue(undefined, 'sb_status')).toBeUndefined();
  });
});
