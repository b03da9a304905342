/**
 * Drops whole stanzas from the component's incoming XML text before the XML parser sees them,
 * on their start tag's attributes alone. A MUC sends each message to every occupant, and each
 * Matrix user in a room is an occupant on this one connection, so most of what a busy room
 * sends is copies of the same message for occupants other than the reader (muc/muc.ts
 * isOtherCopy): tokenising those with @xmpp/xml (ltx) was most of their cost, and building the
 * elements very little. This scanner only finds markup boundaries (`<`, quotes, `>`), keeps the
 * stream's depth, reads the attributes of a stanza-level `<message …>` start tag and, when
 * `drop` says so, leaves out everything up to its end tag. Everything else goes to the parser as
 * it came, so the parser still checks well-formedness of all that is kept.
 *
 * It never decides on what it cannot read: a start tag with an entity it does not know in one of
 * the attributes is kept. Markup it does not expect (a stray end tag) turns it off for the rest
 * of the stream, as does a single piece of markup longer than `MAX_MARKUP` (the parser and its
 * limits deal with those).
 */
import { kept } from '../util/kept.js';

/** Attributes of a stanza-level start tag, entities resolved (undefined: not present). */
export type StanzaAttrs = Record<string, string | undefined>;

const MAX_MARKUP = 64 * 1024;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The value of an attribute with its entities resolved, or undefined for one it cannot read. */
function unescapeAttr(value: string): string | undefined {
  if (!value.includes('&')) return value;
  let bad = false;
  const out = value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, name?: string) => {
    if (!name) return ((bad = true), whole);
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const ch = ENTITIES[name];
    if (ch === undefined) bad = true;
    return ch ?? whole;
  });
  return bad ? undefined : out;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** markupEnd: not well-formed (a tag without `>` where it must end, an unquoted value). */
const BAD = -2;

/**
 * Where the tag that starts at `lt` ends (just after its `>`), -1 if not in `s` yet, or BAD.
 * With `attrs`, its attributes' raw values (entities not resolved) go there. Attribute values
 * are skipped with indexOf to their closing quote, so a `>` or `/` in one is no end.
 */
function tagEnd(s: string, lt: number, attrs?: Record<string, string>): number {
  const n = s.length;
  let i = lt + 1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 0x2f || c === 0x3e) break;
    i++;
  }
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) return -1;
    const c = s.charCodeAt(i);
    if (c === 0x3e) return i + 1;
    if (c === 0x2f) {
      if (i + 1 >= n) return -1;
      return s.charCodeAt(i + 1) === 0x3e ? i + 2 : BAD;
    }
    const eq = s.indexOf('=', i);
    if (eq < 0) return s.indexOf('>', i) < 0 ? -1 : BAD;
    let q = eq + 1;
    while (q < n && isSpace(s.charCodeAt(q))) q++;
    if (q >= n) return -1;
    const quote = s.charCodeAt(q);
    if (quote !== 0x22 && quote !== 0x27) return BAD;
    const close = s.indexOf(quote === 0x22 ? '"' : "'", q + 1);
    if (close < 0) return -1;
    if (attrs) attrs[s.slice(i, eq).trim()] = s.slice(q + 1, close);
    i = close + 1;
  }
}

/** The name and attributes of a start tag's text (`<name a='1' b="2">`), or undefined. */
export function readStartTag(tag: string): { name: string; attrs: StanzaAttrs } | undefined {
  const raw: Record<string, string> = {};
  if (tagEnd(tag, 0, raw) !== tag.length) return undefined;
  const nameEnd = tag.search(/[\s/>]/);
  const attrs: StanzaAttrs = {};
  for (const [k, v] of Object.entries(raw)) {
    const value = unescapeAttr(v);
    if (value === undefined) return undefined;
    attrs[k] = value;
  }
  return { name: tag.slice(1, nameEnd), attrs };
}

/** Where the markup that starts at `lt` ends (just after its `>`), -1 if not in `s` yet, or BAD. */
function markupEnd(s: string, lt: number, attrs?: Record<string, string>): number {
  const c1 = s.charCodeAt(lt + 1);
  if (c1 === 0x21 /* ! */) {
    // Could still become `<![CDATA[` or `<!--` once more text comes.
    if (s.length - lt < 9) return -1;
    if (s.startsWith('<![CDATA[', lt)) {
      const end = s.indexOf(']]>', lt + 9);
      return end < 0 ? -1 : end + 3;
    }
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt + 4);
      return end < 0 ? -1 : end + 3;
    }
    const end = s.indexOf('>', lt);
    return end < 0 ? -1 : end + 1;
  }
  if (c1 === 0x3f /* ? */) {
    const end = s.indexOf('?>', lt + 2);
    return end < 0 ? -1 : end + 2;
  }
  if (c1 === 0x2f /* / */) {
    const end = s.indexOf('>', lt);
    return end < 0 ? -1 : end + 1;
  }
  if (Number.isNaN(c1)) return -1;
  return tagEnd(s, lt, attrs);
}

