/**
 * The formatting tree without blocks (quotes, headings, lists), custom emoji or spoilers, for
 * renderers that have none: the text Matrix HTML's parser makes of the same HTML (`> ` before
 * each line of a quote, headings in bold, `- `/`1. ` before list items, nested lists indented),
 * a custom emoji as its text, a spoiler as the renderer asks (its text by default).
 */
import type { Inline } from './content.js';

const MAX_LEVELS = 8;
const BREAK: Inline = { style: 'linebreak' };

export interface FlattenOptions {
  /** A spoiler's rendering; default: its content as it is. */
  spoiler?: (children: Inline[]) => Inline[];
}

export function flattenBlocks(nodes: readonly Inline[], opts: FlattenOptions = {}): Inline[] {
  return flatten(nodes, opts, 0);
}

/** `lists`: how many lists the nodes are inside (their items are indented by as many levels). */
function flatten(nodes: readonly Inline[], opts: FlattenOptions, lists: number): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) {
    if (typeof node === 'string' || node.style === 'linebreak') {
      out.push(node);
      continue;
    }
    const inner = () => flatten(node.children, opts, lists);
    switch (node.style) {
      case 'quote':
        out.push(...prefixLines(inner(), '> '));
        break;
      case 'heading':
        out.push({ style: 'bold', children: inner() });
        break;
      case 'list': {
        let n = node.start ?? 1;
        const indent = '  '.repeat(Math.min(lists, MAX_LEVELS));
        node.children.forEach((item, i) => {
          if (i > 0) out.push(BREAK);
          const marker = indent + (node.ordered ? `${n++}. ` : '- ');
          const body =
            typeof item !== 'string' && item.style === 'item'
              ? flatten(item.children, opts, lists + 1)
              : flatten([item], opts, lists + 1);
          out.push(marker, ...body);
        });
        break;
      }
      case 'item':
        out.push(...inner());
        break;
      case 'emoticon':
        out.push(...inner());
        break;
      case 'spoiler':
        out.push(...(opts.spoiler ? opts.spoiler(inner()) : inner()));
        break;
      default:
        out.push({ ...node, children: inner() });
    }
  }
  return out;
}

/** `prefix` before the first line and after every line break, at any depth. */
function prefixLines(nodes: Inline[], prefix: string): Inline[] {
  const walk = (list: Inline[]): Inline[] =>
    list.flatMap((node): Inline[] => {
      if (typeof node === 'string') return [node];
      if (node.style === 'linebreak') return [node, prefix];
      return [{ ...node, children: walk(node.children) }];
    });
  return [prefix, ...walk(nodes)];
}
