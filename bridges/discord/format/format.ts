/**
 * Discord markdown ↔ the intermediate formatting tree. From Discord: bold, italics, underline,
 * strike, spoilers, inline and block code, masked links, headings, quotes (`> ` lines and `>>> `),
 * lists (`- `, `* `, `1. `), mentions of users (pills of their ghosts), roles and channels (their
 * names), custom emoji (their image when one was uploaded, else `:name:`), escapes. To Discord:
 * the same, every markdown character of plain text escaped (so `*` stays `*` and a typed
 * `<@id>`, `@everyone` or `@here` never becomes a mention), pills of ghosts as `<@id>`.
 */
import type { Inline } from '../../../src/format/content.js';
import { isSafeHref } from '../../../src/format/matrix-links.js';
import { inlineToPlain, mentionText } from '../../../src/format/plain.js';

export interface FromDiscordNames {
  /** The Matrix user id of a Discord user's ghost, and their name in the guild. */
  user(id: string): { userId: string; name: string };
  role(id: string): string | undefined;
  channel(id: string): string | undefined;
  /** A custom emoji's image (`mxc://`), when the bridge has one. */
  emoji?(id: string): string | undefined;
}

type Style = 'bold' | 'italic' | 'underline' | 'strike' | 'spoiler';
const DELIMITERS: [string, Style][] = [
  ['**', 'bold'],
  ['__', 'underline'],
  ['~~', 'strike'],
  ['||', 'spoiler'],
  ['*', 'italic'],
  ['_', 'italic'],
];

