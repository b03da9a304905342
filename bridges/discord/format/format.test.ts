import { describe, expect, it } from 'vitest';
import { fromMatrixContent } from '../../../src/format/matrix-content.js';
import { inlineToPlain } from '../../../src/format/plain.js';
import {
  discordToInline,
  escapeDiscord,
  inlineToDiscord,
  type FromDiscordNames,
} from './format.js';

const names: FromDiscordNames = {
  user: (id) => ({
    userId: `@discord_${id}:example.org`,
    name: id === '11111111111111111' ? 'Bobby' : id,
  }),
  role: (id) => (id === '22222222222222222' ? 'mods' : undefined),
  channel: (id) => (id === '33333333333333333' ? 'general' : undefined),
};
const toDiscord = { discordUser: (u: string) => /^@discord_(\d+):/.exec(u)?.[1] };

describe('Discord markdown → formatting', () => {
  it('reads the inline styles', () => {
    expect(discordToInline('**b** *i* _i2_ __u__ ~~s~~ `c`', names)).toEqual([
      { style: 'bold', children: ['b'] },
      ' ',
      { style: 'italic', children: ['i'] },
      ' ',
      { style: 'italic', children: ['i2'] },
      ' ',
      { style: 'underline', children: ['u'] },
      ' ',
      { style: 'strike', children: ['s'] },
      ' ',
      { style: 'code', children: ['c'] },
    ]);
  });

  it('nests styles and keeps snake_case words and lone stars as text', () => {
    expect(discordToInline('***both*** snake_case_name 2 * 3', names)).toEqual([
      { style: 'bold', children: [{ style: 'italic', children: ['both'] }] },
      ' snake_case_name 2 * 3',
    ]);
  });

  it('reads code blocks (no markdown inside), masked links, escapes and headings', () => {
    expect(discordToInline('```js\nconst **a** = 1;\n```', names)).toEqual([
      { style: 'pre', children: ['const **a** = 1;'] },
    ]);
    expect(discordToInline('[site](https://example.org) \\*lit\\*', names)).toEqual([
      { style: 'link', href: 'https://example.org', children: ['site'] },
      ' *lit*',
    ]);
    expect(discordToInline('[bad](javascript:alert(1))', names)).toEqual([
      '[bad](javascript:alert(1))',
    ]);
    expect(discordToInline('# Title\nline', names)).toEqual([
      { style: 'heading', level: 1, children: ['Title'] },
      { style: 'linebreak' },
      'line',
    ]);
  });

  it('turns user mentions into pills and names roles, channels, emoji and timestamps', () => {
    expect(
      discordToInline(
        '<@11111111111111111> <@!11111111111111111> <@&22222222222222222> <#33333333333333333> <:blob:44444444444444444> <t:0:R>',
        names,
      ),
    ).toEqual([
      { style: 'mention', userId: '@discord_11111111111111111:example.org', children: ['Bobby'] },
      ' ',
      { style: 'mention', userId: '@discord_11111111111111111:example.org', children: ['Bobby'] },
      ' @mods #general :blob: 1970-01-01T00:00:00Z',
    ]);
  });

  it('reads spoilers, quotes, lists and custom emoji', () => {
    expect(discordToInline('a ||secret **b**|| c', names)).toEqual([
      'a ',
      { style: 'spoiler', children: ['secret ', { style: 'bold', children: ['b'] }] },
      ' c',
    ]);
    const br = { style: 'linebreak' };
    expect(discordToInline('> one\n> **two**\nafter\n- x\n- y\n3. z', names)).toEqual([
      { style: 'quote', children: ['one', br, { style: 'bold', children: ['two'] }] },
      br,
      'after',
      br,
      {
        style: 'list',
        ordered: false,
        children: [
          { style: 'item', children: ['x'] },
          { style: 'item', children: ['y'] },
        ],
      },
      br,
      { style: 'list', ordered: true, start: 3, children: [{ style: 'item', children: ['z'] }] },
    ]);
    const item = (...children: unknown[]) => ({ style: 'item', children });
    expect(discordToInline('- a\n  - b\n    1. c\n  - d\n- e\n1. f', names)).toEqual([
      {
        style: 'list',
        ordered: false,
        children: [
          item('a', br, {
            style: 'list',
            ordered: false,
            children: [
              item('b', br, { style: 'list', ordered: true, children: [item('c')] }),
              item('d'),
            ],
          }),
          item('e'),
        ],
      },
      br,
      { style: 'list', ordered: true, children: [item('f')] },
    ]);
    // Hostile depth: lists stop nesting, nothing is lost.
    const deep = Array.from({ length: 50 }, (_, i) => `${' '.repeat(i)}- ${i}`).join('\n');
    expect(inlineToPlain(discordToInline(deep, names)).split('\n')).toHaveLength(50);
    expect(discordToInline('hi\n>>> all\n# of this', names)).toEqual([
      'hi',
      br,
      {
        style: 'quote',
        children: ['all', br, { style: 'heading', level: 1, children: ['of this'] }],
      },
    ]);
    const withEmoji = {
      ...names,
      emoji: (id: string) => (id === '12345678901234567' ? 'mxc://x/e' : undefined),
    };
    expect(
      discordToInline('<:blob:12345678901234567> <a:gone:22345678901234567>', withEmoji),
    ).toEqual([{ style: 'emoticon', src: 'mxc://x/e', children: [':blob:'] }, ' :gone:']);
  });
});

