/**
 * Matrix → IRC: a message is said by the sender's own puppet connection (joining the
 * channel first when needed; in a PM room, to the nick): m.text → PRIVMSG, m.notice → NOTICE,
 * m.emote → CTCP ACTION. Only the room's owner speaks in a PM room.
 * Formatting becomes mIRC codes; text is split into lines that fit the 512-byte limit
 * without cutting a character, and no CR, LF or NUL ever reaches the wire.
 */
import {
  BridgeError,
  remoteMessageId,
  type MatrixMessage,
  type RemoteUserId,
  type SendResult,
} from '../../src/connector.js';
import type { IrcNetwork } from './client.js';
import { inlineToIrc } from './format.js';
import { makeRemoteUser, parsePmKey, parsePortalKey, parseRemoteUser } from './ids.js';
import { ircLineBudget, toIrcLines } from './lines.js';

/** Others see us as `nick!~user@host`; the host is unknown to us, so the longest one is assumed. */
const HOST_PLACEHOLDER = 'h'.repeat(63);

export interface FromMatrixDeps {
  network(id: string): IrcNetwork | undefined;
  /** The remote user behind one of our ghosts (a mention of a ghost becomes its nick). */
  ghostRemoteId(userId: string): RemoteUserId | undefined;
  /** A ghost's nick as last seen on IRC, with its case. */
  nickOf(user: RemoteUserId): string | undefined;
}

export async function handleMatrixMessage(
  deps: FromMatrixDeps,
  msg: MatrixMessage,
): Promise<SendResult> {
  const channel = parsePortalKey(msg.portal);
  const pm = channel ? undefined : parsePmKey(msg.portal);
  const where = channel ?? pm;
  const network = where && deps.network(where.network);
  if (!where || !network)
    throw new BridgeError(
      'unknown-target',
      `this room is bridged to an IRC network that is not configured (${msg.portal})`,
    );
  if (pm && pm.owner !== msg.sender.userId)
    throw new BridgeError('rejected', `only ${pm.owner} speaks to ${pm.nick} from this room`);
  // A pill becomes the nick: a ghost's IRC nick, or the puppet nick of a Matrix user; else the pill's text.
  const mentionName = (userId: string): string => {
    const remote = deps.ghostRemoteId(userId);
    if (remote) return deps.nickOf(remote) ?? parseRemoteUser(remote)?.nick ?? '';
    return network.puppetNick(userId) ?? '';
  };
  const { content } = msg;
  const text = content.formatted ? inlineToIrc(content.formatted, { mentionName }) : content.text;

  const puppet = network.puppetFor(msg.sender.userId, msg.sender.displayName);
  let target: string;
  if (channel) {
    await puppet.join(channel.channel);
    target = channel.channel;
  } else {
    await puppet.ready();
    target = deps.nickOf(makeRemoteUser(where.network, pm!.nick)) ?? pm!.nick;
  }

  const command = content.kind === 'notice' ? 'NOTICE' : 'PRIVMSG';
  const action = content.kind === 'emote';
  const prefix = `${puppet.nick}!~${puppet.username}@${HOST_PLACEHOLDER}`;
  const maxBytes = network.config.max_line_bytes
    ? ircLineBudget(target, prefix, command, action) + (network.config.max_line_bytes - 512)
    : ircLineBudget(target, prefix, command, action);
  const lines = toIrcLines(text, { maxBytes }).map((line) =>
    action ? `${command} ${target} :\x01ACTION ${line}\x01` : `${command} ${target} :${line}`,
  );
  await puppet.writeLines(lines);
  return { remoteId: remoteMessageId(`m:${msg.eventId}`) };
}
