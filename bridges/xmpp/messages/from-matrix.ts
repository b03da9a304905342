/**
 * Matrix events → stanzas, from the sender's own address on the component: messages (with
 * XEP-0461 replies), edits (XEP-0308), redactions (XEP-0424; another's in a MUC: XEP-0425), reactions (XEP-0444, the user's
 * whole set each time), typing (XEP-0085). Where they go (a contact, or a MUC the user joined
 * as their own occupant) is the route's business (connector.ts).
 */
import {
  BridgeError,
  remoteMessageId,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixReaction,
  type MatrixRedaction,
  type MatrixSender,
  type MatrixReceipt,
  type MatrixTyping,
  type MatrixUserId,
  type PortalKey,
  type RemoteMessageId,
  type SendResult,
} from '../../../src/connector.js';
import type { MentionNaming } from '../../../src/format/plain.js';
import type { ComponentLink } from '../connection/connection.js';
import { bodyFromContent } from './format.js';
import { parseReactionId, reactionId, type ReactionSets } from './reactions.js';
import {
  buildMessage,
  newId,
  type ChatState,
  type OutgoingMessage,
} from '../connection/stanzas.js';

/** Where a portal's stanzas go, and as whom. */
export interface Route {
  type: 'chat' | 'groupchat';
  /** A private message through a MUC (XEP-0045 §7.5: marked with an empty muc#user `x`). */
  private?: boolean;
  /** The sender's full address on the component. */
  from: string;
  to: string;
  /** The id a stanza names a message by (a MUC's stanza-id where known), from core's id. */
  ref(id: string): string;
  /** The id a XEP-0308 correction names a message by: its own id (not the MUC's stanza-id). */
  original(id: string): string;
  /**
   * For a MUC: resolves with more ids of the message once the room reflected it (its stanza-id),
   * rejects when the room refused it. Absent for chats (written is sent).
   */
  reflected?(id: string): Promise<RemoteMessageId[]>;
  /**
   * For a MUC: removes another occupant's message by XEP-0425 moderation (resolves true), or
   * resolves false when `id` is the sender's own (a retraction stands). `author`: who sent it on
   * Matrix, when core could tell (else the room's records and archive tell); `sentAt`: when it
   * was sent, as Matrix has it (where the room's archive is searched for it).
   */
  moderate?(
    id: string,
    reason: string | undefined,
    author: MatrixUserId | undefined,
    sentAt: number | undefined,
  ): Promise<boolean>;
}

export interface FromMatrixDeps {
  /** The component connection (through the gateway's fan-out for its rooms). */
  link: Pick<ComponentLink, 'send'>;
  reactions: ReactionSets;
  route(portal: PortalKey, sender: MatrixSender): Promise<Route>;
  naming: MentionNaming;
  /** Core's public link to Matrix media; undefined when the admin set no `public_links`. */
  publicLink(target: { mxc: string; name: string; mimeType?: string }): Promise<string | undefined>;
}

/** A stanza's addressing on a route. */
const addressed = (route: Route) => ({
  type: route.type,
  from: route.from,
  to: route.to,
  ...(route.private ? { mucUser: true } : {}),
});

const notSent = (err: unknown) =>
  new BridgeError(
    'network',
    `the XMPP server did not take it: ${err instanceof Error ? err.message : String(err)}`,
  );

async function send(
  d: FromMatrixDeps,
  route: Route,
  m: Omit<OutgoingMessage, 'type' | 'from' | 'to' | 'id'>,
): Promise<SendResult> {
  const id = newId();
  const written = d.link.send(buildMessage({ ...addressed(route), id, ...m }));
  const reflected = route.reflected?.(id);
  if (reflected) {
    // A write that fails rejects the reflection too (it will never come).
    written.catch(() => undefined);
    return {
      remoteId: remoteMessageId(id),
      confirmed: written.then(
        () => reflected,
        (err: unknown) => {
          throw notSent(err);
        },
      ),
    };
  }
  return {
    remoteId: remoteMessageId(id),
    confirmed: written.catch((err: unknown) => {
      throw notSent(err);
    }),
  };
}

