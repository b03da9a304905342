// The stand-in homeserver's stream behaves as Synapse does toward an appservice: the events of its
// rooms in order, 100 at most a transaction, one transaction in flight, its own events included
// (`all`) or left out (`others`), and a refused transaction sent again with the same id first.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHomeserver } from './fake-homeserver.js';
import type { StreamMode } from './fake-homeserver/appservice-stream.js';

interface Seen {
  txnId: string;
  bodies: string[];
  senders: string[];
}

let hs: FakeHomeserver | undefined;
let server: Server | undefined;
afterEach(async () => {
  await hs?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** An appservice that records transactions, answering `status(n)` to the n-th PUT. */
async function appservice(mode: StreamMode, status: (n: number) => number = () => 200) {
  const seen: Seen[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let puts = 0;
  const putIds: string[] = [];
  server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      setTimeout(() => {
        inFlight--;
        const code = status(++puts);
        putIds.push(decodeURIComponent(req.url!.split('/').pop()!));
        if (code === 200) {
          const events = (
            JSON.parse(body) as { events: { sender: string; content: { body?: string } }[] }
          ).events;
          seen.push({
            txnId: decodeURIComponent(req.url!.split('/').pop()!),
            bodies: events.map((e) => e.content.body ?? ''),
            senders: events.map((e) => e.sender),
          });
        }
        res.writeHead(code, { 'content-type': 'application/json' }).end('{}');
      }, 5),
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  hs = await FakeHomeserver.start({
    stream: mode,
    appserviceUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  const roomId = hs.createRoom(hs.senderUserId, { preset: 'public_chat' });
  hs.addUser('@alice:localhost');
  hs.join(roomId, '@alice:localhost');
  await hs.stream!.idle();
  seen.length = 0;
  return { seen, roomId, maxInFlight: () => maxInFlight, putIds };
}

describe('the stand-in homeserver stream', () => {
  it('sends the events of its rooms in order, at most 100 a transaction, one in flight, its own too', async () => {
    const { seen, roomId, maxInFlight } = await appservice('all');
    for (let i = 0; i < 250; i++)
      hs!.send(roomId, '@alice:localhost', { msgtype: 'm.text', body: `m${i}` });
    hs!.send(roomId, hs!.senderUserId, { msgtype: 'm.notice', body: 'the bot' });
    await hs!.stream!.idle();
    expect(seen.map((t) => t.bodies.length)).toEqual([100, 100, 51]);
    expect(seen.flatMap((t) => t.bodies)).toEqual([
      ...Array.from({ length: 250 }, (_, i) => `m${i}`),
      'the bot',
    ]);
    expect(maxInFlight()).toBe(1);
  });

  it('with `others`, leaves its own events out', async () => {
    const { seen, roomId } = await appservice('others');
    hs!.send(roomId, '@alice:localhost', { msgtype: 'm.text', body: 'alice' });
    hs!.send(roomId, hs!.senderUserId, { msgtype: 'm.notice', body: 'the bot' });
    await hs!.stream!.idle();
    expect(seen.flatMap((t) => t.bodies)).toEqual(['alice']);
  });

  it('sends a refused transaction again with the same id before the next', async () => {
    const { seen, roomId, putIds } = await appservice('all', (n) => (n === 2 ? 500 : 200));
    hs!.send(roomId, '@alice:localhost', { msgtype: 'm.text', body: 'first' });
    await hs!.stream!.idle();
    hs!.send(roomId, '@alice:localhost', { msgtype: 'm.text', body: 'second' });
    await hs!.stream!.idle();
    expect(seen.map((t) => t.bodies)).toEqual([['first'], ['second']]);
    expect(putIds.slice(1)).toEqual([seen[0]!.txnId, seen[0]!.txnId, seen[1]!.txnId]);
    expect(seen[1]!.txnId).not.toBe(seen[0]!.txnId);
  });
});
