import { describe, expect, it } from 'vitest';
import type { Inline } from './content.js';
import { escapeHtml, inlineToHtml, inlineToPlain, parseMatrixHtml, plainToHtml } from './html.js';
import { seeded } from '../../test/support/seeded-random.js';

const br: Inline = { style: 'linebreak' };
const ALLOWED_TAG = /^<\/?(strong|em|u|del|code|pre|font|br|a)(?:\s|>|$)/;
const ALLOWED_ATTR = new Set(['href', 'data-mx-color', 'data-mx-bg-color', 'color']);

/** Every tag and attribute in rendered HTML is one we write ourselves. */
function expectOnlyOurMarkup(html: string): void {
  for (const tag of html.match(/<[^>]*>?/g) ?? []) {
    expect(tag).toMatch(ALLOWED_TAG);
    for (const [, name] of tag.matchAll(/\s([^\s=>]+)=/g)) expect(ALLOWED_ATTR).toContain(name);
  }
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('turns plain text into inert HTML with <br> for line breaks', () => {
    expect(plainToHtml('<script>alert(1)</script>\r\nnext\u0000')).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt;<br>next',
    );
  });
});

describe('inlineToHtml', () => {
  it('renders every style', () => {
    const tree: Inline[] = [
      { style: 'bold', children: ['b'] },
      { style: 'italic', children: ['i'] },
      { style: 'underline', children: ['u'] },
      { style: 'strike', children: ['s'] },
      { style: 'code', children: ['c'] },
      br,
      { style: 'color', fg: '#FF0000', bg: '#00ff00', children: ['x'] },
      { style: 'link', href: 'https://example.org/?a=1&b=2', children: ['site'] },
      { style: 'pre', children: ['line1', br, 'line2'] },
    ];
    expect(inlineToHtml(tree)).toBe(
      '<strong>b</strong><em>i</em><u>u</u><del>s</del><code>c</code><br>' +
        '<font data-mx-color="#ff0000" data-mx-bg-color="#00ff00">x</font>' +
        '<a href="https://example.org/?a=1&amp;b=2">site</a>' +
        '<pre><code>line1\nline2</code></pre>',
    );
  });

  it('renders mentions as matrix.to pills, named by the caller when it can', () => {
    const tree: Inline[] = [
      { style: 'mention', userId: '@irc_alice:example.org', children: ['alice'] },
    ];
    expect(inlineToHtml(tree)).toBe(
      '<a href="https://matrix.to/#/@irc_alice:example.org">alice</a>',
    );
    expect(inlineToHtml(tree, { mentionName: () => 'Alice <IRC>' })).toBe(
      '<a href="https://matrix.to/#/@irc_alice:example.org">Alice &lt;IRC&gt;</a>',
    );
    expect(inlineToHtml([{ style: 'mention', userId: '@bob:example.org', children: [] }])).toBe(
      '<a href="https://matrix.to/#/@bob:example.org">@bob:example.org</a>',
    );
  });

  it('escapes text so a remote user cannot inject markup', () => {
    const html = inlineToHtml([
      '<script>alert(1)</script><img src=x onerror=alert(1)>',
      { style: 'bold', children: ['</strong><iframe src="evil">'] },
    ]);
    expect(html).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;' +
        '<strong>&lt;/strong&gt;&lt;iframe src=&quot;evil&quot;&gt;</strong>',
    );
    expectOnlyOurMarkup(html);
  });

  it('escapes quotes in attributes so they cannot be broken out of', () => {
    const html = inlineToHtml([
      { style: 'link', href: `https://x.org/"onmouseover="alert(1)'`, children: ['x'] },
    ]);
    expect(html).toBe('<a href="https://x.org/&quot;onmouseover=&quot;alert(1)&#39;">x</a>');
    expectOnlyOurMarkup(html);
  });

  it('drops links with unsafe schemes but keeps their text', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      '/relative/path',
      '',
    ]) {
      expect(inlineToHtml([{ style: 'link', href, children: ['click'] }])).toBe('click');
    }
  });

  it('drops colours that are not #rrggbb or a name', () => {
    for (const fg of ['red" onclick="x', 'expression(alert(1))', '#12345g', 'url(x)']) {
      expect(inlineToHtml([{ style: 'color', fg, children: ['t'] }])).toBe('t');
    }
    expect(inlineToHtml([{ style: 'color', fg: 'Red', children: ['t'] }])).toBe(
      '<font color="red">t</font>',
    );
  });

  it('renders an invalid mention target as text, not a pill', () => {
    const html = inlineToHtml([
      { style: 'mention', userId: '@a"b:x.org" onclick="x', children: ['n'] },
    ]);
    expect(html).toBe('n');
  });

  it('shows the address of a link with no text', () => {
    expect(inlineToHtml([{ style: 'link', href: 'https://a.org', children: [] }])).toBe(
      '<a href="https://a.org">https://a.org</a>',
    );
  });
});

