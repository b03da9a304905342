/**
 * What is said in a channel, as remote events: PRIVMSG, NOTICE and ACTION become a message (its
 * formatting, mentions and reply target translated), a TAGMSG with `+typing` a typing change.
 */
import type { MessageEvent } from 'irc-framework';
import type { MessageContent, RemoteEvent } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { ircToContent } from '../format/format.js';
import { mentionLookup } from '../format/mentions.js';
import { replyTargetOf } from '../format/replies.js';
import { heardMessageId, makePortalKey, makeRemoteUser } from '../ids.js';
import { ts } from './emitter.js';

/** The message `nick`'s channel line says; `isKnownNick` tells which nicks have a ghost (mentions). */
export function saidMessage(
  network: IrcNetwork,
  e: MessageEvent,
  nick: string,
  kind: MessageContent['kind'],
  isKnownNick: (nick: string) => boolean,
): RemoteEvent {
  const replyTo = replyTargetOf(e.tags);
  return {
    kind: 'message',
    portal: makePortalKey(network.id, e.target),
    sender: makeRemoteUser(network.id, nick),
    id: heardMessageId(e.tags),
    content: ircToContent(e.message, kind, mentionLookup(network, isKnownNick)),
    ...(replyTo ? { replyTo } : {}),
    ...ts(e.time),
  };
}

/** `nick` started or stopped typing in `channel`. */
export function saidTyping(
  networkId: string,
  channel: string,
  nick: string,
  typing: boolean,
): RemoteEvent {
  return {
    kind: 'typing',
    portal: makePortalKey(networkId, channel),
    sender: makeRemoteUser(networkId, nick),
    typing,
  };
}
