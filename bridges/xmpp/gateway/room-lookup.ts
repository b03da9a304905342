/**
 * The Matrix room an XMPP user enters through the gateway: found by its alias or room id (the bot
 * joins it), linked as the portal `gw/<target>` (the target it was first entered by: a room
 * entered by another alias or its id later is the same portal), its members named as occupants.
 * Who may enter is the room's join rule's (gateway-access.ts).
 */
import { BridgeError, type BridgeContext, type MatrixRoomView } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import { gatewayPortal, parsePortal, xmppUser } from '../ids.js';
import { memberNick, newGwRoom, type GwRoom } from './gateway-room.js';

/**
 * The room `target` names, linked; `user` (a bare address) is who enters it: when the bot may not
 * join the room, their ghost reads it (a room that invited the ghost but not the bot).
 */
export async function lookUpRoom(
  ctx: BridgeContext<XmppConfig>,
  target: string,
  user?: string,
): Promise<GwRoom> {
  if (target.startsWith(ctx.portalAlias('').split(':')[0]!) && target.endsWith(`:${ctx.domain}`))
    throw new BridgeError('unknown-target', 'that room is an XMPP room already: enter it there');
  const view = await readRoom(ctx, target, user);
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

/** The homeserver refused to let the bot (or ghost) join: a room that did not invite it, or banned it. */
const refused = (err: unknown) => (err as { status?: number }).status === 403;

async function readRoom(ctx: BridgeContext<XmppConfig>, target: string, user?: string) {
  if (!ctx.matrixRoom)
    throw new BridgeError('unsupported', 'this Switchboard cannot look Matrix rooms up');
  try {
    return await ctx.matrixRoom(target);
  } catch (err) {
    if (!refused(err)) throw err;
  }
  try {
    if (user) return await ctx.matrixRoom(target, { as: xmppUser(user) });
  } catch (err) {
    if (!refused(err)) throw err;
  }
  throw new BridgeError(
    'rejected',
    `${target} is not a public room, and you were not invited to it`,
  );
}
