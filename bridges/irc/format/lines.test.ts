import { describe, expect, it } from 'vitest';
import { replaceLoneSurrogates, splitLines, utf8Length } from '../../../src/format/text.js';
import {
  IRC_FORMAT_CODES,
  colorHex,
  nearestIrcColor,
  scanIrc,
  stripIrcFormatting,
  type IrcStyle,
} from './format.js';
import { ircLineBudget, toIrcLines } from './lines.js';
import { seeded } from '../../../test/support/seeded-random.js';

const randomText = (rand: () => number, alphabet: string[], maxLen: number) => {
  let s = '';
  const len = Math.floor(rand() * maxLen);
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
};

const TEXT = [
  'a',
  'b',
  'word',
  ' ',
  ' ',
  '1',
  ',',
  'é',
  '中',
  '€',
  '😀',
  '𝄞',
  '👩‍👩‍👧‍👦',
  '🇫🇷',
  'e\u0301',
];
const CODES = ['\x02', '\x1d', '\x1f', '\x1e', '\x11', '\x16', '\x0f', '\x03', '\x034', '\x0312,3'];
CODES.push('\x04ff8800', '\x04FF8800,0000ff', '\x04', '\x0399,05');
const HOSTILE = ['\r\n', '\r', '\n', '\x00', '\x01', '\x07', '\t', '\u2028', '\u2029', '\u0085'];
HOSTILE.push('\ud800', '\udfff', 'QUIT :bye', 'PRIVMSG #x :');

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every character with the style it shows in, spaces left out (a space-only piece is dropped). */
function styledChars(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    for (const span of scanIrc(line)) {
      if (span.code) continue;
      const s: IrcStyle = span.style;
      const flags = (['bold', 'italic', 'underline', 'strike', 'code'] as const).map((f) => !!s[f]);
      // A hex background without a foreground has to become a palette colour.
      const bgHex = s.bg === undefined ? '' : colorHex(s.bg);
      const bg = s.fg === undefined && typeof s.bg === 'string' ? nearestIrcColor(bgHex) : bgHex;
      const fg = s.fg === undefined ? '' : colorHex(s.fg);
      const key = JSON.stringify([flags, fg, typeof bg === 'number' ? colorHex(bg) : bg]);
      for (const ch of line.slice(span.start, span.end)) if (ch !== ' ') out.push(ch + key);
    }
  }
  return out;
}

describe('ircLineBudget', () => {
  it('leaves what the relayed line does not use of 512 bytes', () => {
    const prefix = ':nick!user@host PRIVMSG #chan :';
    expect(ircLineBudget('#chan', 'nick!user@host', 'PRIVMSG')).toBe(512 - prefix.length - 2);
    expect(ircLineBudget('#chan', 'nick!user@host', 'NOTICE')).toBe(512 - prefix.length - 1);
    expect(ircLineBudget('#chan', 'nick!user@host', 'PRIVMSG', true)).toBe(
      512 - prefix.length - 11,
    );
  });

  it('counts bytes, not characters, and is never negative', () => {
    expect(ircLineBudget('#é', 'n!u@h', 'PRIVMSG')).toBe(
      512 - utf8Length(':n!u@h PRIVMSG #é :\r\n'),
    );
    expect(ircLineBudget('#x', 'h'.repeat(600), 'PRIVMSG')).toBe(0);
  });

  it('makes every line fit the 512-byte limit once relayed', () => {
    const budget = ircLineBudget('#rust', 'alice[m]!~alice@gateway/matrix', 'PRIVMSG', true);
    for (const line of toIrcLines('😀 word '.repeat(500), { maxBytes: budget })) {
      const relayed = `:alice[m]!~alice@gateway/matrix PRIVMSG #rust :\x01ACTION ${line}\x01\r\n`;
      expect(utf8Length(relayed)).toBeLessThanOrEqual(512);
    }
  });
});