export async function handleMatrixMessage(
  d: FromMatrixDeps,
  msg: MatrixMessage,
): Promise<SendResult> {
  const route = await d.route(msg.portal, msg.sender);
  // Files go as public links (XEP-0066 for the first): XMPP clients fetch them over HTTPS.
  const links: string[] = [];
  for (const a of msg.content.attachments ?? []) {
    const link = await d.publicLink({
      mxc: a.url,
      name: a.name,
      ...(a.mimeType ? { mimeType: a.mimeType } : {}),
    });
    if (!link)
      throw new BridgeError(
        'unsupported',
        'files cannot reach XMPP: the bridge has no public_links to serve them from',
      );
    links.push(link);
  }
  const text = bodyFromContent(msg.content, d.naming);
  const body = [text, ...links].filter((part) => part !== '').join('\n');
  // A reply quotes the first line of what it answers for clients without XEP-0461 (XEP-0428
  // marks the quote, so the others drop it).
  const quoted = msg.replyTo && msg.inReplyTo ? replyQuote(msg.inReplyTo) : '';
  return send(d, route, {
    body: quoted + body,
    ...(links[0] ? { oob: links[0] } : {}),
    chatState: 'active',
    ...(msg.replyTo
      ? { replyTo: { id: route.ref(msg.replyTo) }, replyFallback: [...quoted].length }
      : {}),
  });
}

/** `> name: first line` and a line break, the quote of a replied-to message. */
export function replyQuote(replied: { senderName: string; text: string }): string {
  const first = replied.text.split('\n')[0] ?? '';
  const line = first.length > 80 ? `${[...first].slice(0, 80).join('')}…` : first;
  return `> ${replied.senderName}: ${line}\n`;
}

export async function handleMatrixEdit(d: FromMatrixDeps, edit: MatrixEdit): Promise<void> {
  const route = await d.route(edit.portal, edit.sender);
  const { confirmed } = await send(d, route, {
    body: bodyFromContent(edit.content, d.naming),
    replaces: route.original(edit.target),
  });
  await confirmed;
}

export async function handleMatrixRedaction(
  d: FromMatrixDeps,
  redaction: MatrixRedaction,
): Promise<void> {
  const route = await d.route(redaction.portal, redaction.sender);
  const reaction = parseReactionId(redaction.target);
  if (reaction) {
    // Removing one reaction sends the user's remaining set.
    const keys = await d.reactions.toggle(
      redaction.portal,
      reaction.target,
      redaction.sender.userId,
      reaction.key,
      false,
    );
    if (keys === undefined) return;
    const { confirmed } = await send(d, route, {
      reactions: { id: route.ref(reaction.target), keys },
    });
    await confirmed;
    return;
  }
  const { target, reason, targetSender, targetTimestamp } = redaction;
  if (await route.moderate?.(target, reason, targetSender, targetTimestamp)) return;
  const { confirmed } = await send(d, route, {
    body: 'This person attempted to retract a previous message, but it is unsupported by your client.',
    retracts: route.ref(redaction.target),
  });
  await confirmed;
}

export async function handleMatrixReaction(
  d: FromMatrixDeps,
  reaction: MatrixReaction,
): Promise<SendResult> {
  const route = await d.route(reaction.portal, reaction.sender);
  const user: MatrixUserId = reaction.sender.userId;
  const keys = await d.reactions.toggle(reaction.portal, reaction.target, user, reaction.key, true);
  const remoteId = remoteMessageId(reactionId(reaction.target, user, reaction.key));
  if (keys === undefined) return { remoteId };
  const sent = await send(d, route, { reactions: { id: route.ref(reaction.target), keys } });
  return {
    remoteId,
    ...(sent.confirmed ? { confirmed: sent.confirmed.then(() => undefined) } : {}),
  };
}

/** XEP-0333: a Matrix read receipt is a `displayed` marker of the message read (and all before). */
export async function handleMatrixReceipt(
  d: FromMatrixDeps,
  receipt: MatrixReceipt,
): Promise<void> {
  const route = await d.route(receipt.portal, {
    userId: receipt.userId,
    displayName: receipt.userId,
  });
  await d.link.send(
    buildMessage({ ...addressed(route), id: newId(), displayed: route.ref(receipt.target) }),
  );
}

export async function handleMatrixTyping(
  d: FromMatrixDeps,
  typing: MatrixTyping,
  displayName: string,
): Promise<void> {
  const route = await d.route(typing.portal, { userId: typing.userId, displayName });
  const chatState: ChatState = typing.typing ? 'composing' : 'paused';
  await d.link.send(buildMessage({ ...addressed(route), id: newId(), chatState }));
}
