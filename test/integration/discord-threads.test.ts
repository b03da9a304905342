// The Discord bridge against the fake Discord (test/support/fake-discord) and real Synapse: what a
// channel has beyond messages, as a Matrix user and Discord users see it: threads both ways, pins,
// and roles as power levels. Messages themselves: discord-messages.
import { describe, expect, it } from 'vitest';
import { asUser, sendAs } from '../support/bridge-harness.js';
import { discordRoom } from '../support/discord-room.js';
import type { FakeMember } from '../support/fake-discord/index.js';
import { waitFor } from '../support/synapse.js';

describe('Discord threads, pins and power levels (fake Discord + Synapse)', () => {
  let bob: FakeMember;
  let carol: FakeMember;
  const ghostOf = (m: FakeMember) => `@discord_${m.user.id}:localhost`;
  const room = discordRoom({
    channel: 'general',
    topic: 'General chat',
    setUp(fake) {
      bob = fake.state.addMember('bob', 'Bobby');
      carol = fake.state.addMember('carol', null, 'Carol C');
    },
  });
  const { inRoom } = room;
  /** The message with this text in the first of these channels that has it (up to 20 s). */
  const onDiscordIn = (channels: string[], text: string) =>
    waitFor(
      () => channels.flatMap((c) => room.fake.messages(c)).find((m) => m.content === text),
      20_000,
      `“${text}” on Discord`,
    );

  it('bridges Discord threads as Matrix threads, both ways', async () => {
    const root = room.fake.say(bob, room.channelId, 'thread root');
    const rootEvent = await inRoom((x) => x.content.body === 'thread root', 'the root');
    const threadId = room.fake.startThread(root, 'a thread');
    room.fake.say(carol, threadId, 'in the thread');
    const inThread = await inRoom((x) => x.content.body === 'in the thread', 'the thread message');
    expect(inThread.content['m.relates_to']).toMatchObject({
      rel_type: 'm.thread',
      event_id: rootEvent.event_id,
    });

    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.text',
      body: 'answer in the thread',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: rootEvent.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: inThread.event_id },
      },
    });
    const answer = await onDiscordIn([threadId, room.channelId], 'answer in the thread');
    expect(answer.channel_id, 'in the thread, not the channel').toBe(threadId);
    expect(
      room.fake.messages(room.channelId).some((m) => m.content === 'answer in the thread'),
    ).toBe(false);

    // A Matrix thread on a message that has no Discord thread yet starts one.
    const lone = room.fake.say(bob, room.channelId, 'no thread yet');
    const loneEvent = await inRoom((x) => x.content.body === 'no thread yet', 'the lone message');
    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.text',
      body: 'starting a thread',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: loneEvent.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: loneEvent.event_id },
      },
    });
    // The user answered at once: the bridge may not have read Synapse's answer to its send of the
    // message yet (core waits for that send, src/core/sends-in-flight.ts, not to lose the thread).
    const started = await onDiscordIn([lone.id, room.channelId], 'starting a thread');
    expect(started.channel_id, 'in the new thread, not the channel').toBe(lone.id);
    expect(room.fake.messages(room.channelId).some((m) => m.content === 'starting a thread')).toBe(
      false,
    );
    expect(room.fake.state.channels.get(lone.id)).toMatchObject({
      parentId: room.channelId,
      name: 'starting a thread',
    });
  });

  it('pins and unpins on Discord as the room’s pinned events', async () => {
    const one = room.fake.say(bob, room.channelId, 'pin me first');
    const two = room.fake.say(bob, room.channelId, 'pin me second');
    const e1 = await inRoom((x) => x.content.body === 'pin me first', 'the first');
    const e2 = await inRoom((x) => x.content.body === 'pin me second', 'the second');
    const pinned = (want: string[]) =>
      waitFor(
        async () => {
          const state = await asUser<{ pinned?: string[] }>(
            room.alice,
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.pinned_events/`,
          ).catch(() => undefined);
          return JSON.stringify(state?.pinned) === JSON.stringify(want) ? true : undefined;
        },
        20_000,
        `pinned ${JSON.stringify(want)}`,
      );
    room.fake.pin(one);
    await pinned([e1.event_id]);
    room.fake.pin(two);
    await pinned([e1.event_id, e2.event_id]);
    room.fake.pin(one, false);
    await pinned([e2.event_id]);
  });

  it('gives a Discord moderator’s ghost power level 50 in the room', async () => {
    const mods = room.fake.addRole('mods', 1n << 13n); // Manage Messages
    const dave = room.fake.state.addMember('dave', 'Dave the mod');
    dave.roles.push(mods);
    room.fake.say(dave, room.channelId, 'I moderate here');
    await inRoom((x) => x.content.body === 'I moderate here', "dave's message");
    const levels = await waitFor(
      async () => {
        const pl = await asUser<{ users?: Record<string, number> }>(
          room.alice,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.power_levels/`,
        );
        return pl.users?.[ghostOf(dave)] === 50 ? pl : undefined;
      },
      20_000,
      "dave's power level",
    );
    expect(levels.users?.[ghostOf(bob)]).toBeUndefined();
  });
});
