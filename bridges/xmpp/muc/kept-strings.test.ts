// What a MUC portal keeps of the messages it reads (stanza-ids seen, ids mapped, the last
// stanza-id) are strings of their own: the parser's are slices of the socket read, and one id
// kept of each message would keep every read of the last 10,000 messages alive.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Parser, type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { MatrixUserId } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import { parseMessage } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import type { ReactionSets } from '../messages/reactions.js';
import { onRoomMessage } from './muc-messages.js';
import { newRoom, type Occupant } from './muc-room.js';
import type { PrivateChats } from './private.js';

const ROOM = 'dev@conference.x.org';
const matt: Occupant = {
  userId: '@matt:hs.test' as MatrixUserId,
  wanted: 'Matt',
  nick: 'Matt',
  full: 'matt\\3ahs.test@matrix.hs.test/matrix',
  state: 'joined',
  conflicts: 0,
};
const HEADER =
  "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1'>";
const PER_READ = 20;
const READS = 600; // 12,000 messages: every id a room remembers (10,000) comes from these reads

/** One socket read: `PER_READ` messages of Bob's, each with its ids and a ~2 KB body. */
function read(n: number): string {
  let out = '';
  for (let i = 0; i < PER_READ; i++) {
    const id = `${n}-${i}-${'i'.repeat(24)}`;
    out +=
      `<message type='groupchat' from='${ROOM}/Bob' to='${matt.full}' id='m${id}'>` +
      `<body>${n} ${i} ${'x'.repeat(2000)}</body><origin-id xmlns='urn:xmpp:sid:0' id='o${id}'/>` +
      `<stanza-id xmlns='urn:xmpp:sid:0' by='${ROOM}' id='s${id}'/></message>`;
  }
  return Buffer.from(out).toString(); // a string of its own, as a socket read is
}

describe('a MUC portal and the socket reads', () => {
  it('keeps the ids of 10,000 messages, not the reads they came in (~45 KB each)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const chain = new KeyedChain();
    const noop = async () => undefined;
    const d = {
      chain,
      post: () => undefined,
      emit: noop,
      ctx: {
        log: { debug: () => undefined, warn: () => undefined, info: () => undefined },
        kv: { get: noop, set: noop },
        setGhostProfile: noop,
      },
    } as unknown as XmppDeps;
    const room = newRoom(ROOM);
    room.occupants.set(matt.userId, matt);
    const parser = new Parser();
    let stanzas: Element[] = [];
    parser.on('element', (el) => stanzas.push(el));
    parser.write(HEADER);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < READS; n++) {
      parser.write(read(n));
      for (const el of stanzas)
        onRoomMessage(d, {} as ReactionSets, {} as PrivateChats, room, 'Bob', el, parseMessage(el));
      stanzas = [];
      await chain.idle();
    }
    gc();
    const grew = process.memoryUsage().heapUsed - before;
    const last = `${READS - 1}-${PER_READ - 1}-${'i'.repeat(24)}`;
    expect(room.seen.has(`s${last}`) && room.ids.get(`m${last}`)).toBe(`s${last}`);
    expect(room.last?.id).toBe(`s${last}`);
    // The reads that hold the last 10,000 messages are ~22 MB (~27 MB grown when they were kept);
    // the ids alone, with the room's three maps of 10,000, ~6.5 MB.
    expect(grew).toBeLessThan(10_000_000);
  });
});
