/**
 * A room our occupant's join made (XEP-0045 §10.1: status 201) is locked until its owner
 * configures it: no XMPP user can enter it. The bridge's occupant, its owner, configures it at
 * once: persistent (§10.1.3: a non-persistent room vanishes with its last occupant, e.g. while the
 * bridge restarts, taking its settings and archive with it), else, where the service refuses
 * that, as an instant room with the service's defaults (§10.1.2). A room left locked is logged,
 * and its Matrix users are told once.
 */
import { xml, type Element } from '@xmpp/xml';
import { newId } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal } from '../ids.js';
import type { Occupant, Room } from '../muc/muc-room.js';
import { roomNotice } from '../muc/room-notice.js';

const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const DATA_FORMS = 'jabber:x:data';
const ROOM_CONFIG = 'http://jabber.org/protocol/muc#roomconfig';

const field = (name: string, value: string, type?: string) =>
  xml('field', { var: name, ...(type ? { type } : {}) }, xml('value', {}, value));

/** The owner's configuration submitted: `fields` changed, the rest as the service's defaults. */
const configure = (room: Room, o: Occupant, fields: Element[]) =>
  xml(
    'iq',
    { type: 'set', from: o.full, to: room.jid, id: newId() },
    xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: DATA_FORMS, type: 'submit' }, ...fields)),
  );

/** Only the room's persistence changes; an empty form is the instant room (§10.1.2). */
const PERSISTENT = [
  field('FORM_TYPE', ROOM_CONFIG, 'hidden'),
  field('muc#roomconfig_persistentroom', '1'),
];

export async function unlockRoom(d: XmppDeps, room: Room, o: Occupant): Promise<void> {
  const log = d.ctx.log.child({ portal: mucPortal(room.jid), muc: room.jid });
  if (!d.ctx.config.create_rooms)
    // A room linked when it existed and gone since (a non-persistent room emptied), or one the
    // config's `rooms` lists: left locked, no XMPP user could enter it, so it is unlocked too.
    log.warn('our occupant made a linked MUC that did not exist (create_rooms is off)');
  try {
    await d.link.request(configure(room, o, PERSISTENT));
    log.info('made a MUC, configured persistent: unlocked');
    return;
  } catch (err) {
    log.info({ err }, 'the MUC service refused a persistent room: accepting the instant room');
  }
  try {
    await d.link.request(configure(room, o, []));
    log.info('made a MUC, accepted as an instant room (not persistent): unlocked');
  } catch (err) {
    log.warn({ err }, 'a MUC the bridge made stays locked: its configuration was refused');
    if (room.lockedTold) return;
    room.lockedTold = true;
    const why = err instanceof Error ? err.message : String(err);
    await roomNotice(
      d,
      room,
      `The XMPP room ${room.jid} was created by this bridge but stays locked (its configuration was refused: ${why}): XMPP users cannot enter it until its owner configures it.`,
    );
  }
}
