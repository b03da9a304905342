import { describe, expect, it } from 'vitest';
import type { Inline } from './content.js';
import { inlineToHtml } from './html.js';
import { parseMatrixHtml } from './html-parse.js';
import { inlineToPlain } from './plain.js';

const br: Inline = { style: 'linebreak' };

describe('parseMatrixHtml', () => {
  it('maps the tags Matrix clients send to styles', () => {
    expect(
      parseMatrixHtml(
        '<b>b</b><strong>B</strong><i>i</i><em>E</em><u>u</u><s>s</s><del>d</del><strike>k</strike><code>c</code>',
      ),
    ).toEqual([
      { style: 'bold', children: ['b'] },
      { style: 'bold', children: ['B'] },
      { style: 'italic', children: ['i'] },
      { style: 'italic', children: ['E'] },
      { style: 'underline', children: ['u'] },
      { style: 'strike', children: ['s'] },
      { style: 'strike', children: ['d'] },
      { style: 'strike', children: ['k'] },
      { style: 'code', children: ['c'] },
    ]);
  });

  it('turns pills into mentions and other links into links', () => {
    expect(
      parseMatrixHtml(
        '<a href="https://matrix.to/#/@alice:example.org">Alice</a>: see <a href="https://rust-lang.org">this</a>',
      ),
    ).toEqual([
      { style: 'mention', userId: '@alice:example.org', children: ['Alice'] },
      ': see ',
      { style: 'link', href: 'https://rust-lang.org', children: ['this'] },
    ]);
  });

  it('reads colours from data-mx-color, color and data-mx-bg-color', () => {
    expect(
      parseMatrixHtml(
        '<font data-mx-color="#FF0000">r</font><font color="blue">b</font><span data-mx-bg-color="#0f0">g</span><span>plain</span>',
      ),
    ).toEqual([
      { style: 'color', fg: '#ff0000', children: ['r'] },
      { style: 'color', fg: 'blue', children: ['b'] },
      { style: 'color', bg: '#00ff00', children: ['g'] },
      'plain',
    ]);
  });

  it('turns paragraphs, divs and list items into lines, without empty ones', () => {
    expect(inlineToPlain(parseMatrixHtml('<p>hello</p>\n<p>world</p>\n'))).toBe('hello\nworld');
    expect(inlineToPlain(parseMatrixHtml('<div>a</div><div></div><div>b</div>'))).toBe('a\nb');
    expect(
      inlineToPlain(
        parseMatrixHtml(
          '<ul>\n<li>one</li>\n<li>two<ul><li>deep</li></ul></li>\n</ul><ol start="3"><li>three</li></ol>',
        ),
      ),
    ).toBe('- one\n- two\n  - deep\n3. three');
  });

  it('keeps <br> line breaks, including repeated and trailing ones', () => {
    expect(parseMatrixHtml('line<br><br>two<br/>')).toEqual(['line', br, br, 'two', br]);
  });

  it('prefixes blockquote lines with "> "', () => {
    expect(
      inlineToPlain(
        parseMatrixHtml('<blockquote>\n<p>quoted<br>two</p>\n</blockquote>\n<p>after</p>'),
      ),
    ).toBe('> quoted\n> two\nafter');
    expect(
      inlineToPlain(parseMatrixHtml('<blockquote>a<blockquote>b</blockquote></blockquote>')),
    ).toBe('> a\n> > b');
  });

  it('keeps the newlines of a code block as line breaks', () => {
    expect(
      parseMatrixHtml(
        '<pre><code class="language-js">let a = 1;\nlet b = 2;\n</code></pre>\n<p>after</p>',
      ),
    ).toEqual([{ style: 'pre', children: ['let a = 1;', br, 'let b = 2;'] }, br, 'after']);
  });

  it('drops the reply fallback, scripts and styles, keeps the text of unknown tags', () => {
    expect(
      parseMatrixHtml(
        '<mx-reply><blockquote><a href="https://matrix.to/#/!r:x">In reply to</a> <a href="https://matrix.to/#/@a:x">@a:x</a><br>old</blockquote></mx-reply>new',
      ),
    ).toEqual(['new']);
    expect(
      parseMatrixHtml('a<script>alert(1)</script><style>*{}</style><marquee>b</marquee>'),
    ).toEqual(['ab']);
  });

  it('decodes entities into text, which renders back escaped', () => {
    const tree = parseMatrixHtml('a &amp; b &lt;script&gt;alert(1)&lt;/script&gt; &#39;q&quot;');
    expect(tree).toEqual([`a & b <script>alert(1)</script> 'q"`]);
    expect(inlineToHtml(tree)).toBe('a &amp; b &lt;script&gt;alert(1)&lt;/script&gt; &#39;q&quot;');
  });

  it('keeps the text of unsafe links only', () => {
    expect(parseMatrixHtml('<a href="javascript:alert(1)">click</a>')).toEqual(['click']);
    expect(parseMatrixHtml('<a href=" JAVASCRIPT:alert(1)">x</a>')).toEqual(['x']);
  });

  it('uses the alt text of images (custom emoji)', () => {
    expect(parseMatrixHtml('<img data-mx-emoticon alt=":party:" src="mxc://a/b"> yay')).toEqual([
      ':party: yay',
    ]);
  });

  it('treats tag names like constructor or valueof as unknown tags', () => {
    expect(parseMatrixHtml('<constructor>a</constructor><valueof>b</valueof><tostring>c')).toEqual([
      'abc',
    ]);
  });

  it('survives hostile nesting without deep trees or stack overflow', () => {
    const deep = parseMatrixHtml('<b>'.repeat(20_000) + 'x' + '</b>'.repeat(20_000));
    let depth = 0;
    for (let node: Inline | undefined = deep[0]; typeof node === 'object'; depth++) {
      node = 'children' in node ? node.children[0] : undefined;
    }
    expect(depth).toBeLessThanOrEqual(32);
    expect(inlineToPlain(deep)).toBe('x');
    const quotes = inlineToPlain(parseMatrixHtml('<blockquote>'.repeat(10_000) + 'q'));
    expect(quotes).toBe('> '.repeat(8) + 'q');
  });
});

