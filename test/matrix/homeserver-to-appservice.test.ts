// The fake homeserver and the appservice router together: transactions pushed with the hs_token,
// and the ping round trip (client → homeserver → appservice → homeserver → client).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appserviceRouter, type Transaction } from '../../src/matrix/appservice-router.js';
import { MatrixClient } from '../../src/matrix/client.js';
import { FakeHomeserver } from '../support/fake-homeserver.js';
import { listen, silentLog } from './helpers.js';

let hs: FakeHomeserver;
let appservice: { url: string; close: () => Promise<void> };
let client: MatrixClient;
const received: [string, Transaction][] = [];
const pings: (string | undefined)[] = [];

beforeAll(async () => {
  hs = await FakeHomeserver.start();
  const router = appserviceRouter({
    hsToken: hs.hsToken,
    log: silentLog(),
    handlers: {
      onTransaction: async (txnId, txn) => void received.push([txnId, txn]),
      onUserQuery: async () => false,
      onAliasQuery: async () => false,
      thirdPartyProtocol: async () => undefined,
      thirdPartyLocations: async () => [],
      thirdPartyUsers: async () => [],
      thirdPartyLocationByAlias: async () => [],
      thirdPartyUserByUserId: async () => [],
      onPing: (id) => void pings.push(id),
    },
  });
  appservice = await listen(router);
  hs.appserviceUrl = appservice.url;
  client = new MatrixClient({
    homeserverUrl: hs.url,
    asToken: hs.asToken,
    log: silentLog(),
    retry: { maxAttempts: 1 },
  });
});
afterAll(async () => {
  await hs.close();
  await appservice.close();
});

describe('fake homeserver → appservice', () => {
  it('pushes room events with incrementing txnIds, the unstable EDU keys by default', async () => {
    hs.addUser('@alice:localhost');
    const roomId = hs.createRoom('@alice:localhost', { preset: 'public_chat' });
    const event = hs.send(roomId, '@alice:localhost', { msgtype: 'm.text', body: 'hi' });
    const typing = {
      type: 'm.typing',
      room_id: roomId,
      content: { user_ids: ['@alice:localhost'] },
    };
    const first = await hs.pushTransaction([event], { ephemeral: [typing] });
    const second = await hs.pushTransaction([]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(Number(second.txnId)).toBe(Number(first.txnId) + 1);
    expect(received[0]![1]).toMatchObject({ events: [event], ephemeral: [typing] });
  });

  it('waits for an event that has not happened yet', async () => {
    const roomId = hs.createRoom('@alice:localhost', { preset: 'public_chat' });
    const waiting = hs.waitForEvent((e) => e.room_id === roomId && e.content.body === 'later');
    setTimeout(() => hs.send(roomId, '@alice:localhost', { body: 'later' }), 5);
    expect((await waiting).sender).toBe('@alice:localhost');
    await expect(hs.waitForEvent((e) => e.content.body === 'never', 20)).rejects.toThrow(
      /no matching event/,
    );
  });

  it('replays txnIds after a counter reset, as Synapse on SQLite after a restart', async () => {
    hs.resetTxnCounter();
    expect((await hs.pushTransaction([])).txnId).toBe('1');
  });

  it('is refused with a wrong hs_token', async () => {
    const res = await hs.pushTransaction([], { token: 'wrong' });
    expect(res).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
  });

  it('pings the appservice through the homeserver', async () => {
    const { durationMs } = await client.pingAppservice(hs.appserviceId, 'ping-1');
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(pings).toEqual(['ping-1']);
  });

  it('reports ping failures as Synapse does', async () => {
    await expect(client.pingAppservice('someone-else')).rejects.toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
    });
    const saved = hs.appserviceUrl;
    try {
      const stopped = await listen(
        appserviceRouter({ hsToken: 'other-token', log: silentLog(), handlers: {} as never }),
      );
      hs.appserviceUrl = stopped.url;
      await expect(client.pingAppservice(hs.appserviceId)).rejects.toMatchObject({
        status: 502,
        errcode: 'M_BAD_STATUS',
      });
      await stopped.close();
      await expect(client.pingAppservice(hs.appserviceId)).rejects.toMatchObject({
        status: 502,
        errcode: 'M_CONNECTION_FAILED',
      });
    } finally {
      hs.appserviceUrl = saved;
    }
  });
});
