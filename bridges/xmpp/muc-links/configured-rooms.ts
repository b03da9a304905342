/**
 * MUCs linked to rooms whose people were there before the link, and become occupants at once:
 * those linked at run time (mucLinked) and those the config lists.
 *
 * The MUCs listed in the config (room-entries.ts) linked at start: each to the Matrix room the
 * entry names (the bridge bot joins it, as a provisioning link does; a new room there moves the
 * portal), else to the portal its alias gives (made now when it has no room yet, so the alias
 * later finds this one, not a second). The Matrix users in its room (but the bot and bridges'
 * ghosts) become occupants (Mucs.addRoomMembers, as for a room linked at run time); occupants
 * join at the connection's (re)start, as in any MUC portal.
 */
import type { BridgeContext, PortalRecord } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import type { Mucs } from '../muc/muc.js';

/**
 * A MUC's portal room was linked at run time (the provisioning API, `link`) or made for its alias:
 * its stored occupants join again (with the password the link gives, if any), and the Matrix
 * users in the room become occupants, as the config's rooms' do at start.
 */
export async function mucLinked(
  ctx: BridgeContext<XmppConfig>,
  mucs: Pick<Mucs, 'linked' | 'addRoomMembers'>,
  muc: string,
  portal: PortalRecord,
  password?: string,
): Promise<void> {
  await mucs.linked(muc, password);
  await mucs
    .addRoomMembers(muc, portal.roomId)
    .catch((err: unknown) =>
      ctx.log.warn(
        { err, portal: portal.key, roomId: portal.roomId },
        "the Matrix users in a linked MUC's room were not made occupants (they join when they speak)",
      ),
    );
}

export async function linkConfiguredRooms(
  ctx: BridgeContext<XmppConfig>,
  mucs: Pick<Mucs, 'portalInfo' | 'addRoomMembers'>,
  /** The portal is taken up (connector.ts restore): its stored occupants restored. */
  linked: (portal: PortalRecord) => Promise<void>,
): Promise<void> {
  const restored = await ctx.portals(); // those restored already are not linked again
  for (const { muc, room } of ctx.config.rooms) {
    const info = mucs.portalInfo(muc);
    try {
      let portal = restored.find((p) => p.key === info.key);
      if (!portal || (room !== undefined && portal.roomId !== room)) {
        portal = await ctx.ensurePortal({
          ...info,
          ...(room !== undefined ? { roomId: room } : {}),
        });
        await linked(portal);
      }
      await mucs.addRoomMembers(muc, portal.roomId);
    } catch (err) {
      ctx.log.warn(
        { err, muc, ...(room !== undefined ? { roomId: room } : {}) },
        'could not link a MUC listed in bridges.xmpp.rooms (is the bridge bot invited to its room?)',
      );
    }
  }
}
