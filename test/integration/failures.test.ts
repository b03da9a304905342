// Nothing dropped silently: a Matrix event the echo network does not take ends with a failure the
// sender sees (a message-status event and a notice from the bot), and a 🔁 reaction on the notice
// or `retry <event-id>` in the management room sends it again. Real Synapse, what alice sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoConnector } from '../../bridges/echo/index.js';
import { BridgeError, type MatrixMessage } from '../../src/connector.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  roomEvents,
  startBridge,
  type RoomEvent,
  joinAlias,
} from '../support/bridge-harness.js';
import { BOT, openManagementRoom } from '../support/management-room.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
  testRegistration,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';
const SECRET = 'failures_provisioning_secret_0123456789';
const provisionUrl = () => `${testRegistration().url}/_switchboard/provision/v1`;

type Relation = {
  rel_type?: string;
  event_id?: string;
  key?: string;
  'm.in_reply_to'?: { event_id?: string };
};
const relation = (e: RoomEvent) => e.content['m.relates_to'] as Relation | undefined;

describe('failures are shown to the sender and can be retried', () => {
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  let managementRoom: string;
  let txn = 0;
  /** Bodies whose first delivery fails with a transient network error; later ones go through. */
  const failOnce = new Set<string>();
  let calls = 0;

  const echo = new EchoConnector();
  const handle = echo.handleMatrixMessage.bind(echo);
  echo.handleMatrixMessage = async (msg: MatrixMessage) => {
    calls++;
    if (failOnce.delete(msg.content.text))
      throw new BridgeError('network', 'the echo network is down', true);
    return handle(msg);
  };

  const send = async (
    room: string,
    content: Record<string, unknown>,
    type = 'm.room.message',
    user = alice,
  ) =>
    (
      await asUser<{ event_id: string }>(
        user,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/${type}/f${Date.now()}.${++txn}`,
        content,
      )
    ).event_id;
  const say = (room: string, body: string, user = alice) =>
    send(room, { msgtype: 'm.text', body }, 'm.room.message', user);
  const find = (room: string, predicate: (e: RoomEvent) => boolean, what: string, user = alice) =>
    waitFor(async () => (await roomEvents(user, room)).find(predicate), 15_000, what);
  const echoes = async (body: string) =>
    (await roomEvents(alice, roomId)).filter(
      (e) => e.sender === ECHO_GHOST && e.content.body === body,
    );
  const echoOf = (body: string) =>
    find(
      roomId,
      (e) => e.sender === ECHO_GHOST && e.content.body === body,
      `the echo of "${body.slice(0, 40)}"`,
    );
  const noticeFor = (eventId: string) =>
    find(
      roomId,
      (e) =>
        e.sender === BOT &&
        e.content.msgtype === 'm.notice' &&
        relation(e)?.['m.in_reply_to']?.event_id === eventId,
      `the failure notice for ${eventId}`,
    );
  const statusFor = (eventId: string) =>
    find(
      roomId,
      (e) => e.type === 'com.beeper.message_send_status' && relation(e)?.event_id === eventId,
      `the message status for ${eventId}`,
    );
  /** A later message's echo: everything the bridge was going to do before it is done (one ordered queue per room). */
  const roundTrip = async () => {
    const marker = `marker ${++txn}`;
    await say(roomId, marker);
    await echoOf(marker);
  };

  beforeAll(async () => {
    requireSynapse();
    const aliceLocalpart = uniqueLocalpart('alice');
    bridge = await startBridge({
      bridges: { echo: { enabled: true, reject_text: 'REJECT', features: { reactions: false } } },
      connectors: [echo],
      provisioningSecret: SECRET,
      admins: [`@${aliceLocalpart}:localhost`], // `retry <event-id>` is for bridge admins
    });
    alice = await registerUser(aliceLocalpart);
    bob = await registerUser(uniqueLocalpart('bob'));
    const alias = `#echo_${uniqueLocalpart('fail').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
    managementRoom = await openManagementRoom(alice);
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('a refused message gets a FAIL status and a notice naming Echo and the reason, and no echo', async () => {
    const eventId = await say(roomId, 'please REJECT this');
    const status = await statusFor(eventId);
    expect(status.sender).toBe(BOT);
    expect(status.content).toMatchObject({
      status: 'FAIL',
      network: 'echo',
      'm.relates_to': { rel_type: 'm.reference', event_id: eventId },
      message: 'the echo network refused this message',
      retriable: false,
    });
    const notice = await noticeFor(eventId);
    expect(notice.content.body).toBe(
      '⚠️ Not delivered to Echo: the echo network refused this message.',
    );

    await roundTrip();
    expect(await echoes('please REJECT this')).toHaveLength(0);
  });

  it('a transient failure is echoed once after a 🔁 reaction on the notice', async () => {
    const body = 'transient one';
    failOnce.add(body);
    const before = calls;
    const eventId = await say(roomId, body);
    const notice = await noticeFor(eventId);
    expect(notice.content.body).toBe(
      '⚠️ Not delivered to Echo: the echo network is down. React with 🔁 to retry.',
    );
    const status = await statusFor(eventId);
    expect(status.content).toMatchObject({ status: 'FAIL', error: 'network', retriable: true });
    expect(calls).toBe(before + 1);

    await send(
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: notice.event_id, key: '🔁' } },
      'm.reaction',
    );
    const echoed = await echoOf(body);
    expect(relation(echoed)).toEqual({ 'm.in_reply_to': { event_id: eventId } });
    expect(calls).toBe(before + 2);

    await roundTrip();
    expect(await echoes(body)).toHaveLength(1);
  });

  it('`retry <event-id>` in the management room sends a failed message again, once', async () => {
    const body = 'transient two';
    failOnce.add(body);
    const eventId = await say(roomId, body);
    await noticeFor(eventId);

    // Not an admin: refused, and nothing is sent.
    const bobsRoom = await openManagementRoom(bob);
    await say(bobsRoom, `retry ${eventId}`, bob);
    await find(
      bobsRoom,
      (e) => e.sender === BOT && e.content.body === '`retry` is for bridge admins only.',
      'the bot to refuse bob',
      bob,
    );
    await roundTrip();
    expect(await echoes(body)).toHaveLength(0);

    await say(managementRoom, `retry ${eventId}`);
    await find(
      managementRoom,
      (e) => e.sender === BOT && e.content.body === `Retrying ${eventId}.`,
      'the bot to confirm the retry',
    );
    await echoOf(body);
    await roundTrip();
    expect(await echoes(body)).toHaveLength(1);

    // It is no longer failed: a second retry is refused and echoes nothing.
    await say(managementRoom, `retry ${eventId}`);
    await find(
      managementRoom,
      (e) => e.sender === BOT && e.content.body === `${eventId} is not a failed event.`,
      'the bot to refuse a second retry',
    );
    await roundTrip();
    expect(await echoes(body)).toHaveLength(1);
  });

  it('a reaction to a network without reactions gets a notice saying so', async () => {
    const original = await say(roomId, 'react to me');
    await echoOf('react to me');
    const reaction = await send(
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: original, key: '👍' } },
      'm.reaction',
    );
    const notice = await noticeFor(reaction);
    expect(notice.content.body).toMatch(
      /^⚠️ Not delivered to Echo: Echo does not support reactions\./,
    );
    const status = await statusFor(reaction);
    expect(status.content).toMatchObject({
      status: 'FAIL',
      reason: 'm_event_unsupported',
      error: 'unsupported',
    });
    expect(
      (await roomEvents(alice, roomId)).some(
        (e) => e.sender === ECHO_GHOST && e.type === 'm.reaction',
      ),
    ).toBe(false);
  });

  it('a message over the network’s size limit gets a notice about its size and is not echoed', async () => {
    const body = 'x'.repeat(17_000);
    const eventId = await say(roomId, body);
    const notice = await noticeFor(eventId);
    expect(notice.content.body).toContain(
      'Not delivered to Echo: the message is 17000 bytes; Echo takes at most 16384',
    );
    const status = await statusFor(eventId);
    expect(status.content).toMatchObject({ status: 'FAIL', error: 'too-large' });
    await roundTrip();
    expect(await echoes(body)).toHaveLength(0);
  });

  it('the provisioning API reports the room’s last success and last failure', async () => {
    const portal = await waitFor(
      async () => {
        const res = await fetch(`${provisionUrl()}/portals?bridge=echo`, {
          headers: { authorization: `Bearer ${SECRET}` },
        });
        expect(res.status).toBe(200);
        const { portals } = (await res.json()) as {
          portals: {
            room_id: string;
            health: { lastSuccess?: number; lastFailure?: number; lastFailureReason?: string };
          }[];
        };
        const mine = portals.find((p) => p.room_id === roomId);
        // Successes are recorded in batches: wait for the marker after the last failure.
        return mine?.health.lastSuccess !== undefined &&
          mine.health.lastSuccess >= (mine.health.lastFailure ?? Infinity)
          ? mine
          : undefined;
      },
      15_000,
      'the portal health to show a success after the last failure',
    );
    expect(typeof portal.health.lastFailure).toBe('number');
    expect(portal.health.lastFailureReason).toMatch(/16384/);
  });
});
