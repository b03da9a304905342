// Linking a Discord channel to a Matrix room with core's `link` command (by the room's creator, in
// her management room), the bridge's `discord channels` listing, a bridge restart whose missed
// Discord messages come from the REST history in order and once, and a bot token Discord refuses
// (no retries that would burn identifies). Fake Discord + real Synapse.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordConnector } from '../../bridges/discord/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import { BOT, command as botCommand, openManagementRoom } from '../support/management-room.js';
import { startDiscordBridge } from '../support/discord-bridge.js';
import { FakeDiscord, type FakeMember } from '../support/fake-discord/index.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('Discord links, restarts and a refused token (fake Discord + Synapse)', () => {
  const database = join(mkdtempSync(join(tmpdir(), 'sb-discord-')), 'switchboard.db');
  let fake: FakeDiscord;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let bob: FakeMember;
  let channelId: string;
  let dm: string;
  let roomId: string;

  const messages = async (room: string) =>
    (await roomEvents(alice, room)).filter((e) => e.type === 'm.room.message');
  const command = async (text: string) => (await botCommand(alice, dm, text, 15_000)).answer;

  beforeAll(async () => {
    requireSynapse();
    fake = await FakeDiscord.start();
    channelId = fake.state.addChannel('linked');
    bob = fake.state.addMember('bob', 'Bobby');
    ({ bridge } = await startDiscordBridge(
      fake,
      { dynamic_aliases: false, moderation: true, members_intent: true },
      new DiscordConnector(),
      { database },
    ));
    alice = await registerUser(uniqueLocalpart('alice'));
    dm = await openManagementRoom(alice);
  });

  afterAll(async () => {
    await bridge?.stop();
    await fake?.close();
  });

  it('lists the channels the bot sees, and links one to a room alice made', async () => {
    expect(await command('discord channels')).toContain(`#linked: \`${channelId}\``);
    roomId = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        name: 'Linked',
        invite: [BOT],
        // The bot moderates: it bans ghosts of users banned on Discord.
        power_level_content_override: { users: { [BOT]: 50 } },
      })
    ).room_id;
    expect(await command(`link discord ${channelId} ${roomId}`)).toBe(
      `Linked ${roomId} to discord ${channelId}.`,
    );
    expect(await command('discord channels')).toContain(`\`${channelId}\` (bridged)`);

    fake.say(bob, channelId, 'hello linked room');
    await waitFor(
      async () => (await messages(roomId)).find((e) => e.content.body === 'hello linked room'),
      20_000,
      "bob's message",
    );
    await sendText(alice, roomId, 'hello Discord');
    await waitFor(
      () => fake.messages(channelId).find((m) => m.webhook_id && m.content === 'hello Discord'),
      20_000,
      "alice's message",
    );
  });

  it('after a restart, bridges what was said on Discord while it was down, in order and once', async () => {
    await bridge!.stop();
    bridge = undefined;
    const missed = ['missed one', 'missed two', 'missed three'];
    for (const text of missed) fake.say(bob, channelId, text);
    ({ bridge } = await startDiscordBridge(
      fake,
      { dynamic_aliases: false, moderation: true, members_intent: true },
      new DiscordConnector(),
      { database },
    ));
    fake.say(bob, channelId, 'live after restart');
    const expected = [...missed, 'live after restart'];
    await waitFor(
      async () =>
        (await messages(roomId)).some((e) => e.content.body === 'live after restart')
          ? true
          : undefined,
      20_000,
      'the live message',
    );
    await waitFor(
      async () =>
        (await messages(roomId)).filter((e) => expected.includes(e.content.body as string))
          .length >= 4
          ? true
          : undefined,
      20_000,
      'the missed messages',
    );
    const bodies = (await messages(roomId)).map((e) => e.content.body);
    expect(bodies.filter((b) => expected.includes(b as string))).toEqual(expected);
    expect(bodies.filter((b) => b === 'hello linked room')).toHaveLength(1);
    expect(fake.gateway.identifies).toBe(2);
    // History has no member: the ghost keeps bob's guild nickname.
    const profile = await asUser<{ displayname?: string }>(
      alice,
      'GET',
      `/_matrix/client/v3/profile/${encodeURIComponent(`@discord_${bob.user.id}:localhost`)}`,
    );
    expect(profile.displayname).toBe('Bobby');
  });

  it('carries kicks and bans both ways (moderation on), and a member leaving the guild', async () => {
    const erin = fake.state.addMember('erin', 'Erin');
    const frank = fake.state.addMember('frank', 'Frank');
    for (const m of [erin, frank]) fake.say(m, channelId, `${m.user.username} was here`);
    const ghost = (m: FakeMember) => `@discord_${m.user.id}:localhost`;
    await waitFor(
      async () =>
        (await messages(roomId)).some((e) => e.content.body === 'frank was here')
          ? true
          : undefined,
      20_000,
      'their messages',
    );
    const room = encodeURIComponent(roomId);
    await asUser(alice, 'POST', `/_matrix/client/v3/rooms/${room}/kick`, {
      user_id: ghost(erin),
      reason: 'spam',
    });
    const kick = await waitFor(
      () =>
        fake.rest.calls.find(
          (c) => c.method === 'DELETE' && c.path.endsWith(`/members/${erin.user.id}`),
        ),
      20_000,
      'the kick on Discord',
    );
    expect(kick.status).toBe(204);
    expect(kick.reason).toBe(
      `${alice.userId.slice(1).split(':')[0]} (${alice.userId}) on Matrix: spam`,
    );
    expect(fake.state.members.has(erin.user.id)).toBe(false);

    // Banned on Discord: the ghost is banned from the room.
    fake.ban(frank);
    await waitFor(
      async () => {
        const state = await asUser<{ membership?: string }>(
          alice,
          'GET',
          `/_matrix/client/v3/rooms/${room}/state/m.room.member/${encodeURIComponent(ghost(frank))}`,
        ).catch(() => undefined);
        return state?.membership === 'ban' ? true : undefined;
      },
      20_000,
      "frank's ghost banned",
    );

    // Left the guild (the Server Members intent is on): the ghost leaves the room.
    const gina = fake.state.addMember('gina', 'Gina');
    fake.say(gina, channelId, 'gina was here');
    await waitFor(
      async () =>
        (await messages(roomId)).some((e) => e.content.body === 'gina was here') || undefined,
      20_000,
      "gina's message",
    );
    fake.leave(gina);
    await waitFor(
      async () => {
        const state = await asUser<{ membership?: string }>(
          alice,
          'GET',
          `/_matrix/client/v3/rooms/${room}/state/m.room.member/${encodeURIComponent(ghost(gina))}`,
        ).catch(() => undefined);
        return state?.membership === 'leave' ? true : undefined;
      },
      20_000,
      "gina's ghost gone",
    );
  });

  it('pins and unpins on Discord what a Matrix moderator pins and unpins', async () => {
    const msg = fake.say(bob, channelId, 'pin me from Matrix');
    const e = await waitFor(
      async () => (await messages(roomId)).find((x) => x.content.body === 'pin me from Matrix'),
      20_000,
      'the message',
    );
    const pins = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.pinned_events/`;
    await asUser(alice, 'PUT', pins, { pinned: [e.event_id] });
    await waitFor(
      () => fake.state.pins.get(channelId)?.some((p) => p.id === msg.id) || undefined,
      20_000,
      'the pin on Discord',
    );
    expect(fake.rest.calls.find((c) => c.method === 'PUT' && c.path.includes('/pins/'))?.auth).toBe(
      `Bot ${fake.token}`,
    );
    await asUser(alice, 'PUT', pins, { pinned: [] });
    await waitFor(
      () => (fake.state.pins.get(channelId)?.some((p) => p.id === msg.id) ? undefined : true),
      20_000,
      'the unpin on Discord',
    );
  });

  it('gives up on a token Discord refuses, without retrying', async () => {
    await bridge!.stop();
    bridge = undefined;
    const connector = new DiscordConnector();
    const { startBridge } = await import('../support/bridge-harness.js');
    const identifies = fake.gateway.identifies;
    const callsBefore = fake.rest.calls.length;
    bridge = await startBridge({
      connectors: [connector],
      database,
      bridges: { discord: { enabled: true, token: 'not-the-token', api_url: fake.apiUrl } },
    });
    await waitFor(
      () => (connector.connection?.state === 'refused' ? true : undefined),
      20_000,
      'the refusal',
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const calls = fake.rest.calls.slice(callsBefore);
    expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /gateway/bot 401']);
    expect(calls[0]!.auth).toBe('Bot not-the-token');
    expect(fake.gateway.identifies).toBe(identifies);
    // A Matrix message now fails with a clear reason instead of vanishing.
    const refused = await sendText(alice, roomId, 'while refused');
    const notice = await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find(
          (e) =>
            e.content.msgtype === 'm.notice' &&
            (e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } })?.[
              'm.in_reply_to'
            ]?.event_id === refused,
        ),
      20_000,
      'the failure notice',
    );
    expect(notice.content.body).toContain('not connected to Discord');
  });
});
