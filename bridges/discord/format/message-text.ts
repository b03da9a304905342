/**
 * Matrix content as the text of Discord messages: Discord markdown with the Discord users it
 * pills, cut to Discord's 2,000 characters, and the quoted line a reply starts with (webhooks
 * cannot reply).
 */
import type { MatrixMessage, MessageContent } from '../../../src/connector.js';
import { escapeDiscord, inlineToDiscord } from './format.js';
import { messageLink, parseMessageId, parseRemoteUser } from '../ids.js';

/** Discord's limit on a message's content, in characters. */
export const MAX_CONTENT = 2000;
const QUOTE_CHARS = 120;

/** Matrix content as Discord markdown, with the Discord users it pills. */
export function renderContent(
  deps: { ghostRemoteId(userId: string): string | undefined },
  content: MessageContent,
): { text: string; users: string[] } {
  const names = { discordUser: (u: string) => parseRemoteUser(deps.ghostRemoteId(u) ?? '') };
  const out = content.formatted
    ? inlineToDiscord(content.formatted, names)
    : { text: escapeDiscord(content.text), users: [] };
  if (content.kind === 'emote' && out.text.trim()) out.text = `*${out.text}*`;
  return out;
}

/** Text cut into pieces of at most `max` characters, at a line or a space where one is near. */
export function splitContent(text: string, max = MAX_CONTENT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    // Never between the halves of a surrogate pair.
    if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut--;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^[\n ]/, '');
  }
  if (rest) parts.push(rest);
  return parts;
}

/** The quoted line (sender, start of the text, a link to the original) a reply starts with. */
export function replyLead(
  original: NonNullable<MatrixMessage['inReplyTo']>,
  channelId: string,
  guild: string | undefined,
): string {
  const target = original.remoteId && parseMessageId(original.remoteId);
  const quoted = [...original.text.replace(/\s+/g, ' ')].slice(0, QUOTE_CHARS).join('');
  const more = [...original.text].length > QUOTE_CHARS ? '…' : '';
  const link = guild && target ? ` [↩](<${messageLink(guild, channelId, target)}>)` : '';
  return `> **${escapeDiscord(original.senderName)}**: ${escapeDiscord(quoted)}${more}${link}\n`;
}
