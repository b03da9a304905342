import { describe, expect, it } from 'vitest';
import {
  replaceLoneSurrogates,
  splitLines,
  splitUtf8,
  stripControl,
  toSingleLine,
  truncateUtf8,
  utf8Length,
} from './text.js';
import { seeded } from '../../test/support/seeded-random.js';

/** Characters of every UTF-8 length, plus clusters that must not be cut. */
const ALPHABET = [
  ...['a', 'b', ' ', ' ', '.'], // 1 byte
  ...['é', 'ß', 'Ж'], // 2 bytes
  ...['中', '文', '€', 'ア'], // 3 bytes
  ...['😀', '𝄞', '🦀'], // 4 bytes (surrogate pairs)
  '👩‍👩‍👧‍👦', // ZWJ family: 25 bytes, one grapheme
  '🇫🇷', // flag: 8 bytes, one grapheme
  'e\u0301', // e + combining acute
];

function randomText(rand: () => number, maxLen: number): string {
  const len = Math.floor(rand() * maxLen);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const graphemeCount = (s: string) => [...segmenter.segment(s)].length;
const hasLoneSurrogate = (s: string) => replaceLoneSurrogates(s) !== s;

describe('utf8Length', () => {
  it('counts bytes, not UTF-16 units', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('a')).toBe(1);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('中')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
    expect('😀'.length).toBe(2);
  });
});

describe('stripControl', () => {
  it('removes NUL, CR, LF, other C0, DEL and C1 controls', () => {
    expect(stripControl('a\u0000b\rc\nd\x01e\x1bf\x7fg\x85h\x9fi')).toBe('abcdefghi');
  });

  it('keeps the controls a caller allows, e.g. IRC formatting codes', () => {
    expect(stripControl('\x02bold\x02 \x0304red\x03\x00', { allow: '\x02\x03' })).toBe(
      '\x02bold\x02 \x0304red\x03',
    );
  });

  it('leaves ordinary text, emoji and CJK alone', () => {
    expect(stripControl('héllo 中文 😀 👩‍👩‍👧‍👦')).toBe('héllo 中文 😀 👩‍👩‍👧‍👦');
  });
});

describe('toSingleLine', () => {
  it('turns any line break run into one space so no command can be injected', () => {
    const attack = 'hi\r\nPRIVMSG #other :spam\rQUIT\n\nbye';
    const line = toSingleLine(attack);
    expect(line).toBe('hi PRIVMSG #other :spam QUIT bye');
    expect(line).not.toMatch(/[\r\n\0]/);
  });

  it('treats NEL and Unicode line/paragraph separators as line breaks', () => {
    expect(toSingleLine('a\u0085b\u2028c\u2029d')).toBe('a b c d');
  });

  it('removes NUL and maps tabs to spaces', () => {
    expect(toSingleLine('a\u0000b\tc')).toBe('ab c');
  });

  it('never lets a caller re-allow CR, LF or NUL', () => {
    const line = toSingleLine('a\r\nb\0c\x02', { allow: '\r\n\0\x02' });
    expect(line).toBe('a bc\x02');
  });
});

describe('splitLines', () => {
  it('splits at CRLF, CR and LF, and cleans each line', () => {
    expect(splitLines('one\r\ntwo\rthree\nfour\x00\x07')).toEqual(['one', 'two', 'three', 'four']);
  });

  it('keeps empty lines unless asked to drop them', () => {
    expect(splitLines('a\n\nb\n')).toEqual(['a', '', 'b', '']);
    expect(splitLines('a\n\n\x00\nb\n', { dropEmpty: true })).toEqual(['a', 'b']);
  });
});

describe('splitUtf8', () => {
  it('gives no chunks for empty text and one chunk when it fits', () => {
    expect(splitUtf8('', 10)).toEqual([]);
    expect(splitUtf8('hello', 10)).toEqual(['hello']);
    expect(splitUtf8('0123456789', 10)).toEqual(['0123456789']);
  });

  it('rejects a budget that cannot hold a 4-byte character', () => {
    expect(() => splitUtf8('x', 3)).toThrow(RangeError);
    expect(() => splitUtf8('x', 4.5)).toThrow(RangeError);
  });

  it('never cuts a 4-byte character at the split point', () => {
    // 'aaa' + emoji: the emoji would straddle byte 5.
    expect(splitUtf8('aaa😀b', 5)).toEqual(['aaa', '😀b']);
    expect(splitUtf8('😀😀😀', 5)).toEqual(['😀', '😀', '😀']);
  });

  it('never cuts CJK characters', () => {
    expect(splitUtf8('中文中文', 7)).toEqual(['中文', '中文']);
  });

  it('keeps a grapheme cluster whole when it fits, splits it by code point when not', () => {
    const family = '👩‍👩‍👧‍👦'; // 25 bytes
    expect(splitUtf8(`ab${family}`, 26)).toEqual(['ab', family]);
    const parts = splitUtf8(family, 8);
    expect(parts.join('')).toBe(family);
    for (const part of parts) {
      expect(utf8Length(part)).toBeLessThanOrEqual(8);
      expect(hasLoneSurrogate(part)).toBe(false);
    }
  });

  it('breaks after a space near the end of a chunk', () => {
    expect(splitUtf8('hello world again', 12)).toEqual(['hello world ', 'again']);
  });

  it('does not break at a space too early in the chunk', () => {
    // The space is at byte 2 of 10: breaking there would waste 80% of the line.
    expect(splitUtf8('a bcdefghijklmnop', 10)).toEqual(['a bcdefghi', 'jklmnop']);
  });

  it('holds its invariants on seeded random text', () => {
    const rand = seeded(0x5b1d);
    for (let round = 0; round < 1000; round++) {
      const text = randomText(rand, 60);
      const max = 4 + Math.floor(rand() * 40);
      const chunks = splitUtf8(text, max);
      expect(chunks.join('')).toBe(text);
      for (const chunk of chunks) {
        expect(chunk).not.toBe('');
        expect(utf8Length(chunk)).toBeLessThanOrEqual(max);
        expect(hasLoneSurrogate(chunk)).toBe(false);
      }
      // Every cluster in the alphabet fits 25 bytes: then no chunk boundary cuts one.
      if (max >= 25) {
        const split = chunks.reduce((n, chunk) => n + graphemeCount(chunk), 0);
        expect(split).toBe(graphemeCount(text));
      }
    }
  });
});

describe('truncateUtf8', () => {
  it('returns text that fits unchanged', () => {
    expect(truncateUtf8('abc', 3)).toBe('abc');
  });

  it('cuts between characters and clusters', () => {
    expect(truncateUtf8('ab😀', 5)).toBe('ab');
    expect(truncateUtf8('e\u0301e\u0301', 4)).toBe('e\u0301');
    expect(truncateUtf8('中文', 4)).toBe('中');
  });
});

describe('replaceLoneSurrogates', () => {
  it('replaces unpaired halves and keeps pairs', () => {
    expect(replaceLoneSurrogates('a\ud800b\udc00c😀')).toBe('a\ufffdb\ufffdc😀');
    expect(replaceLoneSurrogates('\ud83d')).toBe('\ufffd');
  });
});
