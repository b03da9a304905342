// The conformance kit's test of direct chats a Matrix user starts by inviting a remote user's
// ghost: the room is theirs, the bot is not in it, so when they leave and the remote user writes
// again, only the ghost can invite them back (the connector's `invite(…, { as })`).
import { expect } from 'vitest';
import { asUser, joinedMembers } from '../support/bridge-harness.js';
import { waitFor, type TestUser } from '../support/synapse.js';
import { sentAndOnNetwork, textOf } from './checks.js';
import type { ConformanceTest } from './conformance-tests.js';

const rooms = (roomId: string, what = '') =>
  `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}${what}`;

/**
 * What a Matrix client does to start a direct chat with `ghost`: a private room of `user`'s with
 * the ghost invited (`is_direct`); resolves with the room once the ghost joined it. For targets'
 * `openDirectChat`.
 */
export async function startDirectChat(user: TestUser, ghost: string): Promise<string> {
  const { room_id: roomId } = await asUser<{ room_id: string }>(
    user,
    'POST',
    '/_matrix/client/v3/createRoom',
    { invite: [ghost], is_direct: true, preset: 'trusted_private_chat' },
  );
  await waitFor(
    async () => (await joinedMembers(user, roomId)).includes(ghost),
    20_000,
    `${ghost} to join the direct chat ${roomId}`,
  );
  return roomId;
}

export const directChatRejoinTest: ConformanceTest = {
  name: 'direct-chat-rejoin',
  title:
    "a direct chat the Matrix user started with a ghost (the bot not in it) and left: the remote user's next message brings them back, invited by that ghost, with the message in the room",
  needs: {
    what: 'openDirectChat (a direct chat the user started with a ghost) and network.say',
    has: (t) => typeof t.openDirectChat === 'function' && typeof t.network.say === 'function',
  },
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal('direct');
    const tag = kit.tag();
    expect(
      await joinedMembers(p.user, p.roomId),
      'the bot is not in a direct chat the user made',
    ).not.toContain(kit.botUserId);
    await sentAndOnNetwork(p, `hello ${tag}`, false);
    await asUser(p.user, 'POST', rooms(p.roomId, '/leave'), {});
    const back = `are you there? ${tag}`;
    await kit.target.network.say!(p.roomId, back);
    // The room is invite-only: joining works once someone invited the user back.
    await p.until(
      () =>
        asUser(p.user, 'POST', rooms(p.roomId, '/join'), {}).then(
          () => true,
          () => false,
        ),
      'the Matrix user invited back to the direct chat',
    );
    const message = await p.until(
      async () => (await p.events()).find((e) => textOf(e).includes(back)),
      'the remote message in the direct chat',
    );
    const invite = (await p.events())
      .filter((e) => e.type === 'm.room.member' && e.state_key === p.user.userId)
      .find((e) => e.content.membership === 'invite');
    expect(invite?.sender, "the invite is the remote user's ghost's").toBe(message.sender);
    expect(kit.isGhost(message.sender), `${message.sender} is a ghost of the bridge`).toBe(true);
  },
};