/**
 * `s.slice(from, to)` as a string of its own: a slice (and every slice of it: the parser's
 * attribute values and texts) keeps the whole string it was cut from alive in V8, here the socket
 * read with every occupant's copy.
 */
const detached = (s: string, from: number, to: number): string => kept(s.slice(from, to));

const MESSAGE_END = '</message>';

/**
 * Just after the `</message>` that ends the stanza whose start tag ends at `start`, when its
 * content has no nested `<message`, no CDATA, comment or processing instruction (which could
 * hide an end tag) and ends in `s`; else -1. A `<` is never in an attribute value nor in text
 * (XML escapes it there), so the first `</message>` outside those is the stanza's own.
 */
export function plainStanzaEnd(s: string, start: number): number {
  const close = s.indexOf(MESSAGE_END, start);
  if (close < 0) return -1;
  for (let lt = s.indexOf('<', start); lt < close; lt = s.indexOf('<', lt + 1)) {
    const c = s.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */ || c === 0x3f /* ? */ || s.startsWith('message', lt + 1)) return -1;
  }
  return close + MESSAGE_END.length;
}

export class CopyFilter {
  /** Markup cut by the end of a chunk: it goes first with the next chunk. */
  private carry = '';
  /** Open elements: 1 inside the stream, 2 inside a stanza, … */
  private depth = 0;
  /** Inside a dropped stanza. */
  private skipping = false;
  /** Off for the rest of the stream (something unexpected): everything passes. */
  private off = false;
  /** Stanzas dropped, for tests and metrics. */
  dropped = 0;

  /** `drop`: asked for each stanza-level `<message>` start tag; true leaves the stanza out. */
  constructor(private readonly drop: (attrs: StanzaAttrs) => boolean) {}

  /**
   * Hands `write` the part of `chunk` that the parser should get, in order. Each stanza is
   * decided on only once all before it went to `write` (and so, with a parser that handles
   * stanzas as it reads them, once they were handled): a stanza that changes who the reader is
   * counts for the copies after it in the same chunk.
   */
  feed(chunk: string, write: (text: string) => void): void {
    if (this.off) return write(chunk);
    const s = this.carry ? this.carry + chunk : chunk;
    this.carry = '';
    let from = 0; // start of what is still to be passed on (when not skipping)
    let pos = 0;
    const pass = (to: number) => {
      if (to > from) write(detached(s, from, to));
      from = to;
    };
    for (;;) {
      const lt = s.indexOf('<', pos);
      if (lt < 0) break;
      // A stanza-level message: its attributes decide (read while finding its end).
      const stanza =
        !this.skipping && this.depth === 1 && s.startsWith('<message', lt) ? {} : undefined;
      const end = markupEnd(s, lt, stanza);
      if (end === BAD) return this.turnOff(s.slice(from), write);
      if (end < 0) {
        if (s.length - lt > MAX_MARKUP) return this.turnOff(s.slice(from), write);
        if (!this.skipping) pass(lt);
        this.carry = s.slice(lt);
        return;
      }
      pos = end;
      const c1 = s.charCodeAt(lt + 1);
      if (c1 === 0x21 || c1 === 0x3f) continue; // CDATA, comment, declaration: no depth
      if (c1 === 0x2f /* / */) {
        this.depth--;
        if (this.depth < 0) return this.turnOff(s.slice(from), write);
        if (this.skipping && this.depth === 1) {
          this.skipping = false;
          from = end;
        }
        continue;
      }
      const selfClosing = s.charCodeAt(end - 2) === 0x2f;
      if (stanza) {
        pass(lt); // what came before is handled first
        if (this.drops(s, lt, stanza)) {
          this.dropped++;
          if (selfClosing) from = end;
          else {
            // Most copies are whole in the chunk, with nothing that could hide or nest an end
            // tag: jumped over at once. The rest is walked markup by markup (below).
            const after = plainStanzaEnd(s, end);
            if (after > 0) pos = from = after;
            else {
              this.skipping = true;
              this.depth++;
            }
          }
          continue;
        }
      }
      if (!selfClosing) this.depth++;
    }
    if (!this.skipping) pass(s.length);
  }

  /** Whether the stanza-level start tag at `lt` (raw attributes `raw`) is one to leave out. */
  private drops(s: string, lt: number, raw: Record<string, string>): boolean {
    const c = s.charCodeAt(lt + 8); // just after `<message`
    if (!isSpace(c) && c !== 0x3e && c !== 0x2f) return false; // `<messages …>`: not a message
    const attrs: StanzaAttrs = {};
    for (const k in raw) {
      const value = unescapeAttr(raw[k]!);
      if (value === undefined) return false; // cannot read it: keep it
      attrs[k] = value;
    }
    try {
      return this.drop(attrs);
    } catch {
      return false; // the parser gets it, and the bridge's own handling decides
    }
  }

  private turnOff(rest: string, write: (text: string) => void): void {
    // Whatever was being left out is cut short: the parser sees the rest as it came.
    this.off = true;
    this.carry = '';
    if (rest) write(rest);
  }
}