const CODE_BLOCK = /```(?:([\w+-]*)\n)?([\s\S]*?)```/y;
const INLINE_CODE = /(``?)([\s\S]*?[^`])\1(?!`)/y;
const MASKED_LINK = /\[([^\]\n]{1,256})\]\(<?(https?:\/\/[^\s)>]+)>?\)/y;
const ANGLE_LINK = /<(https?:\/\/[^\s>]+)>/y;
const USER = /<@!?(\d{17,20})>/y;
const ROLE = /<@&(\d{17,20})>/y;
const CHANNEL = /<#(\d{17,20})>/y;
const EMOJI = /<a?:(\w{2,32}):(\d{17,20})>/y;
/** Custom emoji anywhere in a text (to fetch their images before parsing). */
export const EMOJI_IN_TEXT = /<a?:(\w{2,32}):(\d{17,20})>/g;
const QUOTE_LINE = /^> ?(.*)$/;
const QUOTE_REST = /^>>> ?([\s\S]*)$/;
const LIST_ITEM = /^( *)(?:([-*])|(\d{1,9})\.) +(.*)$/;
/** Lists inside lists at most this deep (deeper items join their parent list). */
const MAX_LIST_DEPTH = 8;
const TIMESTAMP = /<t:(-?\d{1,13})(?::[tTdDfFR])?>/y;
const ESCAPE = /\\([^0-9A-Za-z\s])/y;
const HEADING = /^(#{1,3}) +(.+)$/;

const at = (re: RegExp, s: string, i: number): RegExpExecArray | null => {
  re.lastIndex = i;
  return re.exec(s);
};

/** Discord markdown → the tree. Never throws. */
export function discordToInline(text: string, names: FromDiscordNames): Inline[] {
  return merge(parseLines(splitOutsideCodeBlocks(text), names, true));
}

/** Lines as blocks (quotes, headings, lists) and spans, a line break between each. */
function parseLines(lines: string[], names: FromDiscordNames, quotes: boolean): Inline[] {
  const out: Inline[] = [];
  const block = (node: Inline) => {
    if (out.length) out.push({ style: 'linebreak' });
    out.push(node);
  };
  for (let n = 0; n < lines.length;) {
    const line = lines[n]!;
    const rest = quotes ? QUOTE_REST.exec(line) : null;
    if (rest) {
      // `>>> `: the rest of the message is quoted.
      const quoted = [rest[1]!, ...lines.slice(n + 1)];
      block({ style: 'quote', children: merge(parseLines(quoted, names, false)) });
      break;
    }
    if (quotes && QUOTE_LINE.test(line)) {
      const quoted: string[] = [];
      for (; n < lines.length && QUOTE_LINE.test(lines[n]!); n++)
        quoted.push(QUOTE_LINE.exec(lines[n]!)![1]!);
      block({ style: 'quote', children: merge(parseLines(quoted, names, false)) });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      block({
        style: 'heading',
        level: heading[1]!.length,
        children: parseSpan(heading[2]!, names),
      });
      n++;
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const [list, next] = parseList(lines, n, names, 0);
      block(list);
      n = next;
      continue;
    }
    if (n > 0) out.push({ style: 'linebreak' });
    out.push(...parseSpan(line, names));
    n++;
  }
  return out;
}

/**
 * A list from line `n`: items as indented as the first; a more indented item starts a list
 * inside the item before it; a less indented one, or one of the other kind, ends the list.
 */
function parseList(
  lines: string[],
  n: number,
  names: FromDiscordNames,
  depth: number,
): [Inline, number] {
  const first = LIST_ITEM.exec(lines[n]!)!;
  const indent = first[1]!.length;
  const ordered = first[3] !== undefined;
  const items: { style: 'item'; children: Inline[] }[] = [];
  while (n < lines.length) {
    const m = LIST_ITEM.exec(lines[n]!);
    if (!m || m[1]!.length < indent) break;
    const last = items[items.length - 1];
    if (m[1]!.length > indent && last && depth < MAX_LIST_DEPTH) {
      const [inner, next] = parseList(lines, n, names, depth + 1);
      last.children.push({ style: 'linebreak' }, inner);
      n = next;
      continue;
    }
    if ((m[3] !== undefined) !== ordered) break;
    items.push({ style: 'item', children: merge(parseSpan(m[4]!, names)) });
    n++;
  }
  const list: Inline = {
    style: 'list',
    ordered,
    ...(ordered && Number(first[3]) !== 1 ? { start: Number(first[3]) } : {}),
    children: items,
  };
  return [list, n];
}

/** Lines, except that a code block (with its newlines) stays within one. */
function splitOutsideCodeBlocks(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (let i = 0; i < text.length;) {
    const block = at(CODE_BLOCK, text, i);
    if (block && block[2]) {
      current += block[0];
      i += block[0].length;
    } else if (text[i] === '\n') {
      lines.push(current);
      current = '';
      i++;
    } else {
      current += text[i];
      i++;
    }
  }
  lines.push(current);
  return lines;
}

function parseSpan(s: string, names: FromDiscordNames): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const push = (node: Inline) => {
    if (text) out.push(text);
    text = '';
    out.push(node);
  };
  let i = 0;
  outer: while (i < s.length) {
    let m: RegExpExecArray | null;
    if ((m = at(ESCAPE, s, i))) {
      text += m[1];
      i += m[0].length;
    } else if ((m = at(CODE_BLOCK, s, i)) && m[2]) {
      push({ style: 'pre', children: [m[2].replace(/\n$/, '')] });
      i += m[0].length;
    } else if ((m = at(INLINE_CODE, s, i))) {
      push({ style: 'code', children: [m[2]!.trim() || m[2]!] });
      i += m[0].length;
    } else if ((m = at(MASKED_LINK, s, i)) && isSafeHref(m[2]!)) {
      push({ style: 'link', href: m[2]!, children: parseSpan(m[1]!, names) });
      i += m[0].length;
    } else if ((m = at(ANGLE_LINK, s, i)) && isSafeHref(m[1]!)) {
      push({ style: 'link', href: m[1]!, children: [m[1]!] });
      i += m[0].length;
    } else if ((m = at(USER, s, i))) {
      const who = names.user(m[1]!);
      push({ style: 'mention', userId: who.userId, children: [who.name] });
      i += m[0].length;
    } else if ((m = at(ROLE, s, i))) {
      text += `@${names.role(m[1]!) ?? 'unknown-role'}`;
      i += m[0].length;
    } else if ((m = at(CHANNEL, s, i))) {
      text += `#${names.channel(m[1]!) ?? 'unknown-channel'}`;
      i += m[0].length;
    } else if ((m = at(EMOJI, s, i))) {
      const src = names.emoji?.(m[2]!);
      if (src) push({ style: 'emoticon', src, children: [`:${m[1]}:`] });
      else text += `:${m[1]}:`;
      i += m[0].length;
    } else if ((m = at(TIMESTAMP, s, i))) {
      const date = new Date(Number(m[1]) * 1000);
      text += Number.isNaN(date.getTime()) ? m[0] : date.toISOString().replace('.000Z', 'Z');
      i += m[0].length;
    } else {
      for (const [delim, style] of DELIMITERS) {
        if (!s.startsWith(delim, i)) continue;
        const from = i + delim.length;
        const end = closing(s, delim, from);
        if (end < 0) continue;
        push({ style, children: parseSpan(s.slice(from, end), names) });
        i = end + delim.length;
        continue outer;
      }
      text += s[i];
      i++;
    }
  }
  if (text) out.push(text);
  return out;
}

