// The Discord bridge against the fake Discord (REST + gateway, test/support/fake-discord) and real
// Synapse, as a Matrix user and Discord users see it: a new Discord user's first message,
// mentions (a mass mention from Matrix never pings), edits, deletions, replies, reactions, typing,
// threads and roles as power levels. Formatting and hostile content: discord-formatting; files:
// discord-media and discord-delivery; refusals, 429s and a gateway drop: discord-delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  joinAlias,
  replyTarget,
  roomEvents,
  sendAs,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import { startDiscordBridge } from '../support/discord-bridge.js';
import { FakeDiscord, type FakeMember } from '../support/fake-discord/index.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('Discord messages (fake Discord + Synapse)', () => {
  let fake: FakeDiscord;
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: FakeMember;
  let carol: FakeMember;
  let channelId: string;
  let roomId: string;
  const ghostOf = (m: FakeMember) => `@discord_${m.user.id}:localhost`;

  const inRoom = (predicate: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await roomEvents(alice, roomId)).find(predicate), 20_000, what);
  const onDiscord = (predicate: (content: string) => boolean, what: string) =>
    waitFor(
      () => fake.messages(channelId).find((m) => m.webhook_id && predicate(m.content)),
      20_000,
      what,
    );

  beforeAll(async () => {
    requireSynapse();
    fake = await FakeDiscord.start();
    channelId = fake.state.addChannel('general', 'General chat');
    bob = fake.state.addMember('bob', 'Bobby');
    carol = fake.state.addMember('carol', null, 'Carol C');
    ({ bridge } = await startDiscordBridge(fake));
    alice = await registerUser(uniqueLocalpart('alice'));
    roomId = await joinAlias(alice, `#discord_${channelId}:localhost`);
  });

  afterAll(async () => {
    await bridge?.stop();
    await fake?.close();
  });

  it('bridges a new Discord user’s first message with their guild nickname and formatting', async () => {
    fake.say(bob, channelId, 'hello **world** and ~~gone~~ `code`');
    const e = await inRoom(
      (e) => e.type === 'm.room.message' && e.sender === ghostOf(bob),
      "bob's first message",
    );
    expect(e.content.body).toBe('hello world and gone code');
    expect(e.content.formatted_body).toBe(
      'hello <strong>world</strong> and <del>gone</del> <code>code</code>',
    );
    const profile = await fetch(
      `${requireSynapse().hsUrl}/_matrix/client/v3/profile/${encodeURIComponent(ghostOf(bob))}/displayname`,
      { headers: { authorization: `Bearer ${alice.accessToken}` } },
    ).then((r) => r.json() as Promise<{ displayname?: string }>);
    expect(profile.displayname).toBe('Bobby');
    // The bot identified once, with the intents the bridge needs and the fake's token.
    expect(fake.gateway.identifies).toBe(1);
  });

  it('sends a Matrix message through the channel webhook, with a mass mention that pings nobody', async () => {
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: 'hey @everyone and @here <@&1234567890123456789> *not bold*',
    });
    const sent = await onDiscord((c) => c.startsWith('hey'), 'the webhook message');
    expect(sent.author.username).toBe(alice.userId.slice(1).split(':')[0]);
    expect(sent.mention_everyone).toBe(false);
    expect(sent.mention_roles).toEqual([]);
    expect(sent.mentions).toEqual([]);
    const call = fake.rest.calls.find(
      (c) =>
        c.method === 'POST' &&
        c.path.startsWith('/webhooks/') &&
        (c.body as { content?: string })?.content === sent.content,
    );
    expect((call!.body as { allowed_mentions: unknown }).allowed_mentions).toEqual({
      parse: [],
      users: [],
      replied_user: false,
    });
    // Nothing Alice typed became Discord markdown or a mention.
    expect(sent.content).toBe(
      'hey \\@everyone and \\@here \\<@&1234567890123456789\\> \\*not bold\\*',
    );
    // Not bridged back to Matrix as a ghost's message.
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (await roomEvents(alice, roomId)).filter((e) =>
        (e.content.body as string)?.includes('@everyone'),
      ),
    ).toHaveLength(1);
  });

  it('turns a pill of a Discord user’s ghost into a mention that pings exactly them', async () => {
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: 'Bobby: look **here**',
      format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${ghostOf(bob)}">Bobby</a>: look <strong>here</strong>`,
    });
    const sent = await onDiscord((c) => c.includes('look'), 'the pill message');
    expect(sent.content).toBe(`<@${bob.user.id}>: look **here**`);
    expect(sent.mentions.map((u) => u.id)).toEqual([bob.user.id]);
    expect(sent.mention_everyone).toBe(false);
  });

  it('bridges a Discord mention as a pill, and edits, replies, reactions and deletions from Discord', async () => {
    const msg = fake.say(carol, channelId, `hi <@${bob.user.id}>`);
    const e = await inRoom(
      (e) => e.type === 'm.room.message' && e.sender === ghostOf(carol),
      "carol's message",
    );
    // A pill (clients show the ghost's display name on it); the plain body names bob as Discord does.
    expect(e.content.formatted_body).toMatch(
      new RegExp(`^hi <a href="https://matrix.to/#/${ghostOf(bob)}">[^<]+</a>$`),
    );
    expect(e.content.body).toBe('hi Bobby');
    expect(e.content['m.mentions']).toEqual({ user_ids: [ghostOf(bob)] });

    fake.edit(carol, msg, 'hi again');
    const edit = await inRoom(
      (x) => (x.content['m.relates_to'] as { rel_type?: string })?.rel_type === 'm.replace',
      'the edit',
    );
    expect(edit.content['m.new_content']).toMatchObject({ body: 'hi again' });
    expect((edit.content['m.relates_to'] as { event_id: string }).event_id).toBe(e.event_id);

    fake.reply(bob, msg, 'answering you');
    const reply = await inRoom((x) => x.content.body === 'answering you', 'the reply');
    expect(replyTarget(reply)).toBe(e.event_id);

    fake.react(bob, msg, '👍');
    const reaction = await inRoom((x) => x.type === 'm.reaction', 'the reaction');
    expect(reaction.sender).toBe(ghostOf(bob));
    expect(reaction.content['m.relates_to']).toEqual({
      rel_type: 'm.annotation',
      event_id: e.event_id,
      key: '👍',
    });

    fake.remove(msg);
    await inRoom(
      (x) => x.event_id === e.event_id && !!(x.unsigned?.redacted_because ?? x.redacted_because),
      'the redaction',
    );
  });

  it('edits, deletes, reacts and replies from Matrix on Discord', async () => {
    const original = await sendText(alice, roomId, 'first version');
    const sent = await onDiscord((c) => c === 'first version', 'the original');
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: '* second version',
      'm.new_content': { msgtype: 'm.text', body: 'second version' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    await waitFor(
      () => (sent.content === 'second version' ? true : undefined),
      20_000,
      'the edit on Discord',
    );
    expect(sent.edited_timestamp).not.toBeNull();

    const fromBob = fake.say(bob, channelId, 'react to me');
    const bobEvent = await inRoom((x) => x.content.body === 'react to me', "bob's message");
    await sendAs(
      alice,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: bobEvent.event_id, key: '🎉' } },
      'm.reaction',
    );
    await waitFor(
      () => fromBob.reactions?.find((r) => r.emoji.name === '🎉'),
      20_000,
      'the reaction on Discord',
    );

    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: 'my answer',
      'm.relates_to': { 'm.in_reply_to': { event_id: bobEvent.event_id } },
    });
    const answer = await onDiscord((c) => c.endsWith('my answer'), 'the reply on Discord');
    expect(answer.content).toBe(
      `> **Bobby**: react to me [↩](<https://discord.com/channels/${fake.state.guildId}/${channelId}/${fromBob.id}>)\nmy answer`,
    );

    await asRedaction(original);
    await waitFor(
      () => (fake.messages(channelId).includes(sent) ? undefined : true),
      20_000,
      'the deletion on Discord',
    );
  });

  it('carries typing both ways and takes back a reaction from Matrix', async () => {
    const { hsUrl } = requireSynapse();
    type Sync = {
      next_batch: string;
      rooms?: {
        join?: Record<
          string,
          { ephemeral?: { events?: { type: string; content: { user_ids?: string[] } }[] } }
        >;
      };
    };
    const sync = async (since?: string) =>
      (await (
        await fetch(
          `${hsUrl}/_matrix/client/v3/sync?timeout=1000${since ? `&since=${since}` : ''}`,
          {
            headers: { authorization: `Bearer ${alice.accessToken}` },
          },
        )
      ).json()) as Sync;
    let since = (await sync()).next_batch;
    fake.type(carol, channelId);
    await waitFor(
      async () => {
        // Typing is ephemeral: it shows in a sync of the room.
        const next = await sync(since);
        since = next.next_batch;
        const typing = next.rooms?.join?.[roomId]?.ephemeral?.events?.find(
          (x) => x.type === 'm.typing',
        );
        return typing?.content.user_ids?.includes(ghostOf(carol)) ? true : undefined;
      },
      20_000,
      "carol's typing in Matrix",
    );
    const typingCalls = () =>
      fake.rest.calls.filter(
        (c) => c.method === 'POST' && c.path === `/channels/${channelId}/typing`,
      );
    const before = typingCalls().length;
    await asUser(
      alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`,
      {
        typing: true,
        timeout: 10_000,
      },
    );
    await waitFor(
      () => (typingCalls().length > before ? true : undefined),
      20_000,
      'typing on Discord',
    );

    const msg = fake.say(bob, channelId, 'unreact me');
    const target = await inRoom((x) => x.content.body === 'unreact me', "bob's message");
    const reaction = await sendAs(
      alice,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: target.event_id, key: '👀' } },
      'm.reaction',
    );
    await waitFor(
      () => msg.reactions?.find((r) => r.emoji.name === '👀'),
      20_000,
      'the reaction on Discord',
    );
    await asRedaction(reaction);
    await waitFor(
      () =>
        fake.rest.calls.find(
          (c) =>
            c.method === 'DELETE' &&
            c.path ===
              `/channels/${channelId}/messages/${msg.id}/reactions/${encodeURIComponent('👀')}/@me` &&
            c.status === 204,
        ),
      20_000,
      'the reaction taken back on Discord',
    );
  });

  it('bridges Discord threads as Matrix threads, both ways', async () => {
    const root = fake.say(bob, channelId, 'thread root');
    const rootEvent = await inRoom((x) => x.content.body === 'thread root', 'the root');
    const threadId = fake.startThread(root, 'a thread');
    fake.say(carol, threadId, 'in the thread');
    const inThread = await inRoom((x) => x.content.body === 'in the thread', 'the thread message');
    expect(inThread.content['m.relates_to']).toMatchObject({
      rel_type: 'm.thread',
      event_id: rootEvent.event_id,
    });

    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: 'answer in the thread',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: rootEvent.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: inThread.event_id },
      },
    });
    const answer = await waitFor(
      () => fake.messages(threadId).find((m) => m.content === 'answer in the thread'),
      20_000,
      'the answer in the Discord thread',
    );
    expect(answer.channel_id).toBe(threadId);
    expect(fake.messages(channelId).some((m) => m.content === 'answer in the thread')).toBe(false);

    // A Matrix thread on a message that has no Discord thread yet starts one.
    const lone = fake.say(bob, channelId, 'no thread yet');
    const loneEvent = await inRoom((x) => x.content.body === 'no thread yet', 'the lone message');
    await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: 'starting a thread',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: loneEvent.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: loneEvent.event_id },
      },
    });
    await waitFor(
      () => fake.messages(lone.id).find((m) => m.content === 'starting a thread'),
      20_000,
      'the new Discord thread',
    );
    expect(fake.state.channels.get(lone.id)).toMatchObject({
      parentId: channelId,
      name: 'starting a thread',
    });
  });

  it('pins and unpins on Discord as the room’s pinned events', async () => {
    const one = fake.say(bob, channelId, 'pin me first');
    const two = fake.say(bob, channelId, 'pin me second');
    const e1 = await inRoom((x) => x.content.body === 'pin me first', 'the first');
    const e2 = await inRoom((x) => x.content.body === 'pin me second', 'the second');
    const pinned = (want: string[]) =>
      waitFor(
        async () => {
          const state = await asUser<{ pinned?: string[] }>(
            alice,
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.pinned_events/`,
          ).catch(() => undefined);
          return JSON.stringify(state?.pinned) === JSON.stringify(want) ? true : undefined;
        },
        20_000,
        `pinned ${JSON.stringify(want)}`,
      );
    fake.pin(one);
    await pinned([e1.event_id]);
    fake.pin(two);
    await pinned([e1.event_id, e2.event_id]);
    fake.pin(one, false);
    await pinned([e2.event_id]);
  });

  it('gives a Discord moderator’s ghost power level 50 in the room', async () => {
    const mods = fake.addRole('mods', 1n << 13n); // Manage Messages
    const dave = fake.state.addMember('dave', 'Dave the mod');
    dave.roles.push(mods);
    fake.say(dave, channelId, 'I moderate here');
    await inRoom((x) => x.content.body === 'I moderate here', "dave's message");
    const levels = await waitFor(
      async () => {
        const pl = await asUser<{ users?: Record<string, number> }>(
          alice,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
        );
        return pl.users?.[ghostOf(dave)] === 50 ? pl : undefined;
      },
      20_000,
      "dave's power level",
    );
    expect(levels.users?.[ghostOf(bob)]).toBeUndefined();
  });

  async function asRedaction(eventId: string): Promise<void> {
    const { hsUrl } = requireSynapse();
    const res = await fetch(
      `${hsUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/r${Date.now()}`,
      {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${alice.accessToken}`,
          'content-type': 'application/json',
        },
        body: '{}',
      },
    );
    expect(res.ok).toBe(true);
  }
});
