// Linking from Discord's side: a member with Manage Channels (Discord's permission computation
// from the guild's roles, as discord.js makes it from the fake's state) mentions the bot to
// bridge a channel to a new Matrix room or to an existing invite-only one, and to unbridge it;
// a member without it is refused, and a public room is left to its Matrix moderators. Fake
// Discord + real Synapse; the Matrix side is what a Matrix user sees.
import { PermissionFlagsBits } from 'discord.js';
import type { APIMessage } from 'discord-api-types/v10';
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

const BOT = '@switchboard:localhost';

describe('Discord link commands said on Discord (fake Discord + Synapse)', () => {
  let fake: FakeDiscord;
  let bridge: Switchboard;
  let connector: DiscordConnector;
  let alice: TestUser;
  let admin: FakeMember;
  let pleb: FakeMember;

  /** A member mentions the bot; the bot's reply to it. */
  const ask = async (member: FakeMember, channelId: string, words: string): Promise<APIMessage> => {
    const said = fake.say(member, channelId, `<@${fake.state.botUser.id}> ${words}`);
    return waitFor(
      () =>
        fake
          .messages(channelId)
          .find(
            (m) =>
              m.author.id === fake.state.botUser.id && m.message_reference?.message_id === said.id,
          ),
      20_000,
      `the bot's answer to "${words}"`,
    );
  };
  /** A channel made on Discord now: the bot learns of it as Discord tells it (CHANNEL_CREATE). */
  const newChannel = (name: string) => {
    const id = fake.state.addChannel(name);
    fake.gateway.dispatch('CHANNEL_CREATE', fake.state.apiChannel(id));
    return id;
  };
  const roomIdOf = (answer: APIMessage) =>
    decodeURIComponent(/matrix\.to\/#\/([^?>]+)/.exec(answer.content)?.[1] ?? '');

  beforeAll(async () => {
    requireSynapse();
    fake = await FakeDiscord.start();
    admin = fake.state.addMember('carol', 'Carol');
    pleb = fake.state.addMember('dave', 'Dave');
    admin.roles.push(fake.state.addRole('channel managers', PermissionFlagsBits.ManageChannels));
    ({ bridge, connector } = await startDiscordBridge(fake, { dynamic_aliases: false }));
    alice = await registerUser(uniqueLocalpart('alice'));
  });

  afterAll(async () => {
    await bridge?.stop();
    await fake?.close();
  });

  it('refuses a member without Manage Channels, pinging nobody', async () => {
    const channelId = newChannel('refused');
    const answer = await ask(pleb, channelId, 'bridge');
    expect(answer.content).toContain('Only members with the Manage Channels permission');
    expect(answer.mentions).toEqual([]);
    expect(await connector.roomOf(channelId)).toBeUndefined();
  });

  it('bridges a channel to a new public room, then unbridges it', async () => {
    const channelId = newChannel('from-discord');
    const answer = await ask(admin, channelId, 'bridge');
    expect(answer.content).toMatch(/^Bridged to a new Matrix room: <https:\/\/matrix\.to\/#\//);
    const roomId = roomIdOf(answer);
    expect(await connector.roomOf(channelId)).toBe(roomId);
    // A Matrix user joins the room from the link and reads the channel.
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    fake.say(pleb, channelId, 'hello Matrix');
    await waitFor(
      async () => (await roomEvents(alice, roomId)).find((e) => e.content.body === 'hello Matrix'),
      20_000,
      'the Discord message in the new room',
    );
    // Asking again names the room it has.
    expect((await ask(admin, channelId, 'bridge')).content).toContain('bridged already');

    const gone = await ask(admin, channelId, 'unbridge');
    expect(gone.content).toContain('no longer bridged');
    expect(await connector.roomOf(channelId)).toBeUndefined();
    fake.say(pleb, channelId, 'not bridged any more');
    fake.say(pleb, channelId, 'still not');
    // The channel's room got nothing after the unlink (a later message of another room settles it).
    await new Promise((r) => setTimeout(r, 1_000));
    const texts = (await roomEvents(alice, roomId)).map((e) => e.content.body);
    expect(texts).toContain('hello Matrix');
    expect(texts).not.toContain('not bridged any more');
    expect((await ask(admin, channelId, 'unbridge')).content).toContain('not bridged');
  });

  it('links an existing invite-only room the bot was invited to, not a public one', async () => {
    const channelId = newChannel('existing');
    const localpart = uniqueLocalpart('team');
    const { room_id: roomId } = await asUser<{ room_id: string }>(
      alice,
      'POST',
      '/_matrix/client/v3/createRoom',
      { preset: 'private_chat', room_alias_name: localpart, invite: [BOT] },
    );
    const answer = await ask(admin, channelId, `bridge #${localpart}:localhost`);
    expect(answer.content).toContain('Bridged to');
    expect(roomIdOf(answer)).toBe(roomId);
    const notice = await waitFor(
      async () => (await roomEvents(alice, roomId)).find((e) => e.content.msgtype === 'm.notice'),
      20_000,
      'the notice in the linked room',
    );
    expect(notice.content.body).toBe(
      'This room is now bridged to #existing on Discord (Fake Guild), as Carol asked there.',
    );
    fake.say(pleb, channelId, 'into the team room');
    await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find((e) => e.content.body === 'into the team room'),
      20_000,
      'the Discord message in the linked room',
    );

    const other = newChannel('public-target');
    const publicAlias = uniqueLocalpart('lobby');
    await asUser(alice, 'POST', '/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      room_alias_name: publicAlias,
    });
    const refused = await ask(admin, other, `bridge #${publicAlias}:localhost`);
    expect(refused.content).toContain('is a public Matrix room');
    expect(await connector.roomOf(other)).toBeUndefined();
    const missing = await ask(admin, other, `bridge #nothere_${Date.now()}:localhost`);
    expect(missing.content).toContain('There is no Matrix room');
  });
});
