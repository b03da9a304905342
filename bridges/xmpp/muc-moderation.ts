/**
 * A Matrix user kicked or banned an XMPP occupant's ghost: their own occupant does it in the MUC
 * (XEP-0045 §8.2 role none; §9.1 affiliation outcast where the room told the real address), which
 * the room refuses unless that occupant may.
 */
import { xml } from '@xmpp/xml';
import { BridgeError, type MatrixMembership, type MatrixSender } from '../../src/connector.js';
import type { ComponentLink } from './connection.js';
import { safeJid } from './ids.js';
import type { Occupant, Room } from './muc-room.js';
import { newId, NS } from './stanzas.js';
import { xmlText } from './xml-text.js';

export async function kickOrBan(
  link: ComponentLink,
  room: Room,
  ghost: string,
  change: MatrixMembership,
  occupantOf: (sender: MatrixSender) => Promise<Occupant>,
): Promise<void> {
  const j = safeJid(ghost);
  if (!j?.resource || j.bare().toString() !== room.jid) return;
  const o = await occupantOf(change.sender);
  const nick = j.resource;
  const realJid = room.realJids.get(nick);
  const outcast = change.membership === 'ban' && realJid ? safeJid(realJid)?.bare() : undefined;
  const item = xml(
    'item',
    outcast ? { jid: outcast.toString(), affiliation: 'outcast' } : { nick, role: 'none' },
    change.reason ? xml('reason', {}, xmlText(change.reason)) : null,
  );
  try {
    await link.request(
      xml(
        'iq',
        { type: 'set', from: o.full, to: room.jid, id: newId() },
        xml('query', { xmlns: NS.mucAdmin }, item),
      ),
    );
  } catch (err) {
    const condition = (err as { condition?: string }).condition ?? (err as Error).message;
    throw new BridgeError('rejected', `the XMPP room refused to remove ${nick}: ${condition}`);
  }
}
