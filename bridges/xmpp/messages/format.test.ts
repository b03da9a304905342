import { describe, expect, it } from 'vitest';
import { bodyFromContent, contentFromBody, inlineToStyling, parseStyling } from './format.js';

describe('XEP-0393 styling → tree', () => {
  it('parses spans, nested, and leaves plain text alone', () => {
    expect(parseStyling('plain text')).toBeUndefined();
    expect(parseStyling('a *bold* and _it_ ~x~ `c*d*`')).toEqual([
      'a ',
      { style: 'bold', children: ['bold'] },
      ' and ',
      { style: 'italic', children: ['it'] },
      ' ',
      { style: 'strike', children: ['x'] },
      ' ',
      { style: 'code', children: ['c*d*'] },
    ]);
    expect(parseStyling('*_both_*')).toEqual([
      { style: 'bold', children: [{ style: 'italic', children: ['both'] }] },
    ]);
  });

  it('needs a non-space after the opening and before the closing directive', () => {
    expect(parseStyling('2 * 3 * 4')).toBeUndefined();
    expect(parseStyling('*not bold *')).toBeUndefined();
    expect(parseStyling('snake_case_name')).toBeUndefined();
  });

  it('spans do not cross lines; a ``` block is preformatted', () => {
    expect(parseStyling('*a\nb*')).toBeUndefined();
    expect(parseStyling('look:\n```\nx *y*\n```\nend')).toEqual([
      'look:',
      { style: 'linebreak' },
      { style: 'pre', children: ['x *y*'] },
      { style: 'linebreak' },
      'end',
    ]);
  });

  it('/me is an emote', () => {
    expect(contentFromBody('/me waves')).toEqual({ kind: 'emote', text: 'waves' });
  });
});

describe('tree → XEP-0393 styling', () => {
  it('renders styles as directives', () => {
    expect(
      inlineToStyling([
        { style: 'bold', children: ['b'] },
        ' ',
        { style: 'italic', children: ['i'] },
        ' ',
        { style: 'underline', children: ['u'] },
        ' ',
        { style: 'link', href: 'https://x.org', children: ['site'] },
        ' ',
        { style: 'link', href: 'https://y.org', children: ['https://y.org'] },
      ]),
    ).toBe('*b* _i_ u site <https://x.org> https://y.org');
  });

  it('names mentions, and renders emotes and code blocks', () => {
    expect(
      bodyFromContent(
        {
          kind: 'emote',
          text: 'x',
          formatted: [
            'hi ',
            { style: 'mention', userId: '@b:x', children: ['Bob'] },
            { style: 'pre', children: ['code\n'] },
          ],
        },
        { mentionName: (u) => (u === '@b:x' ? 'bob' : '') },
      ),
    ).toBe('/me hi bob\n```\ncode\n```');
  });

  it('round-trips what it renders', () => {
    const body = '*bold* and `code`';
    expect(inlineToStyling(parseStyling(body)!)).toBe(body);
  });
});

describe('inlineToStyling blocks', () => {
  it('shows a quote as XEP-0393 quote lines, a heading bold, a list as lines, a spoiler as its text', () => {
    expect(
      inlineToStyling([
        { style: 'heading', level: 1, children: ['Title'] },
        { style: 'linebreak' },
        { style: 'quote', children: ['a', { style: 'linebreak' }, 'b'] },
        { style: 'linebreak' },
        { style: 'list', ordered: true, children: [{ style: 'item', children: ['x'] }] },
        { style: 'linebreak' },
        { style: 'spoiler', children: ['s'] },
      ]),
    ).toBe('*Title*\n> a\n> b\n1. x\ns');
  });
});
