/**
 * Whether a MUC exists before it is linked (XEP-0045 §6.4: disco#info to the room's address;
 * `item-not-found`: no such room). An occupant's join would make a missing room on the admin's
 * server, so a room that does not exist is linked only where `bridges.xmpp.create_rooms` allows
 * it. A question that gets no clear answer (a timeout, another error) refuses the link with its
 * reason: read as "exists" it would create rooms, read as "missing" it would mislead.
 */
import { xml } from '@xmpp/xml';
import type { ComponentLink } from '../connection/connection.js';
import { DISCO_INFO } from '../connection/disco.js';
import { IqError } from '../connection/iq.js';
import { newId } from '../connection/stanzas.js';

/** How long the room may take to answer (an alias query waits for it). */
const DISCO_TIMEOUT_MS = 10_000;

export type RoomState = 'exists' | 'missing' | 'not-a-room';

/** What the address `room` is, as it answers disco#info; rejects when it gives no clear answer. */
export async function roomState(
  link: Pick<ComponentLink, 'request' | 'domain'>,
  room: string,
): Promise<RoomState> {
  try {
    const answer = await link.request(
      xml(
        'iq',
        { type: 'get', from: link.domain, to: room, id: newId() },
        xml('query', { xmlns: DISCO_INFO }),
      ),
      DISCO_TIMEOUT_MS,
    );
    const identities = answer.getChild('query', DISCO_INFO)?.getChildren('identity') ?? [];
    return identities.some((i) => i.attrs.category === 'conference') ? 'exists' : 'not-a-room';
  } catch (err) {
    if (err instanceof IqError && err.condition === 'item-not-found') return 'missing';
    throw err;
  }
}

/**
 * Why the MUC `room` may not be linked now, or undefined: a room that does not exist (unless
 * `createRooms`), an address that is not a room, or no clear answer (with its reason).
 */
export async function missingRoomRefusal(
  link: Pick<ComponentLink, 'request' | 'domain'>,
  room: string,
  createRooms: boolean,
): Promise<string | undefined> {
  if (createRooms) return undefined; // the occupant's join makes it if needed (room-unlock.ts)
  let state: RoomState;
  try {
    state = await roomState(link, room);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `could not check whether the XMPP room ${room} exists (${why}): nothing was linked, try again later.`;
  }
  if (state === 'missing')
    return `The XMPP room ${room} does not exist, and this bridge does not create rooms (bridges.xmpp.create_rooms is off): create it on XMPP first, or ask the bridge's admin to turn create_rooms on.`;
  if (state === 'not-a-room')
    return `${room} is not an XMPP group chat (it does not answer as a room).`;
  return undefined;
}
