/**
 * Matrix HTML (`formatted_body`) to the formatting tree, with htmlparser2's
 * streaming parser. The tree is built with an explicit stack (no recursion),
 * so hostile nesting cannot overflow the call stack, and styles nest at most
 * MAX_STYLE_DEPTH deep (deeper tags keep their text only). With `blocks`,
 * quotes, headings and lists become the tree's block nodes (at most
 * MAX_PREFIX_LEVELS of quotes and of lists inside each other); without, they
 * are flattened to lines of text here.
 */
import { Parser } from 'htmlparser2';
import type { Inline } from './content.js';
import { normalizeColor } from './color.js';
import { BLOCK_TAGS, SKIPPED_TAGS, SIMPLE_STYLE_TAGS } from './html-tags.js';
import { isSafeHref, userIdFromHref } from './matrix-links.js';

const MAX_STYLE_DEPTH = 32;
/** Deeper quotes and lists keep their text but stop growing the prefix (hostile nesting). */
const MAX_PREFIX_LEVELS = 8;

const LINEBREAK: Inline = { style: 'linebreak' };

interface Frame {
  /** Makes this element's node from its children; absent: the children join the parent. */
  build?: (children: Inline[]) => Inline;
  children: Inline[];
  /** Content is dropped (script, mx-reply, …). */
  skip: boolean;
  /** The block tag this frame opened, whose end is a line break. */
  block?: string;
  /** Styled frames from the root to here, this one included. */
  styled: number;
  /** Inside a link or mention: nested anchors keep their text only. */
  inLink: boolean;
  /** Kept even without children (a mention still mentions). */
  keepEmpty?: boolean;
  /** Which block node this frame builds (blocks mode), to count nesting when it closes. */
  node?: 'quote' | 'list';
}

export interface ParseOptions {
  /**
   * Quotes, headings and lists as block nodes (`quote`, `heading`, `list` of `item`s) rather
   * than lines of text with `> `, bold and `- `/`1. `. Every renderer takes them (`flattenBlocks`
   * gives the same lines); default false.
   */
  blocks?: boolean;
}

const HEADING = /^h([1-6])$/;

/**
 * A block node's children: no line break at its start or end (the block is its own line), and
 * no source whitespace left at the end of a line (`<li>first\n<ul>…`).
 */
function trimBreaks(children: Inline[]): Inline[] {
  let start = 0;
  let end = children.length;
  while (start < end && children[start] === LINEBREAK) start++;
  while (end > start && children[end - 1] === LINEBREAK) end--;
  return trimLineEnds(children, start, end);
}

/** `children[start, end)` without whitespace at the end of each line. */
function trimLineEnds(children: Inline[], start = 0, end = children.length): Inline[] {
  const out: Inline[] = [];
  for (let i = start; i < end; i++) {
    const child = children[i]!;
    const endsLine = i + 1 === end || children[i + 1] === LINEBREAK;
    if (typeof child === 'string' && endsLine) append(out, child.replace(/[ \t]+$/, ''));
    else out.push(child);
  }
  return out;
}

/** A list's children are items: breaks between them go, stray content becomes an item. */
function listItems(children: Inline[]): Inline[] {
  const items: Inline[] = [];
  let stray: Inline[] = [];
  const flush = () => {
    const kept = trimBreaks(stray);
    if (kept.length > 0) items.push({ style: 'item', children: kept });
    stray = [];
  };
  for (const child of children) {
    if (typeof child !== 'string' && child.style === 'item') {
      flush();
      items.push(child);
    } else stray.push(child);
  }
  flush();
  return items;
}

/** Append, merging adjacent strings so the tree stays small. */
function append(list: Inline[], node: Inline): void {
  if (typeof node === 'string') {
    if (node === '') return;
    const last = list.length - 1;
    if (last >= 0 && typeof list[last] === 'string') {
      list[last] = (list[last] as string) + node;
      return;
    }
  }
  list.push(node);
}

/**
 * The streaming state. Line breaks stay pending until content follows, so
 * block boundaries never leave empty lines at the start, at the end, or twice.
 */
class InlineBuilder {
  private readonly stack: Frame[] = [{ children: [], skip: false, styled: 0, inLink: false }];
  private text = '';
  private hasContent = false;
  private softBreak = false;
  private trimLeading = false;
  private atLineStart = true;
  /** The last thing emitted was a `<br>`: the line is ended already. */
  private afterBr = false;
  /** The stack depth whose frame receives pending breaks and line prefixes. */
  private pendingDepth = 1;
  private quoteDepth = 0;
  private preDepth = 0;
  private readonly lists: { ordered: boolean; next: number }[] = [];
  private marker = '';
  /** Blocks mode: open quote and list nodes, and whether each open list built a node. */
  private quoteNodes = 0;
  private listNodes = 0;
  private readonly listBuilt: boolean[] = [];

  constructor(private readonly blocks: boolean) {}

