import { xml, type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { MatrixUserId, RemoteEvent } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal } from '../ids.js';
import { NS, type ParsedMessage } from '../connection/stanzas.js';
import { isOccupantMessage, moderate, onModeration, stanzaIdOf } from './moderation.js';
import { mapIds } from './muc-room.js';
import { newRoom, type Occupant, type Room } from './muc-room.js';

const ROOM = 'dev@conference.x.org';
const MATT = '@matt:hs.test' as MatrixUserId;
const matt: Occupant = {
  userId: MATT,
  wanted: 'Matt',
  nick: 'Matt',
  full: 'matt\\3ahs.test@matrix.hs.test/matrix',
  state: 'joined',
  conflicts: 0,
};

function setUp() {
  const posted: RemoteEvent[] = [];
  const chain = new KeyedChain();
  const log = { debug: () => undefined, warn: () => undefined };
  const d = {
    post: (e: RemoteEvent) => void posted.push(e),
    chain,
    ctx: { log },
  } as unknown as XmppDeps;
  const room: Room = newRoom(ROOM);
  room.occupants.set(MATT, matt);
  room.seen.set('s-bob', 'Bob'); // Bob said it
  return { d, room, posted, chain };
}

const announced = (by: string, reason?: string): ParsedMessage => ({
  type: 'groupchat',
  from: ROOM,
  to: matt.full,
  stanzaIds: [{ id: 'ann1', by: ROOM }],
  moderated: { id: 's-bob', by, ...(reason ? { reason } : {}) },
});

describe('XEP-0425 moderation, XMPP → Matrix', () => {
  it("redacts by the moderator's ghost where it has the level, with the reason, once", async () => {
    const { d, room, posted, chain } = setUp();
    room.levels.set('Carol', 50);
    onModeration(d, room, announced(`${ROOM}/Carol`, 'spam'), 'ann1');
    onModeration(d, room, announced(`${ROOM}/Carol`, 'spam'), 'ann1'); // a second copy
    await chain.idle();
    expect(posted).toEqual([
      {
        kind: 'delete',
        portal: mucPortal(ROOM),
        sender: `${ROOM}/Carol`,
        target: 's-bob',
        reason: 'spam',
      },
    ]);
  });

  it("else by the author's ghost, saying who removed it", async () => {
    const { d, room, posted, chain } = setUp();
    onModeration(d, room, announced(`${ROOM}/Carol`, 'spam'), 'ann1');
    await chain.idle();
    expect(posted[0]).toMatchObject({ sender: `${ROOM}/Bob`, reason: 'removed by Carol: spam' });
  });

  it("a moderation by one of our Matrix users' occupants (it came from Matrix) is not redacted again", async () => {
    const { d, room, posted, chain } = setUp();
    onModeration(d, room, announced(`${ROOM}/Matt`), 'ann1');
    await chain.idle();
    expect(posted).toEqual([]);
  });
});

describe('XEP-0425 moderation, Matrix → XMPP', () => {
  /** A link whose room answers disco#info with `features` and moderation with `answer`. */
  function link(features: string[], answer: 'result' | 'forbidden') {
    const sent: Element[] = [];
    return {
      sent,
      request: async (el: Element): Promise<Element> => {
        sent.push(el);
        if (el.getChild('query', 'http://jabber.org/protocol/disco#info'))
          return xml(
            'iq',
            { type: 'result' },
            xml(
              'query',
              { xmlns: 'http://jabber.org/protocol/disco#info' },
              ...features.map((f) => xml('feature', { var: f })),
            ),
          );
        if (answer === 'forbidden')
          throw Object.assign(new Error('forbidden'), { condition: 'forbidden' });
        return xml('iq', { type: 'result' });
      },
    };
  }

  it('asks the room in the version it advertises (v0.2 here), once per room', async () => {
    const { room } = setUp();
    const l = link([NS.moderate0], 'result');
    await moderate(l, room, matt, 's-bob', 'rude');
    await moderate(l, room, matt, 's-bob', undefined);
    expect(l.sent.map((el) => el.getChildElements()[0]!.name)).toEqual([
      'query',
      'apply-to',
      'apply-to',
    ]);
    expect(l.sent[1]!.attrs).toMatchObject({ from: matt.full, to: ROOM, type: 'set' });
    const v1 = link([NS.moderate0, NS.moderate1], 'result');
    await moderate(v1, setUp().room, matt, 's-bob', 'rude');
    expect(v1.sent[1]!.getChild('moderate', NS.moderate1)?.attrs.id).toBe('s-bob');
  });

  it('tells a refusal, and a room without XEP-0425, sending nothing then', async () => {
    await expect(
      moderate(link([NS.moderate0], 'forbidden'), setUp().room, matt, 's-bob', undefined),
    ).rejects.toMatchObject({
      code: 'rejected',
      message: expect.stringMatching(/refused.*forbidden/),
    });
    const none = link([], 'result');
    await expect(moderate(none, setUp().room, matt, 's-bob', undefined)).rejects.toMatchObject({
      code: 'unsupported',
    });
    expect(none.sent).toHaveLength(1); // the disco#info question only
  });
});

describe('whose message a redacted one is', () => {
  const archived = (from: string) => async (id: string) => ({
    id,
    message: xml('message', { from }),
  });
  const none = async () => undefined;

  it('an XMPP occupant’s seen in this run; ours never; else as the archive tells', async () => {
    const { room } = setUp();
    mapIds(room, 'origin-1', 's-mine');
    expect(await isOccupantMessage(room, 's-bob', none)).toBe(true);
    expect(await isOccupantMessage(room, 's-mine', archived(`${ROOM}/Bob`))).toBe(false);
    expect(await isOccupantMessage(room, 's-old', archived(`${ROOM}/Bob`))).toBe(true);
    expect(await isOccupantMessage(room, 's-old', archived(`${ROOM}/Matt`))).toBe(false);
    expect(await isOccupantMessage(room, 's-old', archived('evil@elsewhere.org/Bob'))).toBe(false);
    expect(await isOccupantMessage(room, 's-old', none)).toBe(false);
  });
});

describe('the stanza-id a redaction names', () => {
  it('is the one known in this run, else the archive’s from a minute before Matrix’s time', async () => {
    const { room } = setUp();
    mapIds(room, 'own-1', 's-1');
    const asked: [string, number][] = [];
    const find = async (id: string, start: number) => (asked.push([id, start]), 's-old');
    expect(await stanzaIdOf(room, 'own-1', 100_000, find)).toBe('s-1');
    expect(await stanzaIdOf(room, 's-1', 100_000, find)).toBe('s-1');
    expect(await stanzaIdOf(room, 'own-old', 100_000, find)).toBe('s-old');
    expect(asked).toEqual([['own-old', 40_000]]);
    // Not in the archive, or no time to search from: the id as core gave it.
    expect(await stanzaIdOf(room, 'own-x', 100_000, async () => undefined)).toBe('own-x');
    expect(await stanzaIdOf(room, 'own-y', undefined, find)).toBe('own-y');
  });
});
