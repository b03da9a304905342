/**
 * Rich embeds (what bots and webhooks post) and stickers as formatted text under a message:
 * the title (a link when it has one), the description and fields as Discord markdown, the footer
 * in italics. Link previews (embeds Discord makes from URLs in the text) are left out: Matrix
 * clients make their own. Stickers are named.
 */
import type { Inline } from '../../../src/format/content.js';
import { isSafeHref } from '../../../src/format/matrix-links.js';

export interface EmbedData {
  type?: string;
  title?: string;
  url?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
  author?: { name: string };
}

/** `parse` reads Discord markdown (format.ts with the message's names). */
export function embedsToInline(
  embeds: EmbedData[],
  stickers: string[],
  parse: (markdown: string) => Inline[],
): Inline[] {
  const out: Inline[] = [];
  const line = (...nodes: Inline[]) => {
    if (out.length) out.push({ style: 'linebreak' });
    out.push(...nodes);
  };
  for (const e of embeds.filter((e) => (e.type ?? 'rich') === 'rich')) {
    if (e.author?.name) line({ style: 'italic', children: [e.author.name] });
    if (e.title) {
      const title: Inline = { style: 'bold', children: parse(e.title) };
      line(e.url && isSafeHref(e.url) ? { style: 'link', href: e.url, children: [title] } : title);
    }
    if (e.description) line(...parse(e.description));
    for (const f of e.fields ?? [])
      line({ style: 'bold', children: parse(f.name) }, ': ', ...parse(f.value));
    if (e.footer?.text) line({ style: 'italic', children: [e.footer.text] });
  }
  for (const name of stickers) line(`[sticker: ${name}]`);
  return out;
}
