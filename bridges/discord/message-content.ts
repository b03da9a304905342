/**
 * A Discord message's content for Matrix: its markdown as the formatting tree (format.ts), rich
 * embeds as lines under it (embeds.ts), and its files as Matrix media: attachments re-uploaded
 * (media.ts) within `max_media_bytes`, else links to Discord's CDN; stickers as images (PNG,
 * APNG and GIF stickers are images; a Lottie sticker is an animation Matrix clients cannot show,
 * so it is named, saying so).
 */
import { StickerFormatType, type Client, type Message, type PartialMessage } from 'discord.js';
import type { Attachment, Inline, MessageContent } from '../../src/connector.js';
import { embedsToInline, type EmbedData } from './embeds.js';
import { discordToInline, type FromDiscordNames } from './format.js';
import { makeRemoteUser } from './ids.js';
import type { DiscordMedia } from './media.js';

export interface ContentDeps {
  client: Client;
  ghostUserId(user: ReturnType<typeof makeRemoteUser>): string;
  /** Absent: files stay links (edits, whose files Matrix does not change). */
  media?: DiscordMedia;
}

/** Names of the users, roles and channels a message mentions, as the guild has them. */
export function namesOf(deps: ContentDeps, m: Message | PartialMessage): FromDiscordNames {
  const guild = m.guild;
  return {
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

export async function messageContent(deps: ContentDeps, m: Message): Promise<MessageContent> {
  const names = namesOf(deps, m);
  const formatted = discordToInline(m.content, names);
  const attachments: Attachment[] = [];
  const log = { portal: m.channelId, message: m.id };
  for (const a of m.attachments.values()) {
    const up = await deps.media?.reupload(
      a.url,
      { name: a.name, ...(a.contentType ? { mimeType: a.contentType } : {}), size: a.size },
      log,
    );
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
    const up = deps.media && (await deps.media.reupload(s.url, { name: s.name }, log));
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
    text: plainOf(formatted),
    ...(formatted.some((n) => typeof n !== 'string') ? { formatted } : {}),
    ...(attachments.length ? { attachments } : {}),
  };
}

export function plainOf(nodes: readonly Inline[]): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') out += node;
    else if (node.style === 'linebreak') out += '\n';
    else if (node.style === 'link') {
      const text = plainOf(node.children);
      out += text === node.href ? text : `${text} (${node.href})`;
    } else if (node.style === 'mention') out += plainOf(node.children);
    else out += plainOf(node.children);
  }
  return out;
}