describe('toIrcLines', () => {
  it('never lets CR, LF or NUL start a new command', () => {
    expect(toIrcLines('hi\r\nQUIT :bye', { maxBytes: 400 })).toEqual(['hi', 'QUIT :bye']);
    expect(toIrcLines('a\rb\nc\u2028d\u2029e', { maxBytes: 400 })).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(toIrcLines('nul\x00QUIT', { maxBytes: 400 })).toEqual(['nulQUIT']);
  });

  it('drops controls other than formatting, including CTCP', () => {
    expect(toIrcLines('\x01VERSION\x01 \x07bell\ttab', { maxBytes: 400 })).toEqual([
      'VERSION bell tab',
    ]);
    const codes = IRC_FORMAT_CODES.split('').join('x');
    expect(toIrcLines(codes, { maxBytes: 400 })).toEqual([codes]);
  });

  it('drops lines with nothing to show', () => {
    expect(toIrcLines('a\n\n \n\x02\x02\n\r\n\x0304,05 \nb', { maxBytes: 400 })).toEqual([
      'a',
      'b',
    ]);
    expect(toIrcLines('', { maxBytes: 400 })).toEqual([]);
  });

  it('splits long lines at spaces, and hard-splits long words', () => {
    expect(toIrcLines('aaaa bbbb cccc', { maxBytes: 10 })).toEqual(['aaaa bbbb ', 'cccc']);
    expect(toIrcLines('x'.repeat(25), { maxBytes: 10 })).toEqual([
      'x'.repeat(10),
      'x'.repeat(10),
      'x'.repeat(5),
    ]);
  });

  it('never cuts a 4-byte character or a CJK character at the boundary', () => {
    expect(toIrcLines('abc😀😀', { maxBytes: 5 })).toEqual(['abc', '😀', '😀']);
    expect(toIrcLines('中文中文', { maxBytes: 7 })).toEqual(['中文', '中文']);
  });

  it('rejects a budget too small for one character', () => {
    expect(() => toIrcLines('x', { maxBytes: 3 })).toThrow(RangeError);
    expect(() => toIrcLines('x', { maxBytes: 4.5 })).toThrow(RangeError);
  });

  it('reopens the styles in effect on each continuation line', () => {
    const lines = toIrcLines(`\x02\x0304,12${'word '.repeat(40)}`, { maxBytes: 80 });
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines.slice(1)) expect(line.startsWith('\x0304,12\x02')).toBe(true);
  });

  it('never cuts inside a colour code', () => {
    for (let pad = 0; pad < 30; pad++) {
      const line = `${'a'.repeat(pad)}\x04ff8800,0000ff${'b'.repeat(60)}\x0312,05${'c'.repeat(60)}`;
      const lines = toIrcLines(line, { maxBytes: 60 });
      expect(styledChars(lines)).toEqual(styledChars([line]));
    }
  });

  it('falls back to plain text when the budget is too small for formatting', () => {
    expect(toIrcLines('\x02bold words here', { maxBytes: 10 })).toEqual(['bold words', ' here']);
  });

  it('keeps every line safe, in budget and valid UTF-8, over random input', () => {
    const rand = seeded(1234);
    const alphabet = [...TEXT, ...TEXT, ...CODES, ...HOSTILE];
    for (let n = 0; n < 3000; n++) {
      const text = randomText(rand, alphabet, 120);
      const maxBytes = 4 + Math.floor(rand() * (n % 2 ? 60 : 500));
      const lines = toIrcLines(text, { maxBytes });
      const visible = (ls: string[]) => ls.map(stripIrcFormatting).join('').replace(/\s/g, '');
      const expected = splitLines(replaceLoneSurrogates(text), { allow: IRC_FORMAT_CODES });
      // Checked by hand, one expect per case: thousands of expects make the test slow.
      const bad = lines.filter(
        (line) =>
          utf8Length(line) > maxBytes ||
          /[\r\n\x00\x01\x07\t\u0085\u2028\u2029]/.test(line) ||
          LONE_SURROGATE.test(line) ||
          Buffer.from(line, 'utf8').toString('utf8') !== line ||
          stripIrcFormatting(line).trim() === '',
      );
      expect({ text, maxBytes, bad }).toEqual({ text, maxBytes, bad: [] });
      expect(visible(lines)).toBe(visible(expected));
    }
  }, 30_000);

  it('keeps every character in the style it had, over random formatted input', () => {
    const rand = seeded(99);
    const alphabet = [...TEXT.filter((t) => !t.includes('\u200d')), ...CODES];
    for (let n = 0; n < 1000; n++) {
      const line = randomText(rand, alphabet, 200);
      const maxBytes = 51 + Math.floor(rand() * 200);
      const got = styledChars(toIrcLines(line, { maxBytes })).join('\n');
      expect({ line, maxBytes, got }).toEqual({
        line,
        maxBytes,
        got: styledChars([line]).join('\n'),
      });
    }
  }, 30_000);
});
