import { describe, expect, it } from 'vitest';
import type { Inline } from '../../../src/format/content.js';
import { inlineToPlain } from '../../../src/format/plain.js';
import { inlineToIrc, ircToContent, nearestIrcColor, stripIrcFormatting } from './format.js';
import { seeded } from '../../../test/support/seeded-random.js';

const formatted = (s: string) => ircToContent(s, 'text').formatted;

describe('ircToContent', () => {
  it('leaves plain text unformatted and keeps the kind', () => {
    expect(ircToContent('hello there', 'notice')).toEqual({ kind: 'notice', text: 'hello there' });
  });

  it.each([
    ['\x02', 'bold'],
    ['\x1d', 'italic'],
    ['\x1f', 'underline'],
    ['\x1e', 'strike'],
    ['\x11', 'code'],
  ] as const)('parses %j as %s, toggled off by the same code', (code, style) => {
    expect(ircToContent(`a ${code}b${code} c`, 'text')).toEqual({
      kind: 'text',
      text: 'a b c',
      formatted: ['a ', { style, children: ['b'] }, ' c'],
    });
  });

  it('ignores reverse video', () => {
    expect(ircToContent('\x16rev\x16', 'text')).toEqual({ kind: 'text', text: 'rev' });
  });

  it('parses colours with and without a background', () => {
    expect(formatted('\x034red')).toEqual([{ style: 'color', fg: '#ff0000', children: ['red'] }]);
    expect(formatted('\x0304,12x')).toEqual([
      { style: 'color', fg: '#ff0000', bg: '#0000fc', children: ['x'] },
    ]);
    expect(formatted('\x0352x\x0398y')).toEqual([
      { style: 'color', fg: '#ff0000', children: ['x'] },
      { style: 'color', fg: '#ffffff', children: ['y'] },
    ]);
  });

  it('keeps the background when only the foreground changes; 99 is no colour', () => {
    expect(formatted('\x034,2a\x035b\x0399c\x0399,99d')).toEqual([
      { style: 'color', fg: '#ff0000', bg: '#00007f', children: ['a'] },
      { style: 'color', fg: '#7f0000', bg: '#00007f', children: ['b'] },
      { style: 'color', bg: '#00007f', children: ['c'] },
      'd',
    ]);
  });

  it('parses hex colours', () => {
    expect(formatted('\x04FF8800a\x04ff8800,000000b\x04c')).toEqual([
      { style: 'color', fg: '#ff8800', children: ['a'] },
      { style: 'color', fg: '#ff8800', bg: '#000000', children: ['b'] },
      'c',
    ]);
  });

  it('ends colours with a bare \\x03 but keeps other styles', () => {
    // Colour is the outermost node, so the bold run is split around it.
    expect(formatted('\x02\x034a\x03b')).toEqual([
      { style: 'color', fg: '#ff0000', children: [{ style: 'bold', children: ['a'] }] },
      { style: 'bold', children: ['b'] },
    ]);
  });

  it('resets everything with \\x0f', () => {
    expect(formatted('\x02\x1d\x034,5a\x0fb')).toEqual([
      {
        style: 'color',
        fg: '#ff0000',
        bg: '#7f0000',
        children: [{ style: 'bold', children: [{ style: 'italic', children: ['a'] }] }],
      },
      'b',
    ]);
  });

  it('nests overlapping styles with shared outer nodes', () => {
    expect(formatted('\x02bold \x1dboth\x02 italic\x1d')).toEqual([
      { style: 'bold', children: ['bold ', { style: 'italic', children: ['both'] }] },
      { style: 'italic', children: [' italic'] },
    ]);
  });

  it.each([
    ['unterminated colour', 'a\x03', 'a'],
    ['lone comma after a colour', '\x034,text', ',text'],
    ['comma without a foreground', '\x03,5x', ',5x'],
    ['a third digit', '\x03123', '3'],
    ['99 with a third digit', '\x039999', '99'],
    ['short hex', '\x04abcx', 'abcx'],
    ['not hex', '\x04GGGGGGx', 'GGGGGGx'],
    ['only codes', '\x02\x03\x0f\x1d\x04', ''],
    ['CTCP and other controls', '\x01ACTION hi\x01\x07', 'ACTION hi'],
  ])('survives %s', (_name, input, text) => {
    expect(ircToContent(input, 'text').text).toBe(text);
  });

  it('never throws; text is the input without codes or controls; formatted agrees', () => {
    const rand = seeded(42);
    const alphabet = ['a', ' ', '1', '9', ',', 'f', '中', '😀', '\x01', '\x00', '\t', '\x07'];
    alphabet.push(...'\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f');
    for (let n = 0; n < 2000; n++) {
      let s = '';
      const len = Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      const content = ircToContent(s, 'text');
      expect(content.text).toBe(stripIrcFormatting(s).replace(/[\x00-\x08\x0a-\x1f]/g, ''));
      if (content.formatted) expect(inlineToPlain(content.formatted)).toBe(content.text);
    }
  });
});

