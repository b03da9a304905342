import { describe, expect, it } from 'vitest';
import { isMatrixUserId, isSafeHref, userIdFromHref, userPillHref } from './matrix-links.js';

describe('matrix links', () => {
  it('recognises user pills in their spellings', () => {
    expect(userIdFromHref('https://matrix.to/#/@alice:example.org')).toBe('@alice:example.org');
    expect(userIdFromHref('https://matrix.to/#/%40alice%3Aexample.org?via=x')).toBe(
      '@alice:example.org',
    );
    expect(userIdFromHref('matrix:u/alice:example.org?action=chat')).toBe('@alice:example.org');
    expect(userIdFromHref('https://matrix.to/#/#room:example.org')).toBeUndefined();
    expect(userIdFromHref('https://matrix.to/#/%E0%A4%A')).toBeUndefined();
    expect(userIdFromHref('https://evil.org/#/@alice:example.org')).toBeUndefined();
  });

  it('encodes odd characters of a user id in the pill link', () => {
    expect(userPillHref('@a/b?c#d:example.org')).toBe(
      'https://matrix.to/#/@a%2Fb%3Fc%23d:example.org',
    );
  });

  it('allows only the spec link schemes', () => {
    expect(isSafeHref('https://a.org')).toBe(true);
    expect(isSafeHref('mailto:a@b.org')).toBe(true);
    expect(isSafeHref('javascript:x')).toBe(false);
    expect(isSafeHref('https://a.org/\nx')).toBe(false);
  });
});

describe('isMatrixUserId', () => {
  it('accepts historical localparts and IP literal servers, rejects the rest', () => {
    expect(isMatrixUserId('@alice:example.org')).toBe(true);
    expect(isMatrixUserId('@x=y:[::1]:8448')).toBe(true);
    expect(isMatrixUserId('@room')).toBe(false);
    expect(isMatrixUserId('@a b:example.org')).toBe(false);
    expect(isMatrixUserId('@a:exa"mple.org')).toBe(false);
    expect(isMatrixUserId(`@${'a'.repeat(300)}:example.org`)).toBe(false);
  });
});
