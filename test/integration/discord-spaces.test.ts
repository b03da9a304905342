// A guild bridged whole (`whole_guilds`) through the fake Discord and real Synapse, as a Matrix
// user sees it: the guild is a space with a room per text channel, a channel created on Discord
// gets its room in the space, and its messages reach that room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscordConnector } from '../../bridges/discord/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents } from '../support/bridge-harness.js';
import { startDiscordBridge } from '../support/discord-bridge.js';
import { FakeDiscord, type FakeMember } from '../support/fake-discord/index.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('a guild as a Matrix space (fake Discord + Synapse)', () => {
  let fake: FakeDiscord;
  let bridge: Switchboard;
  let connector: DiscordConnector;
  let alice: TestUser;
  let bob: FakeMember;
  let general: string;
  let random: string;

  const hierarchy = async (spaceId: string) =>
    (
      await asUser<{ rooms: { room_id: string; name?: string; room_type?: string }[] }>(
        alice,
        'GET',
        `/_matrix/client/v1/rooms/${encodeURIComponent(spaceId)}/hierarchy`,
      )
    ).rooms;

  beforeAll(async () => {
    requireSynapse();
    fake = await FakeDiscord.start();
    general = fake.state.addChannel('general', 'Chat');
    random = fake.state.addChannel('random');
    bob = fake.state.addMember('bob', 'Bobby');
    ({ bridge, connector } = await startDiscordBridge(fake, {
      whole_guilds: [fake.state.guildId],
      dynamic_aliases: false,
    }));
    alice = await registerUser(uniqueLocalpart('alice'));
  });

  afterAll(async () => {
    await bridge?.stop();
    await fake?.close();
  });

  it('makes the guild a space with a public room per text channel, new channels following', async () => {
    const spaceId = await waitFor(
      () => connector.roomOf(`guild:${fake.state.guildId}`),
      20_000,
      'the space',
    );
    const rooms = await waitFor(
      async () => {
        const [g, r] = [await connector.roomOf(general), await connector.roomOf(random)];
        return g && r ? { g, r } : undefined;
      },
      20_000,
      'the channels’ rooms',
    );
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(spaceId)}`, {});
    const shown = await waitFor(
      async () => {
        const h = await hierarchy(spaceId);
        return h.length === 3 ? h : undefined;
      },
      20_000,
      'the space with its two rooms',
    );
    expect(shown.find((r) => r.room_id === spaceId)).toMatchObject({
      name: 'Fake Guild',
      room_type: 'm.space',
    });
    expect(shown.find((r) => r.room_id === rooms.g)?.name).toBe('#general');
    expect(shown.find((r) => r.room_id === rooms.r)?.name).toBe('#random');

    // A new channel on Discord: its room joins the space, and what is said there reaches it.
    const news = fake.state.addChannel('news', 'Announcements');
    fake.gateway.dispatch('CHANNEL_CREATE', fake.state.apiChannel(news));
    const newsRoom = await waitFor(() => connector.roomOf(news), 20_000, 'the new channel’s room');
    await waitFor(
      async () => (await hierarchy(spaceId)).some((r) => r.room_id === newsRoom) || undefined,
      20_000,
      'the new room in the space',
    );
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(newsRoom)}`, {});
    fake.say(bob, news, 'fresh news');
    await waitFor(
      async () => (await roomEvents(alice, newsRoom)).find((e) => e.content.body === 'fresh news'),
      20_000,
      'the message in the new room',
    );
  });
});
