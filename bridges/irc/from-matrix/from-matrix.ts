/**
 * Matrix → IRC: a message is said by the sender's own puppet connection (joining the
 * channel first when needed; in a PM room, to the nick): m.text → PRIVMSG, m.notice → NOTICE,
 * m.emote → CTCP ACTION. Only the room's owner speaks in a PM room.
 * Formatting becomes mIRC codes; text is split into lines that fit the 512-byte limit
 * without cutting a character, and no CR, LF or NUL ever reaches the wire.
 * A reply starts with a short quote of its original, an edit is said again as `* new text`
 * (quote.ts), and a network in relay mode has the bot say every line as `<alice> text`.
 * Where the server answers labeled lines (IRCv3 labeled-response), a message IRC refuses (+m,
 * a ban, a PM to a nick that is gone) fails with IRC's reason instead of vanishing.
 */
import {
  BridgeError,
  remoteMessageId,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixSender,
  type MessageContent,
  type PortalKey,
  type PublicLinkTarget,
  type RepliedMessage,
  type RemoteMessageId,
  type RemoteUserId,
  type SendResult,
} from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { inlineToIrc } from '../format/format.js';
import {
  makeRemoteUser,
  msgidRemoteId,
  parsePmKey,
  parsePortalKey,
  parseRemoteUser,
} from '../ids.js';
import { ircLineBudget, toIrcLines } from '../format/lines.js';
import { withLinks } from './links.js';
import { EDIT_PREFIX, relayPrefix, replyPrefix } from '../format/quote.js';
import { replyTags } from '../format/replies.js';

/** Others see us as `nick!~user@host`; the host is unknown to us, so the longest one is assumed. */
const HOST_PLACEHOLDER = 'h'.repeat(63);

export interface FromMatrixDeps {
  network(id: string): IrcNetwork | undefined;
  /** The remote user behind one of our ghosts (a mention of a ghost becomes its nick). */
  ghostRemoteId(userId: string): RemoteUserId | undefined;
  /** A ghost's nick as last seen on IRC, with its case. */
  nickOf(user: RemoteUserId): string | undefined;
  /** `ctx.publicLink`: links to media and long texts (links.ts); undefined when `public_links` is off. */
  publicLink(target: PublicLinkTarget): Promise<string | undefined>;
}

/** The remote id of a message that came from Matrix: an edit is said on IRC only for these. */
const fromMatrixId = (eventId: string) => remoteMessageId(`m:${eventId}`);

export async function handleMatrixMessage(
  deps: FromMatrixDeps,
  msg: MatrixMessage,
): Promise<SendResult> {
  const { answered } = await say(deps, msg, (network) =>
    msg.inReplyTo ? quoteOf(deps, network, msg.inReplyTo) : '',
  );
  // Core goes on with the room while the server answers (labeled-response): a refusal comes
  // later, or the lines' msgids (echo-message), which IRC users' replies point at.
  return {
    remoteId: fromMatrixId(msg.eventId),
    confirmed: answered.then((msgids) => msgids.map(msgidRemoteId)),
  };
}

/**
 * An edit is said again, `* ` first, as a correction: IRC has no edits. Only edits of messages
 * that were said on IRC (those sent from Matrix) are; others have nothing to correct there.
 */
export async function handleMatrixEdit(deps: FromMatrixDeps, edit: MatrixEdit): Promise<void> {
  if (!edit.target.startsWith('m:')) return;
  const { answered } = await say(deps, edit, () => EDIT_PREFIX);
  await answered; // an edit has no later confirmation: it waits for IRC's answer
}

/** `<bob> "the original…" <- `: the original's sender by the name IRC knows them by. */
function quoteOf(deps: FromMatrixDeps, network: IrcNetwork, original: RepliedMessage): string {
  const remote = deps.ghostRemoteId(original.sender);
  const who = remote && parseRemoteUser(remote);
  const name =
    who && who.network === network.id
      ? (deps.nickOf(remote) ?? who.nick)
      : (network.puppetNick(original.sender) ?? original.senderName);
  return replyPrefix(name, original.text);
}

interface Saying {
  portal: PortalKey;
  sender: MatrixSender;
  content: MessageContent;
  replyTo?: RemoteMessageId;
}

/**
 * Says Matrix content on IRC in the portal's channel or PM, `lead` (a reply's quote, say) first;
 * resolves once written, with the server's answer to come.
 */
async function say(
  deps: FromMatrixDeps,
  msg: Saying,
  lead: (network: IrcNetwork) => string,
): Promise<{ answered: Promise<string[]> }> {
  const channel = parsePortalKey(msg.portal);
  const pm = channel ? undefined : parsePmKey(msg.portal);
  const where = channel ?? pm;
  const network = where && deps.network(where.network);
  if (!where || !network)
    throw new BridgeError(
      'unknown-target',
      `this room is bridged to an IRC network that is not configured (${msg.portal})`,
    );
  const relay = network.config.mode === 'relay';
  if (pm && relay)
    throw new BridgeError(
      'unsupported',
      `private messages need your own IRC connection, and the network ${where.network} relays through the bot`,
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
  const text =
    lead(network) +
    (content.formatted ? inlineToIrc(content.formatted, { mentionName }) : content.text);

  // Relay mode: no puppets; the bot speaks, naming the sender on every line.
  const speaker = relay
    ? network.bot
    : network.puppetFor(msg.sender.userId, msg.sender.displayName);
  let target: string;
  if (channel) {
    await speaker.join(channel.channel);
    target = channel.channel;
  } else {
    await speaker.ready();
    target = deps.nickOf(makeRemoteUser(where.network, pm!.nick)) ?? pm!.nick;
  }

  const command = content.kind === 'notice' ? 'NOTICE' : 'PRIVMSG';
  const action = content.kind === 'emote' && !relay;
  const named = relay ? relayPrefix(msg.sender.displayName, content.kind === 'emote') : '';
  const prefix = `${speaker.nick}!~${speaker.username}@${HOST_PLACEHOLDER}`;
  const maxBytes =
    (network.config.max_line_bytes
      ? ircLineBudget(target, prefix, command, action) + (network.config.max_line_bytes - 512)
      : ircLineBudget(target, prefix, command, action)) - Buffer.byteLength(named);
  const cut = await withLinks(deps, network, content, toIrcLines(text, { maxBytes }), maxBytes);
  const lines = cut.map((line) =>
    action
      ? `${command} ${target} :\x01ACTION ${line}\x01`
      : `${command} ${target} :${named}${line}`,
  );
  if (speaker.client.network.cap.enabled.includes('message-tags'))
    lines[0] = replyTags(msg.replyTo) + lines[0];
  return speaker.sendMessages(lines);
}
