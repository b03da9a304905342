// Proves the test harness: the Synapse that `npm test` starts is up, has loaded the test appservice
// registration, registers users through the shared secret, and serves a real matrix-js-sdk client.
import { ClientEvent, Direction, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  matrixClient,
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type SynapseEnv,
} from '../support/synapse.js';

let env: SynapseEnv;
const started: MatrixClient[] = [];

beforeAll(() => {
  env = requireSynapse();
});

afterAll(() => {
  for (const client of started) client.stopClient();
});

describe('Synapse test harness', () => {
  it('has loaded the test appservice registration', async () => {
    const reg = testRegistration();
    const res = await fetch(`${env.hsUrl}/_matrix/client/v3/account/whoami`, {
      headers: { authorization: `Bearer ${reg.as_token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      user_id: `@${reg.sender_localpart}:${env.serverName}`,
    });
  });

  it('registers users, and a matrix-js-sdk client creates a room, sends and reads back', async () => {
    const alice = await registerUser(uniqueLocalpart('alice'));
    const bob = await registerUser(uniqueLocalpart('bob'));
    expect(alice.userId).toMatch(new RegExp(`^@alice_[0-9a-f]+:${env.serverName}$`));

    const aliceClient = matrixClient(alice);
    expect((await aliceClient.whoami()).user_id).toBe(alice.userId);
    const { room_id: roomId } = await aliceClient.createRoom({
      name: 'smoke',
      invite: [bob.userId],
    });

    // bob syncs like a real client and must see alice's message arrive
    const bobClient = matrixClient(bob);
    started.push(bobClient);
    const seen: MatrixEvent[] = [];
    bobClient.on(ClientEvent.Event, (event) => {
      if (event.getRoomId() === roomId && event.getType() === 'm.room.message') seen.push(event);
    });
    await bobClient.startClient({ initialSyncLimit: 5 });
    await bobClient.joinRoom(roomId);

    const { event_id: eventId } = await aliceClient.sendTextMessage(
      roomId,
      'hello from the smoke test',
    );
    const got = await waitFor(
      () => seen.find((e) => e.getId() === eventId),
      15_000,
      'bob sees the message',
    );
    expect(got.getSender()).toBe(alice.userId);
    expect(got.getContent()).toEqual({ msgtype: 'm.text', body: 'hello from the smoke test' });

    // and it reads back through /messages
    const page = await aliceClient.createMessagesRequest(roomId, null, 10, Direction.Backward);
    const texts = page.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
    expect(texts).toEqual(['hello from the smoke test']);
  });
});
