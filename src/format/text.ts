/**
 * Text helpers for line protocols (IRC, SIP, SMTP headers): where a CR, LF or
 * NUL from a remote user would end a command and start another, and where a
 * message must fit a byte budget without cutting a character in half.
 */

/** Any line break a user may type: CRLF, CR, LF, NEL, LINE/PARAGRAPH SEPARATOR. */
const LINE_BREAK = /\r\n|[\r\n\u0085\u2028\u2029]/g;
const LINE_BREAK_RUN = /(?:\r\n|[\r\n\u0085\u2028\u2029])+/g;
/** C0 controls, DEL and C1 controls: never legitimate in chat text. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Never let a caller re-allow what splits a line-protocol command. */
const NEVER_ALLOWED_IN_LINE = /[\r\n\u0000]/g;

export interface ControlOptions {
  /**
   * Control characters the caller's protocol wants kept, e.g. IRC formatting
   * codes `'\x02\x03\x0f\x16\x1d\x1e\x1f'`. `toSingleLine` and `splitLines`
   * ignore CR, LF and NUL here.
   */
  allow?: string;
}

/** UTF-8 length in bytes (a lone surrogate counts as the 3 bytes of U+FFFD). */
export const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Remove every control character (CR and LF included) not in `allow`. */
export function stripControl(s: string, opts: ControlOptions = {}): string {
  const allow = opts.allow ?? '';
  return s.replace(CONTROL, (c) => (allow.includes(c) ? c : ''));
}

const lineSafe = (opts: ControlOptions): ControlOptions => ({
  allow: (opts.allow ?? '').replace(NEVER_ALLOWED_IN_LINE, ''),
});

/**
 * One line, safe to put in a line-protocol command: each run of line breaks
 * and each tab becomes one space, other controls not allowed are removed.
 */
export function toSingleLine(s: string, opts: ControlOptions = {}): string {
  const joined = s.replace(LINE_BREAK_RUN, ' ').replace(/\t/g, ' ');
  return stripControl(joined, lineSafe(opts));
}

export interface SplitLinesOptions extends ControlOptions {
  /** Drop lines that are empty (after control stripping); IRC cannot send them. */
  dropEmpty?: boolean;
}

/** Split at every line break; each line is then as safe as `toSingleLine`'s output. */
export function splitLines(s: string, opts: SplitLinesOptions = {}): string[] {
  const lines = s.split(LINE_BREAK).map((line) => toSingleLine(line, opts));
  return opts.dropEmpty ? lines.filter((line) => line !== '') : lines;
}

/** Replace unpaired surrogates with U+FFFD: they are not valid UTF-8 or JSON for Matrix. */
export const replaceLoneSurrogates = (s: string): string =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The pieces a split may fall between: grapheme clusters, except that a
 * cluster bigger than the budget (a long emoji ZWJ sequence, stacked combining
 * marks) falls back to code points, which always fit since the budget is >= 4.
 */
function* pieces(text: string, maxBytes: number): Generator<string> {
  for (const { segment } of graphemes.segment(text)) {
    if (utf8Length(segment) <= maxBytes) yield segment;
    else yield* segment; // a string iterates by code point: surrogate pairs stay whole
  }
}

const isBreakSpace = (piece: string) => piece === ' ' || piece === '\t';

/**
 * Split `text` into chunks of at most `maxBytes` UTF-8 bytes each, never
 * inside a code point and never inside a grapheme cluster that fits. When a
 * space lies in the last 20% of a full chunk the chunk ends after it, so words
 * stay whole. The space stays at the end of its chunk: `chunks.join('')`
 * is always `text`. An empty text gives no chunks.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError('maxBytes must be an integer >= 4 (a code point is up to 4 bytes)');
  }
  const chunks: string[] = [];
  const minSpaceBytes = Math.floor(maxBytes * 0.8);
  let chunk = '';
  let bytes = 0;
  // Where the chunk could end after its last space: length in UTF-16 units, and bytes.
  let spaceAt = -1;
  let spaceBytes = 0;
  for (const piece of pieces(text, maxBytes)) {
    const size = utf8Length(piece);
    if (bytes + size > maxBytes) {
      if (spaceAt > 0 && spaceBytes >= minSpaceBytes) {
        chunks.push(chunk.slice(0, spaceAt));
        chunk = chunk.slice(spaceAt);
        bytes -= spaceBytes;
      }
      // The rest after a space (at most 20% of the budget) may still not fit the piece.
      if (bytes + size > maxBytes && chunk !== '') {
        chunks.push(chunk);
        chunk = '';
        bytes = 0;
      }
      spaceAt = -1; // the last space was used, or no longer lies in this chunk
    }
    chunk += piece;
    bytes += size;
    if (isBreakSpace(piece)) {
      spaceAt = chunk.length;
      spaceBytes = bytes;
    }
  }
  if (chunk !== '') chunks.push(chunk);
  return chunks;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, cut between grapheme clusters. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const piece of pieces(text, Math.max(maxBytes, 4))) {
    const size = utf8Length(piece);
    if (bytes + size > maxBytes) break;
    out += piece;
    bytes += size;
  }
  return out;
}
