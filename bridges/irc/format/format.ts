/**
 * mIRC formatting codes ↔ the intermediate formatting tree. Codes per
 * https://modern.ircdocs.horse/formatting: text from IRC is parsed into
 * `Inline[]`, the tree is rendered back with the codes, nesting-aware.
 */
import { flattenBlocks } from '../../../src/format/blocks.js';
import type { Inline, MessageContent } from '../../../src/format/content.js';
import { inlineToPlain, mentionText, type MentionNaming } from '../../../src/format/plain.js';
import { replaceLoneSurrogates, stripControl } from '../../../src/format/text.js';

/** The control characters that are IRC formatting (to keep when stripping controls). */
export const IRC_FORMAT_CODES = '\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f';

/** A colour as IRC carries it: a palette number 0–98, or `#rrggbb` from `\x04`. */
export type IrcColor = number | string;

type Flag = 'bold' | 'italic' | 'underline' | 'strike' | 'code';
export type IrcStyle = { [F in Flag]?: boolean } & { fg?: IrcColor; bg?: IrcColor };

const CODE_OF: Record<Flag, string> = {
  bold: '\x02',
  italic: '\x1d',
  underline: '\x1f',
  strike: '\x1e',
  code: '\x11',
};
const FLAGS = Object.keys(CODE_OF) as Flag[];

/** mIRC palette 0–98 (0–15 the classic colours, 16–98 the extended ones). */
const PALETTE = (
  'ffffff 000000 00007f 009300 ff0000 7f0000 9c009c fc7f00 ffff00 00fc00 009393 00ffff 0000fc ff00ff 7f7f7f d2d2d2 ' +
  '470000 472100 474700 324700 004700 00472c 004747 002747 000047 2e0047 470047 47002a ' +
  '740000 743a00 747400 517400 007400 007449 007474 004074 000074 4b0074 740074 740045 ' +
  'b50000 b56300 b5b500 7db500 00b500 00b571 00b5b5 0063b5 0000b5 7500b5 b500b5 b5006b ' +
  'ff0000 ff8c00 ffff00 b2ff00 00ff00 00ffa0 00ffff 008cff 0000ff a500ff ff00ff ff0098 ' +
  'ff5959 ffb459 ffff71 cfff60 6fff6f 65ffc9 6dffff 59b4ff 5959ff c459ff ff66ff ff59bc ' +
  'ff9c9c ffd39c ffff9c e2ff9c 9cff9c 9cffdb 9cffff 9cd3ff 9c9cff dc9cff ff9cff ff94d3 ' +
  '000000 131313 282828 363636 4d4d4d 656565 818181 9f9f9f bcbcbc e2e2e2 ffffff'
)
  .split(' ')
  .map((h) => `#${h}`);

/** CSS names older Matrix clients send as `color="red"`. */
const NAMED: Record<string, string> = Object.fromEntries(
  (
    'black 000000 white ffffff red ff0000 green 008000 blue 0000ff yellow ffff00 orange ffa500 ' +
    'purple 800080 magenta ff00ff fuchsia ff00ff cyan 00ffff aqua 00ffff gray 808080 grey 808080 ' +
    'silver c0c0c0 maroon 800000 navy 000080 teal 008080 olive 808000 lime 00ff00 brown a52a2a ' +
    'pink ffc0cb'
  )
    .split(' ')
    .flatMap((word, i, all) => (i % 2 === 0 ? [[word, `#${all[i + 1]}`]] : [])),
);

/** `#rrggbb` for an IRC colour. */
export const colorHex = (c: IrcColor): string => (typeof c === 'number' ? PALETTE[c]! : c);

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** The nearest of the 16 classic colours (every client shows those alike); undefined if unknown. */
export function nearestIrcColor(color: string): number | undefined {
  const hex = /^#[0-9a-f]{6}$/i.test(color) ? color : NAMED[color.toLowerCase()];
  if (hex === undefined) return undefined;
  const [r, g, b] = rgb(hex) as [number, number, number];
  let best = 0;
  let bestDistance = Infinity;
  for (let i = 0; i < 16; i++) {
    const [pr, pg, pb] = rgb(PALETTE[i]!) as [number, number, number];
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestDistance) [best, bestDistance] = [i, d];
  }
  return best;
}

