/**
 * The short prefixes IRC has instead of Matrix's replies, edits and relayed senders: IRC lines
 * carry no structure, so readers get a compact hint at the start of the line.
 *
 * - a reply: `<bob> "first words of the original…" <- the reply` (the form other
 *   Matrix↔IRC bridges use, so IRC readers know it)
 * - an edit: `* the corrected text` (the IRC habit for a correction)
 * - relay mode: `<alice> hello`, emotes `* alice waves`
 */
import { replaceLoneSurrogates, toSingleLine, truncateUtf8 } from '../../../src/format/text.js';
import { stripIrcFormatting } from './format.js';

/** Characters of the original a reply quotes: enough to recognise it, short enough for one line. */
export const QUOTE_CHARS = 40;
/** Characters of a name in a prefix: a display name may be long, a line is short. */
export const NAME_CHARS = 32;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Text as one clean line (no line breaks, controls or IRC codes; whitespace runs as one space),
 * cut to `max` characters (grapheme clusters, and `4 * max` bytes) between clusters, at a space
 * when one is near the end, with `…` when it was cut.
 */
export function shorten(text: string, max: number): string {
  const line = toSingleLine(stripIrcFormatting(replaceLoneSurrogates(text)))
    .replace(/\s+/gu, ' ')
    .trim();
  const parts = [...graphemes.segment(line)].map((s) => s.segment);
  // Clusters can be long (stacked combining marks): 4 bytes a character at most, all told.
  let cut = truncateUtf8(parts.slice(0, max).join(''), max * 4);
  if (cut === line) return line;
  const space = cut.lastIndexOf(' ');
  // Whole words read better, unless that throws away more than a quarter of the quote.
  if (space >= cut.length * 0.75) cut = cut.slice(0, space);
  return `${cut.trimEnd()}…`;
}

/** A name fit for a prefix: one line, no codes, short; `?` rather than nothing. */
export const cleanName = (name: string): string => shorten(name, NAME_CHARS) || '?';

/** What goes before a reply's text: `<bob> "the original…" <- ` (or `bob: ` when it has no text). */
export function replyPrefix(originalSender: string, originalText: string): string {
  const name = cleanName(originalSender);
  const quote = shorten(originalText, QUOTE_CHARS);
  return quote === '' ? `${name}: ` : `<${name}> "${quote}" <- `;
}

/** What goes before a corrected message. */
export const EDIT_PREFIX = '* ';

/** The bot's prefix for a relayed line: `<alice> `, or `* alice ` for an emote. */
export function relayPrefix(senderName: string, emote: boolean): string {
  const name = cleanName(senderName);
  return emote ? `* ${name} ` : `<${name}> `;
}