/** Where `delim` closes a span opened before `from` (not empty, not at a space for `*`/`_`), or -1. */
function closing(s: string, delim: string, from: number): number {
  if (from >= s.length || (delim.length === 1 && /\s/.test(s[from]!))) return -1;
  let j = s.indexOf(delim, from + 1);
  while (j >= 0) {
    // `***x***`: the bold closes at the end of the run, after the italics' own `*`.
    if (delim.length === 2) while (s[j + 2] === delim[0]) j++;
    const doubled = delim.length === 1 && s[j + 1] === delim;
    if (!doubled && !(delim.length === 1 && /\s/.test(s[j - 1]!))) {
      // `_` closes a word only: `snake_case_name` is no italics.
      if (delim !== '_' || !/\w/.test(s[j + 1] ?? '')) return j;
    }
    j = s.indexOf(delim, j + (doubled ? 2 : 1));
  }
  return -1;
}

/** Adjacent strings joined. */
function merge(nodes: Inline[]): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) {
    const last = out[out.length - 1];
    if (typeof node === 'string' && typeof last === 'string') out[out.length - 1] = last + node;
    else if (node !== '') out.push(node);
  }
  return out;
}

// ---------------------------------------------------------------- to Discord

export interface ToDiscordNames {
  /** The Discord user behind a Matrix user id, when it is one of our ghosts. */
  discordUser(userId: string): string | undefined;
  /** How a Matrix user who is no ghost is named. */
  mentionName?(userId: string): string;
}

const URL_IN_TEXT = /https?:\/\/[^\s<>]+/g;

/** Plain text made literal on Discord: markdown, mentions and mass mentions escaped; URLs left as they are. */
export function escapeDiscord(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    out += escapePart(text.slice(last, m.index));
    out += m[0];
    last = m.index + m[0].length;
  }
  return out + escapePart(text.slice(last));
}

const escapePart = (s: string): string =>
  s
    .replace(/[\\*_~`|<>[\]]/g, (c) => `\\${c}`)
    .replace(/@(everyone|here)/g, '\\@$1')
    .replace(/(^|\n)(-#+|[#-]|\d+\.)(?= )/g, (_m, nl: string, mark: string) => `${nl}\\${mark}`);

/** The tree → Discord markdown, with the Discord users its pills mention (for allowed_mentions). */
export function inlineToDiscord(
  nodes: readonly Inline[],
  names: ToDiscordNames,
): { text: string; users: string[] } {
  const users = new Set<string>();
  const render = (list: readonly Inline[]): string =>
    list
      .map((node): string => {
        if (typeof node === 'string') return escapeDiscord(node);
        switch (node.style) {
          case 'linebreak':
            return '\n';
          case 'bold':
            return wrap('**', render(node.children));
          case 'italic':
            return wrap('*', render(node.children));
          case 'underline':
            return wrap('__', render(node.children));
          case 'strike':
            return wrap('~~', render(node.children));
          case 'code': {
            const code = inlineToPlain(node.children).replace(/\n/g, ' ');
            return code.includes('`')
              ? `\`\` ${code.replace(/``/g, '`\u200b`')} \`\``
              : `\`${code}\``;
          }
          case 'pre':
            return `\`\`\`\n${inlineToPlain(node.children).replace(/```/g, '``\u200b`')}\n\`\`\``;
          case 'link': {
            const label = render(node.children);
            const plain = inlineToPlain(node.children);
            if (!isSafeHref(node.href)) return label;
            return plain === node.href || !plain ? node.href : `[${label}](<${node.href}>)`;
          }
          case 'mention': {
            const id = names.discordUser(node.userId);
            if (id) {
              users.add(id);
              return `<@${id}>`;
            }
            return escapeDiscord(`@${names.mentionName?.(node.userId) || mentionText(node)}`);
          }
          case 'spoiler':
            return wrap('||', render(node.children));
          case 'quote':
            return render(node.children)
              .split('\n')
              .map((l) => `> ${l}`)
              .join('\n');
          case 'heading': {
            const inner = render(node.children).replace(/\n/g, ' ');
            return node.level <= 3
              ? `${'#'.repeat(Math.max(1, node.level))} ${inner}`
              : wrap('**', inner);
          }
          case 'list': {
            let n = node.start ?? 1;
            return node.children
              .map((item) => {
                // An item's further lines (a nested list, say) are indented past its marker.
                const marker = node.ordered ? `${n++}.` : '-';
                const indent = '\n' + ' '.repeat(marker.length + 1);
                return `${marker} ${render([item]).replace(/\n/g, indent)}`;
              })
              .join('\n');
          }
          default:
            // An item's and an emoticon's text (Discord cannot show a Matrix image inline).
            return render(node.children);
        }
      })
      .join('');
  return { text: render(nodes), users: [...users] };
}

const wrap = (mark: string, inner: string): string =>
  inner.trim() ? `${mark}${inner}${mark}` : inner;
