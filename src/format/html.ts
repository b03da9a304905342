/**
 * Matrix HTML (`org.matrix.custom.html`) from the formatting tree. Every piece
 * of text and every attribute is escaped, links are limited to safe schemes
 * and colours to `#rrggbb`/names: nothing a remote user types becomes markup.
 */
import type { Inline } from './content.js';
import { isHexColor, normalizeColor } from './color.js';
import { isMatrixUserId, isSafeHref, userPillHref } from './matrix-links.js';
import { inlineToPlain, mentionText, type MentionNaming } from './plain.js';

export { parseMatrixHtml } from './html-parse.js';
export { inlineToPlain, type MentionNaming } from './plain.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML content and (double-quoted) attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const NEWLINE = /\r\n|[\r\n]/g;
const MXC = /^mxc:\/\/[A-Za-z0-9.:-]+\/[A-Za-z0-9_-]+$/;
/** Nodes that are blocks in HTML: a line break right after one would be an empty line. */
const BLOCKS: ReadonlySet<string> = new Set(['pre', 'quote', 'heading', 'list']);

function textToHtml(s: string, inPre: boolean): string {
  // NUL is never valid in HTML and some homeserver databases reject it.
  const escaped = escapeHtml(s.replace(/\u0000/g, ''));
  return inPre ? escaped.replace(NEWLINE, '\n') : escaped.replace(NEWLINE, '<br>');
}

const TAGS = {
  bold: 'strong',
  italic: 'em',
  underline: 'u',
  strike: 'del',
  code: 'code',
} as const;

function colorAttributes(fg: string | undefined, bg: string | undefined): string {
  let attrs = '';
  const f = normalizeColor(fg);
  if (f !== undefined) attrs += isHexColor(f) ? ` data-mx-color="${f}"` : ` color="${f}"`;
  const b = normalizeColor(bg);
  if (b !== undefined && isHexColor(b)) attrs += ` data-mx-bg-color="${b}"`;
  return attrs;
}

function render(inlines: readonly Inline[], opts: MentionNaming, inPre: boolean): string {
  let out = '';
  let afterPre = false;
  for (const node of inlines) {
    const wasAfterPre = afterPre;
    afterPre = typeof node !== 'string' && BLOCKS.has(node.style);
    if (typeof node === 'string') {
      out += textToHtml(node, inPre);
      continue;
    }
    switch (node.style) {
      case 'linebreak':
        // A <pre> (a quote, a list…) is a block already: a <br> after it would show as an empty line.
        if (!wasAfterPre) out += inPre ? '\n' : '<br>';
        break;
      case 'mention': {
        const name = textToHtml(mentionText(node, opts), inPre);
        out += isMatrixUserId(node.userId)
          ? `<a href="${escapeHtml(userPillHref(node.userId))}">${name}</a>`
          : name;
        break;
      }
      case 'link': {
        // A link with no visible text shows its address, or it could not be followed.
        const inner =
          inlineToPlain(node.children) === ''
            ? textToHtml(node.href, inPre)
            : render(node.children, opts, inPre);
        out += isSafeHref(node.href) ? `<a href="${escapeHtml(node.href)}">${inner}</a>` : inner;
        break;
      }
      case 'color': {
        const attrs = colorAttributes(node.fg, node.bg);
        const inner = render(node.children, opts, inPre);
        out += attrs === '' ? inner : `<font${attrs}>${inner}</font>`;
        break;
      }
      case 'pre':
        out += `<pre><code>${render(node.children, opts, true)}</code></pre>`;
        break;
      case 'spoiler':
        out += `<span data-mx-spoiler>${render(node.children, opts, inPre)}</span>`;
        break;
      case 'quote':
        out += `<blockquote>${render(node.children, opts, inPre)}</blockquote>`;
        break;
      case 'heading': {
        const level = Math.min(Math.max(Math.trunc(node.level) || 1, 1), 6);
        out += `<h${level}>${render(node.children, opts, inPre)}</h${level}>`;
        break;
      }
      case 'list': {
        const start =
          node.ordered && node.start !== undefined && Number.isSafeInteger(node.start)
            ? ` start="${node.start}"`
            : '';
        const items = node.children
          .map((item) =>
            typeof item !== 'string' && item.style === 'item'
              ? `<li>${render(item.children, opts, inPre)}</li>`
              : `<li>${render([item], opts, inPre)}</li>`,
          )
          .join('');
        out += node.ordered ? `<ol${start}>${items}</ol>` : `<ul>${items}</ul>`;
        break;
      }
      case 'item':
        out += `<li>${render(node.children, opts, inPre)}</li>`;
        break;
      case 'emoticon': {
        const alt = escapeHtml(inlineToPlain(node.children));
        out += MXC.test(node.src)
          ? `<img data-mx-emoticon src="${escapeHtml(node.src)}" alt="${alt}" title="${alt}" height="32">`
          : render(node.children, opts, inPre);
        break;
      }
      default: {
        const tag = TAGS[node.style];
        out += `<${tag}>${render(node.children, opts, inPre)}</${tag}>`;
      }
    }
  }
  return out;
}

/** Render the formatting tree as Matrix HTML for `formatted_body`. */
export const inlineToHtml = (inlines: readonly Inline[], opts: MentionNaming = {}): string =>
  render(inlines, opts, false);

/** Plain text as Matrix HTML: escaped, line breaks as `<br>`. */
export const plainToHtml = (text: string): string => textToHtml(text, false);
