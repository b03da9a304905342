import { describe, expect, it } from 'vitest';
import { flattenBlocks } from './blocks.js';
import type { Inline } from './content.js';
import { inlineToHtml, inlineToPlain, parseMatrixHtml } from './html.js';

const BR: Inline = { style: 'linebreak' };
const tree: Inline[] = [
  { style: 'heading', level: 2, children: ['Plan'] },
  BR,
  { style: 'quote', children: ['said ', { style: 'bold', children: ['this'] }, BR, 'and that'] },
  BR,
  {
    style: 'list',
    ordered: true,
    start: 3,
    children: [
      { style: 'item', children: ['three'] },
      {
        style: 'item',
        children: [
          'four',
          BR,
          { style: 'list', ordered: false, children: [{ style: 'item', children: ['sub'] }] },
        ],
      },
    ],
  },
  BR,
  'a ',
  { style: 'spoiler', children: ['secret'] },
  ' ',
  { style: 'emoticon', src: 'mxc://example.org/abc', children: [':blob:'] },
];

describe('blocks in the formatting tree', () => {
  it('render as Matrix HTML blocks, without empty lines after them', () => {
    expect(inlineToHtml(tree)).toBe(
      '<h2>Plan</h2><blockquote>said <strong>this</strong><br>and that</blockquote>' +
        '<ol start="3"><li>three</li><li>four<br><ul><li>sub</li></ul></li></ol>' +
        'a <span data-mx-spoiler>secret</span> ' +
        '<img data-mx-emoticon src="mxc://example.org/abc" alt=":blob:" title=":blob:" height="32">',
    );
  });

  it('flatten to the lines Matrix HTML’s parser makes, for renderers without blocks', () => {
    expect(inlineToPlain(tree)).toBe(
      'Plan\n> said this\n> and that\n3. three\n4. four\n  - sub\na secret :blob:',
    );
    expect(
      flattenBlocks([{ style: 'spoiler', children: ['x'] }], { spoiler: (c) => ['[', ...c, ']'] }),
    ).toEqual(['[', 'x', ']']);
  });

  it('keep an emoticon whose image is no mxc URL as its text, and escape everything', () => {
    expect(
      inlineToHtml([{ style: 'emoticon', src: 'https://evil.example/x.png', children: [':x:'] }]),
    ).toBe(':x:');
    expect(
      inlineToHtml([
        { style: 'heading', level: 99, children: ['<b>'] },
        { style: 'quote', children: ['"q"'] },
      ]),
    ).toBe('<h6>&lt;b&gt;</h6><blockquote>&quot;q&quot;</blockquote>');
  });

  it('parse a Matrix spoiler into the tree, and back', () => {
    const parsed = parseMatrixHtml('a <span data-mx-spoiler="why">hidden <b>b</b></span>');
    expect(parsed).toEqual([
      'a ',
      { style: 'spoiler', children: ['hidden ', { style: 'bold', children: ['b'] }] },
    ]);
    expect(inlineToHtml(parsed)).toBe('a <span data-mx-spoiler>hidden <strong>b</strong></span>');
  });
});