describe('formatting → Discord markdown', () => {
  it('writes spoilers, quotes, headings and lists as Discord markdown', () => {
    const br = { style: 'linebreak' } as const;
    const out = inlineToDiscord(
      [
        { style: 'heading', level: 2, children: ['T'] },
        br,
        { style: 'quote', children: ['a', br, 'b*'] },
        br,
        {
          style: 'list',
          ordered: true,
          start: 2,
          children: [
            { style: 'item', children: ['x'] },
            { style: 'item', children: ['y'] },
          ],
        },
        br,
        { style: 'spoiler', children: ['s'] },
        { style: 'emoticon', src: 'mxc://x/e', children: [':e:'] },
      ],
      { discordUser: () => undefined },
    );
    expect(out.text).toBe('## T\n> a\n> b\\*\n2. x\n3. y\n||s||:e:');
  });

  it('writes Matrix HTML quotes, headings and nested lists as Discord markdown', () => {
    const html =
      '<h1>Title</h1><p>Intro with <em>style</em></p><blockquote><p>said <b>this</b></p>' +
      '<ul><li>quoted item</li></ul></blockquote><ol start="9"><li>nine<ul><li>sub *a*</li>' +
      '<li>sub b<ol><li>deep</li></ol></li></ul></li><li>ten</li></ol><h5>small</h5>end';
    const content = fromMatrixContent({
      msgtype: 'm.text',
      body: 'x',
      format: 'org.matrix.custom.html',
      formatted_body: html,
    });
    expect(inlineToDiscord(content!.formatted!, toDiscord).text).toBe(
      [
        '# Title',
        'Intro with *style*',
        '> said **this**',
        '> - quoted item',
        '9. nine',
        '   - sub \\*a\\*',
        '   - sub b',
        '     1. deep',
        '10. ten',
        '**small**',
        'end',
      ].join('\n'),
    );
  });

  it('writes the styles and pills of ghosts as mentions it lists', () => {
    const out = inlineToDiscord(
      [
        { style: 'mention', userId: '@discord_11111111111111111:example.org', children: ['Bobby'] },
        ': ',
        { style: 'bold', children: ['b'] },
        { style: 'italic', children: ['i'] },
        { style: 'underline', children: ['u'] },
        { style: 'strike', children: ['s'] },
        { style: 'code', children: ['c'] },
        { style: 'linebreak' },
        { style: 'link', href: 'https://example.org', children: ['site'] },
        ' ',
        { style: 'mention', userId: '@alice:example.org', children: ['Alice'] },
      ],
      toDiscord,
    );
    expect(out.text).toBe(
      '<@11111111111111111>: **b***i*__u__~~s~~`c`\n[site](<https://example.org>) \\@Alice'.replace(
        '\\@',
        '@',
      ),
    );
    expect(out.users).toEqual(['11111111111111111']);
  });

  it('writes code blocks that cannot be closed early', () => {
    expect(inlineToDiscord([{ style: 'pre', children: ['a```b'] }], toDiscord).text).toBe(
      '```\na``\u200b`b\n```',
    );
  });

  it('escapes markdown, mentions and mass mentions in plain text, but not inside URLs', () => {
    expect(escapeDiscord('@everyone @here <@11111111111111111> **x** _y_ ||z||')).toBe(
      '\\@everyone \\@here \\<@11111111111111111\\> \\*\\*x\\*\\* \\_y\\_ \\|\\|z\\|\\|',
    );
    expect(escapeDiscord('see https://example.org/a_b*c and # not a heading')).toBe(
      'see https://example.org/a_b*c and # not a heading',
    );
    expect(escapeDiscord('# heading\n- item\n> quote')).toBe('\\# heading\n\\- item\n\\> quote');
    // Discord's subtext (`-# small`) stays as typed too.
    expect(escapeDiscord('-# small\n-## x')).toBe('\\-# small\n\\-## x');
  });
});
