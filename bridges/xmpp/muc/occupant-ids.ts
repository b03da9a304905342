/**
 * A MUC's XEP-0421 occupant-ids → the nick each one's ghost is named by (muc-room.ts notedNick),
 * kept in the bridge's store (a second after a new one is noted, and at stop), so that after a
 * restart of the bridge an occupant who had renamed is still the ghost they had. After the XMPP
 * server was away they are forgotten: a room the server made again has new ids.
 */
import type { XmppDeps } from '../deps.js';
import type { Room } from './muc-room.js';

export const occupantIdsKey = (room: string) => `muc/${room}/occupant-ids`;

type Kv = Pick<XmppDeps['ctx']['kv'], 'get' | 'set'>;

/** At the bridge's start: the room's ids as they were stored (its first join keeps them). */
export async function restoreOccupantIds(kv: Kv, room: Room): Promise<void> {
  if (room.occupantIds.size > 0) return;
  const stored = await kv
    .get<Record<string, string>>(occupantIdsKey(room.jid))
    .catch(() => undefined);
  if (!stored) return;
  for (const [id, ghost] of Object.entries(stored)) room.occupantIds.set(id, ghost);
  room.idsRestored = true;
}

/**
 * At each (re)join: which nick each occupant has now is told again by the join's presences; the
 * ids too, but for the first join after a restore (the room is the one they came from).
 */
export function forgetOccupantIds(kv: Kv, room: Room): void {
  room.ghostNicks.clear();
  if (room.idsRestored) {
    room.idsRestored = false;
    return;
  }
  if (room.occupantIds.size === 0) return;
  room.occupantIds.clear();
  saveOccupantIdsSoon(kv, room);
}

/** Stores the room's ids a second from now (once for a burst of joins). */
export function saveOccupantIdsSoon(kv: Kv, room: Room): void {
  if (room.idsTimer) return;
  room.idsTimer = setTimeout(() => void saveOccupantIds(kv, room), 1_000);
  room.idsTimer.unref?.();
}

/** Stores the room's ids now (at stop: what waited for its timer). */
export async function saveOccupantIds(kv: Kv, room: Room): Promise<void> {
  clearTimeout(room.idsTimer);
  room.idsTimer = undefined;
  await kv
    .set(occupantIdsKey(room.jid), Object.fromEntries(room.occupantIds))
    .catch(() => undefined);
}
