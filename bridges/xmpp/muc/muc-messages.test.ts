import { describe, expect, it } from 'vitest';
import type { MatrixUserId } from '../../../src/connector.js';
import type { ParsedMessage } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import type { ReactionSets } from '../messages/reactions.js';
import { onRoomMessage } from './muc-messages.js';
import { answerOf, newRoom } from './muc-room.js';
import type { PrivateChats } from './private.js';
import { xml } from '@xmpp/xml';

const ROOM = 'dev@conference.x.org';
const MATT = 'matt\\3ahs.test@matrix.hs.test/matrix';

/** A room Matt's occupant (the reader) is in; what the bridge would bridge is counted. */
function setUp() {
  const bridged: string[] = [];
  const d = {
    chain: { run: (_key: string, _work: unknown) => void bridged.push('run') },
    ctx: { kv: { set: async () => undefined } },
  } as unknown as XmppDeps;
  const room = newRoom(ROOM);
  room.occupants.set('@matt:hs.test' as MatrixUserId, {
    userId: '@matt:hs.test' as MatrixUserId,
    wanted: 'Matt',
    nick: 'Matt',
    full: MATT,
    state: 'joined',
    conflicts: 0,
  });
  const hear = (m: Partial<ParsedMessage> & { from: string }) =>
    onRoomMessage(
      d,
      {} as ReactionSets,
      {} as PrivateChats,
      room,
      m.from.split('/')[1],
      xml('message'),
      { type: 'groupchat', to: MATT, stanzaIds: [], body: 'hi', ...m },
    );
  return { room, hear, bridged };
}

describe('a MUC portal reading its room', () => {
  it('a reflection whose id the room rewrote confirms the send by its origin-id, never bridged back', async () => {
    const { room, hear, bridged } = setUp();
    const confirmed = answerOf(room.reflections, 'm1', 5_000);
    hear({
      from: `${ROOM}/Matt`,
      id: 'rewritten-by-the-server',
      originId: 'm1',
      stanzaIds: [{ id: 'sid-1', by: ROOM }],
    });
    expect(await confirmed).toEqual(['sid-1']);
    expect(room.ids.get('m1')).toBe('sid-1'); // what replies, reactions and edits name
    expect(bridged).toEqual([]);
  });

  it('a message the room sends twice (same stanza-id, a new message id) is bridged once', () => {
    const { hear, bridged } = setUp();
    const sid = [{ id: 'sid-2', by: ROOM }];
    hear({ from: `${ROOM}/Carol`, id: 'c1', stanzaIds: sid });
    hear({ from: `${ROOM}/Carol`, id: 'c1-again', stanzaIds: sid });
    expect(bridged).toEqual(['run']);
  });
});
