/**
 * Turning a message into IRC lines: one PRIVMSG/NOTICE per line, each within
 * the 512-byte line limit. A CR, LF or NUL from a Matrix user would end the
 * command and start one of their choosing, so none ever reaches a line.
 */
import {
  replaceLoneSurrogates,
  splitLines,
  splitUtf8,
  utf8Length,
} from '../../../src/format/text.js';
import {
  IRC_FORMAT_CODES,
  scanIrc,
  stripIrcFormatting,
  styleTransition,
  type IrcStyle,
} from './format.js';

/** RFC 1459 / modern IRC: a line is at most 512 bytes, CRLF included. */
export const IRC_LINE_BYTES = 512;

/**
 * Bytes left for the text of one message: the server relays it to others as
 * `:nick!user@host PRIVMSG target :text\r\n`, and that must fit 512 bytes.
 * `nickUserHost` is our own prefix as others see it, without the leading `:`.
 * An action's text is wrapped in `\x01ACTION ` … `\x01`.
 */
export function ircLineBudget(
  target: string,
  nickUserHost: string,
  command: 'PRIVMSG' | 'NOTICE',
  action = false,
): number {
  const overhead = utf8Length(`:${nickUserHost} ${command} ${target} :\r\n`);
  const ctcp = action ? utf8Length('\x01ACTION \x01') : 0;
  return Math.max(0, IRC_LINE_BYTES - overhead - ctcp);
}

/**
 * Room kept in each formatted piece: a colour code (at most 14 bytes) moved
 * whole to the next piece, plus the codes reopening the styles there (5
 * toggles, a 14-byte `\x04` colour and a 2-byte guard).
 */
const FORMAT_RESERVE = 14 + 21;

/** Whether a line shows anything: codes and spaces alone are not worth a message. */
const isVisible = (line: string) => stripIrcFormatting(line).trim() !== '';

/** Split a line with codes: never inside a code, and each piece reopens the styles in effect. */
function splitFormatted(line: string, maxBytes: number): string[] | undefined {
  const spans = [...scanIrc(line)];
  const budget = maxBytes - FORMAT_RESERVE;
  if (budget < 16) return undefined; // too small to spend on formatting
  const cuts: number[] = [];
  let at = 0;
  let k = 0;
  for (const chunk of splitUtf8(line, budget)) {
    at += chunk.length;
    while (k < spans.length && spans[k]!.end <= at) k++;
    const span = spans[k]; // the span `at` falls in, if it is not at the end of the line
    cuts.push(span?.code && span.start < at ? span.start : at);
  }
  const pieces: string[] = [];
  let prev = 0;
  let spanIndex = 0;
  let style: IrcStyle = {};
  for (const cut of cuts) {
    if (cut <= prev) continue;
    // The style in effect at `prev`: that of the last span ending there.
    while (spanIndex < spans.length && spans[spanIndex]!.end <= prev)
      style = spans[spanIndex++]!.style;
    const text = line.slice(prev, cut);
    const piece = prev === 0 ? text : styleTransition({}, style, text) + text;
    if (utf8Length(piece) > maxBytes) return undefined; // pathological clusters: give up on codes
    pieces.push(piece);
    prev = cut;
  }
  return pieces;
}

export interface IrcLinesOptions {
  /** The byte budget for each line's text, e.g. from `ircLineBudget`. At least 4. */
  maxBytes: number;
}

/**
 * A message as IRC-safe lines: split at every line break, controls other
 * than IRC formatting removed (CR, LF and NUL always), each line split to fit
 * `maxBytes` UTF-8 bytes without cutting a character and preferring spaces,
 * lines with nothing to show dropped.
 */
export function toIrcLines(text: string, opts: IrcLinesOptions): string[] {
  const { maxBytes } = opts;
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError('maxBytes must be an integer >= 4 (a code point is up to 4 bytes)');
  }
  const out: string[] = [];
  // A lone surrogate is no character at all: U+FFFD keeps every line valid UTF-8.
  const lines = splitLines(replaceLoneSurrogates(text), {
    allow: IRC_FORMAT_CODES,
    dropEmpty: true,
  });
  for (const line of lines) {
    if (!isVisible(line)) continue;
    let pieces: string[];
    if (utf8Length(line) <= maxBytes) pieces = [line];
    else if (stripIrcFormatting(line) === line) pieces = splitUtf8(line, maxBytes);
    else pieces = splitFormatted(line, maxBytes) ?? splitUtf8(stripIrcFormatting(line), maxBytes);
    out.push(...pieces.filter(isVisible));
  }
  return out;
}
