/**
 * A Matrix membership change in a MUC portal: a join (the user's occupant joins the MUC, or
 * changes nick for a new display name), a leave (it leaves), and a kick, ban or unban of a
 * ghost, done in the MUC by the sender's occupant (muc-moderation.ts, outcasts.ts).
 */
import type { MatrixMembership, MatrixSender } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal } from '../ids.js';
import { kickOrBan, unban } from './muc-moderation.js';
import type { Occupant, Room } from './muc-room.js';
import { nickFor } from './nicks.js';
import { joinOccupant, leaveOccupant } from './occupant-join.js';
import { matrixBan, outcastAddress } from './outcasts.js';

export interface MembershipDeps {
  d: XmppDeps;
  /** Stores the room's occupants (who joins again after a restart). */
  store(room: Room): Promise<void>;
  /** The sender's occupant, joined (joining it first when needed). */
  ensureJoined(sender: MatrixSender): Promise<Occupant>;
  /** A Matrix user joining the room joins the MUC (`occupants: members`), else when they speak. */
  joinsOnJoin: boolean;
}

export async function onMatrixMembership(
  m: MembershipDeps,
  room: Room,
  change: MatrixMembership,
): Promise<void> {
  const { d } = m;
  if (change.membership === 'join' && change.target === change.sender.userId) {
    const o = room.occupants.get(change.sender.userId);
    const wanted = nickFor(change.sender.displayName, change.sender.userId);
    if (o?.state === 'joined' && wanted !== o.wanted) {
      // A new display name: the occupant changes nick (a presence to the new one, XEP-0045 §7.6).
      o.wanted = wanted;
      o.nick = wanted;
      o.conflicts = 0;
      await m.store(room);
      await joinOccupant(d, room, o).catch((err: unknown) =>
        d.ctx.log.info({ err, portal: mucPortal(room.jid) }, 'a nick change was refused'),
      );
      return;
    }
    if (m.joinsOnJoin) await m.ensureJoined(change.sender);
    return;
  }
  const ghost = d.ctx.ghostRemoteId(change.target);
  const address = ghost ? outcastAddress(room, ghost) : undefined;
  if (address && (change.membership === 'ban' || change.membership === 'unban')) {
    // An XMPP account's own ghost (not an occupant's): its address is an outcast, or not.
    await matrixBan(d, room, address, change, () => m.ensureJoined(change.sender));
    return;
  }
  if (ghost && change.membership === 'unban') {
    await unban(d.link, room, ghost, await m.ensureJoined(change.sender));
    return;
  }
  if (ghost && (change.membership === 'kick' || change.membership === 'ban')) {
    await kickOrBan(d.link, room, ghost, change, (sender) => m.ensureJoined(sender));
    return;
  }
  if (
    change.membership === 'leave' ||
    change.membership === 'kick' ||
    change.membership === 'ban'
  ) {
    const o = room.occupants.get(change.target);
    if (!o) return;
    leaveOccupant(d, room, o, change.reason);
    room.occupants.delete(change.target);
    await m.store(room);
  }
}
