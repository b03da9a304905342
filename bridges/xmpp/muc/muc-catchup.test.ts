import { describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/xml';
import type { ComponentLink } from '../connection/connection.js';
import type { MatrixUserId, RemoteEvent } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import type { XmppDeps } from '../deps.js';
import { catchUp } from './muc-catchup.js';
import { MamQueries, MAX_CATCH_UP, NS_MAM, type Archived } from './mam.js';
import { newRoom, type Occupant } from './muc-room.js';

const ROOM = 'dev@conference.x.org';
const MATT = { userId: '@matt:hs.test' as MatrixUserId, full: 'matt@matrix.hs.test/matrix' };

/** A catch-up of `ROOM` whose archive answers `since`; what reached Matrix, notices and messages. */
async function caughtUp(
  since: MamQueries['since'],
  kv = new Map<string, unknown>([[`muc/${ROOM}/last`, { id: 'last', at: 0 }]]),
): Promise<string[]> {
  const chain = new KeyedChain();
  const emitted: RemoteEvent[] = [];
  const d = {
    chain,
    emit: async (e: RemoteEvent) => void emitted.push(e),
    link: {},
    ctx: {
      kv: {
        get: async (key: string) => kv.get(key),
        set: async (key: string, value: unknown) => void kv.set(key, value),
        delete: async (key: string) => void kv.delete(key),
      },
      log: { info: () => undefined, warn: () => undefined },
    },
  } as unknown as XmppDeps;
  const room = newRoom(ROOM);
  room.catchUp = true;
  const bridged: string[] = [];
  catchUp(
    {
      d,
      mam: { since } as MamQueries,
      bridgeMessage: async (_room, m) => void bridged.push(m.body ?? ''),
    },
    room,
    MATT as Occupant,
  );
  await chain.idle();
  await new Promise((resolve) => setTimeout(resolve, 10)); // a failure's notice, after the store
  await chain.idle(); // the notice, queued after the catch-up
  const notices = emitted.flatMap((e) =>
    e.kind === 'message' && e.content.kind === 'notice' ? [e.content.text] : [],
  );
  return [...bridged, ...notices];
}

const archived = (n: number): Archived => ({
  id: `s${n}`,
  at: n,
  message: xml(
    'message',
    { type: 'groupchat', from: `${ROOM}/Carol` },
    xml('body', {}, `line ${n}`),
  ),
});

describe('the MAM catch-up of a MUC portal', () => {
  it('bridges what the archive had, and says nothing more when that was all', async () => {
    const said = await caughtUp(async () => ({ archived: [archived(1), archived(2)], cut: false }));
    expect(said).toEqual(['line 1', 'line 2']);
  });

  it('says in the room when the archive had more than one catch-up takes', async () => {
    const said = await caughtUp(async () => ({ archived: [archived(1)], cut: true }));
    expect(said).toEqual([
      'line 1',
      `More than ${MAX_CATCH_UP} messages were said in the XMPP room ${ROOM} while the bridge was away: the first ${MAX_CATCH_UP} are above; what was said after them, until now, is missing here (an XMPP client shows it).`,
    ]);
  });

  it('says in the room when the archive could not be read, with the reason', async () => {
    const said = await caughtUp(async () => {
      throw new Error('feature-not-implemented');
    });
    expect(said).toEqual([
      `What the XMPP room ${ROOM} said while the bridge was away could not be fetched from its archive (feature-not-implemented): it is missing here (an XMPP client shows it).`,
    ]);
  });

  it('says so once, not at every start, until a catch-up works again', async () => {
    const kv = new Map<string, unknown>([[`muc/${ROOM}/last`, { id: 'last', at: 0 }]]);
    const fails = async (): Promise<never> => {
      throw new Error('feature-not-implemented');
    };
    expect(await caughtUp(fails, kv)).toHaveLength(1);
    expect(await caughtUp(fails, kv)).toEqual([]);
    expect(await caughtUp(async () => ({ archived: [], cut: false }), kv)).toEqual([]);
    expect(await caughtUp(fails, kv)).toHaveLength(1);
  });
});

describe('the archive read for a catch-up', () => {
  /** An archive of `total` messages after the last seen, read in pages of 100 as Prosody does. */
  function archive(total: number) {
    const mam = new MamQueries();
    const request = async (iq: Element) => {
      const query = iq.getChild('query', NS_MAM)!;
      const after = query.getChild('set')?.getChildText('after');
      const from = after === 'last' ? 1 : Number(after!.slice(1)) + 1;
      const to = Math.min(total, from + 99);
      for (let n = from; n <= to; n++)
        mam.onResult(
          xml(
            'message',
            { from: ROOM },
            xml(
              'result',
              { xmlns: NS_MAM, queryid: query.attrs.queryid, id: `s${n}` },
              xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, archived(n).message),
            ),
          ),
        );
      return xml(
        'iq',
        { type: 'result' },
        xml(
          'fin',
          { xmlns: NS_MAM, complete: String(to >= total) },
          xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('last', {}, `s${to}`)),
        ),
      );
    };
    return mam.since({ request } as unknown as ComponentLink, ROOM, MATT.full, {
      id: 'last',
      at: 0,
    });
  }

  it('all of it, when it is no more than one catch-up takes', async () => {
    const { archived: got, cut } = await archive(MAX_CATCH_UP);
    expect([got.length, got[0]?.id, got.at(-1)?.id, cut]).toEqual([
      MAX_CATCH_UP,
      's1',
      's1000',
      false,
    ]);
  });

  it('the first ones, cut, when it has more', async () => {
    const { archived: got, cut } = await archive(MAX_CATCH_UP + 1);
    expect([got.length, got[0]?.id, got.at(-1)?.id, cut]).toEqual([
      MAX_CATCH_UP,
      's1',
      's1000',
      true,
    ]);
  });
});
