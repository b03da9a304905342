/**
 * What an XMPP occupant says in a MUC portal, as Matrix events (in the portal's chain, live or
 * from the archive): their ghost joins first (named by their nick), then the message, its
 * files as Matrix media; a subject change is the room's topic.
 */
import type { XmppDeps } from '../deps.js';
import { mucPortal, xmppUser } from '../ids.js';
import { mediaFromLink } from '../messages/media.js';
import { ghostNick, type Room } from './muc-room.js';
import type { ReactionSets } from '../messages/reactions.js';
import { newId, type ParsedMessage } from '../connection/stanzas.js';
import { eventsOf } from '../messages/to-matrix.js';
import { bounceable, bounceRef } from '../messages/outcomes.js';
import { kept } from '../util/kept.js';

export const subjectKey = (room: string) => `muc/${room}/subject`;

export async function bridgeMessage(
  d: XmppDeps,
  reactions: ReactionSets,
  room: Room,
  m: ParsedMessage,
  nick: string | undefined,
  stanzaId: string | undefined,
): Promise<void> {
  const key = mucPortal(room.jid);
  const ghost = nick && ghostNick(room, nick);
  const sender = xmppUser(ghost ? `${room.jid}/${ghost}` : room.jid);
  if (m.subject !== undefined && m.body === undefined) {
    if (room.subject === m.subject) return; // told again on each join
    await saveSubject(d, room, m.subject);
    await d.emit({ kind: 'topic', portal: key, sender, topic: m.subject });
    return;
  }
  if (nick && ghost) await arrived(d, room, ghost, nick);
  const events = await eventsOf(
    m,
    {
      portal: key,
      sender,
      id: stanzaId ?? m.id ?? newId(),
      ref: (id) => room.ids.get(id) ?? id,
    },
    reactions,
    (url) => mediaFromLink(d.ctx, url),
  );
  // In order, stored together with the burst's others. A live message Matrix refuses for good
  // bounces back to its sender, through the room (messages/outcomes.ts); history and the archive do not.
  const live = m.delayedAt === undefined;
  for (const e of events) d.post(e, live && bounceable(e) ? bounceRef(m) : undefined);
}

export async function saveSubject(d: XmppDeps, room: Room, subject: string): Promise<void> {
  room.subject = kept(subject);
  await d.ctx.kv.set(subjectKey(room.jid), subject);
}

/**
 * An XMPP occupant's ghost joins the room (once), named by `ghost` (their nick, or the first nick
 * they had: see ghostNick), shown as `nick`.
 */
export async function arrived(d: XmppDeps, room: Room, ghost: string, nick = ghost): Promise<void> {
  if (room.remote.has(ghost)) return;
  room.remote.add(kept(ghost));
  const user = xmppUser(`${room.jid}/${ghost}`);
  await d.ctx.setGhostProfile(user, { displayName: nick });
  d.post({
    kind: 'membership',
    portal: mucPortal(room.jid),
    sender: user,
    membership: 'join',
  });
}
