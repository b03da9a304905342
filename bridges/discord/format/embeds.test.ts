import { describe, expect, it } from 'vitest';
import { embedsToInline } from './embeds.js';

const parse = (s: string) => [s];

describe('embeds as text', () => {
  it('writes a rich embed as lines, leaving link previews out', () => {
    expect(
      embedsToInline(
        [
          { type: 'link', title: 'preview', url: 'https://example.org' },
          {
            type: 'rich',
            title: 'Build',
            url: 'https://ci.example.org/1',
            description: 'passed',
            fields: [{ name: 'time', value: '3 min' }],
            footer: { text: 'CI' },
          },
        ],
        ['wave'],
        parse,
      ),
    ).toEqual([
      {
        style: 'link',
        href: 'https://ci.example.org/1',
        children: [{ style: 'bold', children: ['Build'] }],
      },
      { style: 'linebreak' },
      'passed',
      { style: 'linebreak' },
      { style: 'bold', children: ['time'] },
      ': ',
      '3 min',
      { style: 'linebreak' },
      { style: 'italic', children: ['CI'] },
      { style: 'linebreak' },
      '[sticker: wave]',
    ]);
  });

  it('never links an unsafe URL', () => {
    expect(embedsToInline([{ title: 'x', url: 'javascript:alert(1)' }], [], parse)).toEqual([
      { style: 'bold', children: ['x'] },
    ]);
  });
});