  private get top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  /** A block boundary: a line break once content follows, never two in a row. */
  private requestBreak(): void {
    // After a `<br>` the line is already ended: a block boundary adds no empty line (as browsers show it).
    if (this.hasContent && !this.afterBr) this.softBreak = true;
    this.trimLeading = true;
    this.pendingDepth = Math.min(this.pendingDepth, this.stack.length);
  }

  private emit(node: Inline): void {
    // A block break goes where the block ended, not into a style opened after it.
    const target = this.stack[Math.min(this.pendingDepth, this.stack.length) - 1]!;
    if (this.softBreak) {
      append(target.children, LINEBREAK);
      this.atLineStart = true;
    }
    if (this.atLineStart) {
      const quote = '> '.repeat(Math.min(this.quoteDepth, MAX_PREFIX_LEVELS));
      append(target.children, quote + this.marker);
      this.marker = '';
      this.atLineStart = false;
    }
    this.softBreak = false;
    this.trimLeading = false;
    this.pendingDepth = Number.POSITIVE_INFINITY;
    this.hasContent = true;
    this.afterBr = false;
    append(this.top.children, node);
  }

  /** `<br>` or a newline in `<pre>`: the sender's own line break, kept where it is. */
  private hardBreak(): void {
    this.emit(LINEBREAK);
    this.atLineStart = true;
  }

  onText(data: string): void {
    this.text += data;
  }

  /** Text arrives in pieces (split at entities); whitespace rules need the whole run. */
  private flushText(): void {
    const data = this.text;
    this.text = '';
    if (data === '' || this.top.skip) return;
    if (this.preDepth > 0) {
      data.split(/\r\n|[\r\n]/).forEach((line, i) => {
        if (i > 0) this.hardBreak();
        if (line !== '') this.emit(line);
      });
      return;
    }
    // Newlines between tags are source indentation, not content.
    if (/^[ \t\r\n\f]*$/.test(data) && /[\r\n]/.test(data)) return;
    let text = data.replace(/\r\n|[\r\n\f]/g, ' ');
    if (this.trimLeading) text = text.replace(/^[ \t]+/, '');
    if (text !== '') this.emit(text);
  }

  onOpenTag(name: string, attribs: Record<string, string>): void {
    this.flushText();
    const parent = this.top;
    const frame: Frame = {
      children: [],
      skip: false,
      styled: parent.styled,
      inLink: parent.inLink,
    };
    if (parent.skip || SKIPPED_TAGS.has(name)) {
      frame.skip = true;
      this.stack.push(frame);
      return;
    }
    if (BLOCK_TAGS.has(name)) {
      frame.block = name;
      if (this.blocks) this.blockNode(frame, name, attribs);
      else this.openBlock(name, attribs);
    }
    if (name === 'br') {
      this.hardBreak();
      this.afterBr = true;
    }
    // Custom emoji and inline images: their alt text is what a text network can show.
    if (name === 'img' && typeof attribs.alt === 'string') this.emit(attribs.alt);
    if (parent.styled < MAX_STYLE_DEPTH) this.style(frame, name, attribs);
    this.stack.push(frame);
  }

  /** Blocks mode: a quote, heading, list or item node for the tag, within the nesting limits. */
  private blockNode(frame: Frame, name: string, attribs: Record<string, string>): void {
    this.requestBreak();
    if (name === 'pre') this.preDepth++;
    const room = frame.styled < MAX_STYLE_DEPTH && this.preDepth === 0;
    const heading = HEADING.exec(name);
    if (name === 'blockquote' && room && this.quoteNodes < MAX_PREFIX_LEVELS) {
      frame.build = (children) => ({ style: 'quote', children: trimBreaks(children) });
      frame.node = 'quote';
      this.quoteNodes++;
    } else if (heading && room) {
      const level = Number(heading[1]);
      frame.build = (children) => ({ style: 'heading', level, children: trimBreaks(children) });
    } else if (name === 'ul' || name === 'ol') {
      const built = room && this.listNodes < MAX_PREFIX_LEVELS;
      this.listBuilt.push(built);
      if (built) {
        const ordered = name === 'ol';
        const start = Number(attribs.start ?? 1);
        const from = Number.isSafeInteger(start) && start >= 0 && start < 1e6 ? start : 1;
        frame.build = (children) => ({
          style: 'list',
          ordered,
          ...(ordered && from !== 1 && { start: from }),
          children: listItems(children),
        });
        frame.node = 'list';
        this.listNodes++;
      }
    } else if (name === 'li' && room && this.listBuilt[this.listBuilt.length - 1] === true) {
      frame.build = (children) => ({ style: 'item', children: trimBreaks(children) });
    } else if (name === 'li' && room && this.listBuilt.length === 0) {
      // An item outside any list: a list of its own, as it shows.
      frame.build = (children) => ({
        style: 'list',
        ordered: false,
        children: [{ style: 'item', children: trimBreaks(children) }],
      });
    }
    if (frame.build) frame.styled++;
  }

