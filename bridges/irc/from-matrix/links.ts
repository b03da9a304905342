/**
 * IRC carries only text, so what it cannot carry goes as a link core serves (`ctx.publicLink`,
 * on when the admin set `public_links`):
 * - a file (m.image, m.file, m.video, m.audio) is said as `<caption or file name> <link>`;
 * - a message of more than `max_lines` IRC lines is said as its first line, cut, and
 *   `… (full message: <link>)`, so a pasted log does not flood the channel.
 * Without links, every line is said as before, and a file as its caption or name alone.
 * Each line stays within the byte budget it was cut for; a link is never cut.
 */
import type { MessageContent, PublicLinkTarget } from '../../../src/connector.js';
import { utf8Length } from '../../../src/format/text.js';
import { stripIrcFormatting } from '../format/format.js';
import type { FromMatrixDeps } from './from-matrix.js';
import { toIrcLines } from '../format/lines.js';

export const DEFAULT_MAX_LINES = 3;

/** Ends bold, colour and the rest, so a link never takes a style from the text before it. */
const RESET = '\x0f';

/**
 * The IRC lines of a message, with links: `lines` are its text's lines as `toIrcLines` cut them
 * for `maxBytes` (a reply's quote first); what comes back fits the same budget.
 */
export async function withLinks(
  deps: Pick<FromMatrixDeps, 'publicLink'>,
  network: { config: { max_lines?: number | undefined } },
  content: MessageContent,
  lines: string[],
  maxBytes: number,
): Promise<string[]> {
  const link = async (target: PublicLinkTarget) => {
    const url = await deps.publicLink(target);
    // A link too long for a line would be cut, and useless: then there is none.
    return url !== undefined && utf8Length(url) <= maxBytes ? url : undefined;
  };
  const maxLines = network.config.max_lines ?? DEFAULT_MAX_LINES;
  const shortened = async (textLines: string[]): Promise<string[]> => {
    if (textLines.length <= maxLines) return textLines;
    const url = await link({ text: content.text });
    return url ? withSuffix(textLines[0]!, `… (full message: ${url})`, maxBytes) : textLines;
  };

  const attachments = content.attachments ?? [];
  if (attachments.length === 0) return shortened(lines);

  // One line of caption (or of a reply's quote) goes before the first file's link; more are text.
  const single = lines.length === 1 ? lines[0] : undefined;
  const out = single === undefined ? await shortened(lines) : [];
  const captioned = content.text.trim() !== '';
  for (const [i, attachment] of attachments.entries()) {
    let label = attachment.name;
    if (i === 0 && single !== undefined)
      label = captioned ? single : `${single.trimEnd()} ${attachment.name}`;
    let url: string | undefined;
    if (attachment.url.startsWith('mxc://'))
      url = await link({
        mxc: attachment.url,
        name: attachment.name,
        ...(attachment.mimeType ? { mimeType: attachment.mimeType } : {}),
      });
    else if (/^https:\/\//i.test(attachment.url) && utf8Length(attachment.url) <= maxBytes)
      url = attachment.url; // already public
    out.push(...(url ? withSuffix(label, url, maxBytes) : firstPiece(label, maxBytes)));
  }
  return out;
}

/** `line` (cut to make room) then `suffix` on one line; on two when the suffix leaves no room. */
function withSuffix(line: string, suffix: string, maxBytes: number): string[] {
  const separator = stripIrcFormatting(line) === line ? ' ' : `${RESET} `;
  const room = maxBytes - utf8Length(separator + suffix);
  if (room < 4) return [...firstPiece(line, maxBytes), suffix];
  const head = toIrcLines(line, { maxBytes: room })[0];
  return [head === undefined ? suffix : head + separator + suffix];
}

const firstPiece = (line: string, maxBytes: number): string[] =>
  toIrcLines(line, { maxBytes }).slice(0, 1);
