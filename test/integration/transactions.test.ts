// Crafted transaction pushes straight to the bridge's appservice listener, the way a homeserver
// would send them, into a real echo portal: repeated txnIds are handled once, a txnId reused with
// new events (a homeserver whose counter restarted) is processed, an event id seen before is not
// handled again under another txnId, and bad requests get the spec's errors and change nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, startBridge, joinAlias } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';
const unique = () => randomBytes(6).toString('hex');

describe('crafted transaction pushes', () => {
  let bridge: Switchboard;
  let alice: TestUser;
  let roomId: string;
  const { url: listenerUrl, hs_token: hsToken } = testRegistration();

  /** An event as Synapse would push it if alice had sent `body` in the portal. */
  const crafted = (body: string, eventId = `$crafted-${unique()}`) => ({
    type: 'm.room.message',
    event_id: eventId,
    sender: alice.userId,
    room_id: roomId,
    origin_server_ts: Date.now(),
    content: { msgtype: 'm.text', body },
    unsigned: { age: 1 },
  });
  const txnBody = (...events: unknown[]) =>
    JSON.stringify({
      events,
      'de.sorunome.msc2409.ephemeral': [],
      'de.sorunome.msc2409.to_device': [],
    });

  /** PUT /_matrix/app/v1/transactions/{txnId}; the body is sent as given. */
  const push = async (
    txnId: string,
    body: string,
    headers: Record<string, string> = { authorization: `Bearer ${hsToken}` },
  ) => {
    const res = await fetch(
      `${listenerUrl}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      },
    );
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as { errcode?: string } };
  };

  const echoesOf = async (body: string) =>
    (await roomEvents(alice, roomId, 300)).filter(
      (e) => e.sender === ECHO_GHOST && e.type === 'm.room.message' && e.content.body === body,
    );
  const waitForEcho = (body: string) =>
    waitFor(async () => (await echoesOf(body)).length > 0, 20_000, `the echo of "${body}"`);

  /**
   * alice really sends a message and its echo comes back. The bridge handles a room's events one
   * at a time in order, and sends its echoes in order: whatever an earlier push was going to
   * echo is in the room by the time this echo is.
   */
  const barrier = async () => {
    const body = `barrier ${unique()}`;
    await asUser(
      alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${unique()}`,
      { msgtype: 'm.text', body },
    );
    await waitForEcho(body);
  };

  beforeAll(async () => {
    requireSynapse();
    bridge = await startBridge();
    alice = await registerUser(uniqueLocalpart('alice'));
    const alias = `#echo_${uniqueLocalpart('txn').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
    await barrier(); // the portal works before anything is crafted
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  // Shared by the next three tests, which run in order.
  const firstTxnId = `crafted-${unique()}`;
  let firstEvent: ReturnType<typeof crafted>;

  it('handles a transaction pushed twice with the same txnId once', async () => {
    firstEvent = crafted(`crafted once ${unique()}`);
    const body = txnBody(firstEvent);
    expect(await push(firstTxnId, body)).toEqual({ status: 200, json: {} });
    // The homeserver did not get (or believe) the first answer and sends it again.
    expect(await push(firstTxnId, body)).toEqual({ status: 200, json: {} });
    await waitForEcho(firstEvent.content.body);
    await barrier();
    expect(await echoesOf(firstEvent.content.body)).toHaveLength(1);
  });

  it('processes a txnId seen before when it carries other events (the homeserver counter restarted)', async () => {
    const reused = crafted(`after counter reset ${unique()}`);
    expect(await push(firstTxnId, txnBody(reused))).toEqual({ status: 200, json: {} });
    const echoes = await waitFor(
      async () => {
        const found = await echoesOf(reused.content.body);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'the echo of the event under the reused txnId',
    );
    expect(echoes).toHaveLength(1);
    expect(await echoesOf(firstEvent.content.body)).toHaveLength(1);
  });

  it('does not handle an event id again when it comes back under another txnId', async () => {
    const fresh = crafted(`next to a repeat ${unique()}`);
    // The already-handled event again, beside a new one, in a transaction nobody sent before.
    expect(await push(`crafted-${unique()}`, txnBody(firstEvent, fresh))).toEqual({
      status: 200,
      json: {},
    });
    // Alone, too.
    expect(await push(`crafted-${unique()}`, txnBody(firstEvent))).toEqual({
      status: 200,
      json: {},
    });
    await waitForEcho(fresh.content.body);
    await barrier();
    expect(await echoesOf(firstEvent.content.body)).toHaveLength(1);
    expect(await echoesOf(fresh.content.body)).toHaveLength(1);
  });

  it('answers bad requests with the spec errors and handles none of them', async () => {
    const rejectedTxnId = `crafted-${unique()}`;
    const wrongToken = crafted(`wrong token ${unique()}`);
    const noToken = crafted(`no token ${unique()}`);
    const notJson = crafted(`not json ${unique()}`);
    const badShape = crafted(`bad shape ${unique()}`);
    const badEphemeral = crafted(`bad ephemeral ${unique()}`);

    expect(
      await push(rejectedTxnId, txnBody(wrongToken), { authorization: `Bearer ${hsToken}-wrong` }),
    ).toMatchObject({
      status: 403,
      json: { errcode: 'M_FORBIDDEN' },
    });
    expect(
      await push(rejectedTxnId, txnBody(wrongToken), {
        authorization: 'Bearer test_as_token_1234567890',
      }),
    ).toMatchObject({
      status: 403,
      json: { errcode: 'M_FORBIDDEN' },
    });
    expect((await push(`crafted-${unique()}`, txnBody(noToken), {})).status).toBe(401);
    // Cut off in the middle: not JSON at all.
    expect(await push(`crafted-${unique()}`, txnBody(notJson).slice(0, -20))).toMatchObject({
      status: 400,
      json: { errcode: 'M_NOT_JSON' },
    });
    // JSON, but not a transaction.
    for (const body of [
      JSON.stringify({ events: { 0: badShape } }),
      JSON.stringify([badShape]),
      JSON.stringify({ event: [badShape] }),
      JSON.stringify({ events: [badEphemeral], 'de.sorunome.msc2409.ephemeral': 'typing' }),
    ]) {
      expect(await push(`crafted-${unique()}`, body), body).toMatchObject({
        status: 400,
        json: { errcode: 'M_BAD_JSON' },
      });
    }

    await barrier();
    for (const ev of [wrongToken, noToken, notJson, badShape, badEphemeral]) {
      expect(await echoesOf(ev.content.body), ev.content.body).toHaveLength(0);
    }

    // A refused push did not use up its txnId: the homeserver's retry with the right token is handled.
    expect(await push(rejectedTxnId, txnBody(wrongToken))).toEqual({ status: 200, json: {} });
    await waitForEcho(wrongToken.content.body);
    await barrier();
    expect(await echoesOf(wrongToken.content.body)).toHaveLength(1);
  });

  it('times every answer on /metrics, by status (the 400s above, the 200s)', async () => {
    const counts = new Map<string, number>();
    for (const v of (await bridge.metrics.transactionAnswer.get()).values)
      if (v.metricName === 'switchboard_transaction_answer_seconds_count')
        counts.set(String(v.labels.status), v.value);
    // The five bodies above that were not transactions; the 401 and 403 never reached the intake.
    expect(counts.get('400')).toBe(5);
    // Synapse's pushes (the barriers' events and echoes) and the crafted ones.
    expect(counts.get('200')).toBeGreaterThanOrEqual(8);
    expect([...counts.keys()].sort()).toEqual(['200', '400']);
  });
});
