import { describe, expect, it } from 'vitest';
import { nextNick } from './nicks.js';
import { puppetIdentity, sanitizeNick } from './nicks.js';

describe('puppet nicks', () => {
  it('fills the template from the Matrix localpart', () => {
    expect(puppetIdentity('{localpart}[m]', '@alice:example.org', 'Alice')).toEqual({
      nick: 'alice[m]',
      username: 'alice',
    });
    expect(puppetIdentity('{displayname}|m', '@a:example.org', 'Bob Smith').nick).toBe(
      'Bob_Smith|m',
    );
  });

  it('replaces characters IRC does not allow and keeps a nick from starting with a digit', () => {
    expect(sanitizeNick('a.b=c/d')).toBe('a_b_c_d');
    expect(sanitizeNick('1up')).toBe('_1up');
  });

  it('shortens the filled-in part, not the template, to stay within 30 characters', () => {
    const { nick } = puppetIdentity('{localpart}[m]', `@${'x'.repeat(40)}:example.org`, '');
    expect(nick).toBe(`${'x'.repeat(27)}[m]`);
  });

  it('tries another nick after a collision', () => {
    expect(nextNick('alice[m]')).toBe('alice[m]_');
    expect(nextNick('x'.repeat(30))).toBe(`${'x'.repeat(29)}_`);
  });
});
