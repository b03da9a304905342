/**
 * Who a MUC portal's occupants are: a Matrix user's (made from their id and display name), the
 * bridge's own reader (`occupants: speakers`), and the list kept in the store, so that the Matrix
 * users who were in the MUC join it again at each start (the reader is never stored: it is made
 * again from the config).
 */
import type { KeyValueStore, MatrixUserId } from '../../../src/connector.js';
import { matrixUserJid } from '../ids.js';
import { isReader, READER, type Occupant, type Room, type Stored } from './muc-room.js';
import { nickFor } from './nicks.js';

const membersKey = (room: string) => `muc/${room}/members`;

/** Where occupants' addresses are: the component's domain, and the resource of its users. */
export interface OccupantHome {
  domain: string;
  resource: string;
}

/** A Matrix user in a portal's room, by the id and display name their occupant is made from. */
export interface RoomMember {
  userId: MatrixUserId;
  displayName?: string;
}

const occupant = (
  home: OccupantHome,
  own: string,
  userId: MatrixUserId,
  wanted: string,
  nick = wanted,
): Occupant => ({
  userId,
  wanted,
  nick,
  full: `${own}/${home.resource}`,
  state: 'left',
  conflicts: 0,
});

/** A new occupant for a Matrix user (not joined yet); undefined when their id has no address. */
export function newOccupant(home: OccupantHome, user: RoomMember): Occupant | undefined {
  const own = matrixUserJid(user.userId, home.domain);
  if (!own) return undefined;
  return occupant(home, own, user.userId, nickFor(user.displayName ?? '', user.userId));
}

/** The bridge's own occupant: its address is no Matrix user's (theirs all hold `\3a`). */
export const readerOccupant = (home: OccupantHome, nick: string): Occupant =>
  occupant(home, `bridge@${home.domain}`, READER, nick);

/** The room's Matrix users' occupants, kept for the next start. */
export async function storeOccupants(kv: KeyValueStore, room: Room): Promise<void> {
  const list: Stored[] = [...room.occupants.values()]
    .filter((o) => !isReader(o))
    .map((o) => ({ userId: o.userId, wanted: o.wanted, nick: o.nick }));
  await kv.set(membersKey(room.jid), list);
}

/** The stored occupants back in the room (not joined yet), but those it has already. */
export async function restoreOccupants(
  kv: KeyValueStore,
  home: OccupantHome,
  room: Room,
): Promise<void> {
  for (const s of (await kv.get<Stored[]>(membersKey(room.jid))) ?? []) {
    const own = room.occupants.has(s.userId) ? undefined : matrixUserJid(s.userId, home.domain);
    if (own) room.occupants.set(s.userId, occupant(home, own, s.userId, s.wanted, s.nick));
  }
}

/** The room's stored occupants forgotten (it is unlinked). */
export const forgetOccupants = (kv: KeyValueStore, room: string): Promise<void> =>
  kv.delete(membersKey(room));