describe('parseMatrixHtml with blocks', () => {
  const blocks = (html: string) => parseMatrixHtml(html, { blocks: true });

  it('makes quotes, headings and nested lists block nodes, on lines of their own', () => {
    expect(
      blocks(
        '<h2>Plan</h2><p>intro</p><blockquote>\n<p>quoted<br>two</p>\n</blockquote>\n' +
          '<ul>\n<li>one</li>\n<li>two<ul><li>deep</li></ul></li>\n</ul><ol start="3"><li>three</li></ol>after',
      ),
    ).toEqual([
      { style: 'heading', level: 2, children: ['Plan'] },
      br,
      'intro',
      br,
      { style: 'quote', children: ['quoted', br, 'two'] },
      br,
      {
        style: 'list',
        ordered: false,
        children: [
          { style: 'item', children: ['one'] },
          {
            style: 'item',
            children: [
              'two',
              br,
              { style: 'list', ordered: false, children: [{ style: 'item', children: ['deep'] }] },
            ],
          },
        ],
      },
      br,
      {
        style: 'list',
        ordered: true,
        start: 3,
        children: [{ style: 'item', children: ['three'] }],
      },
      br,
      'after',
    ]);
  });

  it('keeps styles inside blocks and blocks inside quotes', () => {
    expect(
      blocks('<blockquote><h1>T <em>i</em></h1><ol><li><p>a</p><p>b</p></li></ol></blockquote>'),
    ).toEqual([
      {
        style: 'quote',
        children: [
          { style: 'heading', level: 1, children: ['T ', { style: 'italic', children: ['i'] }] },
          br,
          { style: 'list', ordered: true, children: [{ style: 'item', children: ['a', br, 'b'] }] },
        ],
      },
    ]);
  });

  it('gives the same text as the flattening parser once flattened', () => {
    const samples = [
      '<ul>\n<li>one</li>\n<li>two<ul><li>deep</li></ul></li>\n</ul><ol start="3"><li>three</li></ol>',
      '<blockquote>\n<p>quoted<br>two</p>\n</blockquote>\n<p>after</p>',
      '<blockquote>a<blockquote>b</blockquote></blockquote>',
      '<blockquote><ul><li>x</li><li>y</li></ul></blockquote>z',
      '<h1>Title</h1><h4>small</h4>text<ol><li>a<ol><li>b</li></ol></li></ol>',
      '<li>no list</li><p>p</p>',
    ];
    for (const html of samples) {
      expect(inlineToPlain(blocks(html)), html).toBe(inlineToPlain(parseMatrixHtml(html)));
    }
  });

  it('leaves no source whitespace at the end of a line', () => {
    expect(
      inlineToPlain(blocks('<ol>\n<li>first\n<ul>\n<li>sub </li>\n</ul>\n</li>\n</ol>\n')),
    ).toBe('1. first\n  - sub');
  });

  it('caps hostile nesting of quotes and lists', () => {
    expect(inlineToPlain(blocks('<blockquote>'.repeat(10_000) + 'q'))).toBe('> '.repeat(8) + 'q');
    const lists = inlineToPlain(blocks('<ul><li>'.repeat(10_000) + 'x'));
    expect(lists.endsWith('x')).toBe(true);
    expect(lists.length).toBeLessThan(200);
  });

  it('renders back to the same HTML blocks', () => {
    const html =
      '<h3>T</h3><blockquote>said <strong>this</strong><br>and that</blockquote>' +
      '<ol start="3"><li>three</li><li>four<br><ul><li>sub</li></ul></li></ol>after';
    expect(inlineToHtml(blocks(html))).toBe(html);
  });
});
