/**
 * The MUCs listed in the config (room-entries.ts) linked at start: each to the Matrix room the
 * entry names (the bridge bot joins it, as a provisioning link does; a new room there moves the
 * portal), else to the portal its alias gives (made now when it has no room yet, so the alias
 * later finds this one, not a second). The Matrix users in its room (but the bot and bridges'
 * ghosts) become occupants (Mucs.addRoomMembers, as for a room linked at run time); occupants
 * join at the connection's (re)start, as in any MUC portal.
 */
import type { BridgeContext, PortalRecord } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import type { Mucs } from './muc.js';

export async function linkConfiguredRooms(
  ctx: BridgeContext<XmppConfig>,
  mucs: Pick<Mucs, 'portalInfo' | 'addRoomMembers'>,
  /** The portal is linked (connector.ts portalLinked): its stored occupants restored. */
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
