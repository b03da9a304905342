/**
 * The MUCs listed in the config (room-entries.ts) linked at start: each to the Matrix room the
 * entry names (the bridge bot joins it, as a provisioning link does; a new room there moves the
 * portal), else to the portal its alias gives (made now when it has no room yet, so the alias
 * later finds this one, not a second). Then it is restored like any MUC portal: its occupants
 * join at the connection's (re)start.
 */
import type { BridgeContext, PortalInfo, PortalRecord } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';

export async function linkConfiguredRooms(
  ctx: BridgeContext<XmppConfig>,
  /** The portal's info as an alias gives it (muc.ts portalInfo). */
  portalInfo: (muc: string) => PortalInfo,
  /** The portals restored already (by key → room): not linked twice. */
  restored: readonly PortalRecord[],
  linked: (portal: PortalRecord) => Promise<void>,
): Promise<void> {
  for (const { muc, room } of ctx.config.rooms) {
    const info = portalInfo(muc);
    const known = restored.find((p) => p.key === info.key);
    if (known && (room === undefined || known.roomId === room)) continue;
    try {
      await linked(
        await ctx.ensurePortal({ ...info, ...(room !== undefined ? { roomId: room } : {}) }),
      );
    } catch (err) {
      ctx.log.warn(
        { err, muc, ...(room !== undefined ? { roomId: room } : {}) },
        'could not link a MUC listed in bridges.xmpp.rooms (is the bridge bot invited to its room?)',
      );
    }
  }
}
