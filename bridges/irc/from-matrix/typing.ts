/**
 * Typing both ways through IRCv3's client tag `+typing` (TAGMSG), where the server carries client
 * tags (`message-tags`): Matrix typing → `@+typing=active TAGMSG #channel` from the user's own
 * connection (only one already in the channel: typing never connects anyone), and an IRC user's
 * `+typing` → their ghost typing in the room (`paused` and `done` both end it).
 */
import type { MatrixTyping } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { parsePortalKey } from '../ids.js';

export function sendTyping(
  network: (id: string) => IrcNetwork | undefined,
  typing: MatrixTyping,
): void {
  const where = parsePortalKey(typing.portal);
  const puppet = where && network(where.network)?.puppet(typing.userId);
  if (!where || !puppet?.isRegistered || !puppet.inChannelNow(where.channel)) return;
  if (!puppet.client.network.cap.enabled.includes('message-tags')) return;
  const state = typing.typing ? 'active' : 'done';
  // Not through writeLines: typing must never count as activity (idle disconnect) nor wait.
  puppet.writeTag(`@+typing=${state} TAGMSG ${where.channel.toLowerCase()}`);
}

/** `+typing` of a TAGMSG: true while typing, false when paused or done, undefined when absent. */
export function typingOf(tags: Record<string, string> | undefined): boolean | undefined {
  const state = tags?.['+typing'];
  if (state === undefined) return undefined;
  return state === 'active';
}