describe('nearestIrcColor', () => {
  it('maps to the nearest of the 16 classic colours', () => {
    expect(nearestIrcColor('#ff0000')).toBe(4);
    expect(nearestIrcColor('#fe0202')).toBe(4);
    expect(nearestIrcColor('#0000FC')).toBe(12);
    expect(nearestIrcColor('#101010')).toBe(1);
    expect(nearestIrcColor('red')).toBe(4);
    expect(nearestIrcColor('nonsense')).toBeUndefined();
  });
});

describe('inlineToIrc', () => {
  it('renders each style and closes it', () => {
    const tree: Inline[] = [
      { style: 'bold', children: ['b'] },
      { style: 'italic', children: ['i'] },
      { style: 'underline', children: ['u'] },
      { style: 'strike', children: ['s'] },
      { style: 'code', children: ['c'] },
    ];
    expect(inlineToIrc(tree)).toBe('\x02b\x02\x1di\x1d\x1fu\x1f\x1es\x1e\x11c\x11');
  });

  it('does not toggle a style off when it is nested in itself', () => {
    const tree: Inline[] = [
      { style: 'bold', children: ['a', { style: 'bold', children: ['b'] }, 'c'] },
    ];
    expect(inlineToIrc(tree)).toBe('\x02abc\x02');
  });

  it('closes inner styles before outer ones end', () => {
    const tree: Inline[] = [
      { style: 'bold', children: ['a', { style: 'italic', children: ['b'] }] },
      'c',
    ];
    expect(inlineToIrc(tree)).toBe('\x02a\x1db\x02\x1dc');
  });

  it('renders colours as the nearest palette colour, two digits', () => {
    expect(inlineToIrc([{ style: 'color', fg: '#fe0000', children: ['x'] }])).toBe('\x0304x\x03');
    expect(inlineToIrc([{ style: 'color', fg: 'red', bg: '#000080', children: ['x'] }])).toBe(
      '\x0304,02x\x03',
    );
    expect(inlineToIrc([{ style: 'color', bg: '#000000', children: ['x'] }])).toBe(
      '\x0399,01x\x03',
    );
    expect(inlineToIrc([{ style: 'color', fg: 'bogus', children: ['x'] }])).toBe('x');
  });

  it('drops only the background when an inner colour has none', () => {
    const tree: Inline[] = [
      { style: 'color', fg: '#ff0000', bg: '#000000', children: ['a'] },
      { style: 'color', fg: '#ff0000', children: ['b'] },
    ];
    expect(inlineToIrc(tree)).toBe('\x0304,01a\x0304,99b\x03');
  });

  it('keeps digits and commas after a colour code from joining it', () => {
    const tree: Inline[] = [{ style: 'color', fg: '#ff0000', children: ['5'] }, ',6'];
    expect(inlineToIrc(tree)).toBe('\x03045\x03\x02\x02,6');
    expect(ircToContent(inlineToIrc(tree), 'text').text).toBe('5,6');
  });

  it('renders links, mentions, line breaks and pre', () => {
    const tree: Inline[] = [
      { style: 'link', href: 'https://a.example', children: ['site'] },
      ' ',
      { style: 'link', href: 'https://b.example', children: ['https://b.example'] },
      ' ',
      { style: 'link', href: 'mailto:x@y.example', children: ['x@y.example'] },
      { style: 'linebreak' },
      { style: 'mention', userId: '@alice:hs', children: ['Alice'] },
      ' ',
      { style: 'mention', userId: '@bob:hs', children: ['Bob'] },
      { style: 'linebreak' },
      { style: 'pre', children: ['one', { style: 'linebreak' }, 'two'] },
    ];
    const mentionName = (id: string) => (id === '@alice:hs' ? 'alice_irc' : '');
    expect(inlineToIrc(tree, { mentionName })).toBe(
      'site (https://a.example) https://b.example x@y.example\nalice_irc Bob\n\x11one\x11\n\x11two\x11',
    );
  });

  it('reopens styles after a line break (each IRC line starts plain)', () => {
    const tree: Inline[] = [{ style: 'bold', children: ['a\nb', { style: 'linebreak' }, 'c'] }];
    expect(inlineToIrc(tree)).toBe('\x02a\x02\n\x02b\x02\n\x02c\x02');
  });

  it('strips codes and controls a Matrix user typed', () => {
    expect(inlineToIrc(['a\x02b\x03\x0012\r\nc\rd\u2028e\x01'])).toBe('ab12\nc\nd\ne');
  });

  it('round-trips trees through IRC', () => {
    const trees: Inline[][] = [
      ['plain'],
      [{ style: 'bold', children: ['b ', { style: 'italic', children: ['bi'] }] }, ' x'],
      [
        {
          style: 'color',
          fg: '#ff0000',
          bg: '#00007f',
          children: ['7', { style: 'code', children: ['c'] }],
        },
      ],
      [
        { style: 'strike', children: ['s'] },
        { style: 'underline', children: [',u'] },
      ],
    ];
    for (const tree of trees) expect(formatted(inlineToIrc(tree)) ?? ['plain']).toEqual(tree);
  });

  it('round-trips IRC text through the tree (16 colours)', () => {
    const rand = seeded(7);
    const pieces = ['a', ' ', '1', ',', '\x02', '\x1d', '\x1f', '\x1e', '\x11', '\x0f', '\x03'];
    // Two-digit codes only: `\x034` + `1` would be the extended colour 41, which maps to the 16.
    pieces.push('\x0304', '\x0312,03', '\x0301,15', '\x0399,05');
    for (let n = 0; n < 1000; n++) {
      let s = '';
      const len = Math.floor(rand() * 30);
      for (let i = 0; i < len; i++) s += pieces[Math.floor(rand() * pieces.length)];
      const first = ircToContent(s, 'text');
      const again = ircToContent(inlineToIrc(first.formatted ?? [first.text]), 'text');
      expect(again).toEqual(first);
    }
  });
});