  private closeBlockNode(frame: Frame): void {
    const name = frame.block;
    if (name === 'pre') this.preDepth--;
    else if (name === 'ul' || name === 'ol') this.listBuilt.pop();
    if (frame.node === 'quote') this.quoteNodes--;
    else if (frame.node === 'list') this.listNodes--;
    this.requestBreak();
  }

  private style(frame: Frame, name: string, attribs: Record<string, string>): void {
    if (frame.build) return; // a block node (blocks mode)
    const simple = SIMPLE_STYLE_TAGS.get(name);
    if (simple !== undefined && !(simple === 'code' && this.preDepth > 0)) {
      frame.build = (children) => ({ style: simple, children });
    } else if (name === 'pre' && this.preDepth === 1) {
      frame.build = (children) => ({ style: 'pre', children });
    } else if (name === 'a' && !frame.inLink && typeof attribs.href === 'string') {
      const href = attribs.href;
      const userId = userIdFromHref(href);
      if (userId !== undefined) {
        frame.build = (children) => ({ style: 'mention', userId, children });
        frame.keepEmpty = true;
      } else if (isSafeHref(href)) {
        frame.build = (children) => ({ style: 'link', href, children });
      }
      frame.inLink = frame.build !== undefined;
    } else if (name === 'span' && 'data-mx-spoiler' in attribs) {
      frame.build = (children) => ({ style: 'spoiler', children });
    } else if (name === 'font' || name === 'span') {
      const fg = normalizeColor(attribs['data-mx-color'] ?? attribs.color);
      const bg = normalizeColor(attribs['data-mx-bg-color']);
      if (fg !== undefined || bg !== undefined) {
        frame.build = (children) => ({
          style: 'color',
          ...(fg !== undefined && { fg }),
          ...(bg !== undefined && { bg }),
          children,
        });
      }
    }
    if (frame.build) frame.styled++;
  }

  private openBlock(name: string, attribs: Record<string, string>): void {
    this.requestBreak();
    if (name === 'blockquote') this.quoteDepth++;
    else if (name === 'pre') this.preDepth++;
    else if (name === 'ul' || name === 'ol') {
      const start = Number(attribs.start ?? 1);
      const next = Number.isSafeInteger(start) && start >= 0 && start < 1e6 ? start : 1;
      this.lists.push({ ordered: name === 'ol', next });
    } else if (name === 'li') {
      const list = this.lists[this.lists.length - 1];
      const level = Math.min(Math.max(this.lists.length - 1, 0), MAX_PREFIX_LEVELS);
      this.marker = '  '.repeat(level) + (list?.ordered ? `${list.next++}. ` : '- ');
    }
  }

  private closeBlock(name: string): void {
    if (name === 'blockquote') this.quoteDepth--;
    else if (name === 'ul' || name === 'ol') this.lists.pop();
    else if (name === 'li') this.marker = '';
    else if (name === 'pre') this.preDepth--;
    this.requestBreak();
  }

  onCloseTag(): void {
    this.flushText();
    if (this.stack.length <= 1) return;
    const frame = this.stack.pop()!;
    this.pendingDepth = Math.min(this.pendingDepth, this.stack.length);
    if (frame.skip) return;
    const parent = this.top;
    // `<pre><code>x\n</code></pre>`: the last newline ends the block, it is not an empty line.
    if (frame.block === 'pre' && frame.children[frame.children.length - 1] === LINEBREAK) {
      frame.children.pop();
    }
    if (frame.build === undefined) {
      for (const child of frame.children) append(parent.children, child);
    } else if (frame.children.length > 0 || frame.keepEmpty) {
      append(parent.children, frame.build(frame.children));
    }
    if (frame.block === undefined) return;
    if (this.blocks) this.closeBlockNode(frame);
    else this.closeBlock(frame.block);
  }

  finish(): Inline[] {
    this.flushText();
    const children = this.stack[0]!.children;
    return this.blocks ? trimLineEnds(children) : children;
  }
}

/**
 * Parse Matrix HTML into the formatting tree. Never throws. `<mx-reply>`
 * (the reply fallback) and script/style contents are dropped; unknown tags
 * keep their text; matrix.to user links become mentions; links with unsafe
 * schemes keep only their text; p/div/li/… become line breaks, list items get
 * `- `/`1. ` and blockquote lines `> ` (with `blocks`: quote, heading and list nodes).
 */
export function parseMatrixHtml(html: string, opts: ParseOptions = {}): Inline[] {
  const builder = new InlineBuilder(opts.blocks === true);
  const parser = new Parser({
    onopentag: (name, attribs) => builder.onOpenTag(name, attribs),
    ontext: (data) => builder.onText(data),
    onclosetag: () => builder.onCloseTag(),
  });
  parser.write(typeof html === 'string' ? html : '');
  parser.end();
  return builder.finish();
}
