/**
 * A gateway room's reflection of an XMPP user's message (XEP-0045 §7.4): every session in the
 * room, its sender's too (their client takes it as sent), gets it from the sender's occupant with
 * the XEP-0359 stanza-id the room gave it: the remote id its Matrix event is mapped by, which
 * replies, reactions and moderation name. The Matrix room is the truth: the reflection goes out
 * once the homeserver took the message (core's `emitSettled`, called in the room's delivery
 * order); one it refused reaches nobody but its sender, as an error (outcomes.ts). The ref carries
 * the stanza, so a restart of the bridge in between still reflects (or bounces) it.
 */
import { xml, type Element } from '@xmpp/xml';
import { cloneStanza, NS, type ParsedMessage } from '../connection/stanzas.js';
import { stanzaTree } from '../connection/stanza-tree.js';
import type { ReflectRef } from '../outcomes.js';
import type { GwOccupant, GwRoom } from './gateway-room.js';

/** The ref of `el`, which occupant `o` sent to `room` and the room gave `stanzaId`. */
export const reflectRef = (
  el: Element,
  m: Pick<ParsedMessage, 'from' | 'to' | 'id'>,
  room: GwRoom,
  o: GwOccupant,
  stanzaId: string,
): string =>
  JSON.stringify({
    t: 'reflect',
    from: m.to,
    to: m.from,
    ...(m.id !== undefined ? { id: m.id } : {}),
    room: room.target,
    nick: o.nick,
    stanzaId,
    stanza: stanzaTree(el),
  } satisfies ReflectRef);

/** The room's copy of `el` for each of its sessions, from the occupant `nick`, with `stanzaId`. */
export function reflections(room: GwRoom, el: Element, nick: string, stanzaId: string): Element[] {
  return [...room.occupants.values()].map((p) => {
    const copy = cloneStanza(el);
    copy.attrs.from = `${p.roomJid}/${nick}`;
    copy.attrs.to = p.full;
    for (const sid of copy.getChildren('stanza-id', NS.sid)) copy.remove(sid);
    copy.append(xml('stanza-id', { xmlns: NS.sid, id: stanzaId, by: p.roomJid }));
    return copy;
  });
}
