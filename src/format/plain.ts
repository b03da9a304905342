/** Plain-text rendering of the formatting tree, for networks without formatting. */
import { flattenBlocks } from './blocks.js';
import type { Inline } from './content.js';

export interface MentionNaming {
  /** How a mentioned Matrix user is named (e.g. their ghost's remote nick); else the pill text. */
  mentionName?: (userId: string) => string;
}

/** The text of a mention: the caller's name for the user, else the pill's text, else the id. */
export function mentionText(
  node: { userId: string; children: Inline[] },
  opts: MentionNaming = {},
): string {
  return opts.mentionName?.(node.userId) || inlineToPlain(node.children) || node.userId;
}

/**
 * Plain text: styles dropped, line breaks as `\n`, a link whose text is not
 * its address as `text (address)` so the address is not lost.
 */
export function inlineToPlain(inlines: readonly Inline[], opts: MentionNaming = {}): string {
  return toPlain(hasBlocks(inlines) ? flattenBlocks(inlines) : inlines, opts);
}

/** Whether the tree has nodes `flattenBlocks` changes (most have none: no copy then). */
export function hasBlocks(inlines: readonly Inline[]): boolean {
  return inlines.some(
    (n) =>
      typeof n !== 'string' &&
      n.style !== 'linebreak' &&
      (FLATTENED.has(n.style) || hasBlocks(n.children)),
  );
}

const FLATTENED: ReadonlySet<string> = new Set([
  'quote',
  'heading',
  'list',
  'item',
  'emoticon',
  'spoiler',
]);

function toPlain(inlines: readonly Inline[], opts: MentionNaming): string {
  let out = '';
  for (const node of inlines) {
    if (typeof node === 'string') {
      out += node;
    } else if (node.style === 'linebreak') {
      out += '\n';
    } else if (node.style === 'mention') {
      out += mentionText(node, opts);
    } else if (node.style === 'link') {
      const text = toPlain(node.children, opts);
      const bare = text === '' || text === node.href || `mailto:${text}` === node.href;
      out += bare ? node.href : `${text} (${node.href})`;
    } else {
      out += toPlain(node.children, opts);
    }
  }
  return out;
}

/** The Matrix users mentioned anywhere in the tree, each once, in order. */
export function mentionedUserIds(inlines: readonly Inline[]): string[] {
  const found = new Set<string>();
  const walk = (nodes: readonly Inline[]) => {
    for (const node of nodes) {
      if (typeof node === 'string' || node.style === 'linebreak') continue;
      if (node.style === 'mention') found.add(node.userId);
      walk(node.children);
    }
  };
  walk(inlines);
  return [...found];
}
