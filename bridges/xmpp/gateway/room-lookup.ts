/**
 * The Matrix room an XMPP user enters through the gateway: found by its alias (the bot joins it),
 * refused unless public, linked as the portal `gw/<alias>`, its members named as occupants.
 */
import { BridgeError, type BridgeContext } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import { gatewayPortal } from '../ids.js';
import { memberNick, newGwRoom, type GwRoom } from './gateway-room.js';

export async function lookUpRoom(ctx: BridgeContext<XmppConfig>, alias: string): Promise<GwRoom> {
  if (alias.startsWith(ctx.portalAlias('').split(':')[0]!) && alias.endsWith(`:${ctx.domain}`))
    throw new BridgeError('unknown-target', 'that room is an XMPP room already: enter it there');
  if (!ctx.matrixRoom)
    throw new BridgeError('unsupported', 'this Switchboard cannot look Matrix rooms up');
  const view = await ctx.matrixRoom(alias);
  if (!view) throw new BridgeError('unknown-target', `no Matrix room has the alias ${alias}`);
  if (view.joinRule !== 'public')
    throw new BridgeError(
      'rejected',
      `${alias} is not a public room: only public rooms can be entered from XMPP`,
    );
  const key = gatewayPortal(alias);
  await ctx.ensurePortal({ key, roomId: view.roomId });
  const room = newGwRoom(alias, key, view);
  for (const m of view.members) {
    const ghost = ctx.ghostRemoteId(m.userId);
    if (ghost) {
      // The bridge's own ghosts are XMPP users: their levels are theirs as occupants.
      if (m.powerLevel !== 0) room.levels.set(ghost, m.powerLevel);
      continue;
    }
    room.members.set(m.userId, {
      nick: memberNick(room, m.userId, m.displayName),
      level: m.creator ? 100 : m.powerLevel,
    });
  }
  return room;
}
