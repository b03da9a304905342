import { describe, expect, it } from 'vitest';
import type { MatrixUserId, RemoteEvent } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import type { DirectChats } from '../dm/dm.js';
import type { ParsedMessage } from '../connection/stanzas.js';
import { newRoom, type Room } from './muc-room.js';
import { PrivateChats } from './private.js';

const ROOM = 'dev@conference.x.org';
const MATT = '@matt:hs.test' as MatrixUserId;

/** A room where Matt's occupant is in (`joined`) and Carl is an XMPP occupant (`carl`). */
function setUp(opts: { joined: boolean; carl: boolean }) {
  const posted: RemoteEvent[] = [];
  const d = { post: (e: RemoteEvent) => void posted.push(e) } as unknown as XmppDeps;
  const room: Room = newRoom(ROOM);
  room.occupants.set(MATT, {
    userId: MATT,
    wanted: 'Matt',
    nick: 'Matt',
    full: 'matt\\3ahs.test@matrix.hs.test/matrix',
    state: opts.joined ? 'joined' : 'left',
    conflicts: 0,
  });
  if (opts.carl) room.remote.add('Carl');
  const chats = new PrivateChats(d, {} as DirectChats, new Map([[ROOM, room]]));
  return { chats, room, posted };
}

const refusal = (id: string, condition: string, text?: string): ParsedMessage => ({
  type: 'error',
  from: `${ROOM}/Carl`,
  to: 'matt\\3ahs.test@matrix.hs.test/matrix',
  id,
  stanzaIds: [],
  error: { condition, ...(text ? { text } : {}) },
});

describe('private messages through a MUC', () => {
  it('go from the Matrix user’s occupant to the occupant’s nick, marked as private', () => {
    const { chats } = setUp({ joined: true, carl: true });
    const route = chats.route(ROOM, MATT, 'Carl');
    expect(route).toMatchObject({
      type: 'chat',
      private: true,
      from: 'matt\\3ahs.test@matrix.hs.test/matrix',
      to: `${ROOM}/Carl`,
    });
    expect(chats.canReach({ room: ROOM, owner: MATT, nick: 'Carl' })).toBe(true);
  });

  it('are refused with the reason when either of the two is not in the room', () => {
    expect(() => setUp({ joined: true, carl: false }).chats.route(ROOM, MATT, 'Carl')).toThrow(
      /Carl left dev@conference.x.org: the message cannot be delivered/,
    );
    expect(() => setUp({ joined: false, carl: true }).chats.route(ROOM, MATT, 'Carl')).toThrow(
      /you are not in dev@conference.x.org now/,
    );
    const { chats } = setUp({ joined: false, carl: true });
    expect(chats.canReach({ room: ROOM, owner: MATT, nick: 'Carl' })).toBe(false);
  });

  it("tell the sender the room's refusal, by its condition", async () => {
    const { chats, room } = setUp({ joined: true, carl: true });
    const route = chats.route(ROOM, MATT, 'Carl');
    const forbidden = route.reflected!('m1');
    const gone = route.reflected!('m2');
    expect(chats.refused(room, 'Carl', refusal('m1', 'not-allowed', 'No PMs here'))).toBe(true);
    expect(chats.refused(room, 'Carl', refusal('m2', 'item-not-found'))).toBe(true);
    await expect(forbidden).rejects.toThrow(/refused the private message to Carl: No PMs here/);
    await expect(gone).rejects.toThrow(/Carl is not in dev@conference.x.org any more/);
    // An error for no private message of ours is someone else's business.
    expect(chats.refused(room, 'Carl', refusal('m3', 'not-allowed'))).toBe(false);
  });

  it("tell each of the occupant's chats when they leave, and only theirs", () => {
    const { chats, room, posted } = setUp({ joined: true, carl: true });
    chats.note(ROOM, 'Carl', MATT);
    chats.note(ROOM, 'Dora', MATT);
    chats.left(room, 'Carl', 'Carl');
    chats.left(room, 'Eve', 'Eve'); // no chat with Eve
    expect(posted).toEqual([
      expect.objectContaining({
        kind: 'bridge-notice',
        portal: `pm/${ROOM}/${MATT}/Carl`,
        text: expect.stringMatching(/^Carl left dev@conference.x.org/),
      }),
    ]);
  });
});
