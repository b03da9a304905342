/**
 * The Matrix room an XMPP user enters through the gateway: found by its alias or room id (the bot
 * joins it), linked as the portal `gw/<target>` (the target it was first entered by: a room
 * entered by another alias or its id later is the same portal), its members named as occupants.
 * Who may enter is the room's join rule's (gateway-access.ts).
 */
import { BridgeError, type BridgeContext, type MatrixRoomView } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import { gatewayPortal, parsePortal } from '../ids.js';
import { memberNick, newGwRoom, type GwRoom } from './gateway-room.js';

export async function lookUpRoom(ctx: BridgeContext<XmppConfig>, target: string): Promise<GwRoom> {
  if (target.startsWith(ctx.portalAlias('').split(':')[0]!) && target.endsWith(`:${ctx.domain}`))
    throw new BridgeError('unknown-target', 'that room is an XMPP room already: enter it there');
  if (!ctx.matrixRoom)
    throw new BridgeError('unsupported', 'this Switchboard cannot look Matrix rooms up');
  const view = await ctx.matrixRoom(target).catch((err: unknown) => {
    // The homeserver refuses the bot: an invite-only room it was not invited to (or banned from).
    if ((err as { status?: number }).status === 403)
      throw new BridgeError(
        'rejected',
        `${target} is not a public room, and the bridge was not invited to it`,
      );
    throw err;
  });
  if (!view) throw new BridgeError('unknown-target', `no Matrix room has the address ${target}`);
  const key = (await linkedKey(ctx, view)) ?? gatewayPortal(target);
  await ctx.ensurePortal({ key, roomId: view.roomId });
  const where = parsePortal(key);
  const room = newGwRoom(where?.kind === 'gateway' ? where.target : target, key, view);
  for (const m of view.members) {
    const ghost = ctx.ghostRemoteId(m.userId);
    if (ghost) {
      // The bridge's own ghosts are XMPP users: their levels are theirs as occupants.
      if (m.powerLevel !== 0) room.levels.set(ghost, m.powerLevel);
      room.admitted.add(ghost);
      continue;
    }
    room.members.set(m.userId, {
      nick: memberNick(room, m.userId, m.displayName),
      level: m.creator ? 100 : m.powerLevel,
    });
  }
  return room;
}

/** The gateway portal the room has already (entered before by another alias, or its id). */
async function linkedKey(ctx: BridgeContext<XmppConfig>, view: MatrixRoomView) {
  const portals = await ctx.portals();
  return portals.find((p) => p.roomId === view.roomId && parsePortal(p.key)?.kind === 'gateway')
    ?.key;
}