describe('ircToContent mentions', () => {
  // A Matrix user's puppet pings anywhere; an IRC user's ghost only when addressed.
  const users: Record<string, { userId: string; anywhere: boolean }> = {
    'alice[m]': { userId: '@alice:example.org', anywhere: true },
    bob: { userId: '@irc_net_bob:example.org', anywhere: false },
  };
  const mentionOf = (nick: string) => users[nick.toLowerCase()];

  it.each([':', ','])('makes `nick%s text` a pill of the Matrix user', (sep) => {
    expect(ircToContent(`Alice[m]${sep} lunch?`, 'text', mentionOf)).toEqual({
      kind: 'text',
      text: `Alice[m]${sep} lunch?`,
      formatted: [
        { style: 'mention', userId: '@alice:example.org', children: ['Alice[m]'] },
        `${sep} lunch?`,
      ],
    });
  });

  it('keeps the formatting inside and after the mention', () => {
    expect(ircToContent('\x02alice[m]: \x02hi \x1dthere', 'text', mentionOf).formatted).toEqual([
      {
        style: 'mention',
        userId: '@alice:example.org',
        children: [{ style: 'bold', children: ['alice[m]'] }],
      },
      { style: 'bold', children: [': '] },
      'hi ',
      { style: 'italic', children: ['there'] },
    ]);
  });

  it("makes an IRC user's nick a pill when addressed, not elsewhere", () => {
    expect(ircToContent('Bob: hi', 'text', mentionOf).formatted).toEqual([
      { style: 'mention', userId: '@irc_net_bob:example.org', children: ['Bob'] },
      ': hi',
    ]);
    expect(ircToContent('ask bob about it', 'text', mentionOf)).toEqual({
      kind: 'text',
      text: 'ask bob about it',
    });
  });

  it("makes a Matrix user's puppet nick a pill anywhere, as a whole word, keeping styles", () => {
    expect(
      ircToContent('bob: thanks Alice[m], and \x02alice[m]\x02!', 'text', mentionOf).formatted,
    ).toEqual([
      { style: 'mention', userId: '@irc_net_bob:example.org', children: ['bob'] },
      ': thanks ',
      { style: 'mention', userId: '@alice:example.org', children: ['Alice[m]'] },
      ', and ',
      {
        style: 'mention',
        userId: '@alice:example.org',
        children: [{ style: 'bold', children: ['alice[m]'] }],
      },
      '!',
    ]);
    expect(ircToContent('alice[m] hi', 'text', mentionOf).formatted?.[0]).toMatchObject({
      style: 'mention',
    });
  });

  it.each([
    ['a nick the lookup does not know', 'carol: hi'],
    ['a nick inside a longer word', 'xalice[m] and alice[m]x and 2alice[m]'],
    ['a leading space before an IRC user', ' bob: hi'],
    ['an IRC user without a space after the colon', 'bob:hi'],
  ])('leaves %s as text', (_, text) => {
    expect(ircToContent(text, 'text', mentionOf)).toEqual({ kind: 'text', text });
  });

  it('asks nothing and makes no pill without a lookup', () => {
    expect(ircToContent('alice[m]: hi', 'text')).toEqual({ kind: 'text', text: 'alice[m]: hi' });
  });

  it('makes a message that is only the address a pill too', () => {
    expect(ircToContent('alice[m]:', 'text', mentionOf).formatted).toEqual([
      { style: 'mention', userId: '@alice:example.org', children: ['alice[m]'] },
      ':',
    ]);
  });
});

describe('inlineToIrc blocks', () => {
  it('shows quotes, headings and lists as lines, and a spoiler black on black', () => {
    const out = inlineToIrc([
      { style: 'quote', children: ['q'] },
      { style: 'linebreak' },
      { style: 'list', ordered: false, children: [{ style: 'item', children: ['i'] }] },
      { style: 'linebreak' },
      { style: 'spoiler', children: ['s'] },
    ]);
    expect(out).toBe('> q\n- i\n\x0301,01s\x03');
  });
});
