/**
 * A message from a MUC portal's room, as the bridge's occupants get it: a refusal of one of
 * ours, the room's own notices (bans: outcasts.ts), private messages (private.ts), our own
 * messages reflected (they confirm the send: the stanza-id is mapped, nothing is bridged back),
 * and the others' messages, read from the reader's copy only, bridged in the portal's chain.
 */
import type { Element } from '@xmpp/xml';
import { BridgeError, remoteMessageId } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal } from '../ids.js';
import type { ReactionSets } from '../messages/reactions.js';
import type { ParsedMessage } from '../connection/stanzas.js';
import { ghostNick, mapIds, ourOccupant, readerOf, type Room } from './muc-room.js';
import { seenLast } from './muc-catchup.js';
import { bridgeMessage, saveSubject } from './muc-inbound.js';
import { onAffiliationNotice } from './outcasts.js';
import { onModeration } from './moderation.js';
import type { PrivateChats } from './private.js';
import { kept } from '../util/kept.js';

/** `resource`: the sender's nick (none: the room itself). */
export function onRoomMessage(
  d: XmppDeps,
  reactions: ReactionSets,
  privates: PrivateChats,
  room: Room,
  resource: string | undefined,
  el: Element,
  m: ParsedMessage,
): void {
  if (m.type === 'error') {
    if (privates.refused(room, resource, m)) return;
    const pending = m.id ? room.reflections.get(m.id) : undefined;
    if (!pending || !m.id) return;
    room.reflections.delete(m.id);
    const why = m.error?.text ?? m.error?.condition ?? 'refused';
    pending.reject(new BridgeError('rejected', `the XMPP room refused the message: ${why}`));
    return;
  }
  if (!resource && m.type !== 'groupchat') {
    // The room's own notice to an occupant of ours: a ban of someone not in it, say.
    onAffiliationNotice(d, room, el);
    return;
  }
  if (m.type !== 'groupchat') {
    // A private message through the MUC (XEP-0045 §7.5): a direct chat of its own, never the room's.
    if (resource && (m.type === 'chat' || m.type === 'normal'))
      privates.onMessage(room, resource, el, m);
    return;
  }
  const reader = readerOf(room);
  if (!reader || m.to !== reader.full) return; // another occupant's copy of the same message
  const nick = resource;
  const stanzaId = m.stanzaIds.find((s) => s.by === room.jid)?.id;
  if (!nick && m.moderated) {
    // XEP-0425: the room announces that a moderator removed a message.
    onModeration(d, room, m, stanzaId);
    return;
  }
  const own = nick ? ourOccupant(room, nick) : undefined;
  if (own) {
    // Our own message, reflected: it confirms the send and is never bridged back.
    // The room's copy of a subject change keeps none of our ids: it answers the occupant's last one.
    const subjectChange =
      m.subject !== undefined && m.body === undefined
        ? room.subjectChanges.get(own.full)
        : undefined;
    if (subjectChange) room.subjectChanges.delete(own.full);
    const origin = subjectChange ?? m.originId ?? m.id;
    if (origin && stanzaId) mapIds(room, origin, stanzaId);
    seenLast(d, room, stanzaId, m.delayedAt);
    const pending = origin ? room.reflections.get(origin) : undefined;
    if (pending && origin) {
      room.reflections.delete(origin);
      pending.resolve(stanzaId ? [remoteMessageId(stanzaId)] : []);
    }
    if (m.subject !== undefined && m.body === undefined) void saveSubject(d, room, m.subject);
    return;
  }
  if (stanzaId) {
    if (room.seen.has(stanzaId)) return;
    room.seen.set(kept(stanzaId), nick ? kept(ghostNick(room, nick)) : '');
  }
  if (m.originId && stanzaId) mapIds(room, m.originId, stanzaId);
  if (m.id && stanzaId) mapIds(room, m.id, stanzaId); // what corrections name
  const key = mucPortal(room.jid);
  seenLast(d, room, stanzaId, m.delayedAt);
  void d.chain.run(
    key,
    () => bridgeMessage(d, reactions, room, m, nick, stanzaId),
    (err) => d.ctx.log.warn({ err, portal: key }, 'a MUC message was not bridged'),
  );
}
