import { describe, expect, it } from 'vitest';
import {
  hs,
  client,
  BOT,
  G1,
  G2,
  rejection,
  publicRoom,
  useFakeHomeserver,
} from './client-fixture.js';

useFakeHomeserver();

describe('rooms and events', () => {
  it('sends with ?ts= and gets the same event back for a repeated txnId, whoever sends it', async () => {
    const roomId = await publicRoom();
    const first = await client.sendEvent(
      roomId,
      'm.room.message',
      { body: 'one' },
      'dup1',
      G1,
      1_600_000_000_000,
    );
    const again = await client.sendEvent(roomId, 'm.room.message', { body: 'two' }, 'dup1', G2);
    expect(again).toBe(first); // Synapse dedupes per appservice and path, not per user
    const event = hs.events(roomId).find((e) => e.event_id === first)!;
    expect(event).toMatchObject({
      sender: G1,
      origin_server_ts: 1_600_000_000_000,
      content: { body: 'one' },
    });
  });

  it('refuses to send for a user who is not in the room', async () => {
    const roomId = await client.createRoom({});
    expect(
      await rejection(client.sendEvent(roomId, 'm.room.message', { body: 'x' }, 'nir', G1)),
    ).toMatchObject({
      status: 403,
      errcode: 'M_FORBIDDEN',
      error: `User ${G1} not in room ${roomId}`,
    });
  });

  it('encodes every path segment', async () => {
    const roomId = await publicRoom();
    const eventId = await client.sendEvent(
      roomId,
      'org.example/odd type?#',
      { body: 'x' },
      'txn/with?odd#chars',
      G1,
    );
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.type).toBe(
      'org.example/odd type?#',
    );
    await client.putState(roomId, 'org.example.state', 'key/with spaces', { v: 1 });
    expect(await client.getState(roomId, 'org.example.state', 'key/with spaces')).toEqual({ v: 1 });
  });

  it('puts and gets state, with an empty state key and ?ts=', async () => {
    const roomId = await publicRoom();
    const eventId = await client.putState(
      roomId,
      'm.room.topic',
      '',
      { topic: 'hello' },
      undefined,
      1_500_000_000_000,
    );
    expect(await client.getState(roomId, 'm.room.topic', '')).toEqual({ topic: 'hello' });
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.origin_server_ts).toBe(
      1_500_000_000_000,
    );
    expect(await client.getState(roomId, 'm.room.avatar', '')).toBeUndefined();
  });

  it('redacts', async () => {
    const roomId = await publicRoom();
    const eventId = await client.sendEvent(roomId, 'm.room.message', { body: 'oops' }, 'red1', G1);
    const redaction = await client.redact(roomId, eventId, 'red1-r', 'typo', G1);
    expect(hs.events(roomId).find((e) => e.event_id === redaction)).toMatchObject({
      type: 'm.room.redaction',
      redacts: eventId,
      content: { reason: 'typo' },
    });
    expect(hs.events(roomId).find((e) => e.event_id === eventId)?.content).toEqual({});
  });

  it('invites, joins, kicks, bans, unbans and leaves', async () => {
    const roomId = await client.createRoom({ preset: 'private_chat' });
    expect(await rejection(client.join(roomId, G1))).toMatchObject({
      status: 403,
      error: 'You are not invited to this room.',
    });
    await client.invite(roomId, G1);
    expect(await client.join(roomId, G1)).toBe(roomId);
    await client.kick(roomId, G1, 'bye');
    expect(hs.membership(roomId, G1)).toBe('leave');
    await client.ban(roomId, G1, 'spam');
    expect(hs.membership(roomId, G1)).toBe('ban');
    await client.unban(roomId, G1);
    expect(hs.membership(roomId, G1)).toBe('leave');
    await client.invite(roomId, G2);
    await client.join(roomId, G2);
    await client.leave(roomId, G2);
    await client.leave(roomId, G2); // twice is fine, as in Synapse
    expect(hs.joinedMembers(roomId)).toEqual([BOT]);
  });

  it('joins by alias, and manages aliases', async () => {
    const roomId = await client.createRoom({ preset: 'public_chat' });
    await client.createAlias('#test_room:localhost', roomId);
    expect(await client.resolveAlias('#test_room:localhost')).toEqual({
      roomId,
      servers: ['localhost'],
    });
    expect(await client.join('#test_room:localhost', G1, ['localhost'])).toBe(roomId);
    expect(hs.requests.at(-1)?.query).toContain('via=localhost');
    await client.deleteAlias('#test_room:localhost');
    expect(await client.resolveAlias('#test_room:localhost')).toBeUndefined();
    expect(await rejection(client.join('#nope:localhost', G1))).toMatchObject({
      status: 404,
      errcode: 'M_NOT_FOUND',
    });
  });

  it('lists joined members with their profiles', async () => {
    const roomId = await publicRoom();
    await client.setDisplayName(G1, 'Ghost One');
    const members = await client.joinedMembers(roomId);
    expect(Object.keys(members).sort()).toEqual([BOT, G1, G2].sort());
    expect(members[G1]?.display_name).toBe('Ghost One');
  });

  it('sets typing, receipts and presence for the ghost', async () => {
    const roomId = await publicRoom();
    const eventId = await client.sendEvent(roomId, 'm.room.message', { body: 'x' }, 'typ1', G2);
    await client.setTyping(roomId, G1, true, 30_000);
    expect(hs.typing(roomId)).toEqual([G1]);
    await client.setTyping(roomId, G1, false, 0);
    expect(hs.typing(roomId)).toEqual([]);
    await client.sendReceipt(roomId, eventId, G1);
    expect(hs.receipts(roomId).get(G1)).toBe(eventId);
    await client.setPresence(G1, 'online', 'bridging');
    expect(hs.world.presence.get(G1)).toEqual({ presence: 'online', status_msg: 'bridging' });
  });
});
