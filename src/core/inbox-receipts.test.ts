// Matrix read receipts (m.receipt EDUs) → connectors: the newest per user, only for events the
// bridge mapped in that portal, and a burst while the room is busy costs one call per user.
import { describe, expect, it } from 'vitest';
import type { MatrixReceipt } from '../connector.js';
import { newestReads } from './inbox-ephemeral.js';
import { InboxRouter, type InboxRouterDeps } from './inbox-router.js';
import { KeyedQueue } from './keyed-queue.js';
import { SendsInFlight } from './sends-in-flight.js';

const ROOM = '!room:localhost';
const receipt = (eventId: string, userId: string, ts?: number) => ({
  type: 'm.receipt',
  room_id: ROOM,
  content: { [eventId]: { 'm.read': { [userId]: ts === undefined ? {} : { ts } } } },
});

function router() {
  const got: MatrixReceipt[] = [];
  const lookups: string[] = [];
  const queue = new KeyedQueue(4, () => undefined);
  const inFlight = new SendsInFlight();
  const mapped = new Map([
    ['$a', { remoteId: 'r-a', portalKey: 'p1' }],
    ['$b', { remoteId: 'r-b', portalKey: 'p1' }],
    ['$other', { remoteId: 'r-o', portalKey: 'p2' }],
  ]);
  const connector = {
    handleMatrixReceipt: async (r: MatrixReceipt) => void got.push(r),
  };
  const deps = {
    queue,
    portals: { inRoom: async () => [{ bridge: 'net', portalKey: 'p1' }] },
    runtimes: new Map([
      ['net', { id: 'net', connector, ownsUser: (u: string) => u.startsWith('@net_') }],
    ]),
    store: {
      messages: {
        byEvent: async (_bridge: string, eventId: string) => {
          lookups.push(eventId);
          return mapped.get(eventId);
        },
      },
    },
    log: { debug: () => undefined },
    botUserId: '@bot:localhost',
    intents: { bot: { client: {} } },
    inFlight,
  } as unknown as InboxRouterDeps;
  return { inbox: new InboxRouter(deps), queue, got, lookups, mapped, inFlight };
}

describe('read receipts from Matrix', () => {
  it('newestReads keeps the newest public read receipt of each user', () => {
    const reads = newestReads({
      $old: { 'm.read': { '@u:x': { ts: 1 } } },
      $new: { 'm.read': { '@u:x': { ts: 5 }, '@v:x': { ts: 2 } } },
      $private: { 'm.read.private': { '@w:x': { ts: 9 } } },
      notAnEvent: { 'm.read': { '@z:x': { ts: 9 } } },
    });
    expect([...reads]).toEqual([
      ['@u:x', { eventId: '$new', ts: 5 }],
      ['@v:x', { eventId: '$new', ts: 2 }],
    ]);
  });

  it('hands the connector the remote id of the event read, once per user for a burst', async () => {
    const { inbox, queue, got, lookups } = router();
    // The room is busy: receipts queue behind its work and replace each other meanwhile.
    let release!: () => void;
    queue.push(ROOM, () => new Promise<void>((r) => (release = r)));
    for (let i = 0; i < 50; i++) inbox.enqueueEphemeral(receipt('$a', '@alice:localhost', i));
    inbox.enqueueEphemeral(receipt('$b', '@alice:localhost', 100));
    inbox.enqueueEphemeral(receipt('$a', '@bob:localhost', 7));
    inbox.enqueueEphemeral(receipt('$other', '@carol:localhost', 8)); // another portal's event
    inbox.enqueueEphemeral(receipt('$unmapped', '@dave:localhost', 9));
    inbox.enqueueEphemeral(receipt('$a', '@net_ghost:localhost', 9)); // a ghost of the bridge
    release();
    await queue.idle();
    expect(got.map((r) => [r.userId, r.eventId, r.target, r.portal])).toEqual([
      ['@alice:localhost', '$b', 'r-b', 'p1'],
      ['@bob:localhost', '$a', 'r-a', 'p1'],
    ]);
    expect(lookups).toHaveLength(4); // alice, bob, carol, dave: not 50 + 5
  });

  it('a receipt of an event the bridge is still sending waits for that send, then has its remote id', async () => {
    // The user read the bridge's event before the bridge read the homeserver's answer to its send.
    const { inbox, queue, got, mapped, inFlight } = router();
    const ended = inFlight.begin(ROOM);
    inbox.enqueueEphemeral(receipt('$fresh', '@alice:localhost', 1));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([]);
    mapped.set('$fresh', { remoteId: 'r-fresh', portalKey: 'p1' });
    ended();
    await queue.idle();
    expect(got.map((r) => [r.userId, r.target])).toEqual([['@alice:localhost', 'r-fresh']]);
  });
});
