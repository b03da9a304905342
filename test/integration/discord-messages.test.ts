// The Discord bridge against the fake Discord (REST + gateway, test/support/fake-discord) and real
// Synapse, as a Matrix user and Discord users see it: a new Discord user's first message,
// mentions (a mass mention from Matrix never pings), edits, deletions, replies, reactions and typing.
// Threads, pins and roles as power levels: discord-threads. Formatting and hostile content:
// discord-formatting; files: discord-media and discord-delivery; refusals, 429s and a gateway
// drop: discord-delivery.
import { describe, expect, it } from 'vitest';
import { asUser, replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { discordRoom } from '../support/discord-room.js';
import type { FakeMember } from '../support/fake-discord/index.js';
import { requireSynapse, waitFor } from '../support/synapse.js';

describe('Discord messages (fake Discord + Synapse)', () => {
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
  const { inRoom, onDiscord } = room;

  it('bridges a new Discord user’s first message with their guild nickname and formatting', async () => {
    room.fake.say(bob, room.channelId, 'hello **world** and ~~gone~~ `code`');
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
      { headers: { authorization: `Bearer ${room.alice.accessToken}` } },
    ).then((r) => r.json() as Promise<{ displayname?: string }>);
    expect(profile.displayname).toBe('Bobby');
    // The bot identified once, with the intents the bridge needs and the fake's token.
    expect(room.fake.gateway.identifies).toBe(1);
  });

  it('sends a Matrix message through the channel webhook, with a mass mention that pings nobody', async () => {
    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.text',
      body: 'hey @everyone and @here <@&1234567890123456789> *not bold*',
    });
    const sent = await onDiscord((c) => c.startsWith('hey'), 'the webhook message');
    expect(sent.author.username).toBe(room.alice.userId.slice(1).split(':')[0]);
    expect(sent.mention_everyone).toBe(false);
    expect(sent.mention_roles).toEqual([]);
    expect(sent.mentions).toEqual([]);
    const call = room.fake.rest.calls.find(
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
      (await roomEvents(room.alice, room.roomId)).filter((e) =>
        (e.content.body as string)?.includes('@everyone'),
      ),
    ).toHaveLength(1);
  });

  it('turns a pill of a Discord user’s ghost into a mention that pings exactly them', async () => {
    await sendAs(room.alice, room.roomId, {
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
    const msg = room.fake.say(carol, room.channelId, `hi <@${bob.user.id}>`);
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

    room.fake.edit(carol, msg, 'hi again');
    const edit = await inRoom(
      (x) => (x.content['m.relates_to'] as { rel_type?: string })?.rel_type === 'm.replace',
      'the edit',
    );
    expect(edit.content['m.new_content']).toMatchObject({ body: 'hi again' });
    expect((edit.content['m.relates_to'] as { event_id: string }).event_id).toBe(e.event_id);

    room.fake.reply(bob, msg, 'answering you');
    const reply = await inRoom((x) => x.content.body === 'answering you', 'the reply');
    expect(replyTarget(reply)).toBe(e.event_id);

    room.fake.react(bob, msg, '👍');
    const reaction = await inRoom((x) => x.type === 'm.reaction', 'the reaction');
    expect(reaction.sender).toBe(ghostOf(bob));
    expect(reaction.content['m.relates_to']).toEqual({
      rel_type: 'm.annotation',
      event_id: e.event_id,
      key: '👍',
    });

    room.fake.remove(msg);
    await inRoom(
      (x) => x.event_id === e.event_id && !!(x.unsigned?.redacted_because ?? x.redacted_because),
      'the redaction',
    );
  });

  it('edits, deletes, reacts and replies from Matrix on Discord', async () => {
    const original = await sendText(room.alice, room.roomId, 'first version');
    const sent = await onDiscord((c) => c === 'first version', 'the original');
    await sendAs(room.alice, room.roomId, {
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

    const fromBob = room.fake.say(bob, room.channelId, 'react to me');
    const bobEvent = await inRoom((x) => x.content.body === 'react to me', "bob's message");
    await sendAs(
      room.alice,
      room.roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: bobEvent.event_id, key: '🎉' } },
      'm.reaction',
    );
    await waitFor(
      () => fromBob.reactions?.find((r) => r.emoji.name === '🎉'),
      20_000,
      'the reaction on Discord',
    );

    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.text',
      body: 'my answer',
      'm.relates_to': { 'm.in_reply_to': { event_id: bobEvent.event_id } },
    });
    const answer = await onDiscord((c) => c.endsWith('my answer'), 'the reply on Discord');
    expect(answer.content).toBe(
      `> **Bobby**: react to me [↩](<https://discord.com/channels/${room.fake.state.guildId}/${room.channelId}/${fromBob.id}>)\nmy answer`,
    );

    await asRedaction(original);
    await waitFor(
      () => (room.fake.messages(room.channelId).includes(sent) ? undefined : true),
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
            headers: { authorization: `Bearer ${room.alice.accessToken}` },
          },
        )
      ).json()) as Sync;
    let since = (await sync()).next_batch;
    room.fake.type(carol, room.channelId);
    await waitFor(
      async () => {
        // Typing is ephemeral: it shows in a sync of the room.
        const next = await sync(since);
        since = next.next_batch;
        const typing = next.rooms?.join?.[room.roomId]?.ephemeral?.events?.find(
          (x) => x.type === 'm.typing',
        );
        return typing?.content.user_ids?.includes(ghostOf(carol)) ? true : undefined;
      },
      20_000,
      "carol's typing in Matrix",
    );
    const typingCalls = () =>
      room.fake.rest.calls.filter(
        (c) => c.method === 'POST' && c.path === `/channels/${room.channelId}/typing`,
      );
    const before = typingCalls().length;
    await asUser(
      room.alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/typing/${encodeURIComponent(room.alice.userId)}`,
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

    const msg = room.fake.say(bob, room.channelId, 'unreact me');
    const target = await inRoom((x) => x.content.body === 'unreact me', "bob's message");
    const reaction = await sendAs(
      room.alice,
      room.roomId,
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
        room.fake.rest.calls.find(
          (c) =>
            c.method === 'DELETE' &&
            c.path ===
              `/channels/${room.channelId}/messages/${msg.id}/reactions/${encodeURIComponent('👀')}/@me` &&
            c.status === 204,
        ),
      20_000,
      'the reaction taken back on Discord',
    );
  });

  async function asRedaction(eventId: string): Promise<void> {
    const { hsUrl } = requireSynapse();
    const res = await fetch(
      `${hsUrl}/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/redact/${encodeURIComponent(eventId)}/r${Date.now()}`,
      {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${room.alice.accessToken}`,
          'content-type': 'application/json',
        },
        body: '{}',
      },
    );
    expect(res.ok).toBe(true);
  }
});
