import { describe, expect, it } from 'vitest';
import { cleanName, relayPrefix, replyPrefix, shorten } from './quote.js';

describe('shorten', () => {
  it('keeps a short text as it is', () => {
    expect(shorten('hello there', 40)).toBe('hello there');
  });

  it('makes one line: breaks, tabs, controls and IRC codes go', () => {
    expect(shorten('a\r\nb\n\nc\td\x00e\x02f\x0304,05g', 40)).toBe('a b c defg');
  });

  it('cuts at a space near the end, with an ellipsis', () => {
    expect(shorten('the quick brown fox jumps over the lazy dog again and again', 40)).toBe(
      'the quick brown fox jumps over the lazy…',
    );
  });

  it('cuts inside a long word when no space is near the end', () => {
    const word = 'x'.repeat(60);
    expect(shorten(word, 40)).toBe(`${'x'.repeat(40)}…`);
  });

  it('never cuts a character or a grapheme cluster', () => {
    const family = '👨‍👩‍👧';
    const out = shorten(family.repeat(50), 40);
    expect(out).toBe(`${family.repeat(Math.floor(160 / Buffer.byteLength(family)))}…`);
    expect(shorten('é'.repeat(50), 40)).toBe(`${'é'.repeat(40)}…`);
    expect(shorten('e\u0301'.repeat(50), 40)).toBe(`${'e\u0301'.repeat(40)}…`);
  });

  it('bounds the bytes of stacked combining marks', () => {
    const zalgo = `a${'\u0301'.repeat(500)}`.repeat(3);
    expect(Buffer.byteLength(shorten(zalgo, 40))).toBeLessThanOrEqual(160 + 3);
  });

  it('replaces lone surrogates', () => {
    expect(shorten('a\ud800b', 40)).toBe('a\ufffdb');
  });
});

describe('prefixes', () => {
  it('quotes the original of a reply in one short prefix', () => {
    expect(replyPrefix('bob', 'first line\nsecond line')).toBe(
      '<bob> "first line second line" <- ',
    );
    expect(replyPrefix('bob', 'x'.repeat(100))).toBe(`<bob> "${'x'.repeat(40)}…" <- `);
  });

  it('names the original sender when it has no text to quote', () => {
    expect(replyPrefix('bob', '  ')).toBe('bob: ');
  });

  it('names relayed senders safely', () => {
    expect(relayPrefix('Alice\r\nPRIVMSG #x :evil', false)).toBe('<Alice PRIVMSG #x :evil> ');
    expect(relayPrefix('alice', true)).toBe('* alice ');
    expect(cleanName('\x00\x01')).toBe('?');
    expect(cleanName('n'.repeat(50))).toBe(`${'n'.repeat(32)}…`);
  });
});