/** One formatting code: a lone comma or a third digit after a colour is text, as in mIRC. */
const CODE =
  /\x03(?:(\d{1,2})(?:,(\d{1,2}))?)?|\x04(?:([0-9a-f]{6})(?:,([0-9a-f]{6}))?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/gi;

function applyCode(style: IrcStyle, m: RegExpExecArray): IrcStyle {
  const c = m[0][0]!;
  if (c === '\x0f') return {};
  if (c === '\x16') return style; // reverse video has no equivalent in Matrix
  const flag = FLAGS.find((f) => CODE_OF[f] === c);
  if (flag !== undefined) return { ...style, [flag]: !style[flag] };
  const [, fg, bg, fgHex, bgHex] = m;
  const next = { ...style };
  if (fg === undefined && fgHex === undefined) {
    delete next.fg; // a bare \x03 or \x04 ends the colours
    delete next.bg;
    return next;
  }
  // 99 is "the default colour": no colour.
  const set = (key: 'fg' | 'bg', v: string | undefined, hex: boolean) => {
    if (v === undefined) return;
    const value: IrcColor = hex ? `#${v.toLowerCase()}` : Number(v);
    if (value === 99) delete next[key];
    else next[key] = value;
  };
  set('fg', fg ?? fgHex, fgHex !== undefined);
  set('bg', bg ?? bgHex, bgHex !== undefined);
  return next;
}

/** A piece of IRC text: a formatting code or text, with the style in effect after it. */
export type IrcSpan = { start: number; end: number; code: boolean; style: IrcStyle };

/** Walk IRC text as spans of codes and text. Never throws. */
export function* scanIrc(s: string): Generator<IrcSpan> {
  let style: IrcStyle = {};
  let at = 0;
  for (const m of s.matchAll(CODE)) {
    if (m.index > at) yield { start: at, end: m.index, code: false, style };
    style = applyCode(style, m);
    at = m.index + m[0].length;
    yield { start: m.index, end: at, code: true, style };
  }
  if (at < s.length) yield { start: at, end: s.length, code: false, style };
}

/** IRC text with every formatting code removed. */
export const stripIrcFormatting = (s: string): string => s.replace(CODE, '');

const hasStyle = (s: IrcStyle) =>
  FLAGS.some((f) => s[f]) || s.fg !== undefined || s.bg !== undefined;

const colorKey = (s: IrcStyle) =>
  `${s.fg === undefined ? '' : colorHex(s.fg)},${s.bg === undefined ? '' : colorHex(s.bg)}`;

type Run = { text: string; style: IrcStyle };
const LEVELS = ['color', ...FLAGS] as const;

/** Nest runs: consecutive runs sharing a style share one node, outermost colour first. */
function nest(runs: Run[], level: number): Inline[] {
  if (level === LEVELS.length) return [runs.map((r) => r.text).join('')];
  const key = LEVELS[level]!;
  const valueOf = (r: Run) => (key === 'color' ? colorKey(r.style) : String(!!r.style[key]));
  const out: Inline[] = [];
  for (let i = 0; i < runs.length;) {
    let j = i + 1;
    while (j < runs.length && valueOf(runs[j]!) === valueOf(runs[i]!)) j++;
    const group = runs.slice(i, j);
    const children = nest(group, level + 1);
    const { style } = runs[i]!;
    if (key === 'color' && colorKey(style) !== ',') {
      out.push({
        style: 'color',
        ...(style.fg !== undefined && { fg: colorHex(style.fg) }),
        ...(style.bg !== undefined && { bg: colorHex(style.bg) }),
        children,
      });
    } else if (key !== 'color' && style[key]) out.push({ style: key, children });
    else out.push(...children);
    i = j;
  }
  return out;
}

/** A nick's first character and the rest, as IRC allows them (RFC 2812 plus the common extensions). */
const NICK_FIRST = '[A-Za-z\\[\\]\\\\`_^{|}]';
const NICK_REST = '[A-Za-z0-9\\[\\]\\\\`_^{|}-]';
/** A nick, then `:` or `,` and a space: how IRC users address someone. */
const ADDRESSED = new RegExp(`^(${NICK_FIRST}${NICK_REST}*)[:,](?=\\s|$)`);
const WHOLE_NICK = new RegExp(`^${NICK_FIRST}${NICK_REST}*$`);
/** Runs of characters a nick may hold: a mention anywhere must be a whole run. */
const NICK_RUN = new RegExp(`${NICK_REST}+`, 'g');

/**
 * The Matrix user an IRC nick stands for, if any. `anywhere`: the nick pings them wherever it is
 * written, not only as the first word (a Matrix user's puppet nick, `alice[m]`, is theirs alone;
 * an IRC user's nick may just be a word).
 */
export type MentionLookup = (nick: string) => { userId: string; anywhere: boolean } | undefined;

interface Found {
  start: number;
  end: number;
  userId: string;
}

/** The mentions in `plain`, in order: the addressed first word, then puppet nicks anywhere. */
function mentionsIn(plain: string, mentionOf: MentionLookup): Found[] {
  const found: Found[] = [];
  const addressed = ADDRESSED.exec(plain)?.[1];
  const first = addressed ? mentionOf(addressed) : undefined;
  if (first) found.push({ start: 0, end: addressed!.length, userId: first.userId });
  for (const m of plain.matchAll(NICK_RUN)) {
    if (m.index === 0 && first) continue;
    if (!WHOLE_NICK.test(m[0])) continue;
    const who = mentionOf(m[0]);
    if (who?.anywhere)
      found.push({ start: m.index, end: m.index + m[0].length, userId: who.userId });
  }
  return found;
}

/** Runs split after `n` characters of text: [the first n, the rest]. */
function splitRuns(runs: readonly Run[], n: number): [Run[], Run[]] {
  const head: Run[] = [];
  const tail: Run[] = [];
  let left = n;
  for (const run of runs) {
    if (left >= run.text.length) head.push(run);
    else if (left <= 0) tail.push(run);
    else {
      head.push({ text: run.text.slice(0, left), style: run.style });
      tail.push({ text: run.text.slice(left), style: run.style });
    }
    left -= run.text.length;
  }
  return [head, tail];
}

/**
 * A message from IRC: `text` without codes; `formatted` only when some text was styled or
 * someone was mentioned. A message addressed the IRC way (`nick: hi`, `nick, hi`) to a nick
 * `mentionOf` knows mentions that Matrix user: a pill, which pings them. Elsewhere in the text
 * only the nicks `mentionOf` says ping `anywhere` (Matrix users' puppets) become pills.
 */
export function ircToContent(
  text: string,
  kind: MessageContent['kind'],
  mentionOf?: MentionLookup,
): MessageContent {
  const runs: Run[] = [];
  // A lone surrogate is not valid in Matrix JSON.
  const input = replaceLoneSurrogates(typeof text === 'string' ? text : '');
  for (const span of scanIrc(input)) {
    // Other controls (CTCP \x01, BEL…) are never meant to be shown.
    const piece = span.code ? '' : stripControl(input.slice(span.start, span.end), { allow: '\t' });
    if (piece !== '') runs.push({ text: piece, style: span.style });
  }
  const plain = runs.map((r) => r.text).join('');
  const mentions = mentionOf ? mentionsIn(plain, mentionOf) : [];
  if (mentions.length > 0) return { kind, text: plain, formatted: withMentions(runs, mentions) };
  if (!runs.some((r) => hasStyle(r.style))) return { kind, text: plain };
  return { kind, text: plain, formatted: nest(runs, 0) };
}

/** The runs as inlines, each mention's text a pill (keeping its styles inside). */
function withMentions(runs: Run[], mentions: readonly Found[]): Inline[] {
  const out: Inline[] = [];
  let rest = runs;
  let at = 0;
  for (const m of mentions) {
    const [before, from] = splitRuns(rest, m.start - at);
    const [nick, after] = splitRuns(from, m.end - m.start);
    out.push(...nest(before, 0), { style: 'mention', userId: m.userId, children: nest(nick, 0) });
    rest = after;
    at = m.end;
  }
  return [...out, ...nest(rest, 0)];
}

const pad = (n: number) => String(n).padStart(2, '0');

function colorCode(from: IrcStyle, to: IrcStyle): string {
  if (from.fg === to.fg && from.bg === to.bg) return '';
  if (to.fg === undefined && to.bg === undefined) return '\x03';
  const dropBg = from.bg !== undefined && to.bg === undefined;
  if (typeof to.fg !== 'string' && typeof to.bg !== 'string') {
    const bg = to.bg !== undefined ? `,${pad(to.bg)}` : dropBg ? ',99' : '';
    return `\x03${pad(to.fg ?? 99)}${bg}`;
  }
  // \x04 must name a foreground: with none, fall back to the nearest palette background.
  if (to.fg === undefined) return `\x0399,${pad(nearestIrcColor(colorHex(to.bg!)) ?? 99)}`;
  const bg = to.bg !== undefined ? `,${colorHex(to.bg).slice(1)}` : '';
  return `${dropBg ? '\x03' : ''}\x04${colorHex(to.fg).slice(1)}${bg}`;
}

const CODE_AT = new RegExp(CODE.source, 'iy');

/** Whether `next` would be read as part of the colour code that ends `codes`. */
function joinsCode(codes: string, next: string): boolean {
  const last = codes.slice(Math.max(codes.lastIndexOf('\x03'), codes.lastIndexOf('\x04')));
  if (last === '' || next === '') return false;
  if (last === '\x03' && /^,\d/.test(next)) return true; // some clients read `\x03,5` as a background
  CODE_AT.lastIndex = 0;
  return CODE_AT.exec(last + next)![0].length > last.length;
}

/**
 * The codes that turn style `from` into `to` before the text `next`. Colour goes
 * first so a toggle can end it; when it is last and `next` would extend it
 * (`\x0304` + `,5`), `\x02\x02` keeps that text from being read as colour.
 */
export function styleTransition(from: IrcStyle, to: IrcStyle, next: string): string {
  const color = colorCode(from, to);
  const toggles = FLAGS.filter((f) => !!from[f] !== !!to[f])
    .map((f) => CODE_OF[f])
    .join('');
  return color + toggles + (toggles === '' && joinsCode(color, next) ? '\x02\x02' : '');
}

/** Text from Matrix must not carry its own codes or line-protocol controls. */
const clean = (s: string) =>
  stripControl(s.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n'), { allow: '\n\t' });

class Writer {
  out = '';
  private shown: IrcStyle = {};

  write(text: string, style: IrcStyle): void {
    clean(text)
      .split('\n')
      .forEach((piece, i) => {
        // Each IRC line starts unformatted: close before a break, reopen after it.
        if (i > 0) this.end('\n');
        if (piece === '') return;
        this.out += styleTransition(this.shown, style, piece) + piece;
        this.shown = style;
      });
  }

  end(after = ''): void {
    this.out += styleTransition(this.shown, {}, '') + after;
    this.shown = {};
  }
}

function render(nodes: readonly Inline[], style: IrcStyle, w: Writer, opts: MentionNaming): void {
  for (const node of nodes) {
    if (typeof node === 'string') w.write(node, style);
    else if (node.style === 'linebreak') w.write('\n', style);
    else if (node.style === 'mention') w.write(mentionText(node, opts), style);
    else if (node.style === 'link') {
      const label = inlineToPlain(node.children, opts);
      // Like plain text: the address is shown unless the label already is it.
      if (label === '') w.write(node.href, style);
      else render(node.children, style, w, opts);
      if (label !== '' && label !== node.href && `mailto:${label}` !== node.href) {
        w.write(` (${node.href})`, style);
      }
    } else if (node.style === 'color') {
      const fg = node.fg === undefined ? undefined : nearestIrcColor(node.fg);
      const bg = node.bg === undefined ? undefined : nearestIrcColor(node.bg);
      const next = { ...style, ...(fg !== undefined && { fg }), ...(bg !== undefined && { bg }) };
      render(node.children, next, w, opts);
    } else {
      const flag = node.style === 'pre' ? 'code' : node.style;
      render(node.children, { ...style, [flag]: true }, w, opts);
    }
  }
}

/** The tree as IRC text with formatting codes; lines separated by `\n`, every style closed. */
export function inlineToIrc(inlines: readonly Inline[], opts: MentionNaming = {}): string {
  const w = new Writer();
  // Quotes, headings and lists as lines of text; a spoiler black on black, as IRC users hide one.
  const flat = flattenBlocks(inlines, {
    spoiler: (children) => [{ style: 'color', fg: '#000000', bg: '#000000', children }],
  });
  render(flat, {}, w, opts);
  w.end();
  return w.out;
}
