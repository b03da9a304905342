import { describe, expect, it } from 'vitest';
import { headerText, isAddress, parseAddressList } from './addresses.js';

describe('addresses from Matrix', () => {
  it('accepts plain addresses, refuses header syntax and control characters', () => {
    for (const ok of ['a@b.c', 'first.last+tag@sub.example.org', 'jörg@bücher.de', 'x@localhost'])
      expect(isAddress(ok), ok).toBe(true);
    for (const bad of [
      'a',
      'a@',
      '@b',
      'a b@c',
      'a@b c',
      '"a"@b',
      'a@b>',
      '<a@b>',
      'a@b,c@d',
      'a\r\n@b',
      'a@b\nBcc: c@d',
      'a@-b.c',
    ])
      expect(isAddress(bad), JSON.stringify(bad)).toBe(false);
  });

  it('parses a list, lowercased and deduplicated, naming what is not an address', () => {
    expect(parseAddressList('Bob@X.org, <carol@x.org>; bob@x.org')).toEqual({
      addresses: ['bob@x.org', 'carol@x.org'],
      invalid: [],
    });
    expect(parseAddressList('bob@x.org\rBcc: eve@x.org').invalid).toEqual(['Bcc:']);
  });

  it('header text is one bounded line', () => {
    expect(headerText('a\r\nBcc: b\u2028c\td', 100)).toBe('a Bcc: b c d');
    expect(headerText('ééé', 2)).toBe('éé');
  });
});