// ---------------------------------------------------------------- render → parse round trip

const TEXT = ['a', 'b c', ' ', '<', '>', '&', '"', "'", '&amp;', '\n', 'é', '中', '😀', '<b>x</b>'];
const HREFS = ['https://example.org/a?b=1&c="2"', 'mailto:a@b.org', 'http://x.y/<z>'];
const USERS = ['@alice:example.org', '@irc_bob:example.org', '@x=y:[::1]:8448'];

function randomTree(rand: () => number, depth: number, inLink = false): Inline[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const nodes: Inline[] = [];
  const count = Math.floor(rand() * 4);
  for (let i = 0; i < count; i++) {
    const roll = depth <= 0 ? 0 : Math.floor(rand() * 9);
    const children = () => randomTree(rand, depth - 1, inLink);
    if (roll <= 2) nodes.push(pick(TEXT));
    else if (roll === 3) nodes.push({ style: 'linebreak' });
    else if (roll === 4)
      nodes.push({
        style: pick(['bold', 'italic', 'underline', 'strike', 'code'] as const),
        children: children(),
      });
    else if (roll === 5) nodes.push({ style: 'color', fg: '#a0b1c2', children: children() });
    else if (roll === 6 && !inLink)
      nodes.push({ style: 'link', href: pick(HREFS), children: randomTree(rand, depth - 1, true) });
    else if (roll === 7 && !inLink)
      nodes.push({ style: 'mention', userId: pick(USERS), children: [pick(TEXT)] });
    else nodes.push({ style: 'bold', children: children() });
  }
  return nodes;
}

/** The tree as a render→parse round trip gives it back: merged strings, no empty styles. */
function normalize(nodes: readonly Inline[]): Inline[] {
  const out: Inline[] = [];
  const push = (node: Inline) => {
    const last = out[out.length - 1];
    if (typeof node === 'string' && typeof last === 'string') out[out.length - 1] = last + node;
    else if (node !== '') out.push(node);
  };
  for (const node of nodes) {
    if (typeof node === 'string') {
      node.split('\n').forEach((part, i) => {
        if (i > 0) push({ style: 'linebreak' });
        push(part);
      });
    } else if (node.style === 'linebreak') push(node);
    else if (node.style === 'mention')
      push({ ...node, children: normalize([inlineToPlain([node])]) });
    else {
      const children = normalize(node.children);
      if (node.style === 'link')
        push({ ...node, children: children.length ? children : [node.href] });
      else if (children.length > 0) push({ ...node, children });
    }
  }
  return out;
}

describe('render and parse together', () => {
  it('never throws and never lets foreign markup through on seeded garbage', () => {
    const rand = seeded(0xb10c);
    const pieces = [
      '<',
      '>',
      '/',
      '"',
      "'",
      '=',
      '&',
      ';',
      '#',
      ' ',
      '\n',
      'a',
      'é',
      '😀',
      '<b>',
      '</b>',
      '<a href="',
      'javascript:',
      'https://x.org',
      'matrix.to/#/@u:x',
      '<script>',
      '</script>',
      '<img src=x onerror=alert(1)>',
      '<font data-mx-color="',
      '<pre>',
      '</pre>',
      '<br>',
      '<!--',
      '-->',
      '<![CDATA[',
      '<mx-reply>',
      '&lt;',
      '&#0;',
      '&#x1F600;',
      '<blockquote>',
      '<li>',
      '\u0000',
    ];
    for (let round = 0; round < 1000; round++) {
      let html = '';
      const len = Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) html += pieces[Math.floor(rand() * pieces.length)];
      const tree = parseMatrixHtml(html);
      expectOnlyOurMarkup(inlineToHtml(tree));
    }
  });

  it('gives back the same tree and the same plain text (seeded)', () => {
    const rand = seeded(0x7ee);
    for (let round = 0; round < 1000; round++) {
      const tree = randomTree(rand, 4);
      const html = inlineToHtml(tree);
      expectOnlyOurMarkup(html);
      const back = parseMatrixHtml(html);
      expect(inlineToPlain(back)).toBe(inlineToPlain(tree));
      expect(back).toEqual(normalize(tree));
    }
  });
});
