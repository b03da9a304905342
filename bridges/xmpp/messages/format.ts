/**
 * XEP-0393 message styling ↔ the intermediate formatting tree. From XMPP: `*strong*`,
 * `_emphasis_`, `~strike~`, `` `code` `` spans and ```` ``` ```` preformatted blocks become
 * styles (the directives themselves are dropped from the formatted form; the plain text keeps
 * the body as sent). To XMPP: styles become the same directives; underline and colours, which
 * styling lacks, keep their text; a link whose text is not its address is `text <address>`.
 */
import { flattenBlocks } from '../../../src/format/blocks.js';
import type { Inline, MessageContent } from '../../../src/format/content.js';
import { mentionText, type MentionNaming } from '../../../src/format/plain.js';

const SPAN: Record<string, 'bold' | 'italic' | 'strike' | 'code'> = {
  '*': 'bold',
  _: 'italic',
  '~': 'strike',
  '`': 'code',
};
const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);

/** One line's spans (XEP-0393 §6.2: spans do not cross lines). */
function parseSpans(line: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const style = SPAN[c];
    const opens = style && (i === 0 || isSpace(line[i - 1]) || SPAN[line[i - 1]!]);
    if (opens && !isSpace(line[i + 1])) {
      let j = i + 2;
      while (j < line.length && !(line[j] === c && !isSpace(line[j - 1]))) j++;
      if (j < line.length) {
        const inner = line.slice(i + 1, j);
        if (text) out.push(text);
        text = '';
        out.push({ style, children: style === 'code' ? [inner] : parseSpans(inner) });
        i = j + 1;
        continue;
      }
    }
    text += c;
    i++;
  }
  if (text) out.push(text);
  return out;
}

/** What every styling directive begins with (spans, and ``` of a preformatted block). */
const DIRECTIVE = /[*_~`]/;

/** A body with styling, parsed; undefined when it has none (plain text is then enough). */
export function parseStyling(body: string): Inline[] | undefined {
  if (!DIRECTIVE.test(body)) return undefined; // most messages: not walked character by character
  const lines = body.split('\n');
  const out: Inline[] = [];
  let styled = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (n > 0) out.push({ style: 'linebreak' });
    if (line.startsWith('```')) {
      const end = lines.findIndex((l, k) => k > n && l === '```');
      const block = lines.slice(n + 1, end === -1 ? lines.length : end).join('\n');
      out.push({ style: 'pre', children: [block] });
      styled = true;
      n = end === -1 ? lines.length : end;
      continue;
    }
    const spans = parseSpans(line);
    if (spans.some((s) => typeof s !== 'string')) styled = true;
    out.push(...spans);
  }
  return styled ? out : undefined;
}

/** Message content from an XMPP body (`/me ` makes an emote, XEP-0245). */
export function contentFromBody(body: string): MessageContent {
  const emote = body.startsWith('/me ');
  const text = emote ? body.slice(4) : body;
  const formatted = parseStyling(text);
  return { kind: emote ? 'emote' : 'text', text, ...(formatted ? { formatted } : {}) };
}

const WRAP: Partial<Record<string, string>> = { bold: '*', italic: '_', strike: '~', code: '`' };

/** The tree as a styled body. */
export function inlineToStyling(inlines: readonly Inline[], opts: MentionNaming = {}): string {
  // Quotes, headings and lists as lines of text (XEP-0393's `> ` quotes included); no spoilers.
  return styling(flattenBlocks(inlines), opts);
}

function styling(inlines: readonly Inline[], opts: MentionNaming): string {
  let out = '';
  for (const node of inlines) {
    if (typeof node === 'string') out += node;
    else if (node.style === 'linebreak') out += '\n';
    else if (node.style === 'mention') out += mentionText(node, opts);
    else if (node.style === 'link') {
      const text = styling(node.children, opts);
      const bare = text === '' || text === node.href || `mailto:${text}` === node.href;
      out += bare ? node.href : `${text} <${node.href}>`;
    } else if (node.style === 'pre') {
      const body = styling(node.children, opts).replace(/\n$/, '');
      out += `${out === '' || out.endsWith('\n') ? '' : '\n'}\`\`\`\n${body}\n\`\`\`\n`;
    } else {
      const inner = styling(node.children, opts);
      const mark = WRAP[node.style];
      // A directive around text that starts or ends with a space is not styling: keep it plain.
      out += mark && inner.trim() === inner && inner !== '' ? `${mark}${inner}${mark}` : inner;
    }
  }
  return out;
}

/** The body of a Matrix message on XMPP: its styling when formatted, `/me ` for emotes. */
export function bodyFromContent(content: MessageContent, opts: MentionNaming = {}): string {
  const text = content.formatted
    ? inlineToStyling(content.formatted, opts).replace(/\n$/, '')
    : content.text;
  return content.kind === 'emote' ? `/me ${text}` : text;
}
