/**
 * Our occupants' presence in MUCs beyond the join: their Matrix presence (show, status) and the
 * XEP-0153 hash of their avatar, told at the join and by a presence update when either changes.
 */
import { xml, type Element } from '@xmpp/xml';
import type { XmppDeps } from '../deps.js';
import type { Occupant, Room } from './muc-room.js';

/** What the user's occupant's presence carries: show, status, XEP-0153 hash (noted). */
export function presenceOf(d: XmppDeps, o: Occupant): Element[] {
  o.photo = d.profiles?.hash(o.userId);
  return d.profiles?.presenceChildren(o.userId) ?? [];
}

/**
 * A joined occupant tells the room their presence now: always (`force`: their presence changed),
 * or only when their last presence told another avatar hash (or none).
 */
export function tellPresence(d: XmppDeps, room: Room, o: Occupant, force: boolean): void {
  if (o.state !== 'joined') return;
  if (!force && o.photo === d.profiles?.hash(o.userId)) return;
  const to = `${room.jid}/${o.nick}`;
  const update = xml('presence', { from: o.full, to }, ...presenceOf(d, o));
  void d.link.send(update).catch(() => undefined);
}
