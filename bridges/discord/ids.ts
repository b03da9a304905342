/**
 * Discord ids ↔ the connector's typed ids. Discord ids are snowflakes, unique across Discord, so
 * a channel's portal key is its id, a user's remote id is theirs (ghost `@discord_<id>`), and a
 * message's remote id is its id. Reactions from Discord get ids of their own (`r:`).
 */
import {
  portalKey,
  remoteMessageId,
  remoteUserId,
  type PortalKey,
  type RemoteMessageId,
  type RemoteUserId,
} from '../../src/connector.js';
import { SNOWFLAKE } from './config.js';

export const isSnowflake = (s: string): boolean => SNOWFLAKE.test(s);

/** A guild channel: its id. */
export const makePortalKey = (channelId: string): PortalKey => portalKey(channelId);
export const parsePortalKey = (key: string): string | undefined =>
  isSnowflake(key) ? key : undefined;

/** A guild bridged whole: its space (`guild:<id>`; never a channel's key, which is a bare id). */
export const makeGuildKey = (guildId: string): PortalKey => portalKey(`guild:${guildId}`);

/** A Discord user: their id (ghost `@discord_<id>:<domain>`). */
export const makeRemoteUser = (userId: string): RemoteUserId => remoteUserId(userId);
export const parseRemoteUser = (id: string): string | undefined =>
  isSnowflake(id) ? id : undefined;

/** A message: its id. */
export const makeMessageId = (id: string): RemoteMessageId => remoteMessageId(id);
export const parseMessageId = (id: string): string | undefined =>
  isSnowflake(id) ? id : undefined;

/** A Discord user's reaction: `r:<message id>:<user id>:<emoji>`. */
export const makeReactionId = (messageId: string, userId: string, emoji: string): RemoteMessageId =>
  remoteMessageId(`r:${messageId}:${userId}:${emoji}`);

/** The reaction the bot made for a Matrix user: `m:<message id>/<emoji, URI-encoded>/<Matrix event id>`. */
export const makeOwnReactionId = (
  messageId: string,
  emoji: string,
  eventId: string,
): RemoteMessageId => remoteMessageId(`m:${messageId}/${encodeURIComponent(emoji)}/${eventId}`);

export function parseOwnReactionId(id: string): { messageId: string; emoji: string } | undefined {
  const m = /^m:(\d{17,20})\/([^/]+)\/\$/.exec(id);
  if (!m) return undefined;
  try {
    return { messageId: m[1]!, emoji: decodeURIComponent(m[2]!) };
  } catch {
    return undefined;
  }
}

/** The alias localpart after the bridge prefix: the channel id (`#discord_<id>:<domain>`). */
export const aliasLocalpart = (channelId: string): string => channelId;
export const parseAliasLocalpart = (local: string): string | undefined =>
  isSnowflake(local) ? local : undefined;

/** A message's link on Discord (for a quote of a reply, which webhooks cannot make). */
export const messageLink = (guildId: string, channelId: string, messageId: string): string =>
  `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;
