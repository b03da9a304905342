/**
 * A Discord message's content for Matrix: its markdown as the formatting tree (format.ts), rich
 * embeds as lines under it (embeds.ts), and its files as Matrix media: attachments re-uploaded
 * (to-matrix/media.ts) within `max_media_bytes`, else links to Discord's CDN; stickers as images (PNG,
 * APNG and GIF stickers are images; a Lottie sticker is an animation Matrix clients cannot show,
 * so it is named, saying so).
 */
import { StickerFormatType, type Client, type Message, type PartialMessage } from 'discord.js';
import type { Attachment, MessageContent } from '../../../src/connector.js';
import { embedsToInline, type EmbedData } from './embeds.js';
import { inlineToPlain } from '../../../src/format/plain.js';
import { discordToInline, EMOJI_IN_TEXT, type FromDiscordNames } from './format.js';
import { makeRemoteUser } from '../ids.js';
import type { DiscordMedia } from '../to-matrix/media.js';

export interface ContentDeps {
  client: Client;
  ghostUserId(user: ReturnType<typeof makeRemoteUser>): string;
  media: DiscordMedia;
  /** Whether files are re-uploaded (not for edits: Matrix keeps the first message's files). */
  files: boolean;
}

/** At most this many distinct custom emoji of a message get their image. */
const MAX_EMOJI = 20;

/** Names of the users, roles and channels a message mentions, as the guild has them. */
export function namesOf(
  deps: Pick<ContentDeps, 'client' | 'ghostUserId'>,
  m: Message | PartialMessage,
  emoji: ReadonlyMap<string, string> = new Map(),
): FromDiscordNames {
  const guild = m.guild;
  return {
    emoji: (id) => emoji.get(id),
    user: (id) => {
      const member = guild?.members.cache.get(id);
      const user = m.mentions.users.get(id) ?? deps.client.users.cache.get(id);
      return {
        userId: deps.ghostUserId(makeRemoteUser(id)),
        name: member?.displayName ?? user?.globalName ?? user?.username ?? id,
      };
    },
    role: (id) => guild?.roles.cache.get(id)?.name,
    channel: (id) => {
      const c = deps.client.channels.cache.get(id);
      return c && 'name' in c ? (c.name ?? undefined) : undefined;
    },
  };
}

/** The images of the custom emoji in a text, by emoji id (those that could be had). */
async function emojiImages(media: DiscordMedia, text: string): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  const seen = new Set<string>();
  for (const [, name, id] of text.matchAll(EMOJI_IN_TEXT)) {
    if (seen.has(id!) || seen.size >= MAX_EMOJI) continue;
    seen.add(id!);
    const mxc = await media.emoji(id!, `:${name}:`);
    if (mxc) images.set(id!, mxc);
  }
  return images;
}

/**
 * A line with none of the characters Discord markdown, mentions, emoji, links or lists start
 * with: its tree would be the text itself, so it is not parsed (most chat lines; the benchmark's
 * CPU per message).
 */
export const PLAIN_LINE = /^[^\\*_~`|<>#\-[\]().\n\r]*$/;

export async function messageContent(deps: ContentDeps, m: Message): Promise<MessageContent> {
  if (
    m.attachments.size === 0 &&
    m.stickers.size === 0 &&
    m.embeds.length === 0 &&
    PLAIN_LINE.test(m.content)
  )
    return { kind: 'text', text: m.content };
  const names = namesOf(deps, m, await emojiImages(deps.media, m.content));
  const formatted = discordToInline(m.content, names);
  const attachments: Attachment[] = [];
  const log = { portal: m.channelId, message: m.id };
  for (const a of m.attachments.values()) {
    const up =
      deps.files &&
      (await deps.media.reupload(
        a.url,
        { name: a.name, ...(a.contentType ? { mimeType: a.contentType } : {}), size: a.size },
        log,
      ));
    attachments.push(
      up
        ? { url: up.mxc, name: a.name, mimeType: up.mimeType, size: up.size }
        : {
            url: a.url,
            name: a.name,
            ...(a.contentType ? { mimeType: a.contentType } : {}),
            size: a.size,
          },
    );
  }
  const namedStickers: string[] = [];
  for (const s of m.stickers.values()) {
    if (s.format === StickerFormatType.Lottie) {
      namedStickers.push(`${s.name} (an animated sticker Matrix clients cannot show)`);
      continue;
    }
    const up = deps.files && (await deps.media.reupload(s.url, { name: s.name }, log));
    if (up && up.mimeType.startsWith('image/'))
      attachments.push({ url: up.mxc, name: s.name, mimeType: up.mimeType, size: up.size });
    else namedStickers.push(s.name);
  }
  const extra = embedsToInline(
    m.embeds.map((e) => e.data as EmbedData),
    namedStickers,
    (markdown) => discordToInline(markdown, names),
  );
  if (extra.length) {
    if (formatted.length) formatted.push({ style: 'linebreak' });
    formatted.push(...extra);
  }
  return {
    kind: 'text',
    text: inlineToPlain(formatted),
    ...(formatted.some((n) => typeof n !== 'string') ? { formatted } : {}),
    ...(attachments.length ? { attachments } : {}),
  };
}
