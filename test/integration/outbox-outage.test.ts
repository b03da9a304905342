// The persistent outbox (network → Matrix) through homeserver trouble: the bridge reaches Synapse
// through the fault proxy while Synapse pushes transactions straight to the bridge. A full outage,
// 429s (with `retry_after_ms`, and with `Retry-After`) and a restart in the middle of an outage
// lose nothing, double nothing and keep the order of the echoes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  roomEvents,
  startBridge,
  type RoomEvent,
  joinAlias,
  replyTarget,
  sendText,
} from '../support/bridge-harness.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';
const unique = () => randomBytes(5).toString('hex');
/** The echo ghost's message sends, the requests the faults below aim at. */
const SEND = /\/rooms\/[^/]+\/send\/m\.room\.message\//;
const STOP_DRAIN_MS = 1_000;

describe('the outbox through homeserver outages, rate limits and restarts', () => {
  let proxy: FaultProxy;
  let bridge: Switchboard | undefined;
  let database: string;
  let alice: TestUser;
  let roomId: string;

  const send = (body: string) => sendText(alice, roomId, body);
  const isEcho = (e: RoomEvent) => e.sender === ECHO_GHOST && e.type === 'm.room.message';
  /** The echo ghost's messages whose body is one of `bodies`, in timeline order. */
  const echoesOf = async (bodies: string[]) =>
    (await roomEvents(alice, roomId, 300)).filter(
      (e) => isEcho(e) && bodies.includes(e.content.body as string),
    );
  const pendingOutbox = async () => (await bridge!.store.outbox.pending()).length;

  /** Alice sends each body in turn; returns the event ids. */
  const sendAll = async (bodies: string[]) => {
    const ids: string[] = [];
    for (const body of bodies) ids.push(await send(body));
    return ids;
  };

  /** Waits until all echoes are there, then checks: each once, in the order sent, each replying to its original, and none left in the outbox. */
  const expectEchoes = async (bodies: string[], eventIds: string[]) => {
    const echoes = await waitFor(
      async () => {
        const found = await echoesOf(bodies);
        return new Set(found.map((e) => e.content.body)).size === bodies.length ? found : undefined;
      },
      60_000,
      `echoes of ${bodies.length} messages`,
    );
    expect(echoes.map((e) => e.content.body)).toEqual(bodies);
    expect(echoes.map(replyTarget)).toEqual(eventIds);
    // The sent-mark of the last echo is committed just after the homeserver took it.
    await waitFor(async () => (await pendingOutbox()) === 0, 10_000, 'the outbox emptied');
  };

  /** The next echo-send request the proxy saw after `request`. */
  const nextSend = (log: ProxiedRequest[], request: ProxiedRequest) =>
    log.slice(log.indexOf(request) + 1).find((r) => SEND.test(r.path));

  beforeAll(async () => {
    const env = requireSynapse();
    proxy = await startFaultProxy({ target: env.hsUrl });
    // The restart test stops the bridge while the homeserver refuses: its queue cannot drain, so
    // a short wait for it (not the 10 s default) before the echo stays in the outbox.
    bridge = await startBridge({ homeserverUrl: proxy.url, stopDrainMs: STOP_DRAIN_MS });
    database = bridge.config.database;
    alice = await registerUser(uniqueLocalpart('alice'));
    const alias = `#echo_${uniqueLocalpart('outage').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
    // The portal works through the proxy before any fault.
    const body = `warm up ${unique()}`;
    await expectEchoes([body], [await send(body)]);
  });

  afterAll(async () => {
    await proxy?.clear();
    await bridge?.stop();
    await proxy?.close();
  });

  it(
    'holds the echoes through a full outage and sends them all, in order, once it ends',
    { timeout: 120_000 },
    async () => {
      await proxy.setFault({ kind: 'refused' });
      const bodies = [1, 2, 3].map((n) => `during the outage ${n} ${unique()}`);
      const ids = await sendAll(bodies);

      // The bridge heard all three (Synapse pushes straight to it) and holds their echoes.
      await waitFor(
        async () => (await pendingOutbox()) === 3,
        30_000,
        'three echoes waiting in the outbox',
      );
      expect(await echoesOf(bodies)).toHaveLength(0);

      await proxy.clear();
      await expectEchoes(bodies, ids);
    },
  );

  it('honours retry_after_ms on 429s and keeps the order', { timeout: 120_000 }, async () => {
    proxy.resetRequests();
    // More 429s than the client's own retries (5 attempts): the outbox retries on top of them.
    await proxy.setFault({ kind: 'rateLimit', retryAfterMs: 300, times: 7, path: SEND });
    const bodies = [1, 2, 3, 4, 5].map((n) => `rate limited (body) ${n} ${unique()}`);
    const ids = await sendAll(bodies);
    await expectEchoes(bodies, ids);

    const log = proxy.requests();
    const limited = log.filter((r) => r.fault === 'rateLimit');
    expect(limited).toHaveLength(7);
    for (const r of limited) {
      // A lower bound only: the retry never comes before the homeserver said it may.
      const retry = nextSend(log, r);
      expect(retry, 'a retry after each 429').toBeDefined();
      expect(retry!.at - r.at).toBeGreaterThanOrEqual(300 - 5);
    }
  });

  it('honours a Retry-After header on 429s and keeps the order', { timeout: 120_000 }, async () => {
    proxy.resetRequests();
    await proxy.setFault({ kind: 'rateLimit', retryAfterHeader: 1, times: 3, path: SEND });
    const bodies = [1, 2, 3, 4, 5].map((n) => `rate limited (header) ${n} ${unique()}`);
    const ids = await sendAll(bodies);
    await expectEchoes(bodies, ids);

    const log = proxy.requests();
    const limited = log.filter((r) => r.fault === 'rateLimit');
    expect(limited).toHaveLength(3);
    for (const r of limited) {
      const retry = nextSend(log, r);
      expect(retry, 'a retry after each 429').toBeDefined();
      expect(retry!.at - r.at).toBeGreaterThanOrEqual(1000 - 5);
    }
  });

  it(
    'keeps an unsent echo in the outbox across a restart and sends it once',
    { timeout: 120_000 },
    async () => {
      await proxy.setFault({ kind: 'refused' });
      const body = `before the restart ${unique()}`;
      const eventId = await send(body);
      await waitFor(
        async () => (await pendingOutbox()) === 1,
        30_000,
        'the echo waiting in the outbox',
      );

      await bridge!.stop();
      bridge = undefined;
      expect(await echoesOf([body])).toHaveLength(0);

      await proxy.clear();
      bridge = await startBridge({
        homeserverUrl: proxy.url,
        database,
        stopDrainMs: STOP_DRAIN_MS,
      });
      await expectEchoes([body], [eventId]);

      // And the bridge goes on as usual afterwards: the next message is echoed once, after it.
      const next = `after the restart ${unique()}`;
      const nextId = await send(next);
      await expectEchoes([body, next], [eventId, nextId]);
    },
  );
});
