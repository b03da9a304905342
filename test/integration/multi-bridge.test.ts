// One Matrix room linked to two networks at once (echo and echo2) through the provisioning API:
// both hear alice, each hears the other's ghost but never its own (no loop), and the API's
// errors, listing and unlinking behave as documented. Real Synapse, what alice sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, startBridge, type RoomEvent } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
  testRegistration,
} from '../support/synapse.js';

const BOT = '@switchboard:localhost';
const ECHO_GHOST = '@echo_echo:localhost';
const ECHO2_GHOST = '@echo2_echo:localhost';
const SECRET = 'multi_bridge_provisioning_secret_0123456789';
const provisionUrl = () => `${testRegistration().url}/_switchboard/provision/v1`;

interface PortalJson {
  bridge: string;
  remote_id: string;
  room_id: string;
  health: Record<string, unknown>;
}

/** A provisioning API call; `token` null sends no Authorization header. */
async function provision(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = SECRET,
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${provisionUrl()}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('one room linked to two networks', () => {
  let bridge: Switchboard;
  let alice: TestUser;
  let roomId: string;
  const remoteKey = uniqueLocalpart('shared').replace('_', '-');
  let txn = 0;

  const say = async (body: string) =>
    (
      await asUser<{ event_id: string }>(
        alice,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m${Date.now()}.${++txn}`,
        { msgtype: 'm.text', body },
      )
    ).event_id;
  const messagesFrom = async (sender: string, body: string) =>
    (await roomEvents(alice, roomId, 200)).filter(
      (e) => e.sender === sender && e.type === 'm.room.message' && e.content.body === body,
    );
  const echoBy = (sender: string, body: string) =>
    waitFor(
      async () => (await messagesFrom(sender, body))[0],
      15_000,
      `${sender}'s echo of "${body}"`,
    );
  /** A later message's round trip through `ghosts`: the room's earlier events are all handled by then (one ordered queue per room). */
  const roundTrip = async (ghosts: string[]) => {
    const marker = `marker ${++txn}`;
    await say(marker);
    for (const ghost of ghosts) await echoBy(ghost, marker);
  };
  const portalsOfRoom = async () =>
    ((await provision('GET', '/portals')).json.portals as PortalJson[]).filter(
      (p) => p.room_id === roomId,
    );

  beforeAll(async () => {
    requireSynapse();
    bridge = await startBridge({
      bridges: { echo: { enabled: true, reject_text: 'REJECT' }, echo2: { enabled: true } },
      provisioningSecret: SECRET,
    });
    alice = await registerUser(uniqueLocalpart('alice'));
    roomId = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        name: 'Two networks',
        invite: [BOT],
      })
    ).room_id;
    await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).some(
          (e: RoomEvent) =>
            e.type === 'm.room.member' && e.state_key === BOT && e.content.membership === 'join',
        ),
      15_000,
      'the bot to accept the invite',
    );
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('refuses the provisioning API without the secret (401) or with a wrong one (403)', async () => {
    const none = await provision('GET', '/portals', undefined, null);
    expect(none.status).toBe(401);
    expect(none.json.errcode).toBe('M_MISSING_TOKEN');
    const wrong = await provision('GET', '/portals', undefined, 'not_the_secret_at_all');
    expect(wrong.status).toBe(403);
    expect(wrong.json.errcode).toBe('M_FORBIDDEN');
    const wrongLink = await provision(
      'POST',
      '/portals',
      { bridge: 'echo', remote_id: remoteKey, room_id: roomId },
      'not_the_secret_at_all',
    );
    expect(wrongLink.status).toBe(403);
    expect(await portalsOfRoom()).toEqual([]);
  });

  it('answers an unknown bridge with 404 and a bad body with 400', async () => {
    const unknown = await provision('POST', '/portals', {
      bridge: 'nope',
      remote_id: remoteKey,
      room_id: roomId,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/nope/);
    expect((await provision('DELETE', `/portals/nope/${remoteKey}`)).status).toBe(404);

    const missing = await provision('POST', '/portals', { bridge: 'echo', room_id: roomId });
    expect(missing.status).toBe(400);
    expect(missing.json.errcode).toBe('M_BAD_JSON');
    const notJson = await provision('POST', '/portals', '{"bridge": "echo", ');
    expect(notJson.status).toBe(400);
    expect(notJson.json.errcode).toBe('M_NOT_JSON');
    const notARoom = await provision('POST', '/portals', {
      bridge: 'echo',
      remote_id: remoteKey,
      room_id: 'general',
    });
    expect(notARoom.status).toBe(400);
    expect(notARoom.json.error).toMatch(/not a room id/);
    // A remote id the bridge cannot serve (its validateLink): refused, nothing recorded.
    const notAChat = await provision('POST', '/portals', {
      bridge: 'echo',
      remote_id: 'Not A Chat',
      room_id: roomId,
    });
    expect(notAChat.status).toBe(400);
    expect(notAChat.json.error).toMatch(/echo cannot link `Not A Chat`: an echo chat is named by/);
    // Link options: only those the bridge takes (core's check), with values it can use (the bridge's).
    const link = (options: unknown) =>
      provision('POST', '/portals', {
        bridge: 'echo',
        remote_id: remoteKey,
        room_id: roomId,
        options,
      });
    const unknownOption = await link({ password: 'x' });
    expect(unknownOption.status).toBe(400);
    expect(unknownOption.json.error).toBe(
      'echo takes no link option "password" (it takes only "greeting")',
    );
    const badGreeting = await link({ greeting: 'two\nlines' });
    expect(badGreeting.status).toBe(400);
    expect(badGreeting.json.error).toMatch(/the option "greeting" must be one line/);
    const notStrings = await link(['greeting']);
    expect(notStrings.status).toBe(400);
    expect(notStrings.json.errcode).toBe('M_BAD_JSON');
    expect(await portalsOfRoom()).toEqual([]);
  });

  it('links the room to echo and echo2 (echo with a greeting), and lists both portals', async () => {
    for (const id of ['echo', 'echo2']) {
      const res = await provision('POST', '/portals', {
        bridge: id,
        remote_id: remoteKey,
        room_id: roomId,
        ...(id === 'echo' ? { options: { greeting: 'linked, hello' } } : {}),
      });
      expect(`${res.status} ${JSON.stringify(res.json)}`).toMatch(/^201 /);
      expect(res.json).toMatchObject({ bridge: id, remote_id: remoteKey, room_id: roomId });
    }
    const listed = await portalsOfRoom();
    expect(listed.map((p) => p.bridge).sort()).toEqual(['echo', 'echo2']);
    expect(listed.every((p) => p.remote_id === remoteKey)).toBe(true);
    const onlyEcho2 = (await provision('GET', '/portals?bridge=echo2')).json
      .portals as PortalJson[];
    expect(onlyEcho2.some((p) => p.room_id === roomId && p.bridge === 'echo2')).toBe(true);
    expect(onlyEcho2.every((p) => p.bridge === 'echo2')).toBe(true);
    // The link's option reached the bridge (portalLinked), and is not listed back.
    await echoBy(ECHO_GHOST, 'linked, hello');
    expect(JSON.stringify(listed)).not.toContain('greeting');
  });

  it('echoes alice once on each network, and neither network echoes the other’s ghost', async () => {
    await say('hello both');
    const echo1 = await echoBy(ECHO_GHOST, 'hello both');
    const echo2 = await echoBy(ECHO2_GHOST, 'hello both');
    await roundTrip([ECHO_GHOST, ECHO2_GHOST]);

    expect(await messagesFrom(ECHO_GHOST, 'hello both')).toHaveLength(1);
    expect(await messagesFrom(ECHO2_GHOST, 'hello both')).toHaveLength(1);
    expect(await messagesFrom(alice.userId, 'hello both')).toHaveLength(1);

    // Each bridge heard the other's ghost (and recorded the message it sent to its network)...
    expect(await bridge.store.messages.byEvent('echo2', echo1.event_id)).toMatchObject({
      remoteId: `m:${echo1.event_id}`,
    });
    expect(await bridge.store.messages.byEvent('echo', echo2.event_id)).toMatchObject({
      remoteId: `m:${echo2.event_id}`,
    });
    // ...but not its own: the only mapping of its own ghost's event is the echo it sent.
    expect(await bridge.store.messages.byEvent('echo', echo1.event_id)).toMatchObject({
      bridge: 'echo',
      remoteId: expect.stringMatching(/^echo:/),
    });
    expect(await bridge.store.messages.byEvent('echo2', echo2.event_id)).toMatchObject({
      bridge: 'echo2',
      remoteId: expect.stringMatching(/^echo:/),
    });
  });

  it('when one network refuses a message the other still gets it, and alice is told which one failed', async () => {
    const eventId = await say('REJECT me, echo');
    await echoBy(ECHO2_GHOST, 'REJECT me, echo');
    const notice = await waitFor(
      async () =>
        (await roomEvents(alice, roomId, 200)).find(
          (e) =>
            e.sender === BOT &&
            (
              e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined
            )?.['m.in_reply_to']?.event_id === eventId,
        ),
      15_000,
      'the failure notice for echo',
    );
    expect(notice.content.body).toBe(
      '⚠️ Not delivered to Echo: the echo network refused this message.',
    );
    await roundTrip([ECHO_GHOST, ECHO2_GHOST]);
    expect(await messagesFrom(ECHO_GHOST, 'REJECT me, echo')).toHaveLength(0);
    expect(await messagesFrom(ECHO2_GHOST, 'REJECT me, echo')).toHaveLength(1);
  });

  it('after DELETE unlinks echo2, only echo echoes', async () => {
    const removed = await provision('DELETE', `/portals/echo2/${encodeURIComponent(remoteKey)}`);
    expect(removed.status).toBe(200);
    expect((await portalsOfRoom()).map((p) => p.bridge)).toEqual(['echo']);
    expect(
      (await provision('DELETE', `/portals/echo2/${encodeURIComponent(remoteKey)}`)).status,
    ).toBe(404);

    await say('only one now');
    await echoBy(ECHO_GHOST, 'only one now');
    await roundTrip([ECHO_GHOST]);
    expect(await messagesFrom(ECHO_GHOST, 'only one now')).toHaveLength(1);
    expect(await messagesFrom(ECHO2_GHOST, 'only one now')).toHaveLength(0);
  });
});
