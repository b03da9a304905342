import { describe, expect, it } from 'vitest';
import { inlineToPlain } from '../../../src/format/plain.js';
import { discordToInline, type FromDiscordNames } from './format.js';
import { PLAIN_LINE } from './message-content.js';

const names: FromDiscordNames = {
  user: (id) => ({ userId: `@discord_${id}:example.org`, name: id }),
  role: () => undefined,
  channel: () => undefined,
};

describe('the plain-line fast path', () => {
  it('takes only lines whose parse is the text itself', () => {
    const alphabet = [...'ab 1 9:@!?,;=+&%$\'"é😀\t', '12345678901234567', 'https', '/'];
    const specials = [...'\\*_~`|<>#-[]().\n'];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let plain = 0;
    for (let round = 0; round < 5000; round++) {
      let text = '';
      const len = Math.floor(rand() * 12);
      for (let i = 0; i < len; i++) {
        const pool = rand() < 0.1 ? specials : alphabet;
        text += pool[Math.floor(rand() * pool.length)];
      }
      if (!PLAIN_LINE.test(text)) continue;
      plain++;
      const tree = discordToInline(text, names);
      expect(
        tree.every((n) => typeof n === 'string'),
        text,
      ).toBe(true);
      expect(inlineToPlain(tree), text).toBe(text);
    }
    expect(plain).toBeGreaterThan(1000);
    for (const styled of [
      '**b**',
      'a_b_',
      '<@12345678901234567>',
      '# h',
      '- i',
      '1. i',
      '> q',
      'a\nb',
      '||s||',
      '[l](https://x.org)',
    ])
      expect(PLAIN_LINE.test(styled), styled).toBe(false);
  });
});
